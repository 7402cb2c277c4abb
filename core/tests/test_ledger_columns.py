"""LedgerColumns: the column checks accept exactly what LedgerLine accepts, and nothing else."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from sfsync.ledger_columns import FIELDS, LedgerColumns, _fast_columns, _one_by_one
from sfsync.models import LedgerBatch, LedgerLine

# --- the property: whatever the fast path accepts, LedgerLine accepts the same way ----------------

_SPACES = st.sampled_from(["", " ", "\t", "\u3000", "\x1c", "\x1f", "\xa0", "\n", "\u200b"])
_PADDED = st.builds(lambda a, b, c: a + b + c, _SPACES, st.text(min_size=1, max_size=3), _SPACES)
_TEXT = st.one_of(_PADDED, _SPACES, st.none(), st.integers(-3, 3))
_DATES = st.one_of(
    st.dates(),
    st.dates().map(dt.date.isoformat),
    st.datetimes(),
    st.dates().map(lambda d: d.isoformat().replace("-", "")),
    st.text(alphabet="0123456789-W T:", min_size=8, max_size=12),
    st.sampled_from(["2024-02-30", "2024-13-01", "0000-01-01", "2024-01-1\u0665", " 2024-01-01"]),
    st.none(),
)
_AMOUNTS = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=False, allow_infinity=False, places=2).map(str),
    st.integers(-10**6, 10**6),
    st.floats(allow_nan=False),
    st.text(alphabet="0123456789.+-_ eE\u0665", max_size=7),
    st.none(),
)
_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "id": _TEXT, "entry": _TEXT, "journal": _TEXT, "account": _TEXT, "description": _TEXT,
    "fiscal_year": _TEXT, "currency": _TEXT, "counterparty": _TEXT, "vat_code": _TEXT,
    "date": _DATES,
    "period": st.one_of(st.none(), st.integers(-2, 200), st.booleans(), st.just("3")),
    "debit": _AMOUNTS, "credit": _AMOUNTS, "foreign_amount": _AMOUNTS, "amount": _AMOUNTS,
    "modified": st.one_of(st.none(), st.datetimes(), st.datetimes().map(dt.datetime.isoformat)),
    "bogus": st.just("x"),
}


_VALID_AMOUNTS = st.one_of(
    st.decimals(places=2, allow_nan=False, allow_infinity=False),
    st.decimals(places=2, allow_nan=False, allow_infinity=False).map(str),
    st.integers(-100, 100),
)
_PLAIN: dict[str, st.SearchStrategy[Any]] = {
    "journal": st.one_of(_PADDED, st.none()), "fiscal_year": st.one_of(_PADDED, st.none()),
    "currency": st.one_of(_PADDED, st.none()), "counterparty": st.one_of(_PADDED, st.none()),
    "vat_code": st.one_of(_PADDED, st.none()), "description": _PADDED,
    "period": st.one_of(st.none(), st.integers(0, 13)), "foreign_amount": st.one_of(st.none(), _VALID_AMOUNTS),
    "modified": st.one_of(st.none(), st.datetimes()),
}


@st.composite
def _records(draw: st.DrawFn, odd: str) -> list[dict[str, Any]]:
    # Plausible records (what connectors send, amounts of either sign), then the field ``odd`` of
    # one record given an odd value: the fast path must refuse it or agree with LedgerLine.
    signed = odd != "debit" and (odd == "amount" or draw(st.booleans()))
    records = []
    for _ in range(draw(st.integers(1, 4))):
        record: dict[str, Any] = {
            "id": draw(_PADDED), "entry": draw(_PADDED), "account": draw(_PADDED),
            "date": draw(st.one_of(st.dates(), st.dates().map(dt.date.isoformat))),
        }
        if signed:
            record["amount"] = draw(_VALID_AMOUNTS)
        else:
            record["debit" if draw(st.booleans()) else "credit"] = draw(_VALID_AMOUNTS)
        for name in draw(st.sets(st.sampled_from(sorted(_PLAIN)), max_size=4)):
            record[name] = draw(_PLAIN[name])
        records.append(record)
    if draw(st.integers(0, 3)):
        draw(st.sampled_from(records))[odd] = draw(_VALUES[odd])
    return records


def _exact(values: Any) -> list[tuple[str, str]]:
    """Values compared by type and repr: Decimal('1.0') and Decimal('1.00') must not pass as equal."""
    return [(type(v).__name__, repr(v)) for v in values]


@pytest.mark.parametrize("odd", sorted(_VALUES))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_fast_path_accepts_only_what_ledger_line_accepts_and_gives_the_same_values(odd, data):
    records = data.draw(_records(odd))
    fast = _fast_columns(records)
    if fast is None:
        return  # pydantic decides these, line by line: nothing to compare
    reference = _one_by_one(records)  # raises if the fast path accepted what LedgerLine refuses
    for name, column in zip(FIELDS, fast, strict=True):
        assert _exact(column) == _exact(getattr(line, name) for line in reference), name


def _outcome(build: Any) -> Any:
    """What building gives: the exact columns and their text, or the validation errors."""
    try:
        made = build()
    except ValidationError as exc:
        return ("refused", exc.title, [(e["loc"], e["type"], repr(e["input"])) for e in exc.errors()])
    except ValueError as exc:  # both amount and debit/credit given
        return ("refused", str(exc))
    return ("accepted", [_exact(made.column(name)) for name in FIELDS], made.text_columns())


@pytest.mark.parametrize("odd", sorted(_VALUES))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_whole_columns_are_judged_exactly_as_the_same_records(odd, data):
    records = data.draw(_records(odd))
    # Columns hold every field on every line: a field some record lacks takes another's value.
    keys = list(dict.fromkeys(key for record in records for key in record))
    records = [{key: record[key] if key in record else next(r[key] for r in records if key in r) for key in keys}
               for record in records]
    columns = {key: [record[key] for record in records] for key in keys}
    assert _outcome(lambda: LedgerColumns.from_columns(columns)) == _outcome(lambda: LedgerColumns.from_records(records))


def test_columns_of_different_lengths_are_refused():
    with pytest.raises(ValueError, match="one value per line each; they hold id 2, entry 1"):
        LedgerColumns.from_columns({"id": ["L1", "L2"], "entry": ["E1"]})
    assert len(LedgerColumns.from_columns({})) == 0


def test_the_fast_path_is_taken_for_what_connectors_send():
    records = [
        {"id": "L1", "entry": "E1", "journal": "VKP", "date": "2024-03-31", "period": 3, "account": "400000",
         "description": " Invoice 1 ", "amount": "121.00", "vat_code": "21", "counterparty": None},
        {"id": "L2", "entry": "E1", "journal": "VKP", "date": dt.date(2024, 3, 31), "period": 3,
         "account": "700000", "amount": Decimal("-121.00"), "modified": dt.datetime(2024, 4, 1, tzinfo=dt.UTC),
         "currency": "USD", "foreign_amount": "-130.5"},
    ]
    assert _fast_columns(records) is not None
    assert _fast_columns([{**r, "debit": "1"} for r in records]) is None  # both amount and debit: refused below


# --- what a connector sees --------------------------------------------------------------------------


def _line(i: int, **extra: Any) -> LedgerLine:
    return LedgerLine(id=f"L{i}", entry=f"E{i // 2}", date=dt.date(2024, 1 + i % 12, 1), account="400000",
                      debit=Decimal(i), **extra)


def test_columns_built_from_models_or_dicts_give_the_same_lines():
    models = [_line(i) for i in range(6)]
    dicts = [line.model_dump() for line in models]
    from_records = LedgerColumns.from_records(dicts)
    assert from_records == LedgerColumns.from_lines(models) == models
    assert list(from_records) == models and from_records[-1] == models[-1] and len(from_records) == 6
    assert from_records[2:4] == models[2:4] and from_records.column("debit")[3] == Decimal(3)


def test_a_signed_amount_becomes_a_debit_or_a_credit():
    columns = LedgerColumns.from_records(
        [{"id": "a", "entry": "e", "date": "2024-01-01", "account": "1", "amount": a} for a in ("2.50", "-2.50", "0")]
    )
    assert columns.column("debit") == (Decimal("2.50"), Decimal(0), Decimal(0))
    assert columns.column("credit") == (Decimal(0), Decimal("2.50"), Decimal(0))


def test_an_invalid_record_names_its_place_the_field_and_the_value():
    records = [{"id": "a", "entry": "e", "date": "2024-01-01", "account": "1", "amount": "1"} for _ in range(3)]
    records[2] = {**records[2], "id": "L3", "amount": 1.5}
    with pytest.raises(ValidationError, match=r"(?s)for LedgerLine 'L3'.*2\.amount.*1\.5 is a float"):
        LedgerColumns.from_records(records)
    records[2] = {"id": "a", "entry": "e", "date": "2024-02-30", "account": "1"}
    with pytest.raises(ValidationError, match=r"(?s)2\.date.*2024-02-30"):
        LedgerColumns.from_records(records)
    with pytest.raises(ValueError, match="both amount and debit"):
        LedgerColumns.from_records([{**records[0], "debit": "1"}])


def test_a_batch_takes_columns_models_or_dicts_and_refuses_anything_else():
    models = [_line(i) for i in range(3)]
    assert LedgerBatch(lines=models).lines == LedgerBatch(lines=[m.model_dump() for m in models]).lines == models
    assert len(LedgerBatch().lines) == 0
    with pytest.raises(ValidationError, match="list of LedgerLine or dicts"):
        LedgerBatch(lines="L1")
    with pytest.raises(ValidationError, match=r"lines\.1\.debit"):
        LedgerBatch(lines=[models[0].model_dump(), {**models[1].model_dump(), "debit": Decimal(-1)}])


def test_dated_from_keeps_the_lines_on_or_after_the_day():
    columns = LedgerColumns.from_lines([_line(i) for i in range(12)])
    kept = columns.dated_from(dt.date(2024, 7, 1))
    assert [line.id for line in kept] == [f"L{i}" for i in range(6, 12)]
    assert columns.dated_from(dt.date(2024, 1, 1)) is columns


def test_last_per_id_keeps_the_last_change_of_a_line():
    first, second = _line(1), _line(1, description="edited")
    columns = LedgerColumns.from_lines([first, _line(2), second])
    assert list(columns.last_per_id()) == [_line(2), second]


def test_text_columns_are_exact_text_and_leave_out_fields_empty_on_every_line():
    stamp = dt.datetime(2024, 1, 2, 3, 4, 5)
    lines = [_line(1, currency="USD", foreign_amount=Decimal("1E+2"), modified=stamp), _line(2)]
    text = LedgerColumns.from_lines(lines).text_columns()
    assert text["date"] == ["2024-02-01", "2024-03-01"] and text["debit"] == ["1", "2"] and text["credit"] == ["0", "0"]
    assert text["foreign_amount"] == ["100", None] and text["modified"] == ["2024-01-02T03:04:05", None]
    assert "vat_code" not in text and "period" not in text and text["description"] == ("", "")


def test_amounts_are_written_in_plain_notation_whatever_their_exponent():
    lines = [_line(i).model_copy(update={"debit": Decimal(d)}) for i, d in enumerate(["1E+2", "1E-7", "12.50"])]
    assert LedgerColumns.from_lines(lines).text_columns()["debit"] == ["100", "0.0000001", "12.50"]


def test_a_batch_dumps_its_lines_as_records_and_reads_them_back():
    batch = LedgerBatch(lines=[_line(i, currency="USD", foreign_amount=Decimal("-1.10")) for i in range(3)], cursor="c")
    assert batch.model_dump()["lines"][1] == _line(1, currency="USD", foreign_amount=Decimal("-1.10")).model_dump()
    assert LedgerBatch.model_validate(batch.model_dump()) == batch
    assert LedgerBatch.model_validate_json(batch.model_dump_json()) == batch


def test_lines_read_from_columns_are_whole_ledger_line_models():
    stamp = dt.datetime(2024, 1, 2, tzinfo=dt.UTC)
    expected = _line(3, currency="USD", foreign_amount=Decimal("-1.10"), modified=stamp)
    (line,) = LedgerColumns.from_lines([expected])
    assert line == expected and type(line) is LedgerLine and repr(line) == repr(expected)
    assert line.model_dump() == expected.model_dump() and line.model_dump_json() == expected.model_dump_json()
    assert line.model_fields_set == set(FIELDS) and line.model_copy(update={"id": "X"}).id == "X"
    assert hash(line) == hash(expected)  # frozen models hash by their fields
    with pytest.raises(ValidationError, match="frozen"):
        line.id = "Y"


@given(days=st.lists(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)), min_size=1, max_size=20))
def test_dates_given_as_iso_text_are_stored_as_that_text(days):
    records = [{"id": str(i), "entry": "E", "date": d.isoformat(), "account": "1", "amount": "1"} for i, d in enumerate(days)]
    from_text = LedgerColumns.from_records(records)
    # The kept text is what formatting the parsed dates gives; models and the parsed column agree.
    assert from_text.text_columns()["date"] == [d.isoformat() for d in days]
    assert list(from_text.column("date")) == days
    given_as_dates = LedgerColumns.from_records([{**r, "date": d} for r, d in zip(records, days, strict=True)])
    assert given_as_dates.text_columns()["date"] == from_text.text_columns()["date"]


def test_a_date_that_is_not_plain_iso_text_is_judged_by_pydantic_not_kept():
    records = [{"id": "1", "entry": "E", "date": "2024-02-01", "account": "1", "amount": "1"},
               {"id": "2", "entry": "E", "date": dt.date(2024, 3, 1), "account": "1", "amount": "-1"}]
    mixed = LedgerColumns.from_records(records)
    assert mixed.text_columns()["date"] == ["2024-02-01", "2024-03-01"]
    assert mixed.only([False, True]).text_columns()["date"] == ["2024-03-01"]
