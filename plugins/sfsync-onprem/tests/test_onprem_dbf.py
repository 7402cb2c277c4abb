"""The DBF reader (``sfsync_onprem.dbf``), on tables written by our fixture writer (then damaged)."""

from __future__ import annotations

import datetime as dt
import struct
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sfsync_onprem.dbf import DbfField, DbfTable, read_dbf, write_dbf
from sfsync_onprem.readers import UnreadableFile

F = DbfField
ALL_TYPES = [
    F("NAME", "C", 12), F("LONGTEXT", "C", 300), F("AMOUNTEUR", "N", 17, 2), F("DOCTYPE", "N", 6),
    F("RATE", "F", 20, 6), F("DATE", "D", 8), F("ISLOCKED", "L", 1), F("COUNTER", "I", 4),
    F("NOTE", "M", 10),
]  # fmt: skip
ROWS: list[dict[str, Any]] = [
    {"NAME": "Café Ørsted", "LONGTEXT": "é" * 300, "AMOUNTEUR": Decimal("-1234567890.12"), "DOCTYPE": 3,
     "RATE": Decimal("1.082300"), "DATE": dt.date(2017, 2, 28), "ISLOCKED": True, "COUNTER": -2**31},
    {"NAME": "  leading", "LONGTEXT": "", "AMOUNTEUR": Decimal("0.10"), "DOCTYPE": -99999,
     "RATE": Decimal("-0.000001"), "DATE": dt.date(1999, 12, 31), "ISLOCKED": False, "COUNTER": 2**31 - 1},
    {"NAME": "", "LONGTEXT": None, "AMOUNTEUR": None, "DOCTYPE": None, "RATE": None, "DATE": None,
     "ISLOCKED": None, "COUNTER": 0},
]  # fmt: skip


def _expected(row: dict[str, Any]) -> dict[str, Any]:
    """What the reader gives for a row the writer wrote: text stripped, blanks None, memo None."""
    out: dict[str, Any] = {}
    for f in ALL_TYPES:
        value = row.get(f.name)
        if f.type == "C":
            value = (value or "").rstrip(" ")
        elif f.type == "N" and value is not None:
            value = Decimal(value)
        elif f.type == "M":
            value = None
        out[f.name] = value
    return out


def _offset(table: DbfTable, record: int, field: str) -> int:
    """Byte offset of ``field`` in 1-based ``record``."""
    start = table.header.header_length + (record - 1) * table.header.record_length + 1
    for f in table.fields:
        if f.name == field:
            return start
        start += f.length
    raise KeyError(field)


def _patch(path: Path, offset: int, data: bytes) -> None:
    raw = bytearray(path.read_bytes())
    raw[offset : offset + len(data)] = data
    path.write_bytes(bytes(raw))


@pytest.fixture
def table(tmp_path: Path) -> Path:
    path = tmp_path / "X_ACT.DBF"
    write_dbf(path, ALL_TYPES, ROWS)
    return path


def test_onprem_dbf_every_type_round_trips(table: Path) -> None:
    records = list(read_dbf(table))
    assert records == [_expected(r) for r in ROWS]
    first = records[0]
    assert type(first["AMOUNTEUR"]) is Decimal and str(first["AMOUNTEUR"]) == "-1234567890.12"
    assert str(first["RATE"]) == "1.082300"  # the digits written, not a float's
    assert first["ISLOCKED"] is True and records[1]["ISLOCKED"] is False and records[2]["ISLOCKED"] is None
    assert first["LONGTEXT"] == "é" * 300  # text longer than 255 (length high byte in the decimal count)
    assert records[1]["NAME"] == "  leading"  # only trailing spaces are stripped
    header = DbfTable(table).header
    assert (header.version, header.record_count) == (0x03, len(ROWS))
    assert header.record_length == 1 + sum(f.length for f in ALL_TYPES)


def test_onprem_dbf_blank_numbers_and_dates_are_none(table: Path) -> None:
    blank = list(read_dbf(table))[2]
    assert blank["AMOUNTEUR"] is None and blank["DOCTYPE"] is None and blank["RATE"] is None
    assert blank["DATE"] is None
    t = DbfTable(table)
    _patch(table, _offset(t, 3, "DATE"), b"00000000")
    _patch(table, _offset(t, 3, "AMOUNTEUR"), b"\x00" * 17)
    again = list(read_dbf(table))[2]
    assert again["DATE"] is None and again["AMOUNTEUR"] is None


def test_onprem_dbf_numbers_are_exact_decimals(tmp_path: Path) -> None:
    path = tmp_path / "N.DBF"
    values = ["-1234567890.12", "0.01", "99999999999999.99", "-0.00"]
    write_dbf(path, [F("AMOUNT", "N", 17, 2)], [{"AMOUNT": Decimal(v)} for v in values])
    got = [r["AMOUNT"] for r in read_dbf(path)]
    assert [str(v) for v in got] == values
    assert all(type(v) is Decimal for v in got)
    t = DbfTable(path)
    _patch(path, _offset(t, 2, "AMOUNT"), b"12,5".rjust(17))  # a decimal comma is read as before
    assert list(read_dbf(path))[1]["AMOUNT"] == Decimal("12.5")


def test_onprem_dbf_deleted_records_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "D.DBF"
    rows = [{"NUMBER": f"{i:03d}"} for i in range(10)]
    write_dbf(path, [F("NUMBER", "C", 3)], rows, deleted={0, 4, 9})
    assert [r["NUMBER"] for r in read_dbf(path)] == ["001", "002", "003", "005", "006", "007", "008"]
    assert len(DbfTable(path)) == 10


def test_onprem_dbf_logicals_memos_and_unknown_types(tmp_path: Path) -> None:
    path = tmp_path / "L.DBF"
    fields = [F("FLAG", "L", 1), F("NOTE", "M", 10), F("CODE", "C", 5)]
    write_dbf(path, fields, [{"FLAG": True, "CODE": "ab"}] * 7)
    t = DbfTable(path)
    for n, byte in enumerate([b"t", b"Y", b"y", b"f", b"N", b"n", b" "], start=1):
        _patch(path, _offset(t, n, "FLAG"), byte)
    _patch(path, _offset(t, 1, "NOTE"), b"0000000042")  # a pointer into a memo file we do not read
    assert [r["FLAG"] for r in read_dbf(path)] == [True, True, True, False, False, False, None]
    assert all(r["NOTE"] is None for r in read_dbf(path))
    descriptor = 32 + 2 * 32  # third field: CODE
    _patch(path, descriptor + 11, b"X")  # a type this reader does not know: kept as text
    _patch(path, descriptor, b"code\x00")  # lower-case name: upper-cased
    assert next(read_dbf(path))["CODE"] == "ab"  # no error, and the name is upper-cased
    _patch(path, _offset(t, 2, "FLAG"), b"x")
    with pytest.raises(UnreadableFile, match=r"L\.DBF: field FLAG of record 2: 'x' is not a logical"):
        list(read_dbf(path))


def test_onprem_dbf_text_decode_errors_are_replaced(tmp_path: Path) -> None:
    path = tmp_path / "T.DBF"
    write_dbf(path, [F("NAME", "C", 6)], [{"NAME": "abc"}])
    _patch(path, _offset(DbfTable(path), 1, "NAME"), b"a\x81\xe9")  # 0x81 is undefined in cp1252
    assert next(read_dbf(path))["NAME"] == "a\ufffdé"


def test_onprem_dbf_a_bad_number_or_date_names_field_and_record(tmp_path: Path) -> None:
    path = tmp_path / "X_ACT.DBF"
    write_dbf(path, ALL_TYPES, ROWS * 2)
    t = DbfTable(path)
    _patch(path, _offset(t, 5, "AMOUNTEUR"), b"12,5x".rjust(17))
    with pytest.raises(UnreadableFile, match=r"X_ACT\.DBF: field AMOUNTEUR of record 5: '12,5x' is not a number"):
        list(read_dbf(path))
    write_dbf(path, ALL_TYPES, ROWS * 2)
    _patch(path, _offset(t, 4, "DATE"), b"20171301")
    with pytest.raises(UnreadableFile, match=r"field DATE of record 4: '20171301' is not a date"):
        list(read_dbf(path))
    for bad in (b"NaN".rjust(17), b"1e".rjust(17), b"1.2.3".rjust(17)):
        write_dbf(path, ALL_TYPES, ROWS)
        _patch(path, _offset(t, 1, "RATE"), bad.rjust(20))
        with pytest.raises(UnreadableFile, match="field RATE of record 1"):
            list(read_dbf(path))


def test_onprem_dbf_truncated_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "X_ACT.DBF"
    rows = [{"NUMBER": f"{i:04d}", "AMOUNT": Decimal(i)} for i in range(1000)]
    write_dbf(path, [F("NUMBER", "C", 4), F("AMOUNT", "N", 10, 2)], rows)
    t = DbfTable(path)
    cut = _offset(t, 812, "AMOUNT") + 3  # in the middle of record 812
    path.write_bytes(path.read_bytes()[:cut])
    with pytest.raises(UnreadableFile, match=r"X_ACT\.DBF is truncated: record 812 of 1,000 ends early"):
        DbfTable(path)
    with pytest.raises(UnreadableFile, match="truncated"):
        list(read_dbf(path))


def test_onprem_dbf_end_marker_before_the_record_count_is_truncation(tmp_path: Path) -> None:
    path = tmp_path / "E.DBF"
    write_dbf(path, [F("NUMBER", "C", 4)], [{"NUMBER": str(i)} for i in range(5)])
    raw = bytearray(path.read_bytes())
    raw[4:8] = struct.pack("<I", 7)  # the header claims 7 records, 5 and the 0x1A marker follow
    path.write_bytes(bytes(raw) + b" " * 20)
    with pytest.raises(UnreadableFile, match=r"E\.DBF is truncated: it ends \(0x1A\) at record 6 of the 7"):
        list(read_dbf(path))


@pytest.mark.parametrize(("damage", "message"), [
    (lambda raw: raw[:20], r"is not a DBF table \(header too short: 20 of 32 bytes\)"),
    (lambda raw: b"\x00" * 4 + raw[4:], r"is not a DBF table \(unknown version byte 0x00\)"),
    (lambda raw: b"PK\x03\x04" + raw[4:], r"is not a DBF table \(unknown version byte 0x50\)"),
    (lambda raw: raw[:10] + bytes([raw[10] + 1]) + raw[11:], "has a damaged DBF header: the header says records are"),
    (lambda raw: raw[:8] + struct.pack("<H", 40) + raw[10:], "has a damaged DBF header: no 0x0D terminator"),
    (lambda raw: raw[:32 + 32] + b"\x00" + raw[32 + 33:], "has a damaged DBF header: field descriptor 2 has no readable"),
    (lambda raw: raw[:32 + 32 * 2] + b" " + raw[32 + 32 * 2 + 1:], "has a damaged DBF header: no 0x0D terminator"),
    (lambda raw: raw[:8] + struct.pack("<H", 5000) + raw[10:], r"is truncated: the header says 5,000 bytes"),
])  # fmt: skip
def test_onprem_dbf_damaged_header_is_a_clear_error(tmp_path: Path, damage: Any, message: str) -> None:
    path = tmp_path / "X_ACF.DBF"
    write_dbf(path, [F("NUMBER", "C", 8), F("NAME", "C", 40)], [{"NUMBER": "400000", "NAME": "Clients"}])
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(UnreadableFile, match=r"^X_ACF\.DBF " + message):
        list(read_dbf(path))


def test_onprem_dbf_records_are_streamed(tmp_path: Path) -> None:
    path = tmp_path / "S.DBF"
    write_dbf(path, [F("NUMBER", "C", 4)], [{"NUMBER": str(i)} for i in range(100)])
    t = DbfTable(path)
    _patch(path, _offset(t, 50, "NUMBER") - 1, b"#")  # record 50's flag damaged
    records = read_dbf(path)
    assert [r["NUMBER"] for r in islice(records, 3)] == ["0", "1", "2"]  # read before reaching 50
    with pytest.raises(UnreadableFile, match=r"S\.DBF is damaged: record 50 starts with 0x23"):
        list(records)


def test_onprem_dbf_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile, match=r"NOPE\.DBF cannot be opened"):
        DbfTable(tmp_path / "NOPE.DBF")


# --- property: whatever our writer writes, the reader gives back ------------------------------

_CP1252_TEXT = st.text(
    alphabet=st.characters(codec="cp1252", exclude_characters="\x00\x1a", exclude_categories=("Cs",)),
    max_size=20,
).map(lambda s: s.rstrip(" "))


@st.composite
def _field_and_values(draw: st.DrawFn, name: str, rows: int) -> tuple[DbfField, list[Any]]:
    kind = draw(st.sampled_from("CNFDLIM"))
    if kind == "C":
        length = draw(st.integers(1, 300))
        values: list[Any] = [s.encode("cp1252")[:length].decode("cp1252").rstrip(" ")
                             for s in draw(st.lists(_CP1252_TEXT, min_size=rows, max_size=rows))]
        return DbfField(name, "C", length), values
    if kind in "NF":
        length = draw(st.integers(3, 20))
        decimals = draw(st.integers(0, min(length - 3, 8)))
        digits = length - decimals - (2 if decimals else 1)  # room for the sign and the point
        bound = 10 ** (digits + decimals) - 1
        cents = st.integers(-bound, bound).map(lambda n: Decimal(n).scaleb(-decimals))
        values = draw(st.lists(st.none() | cents, min_size=rows, max_size=rows))
        return DbfField(name, kind, length, decimals), values
    if kind == "D":
        days = st.dates(dt.date(1000, 1, 1), dt.date(9999, 12, 31))
        return DbfField(name, "D", 8), draw(st.lists(st.none() | days, min_size=rows, max_size=rows))
    if kind == "L":
        return DbfField(name, "L", 1), draw(st.lists(st.sampled_from([None, True, False]), min_size=rows,
                                                     max_size=rows))
    if kind == "I":
        return DbfField(name, "I", 4), draw(st.lists(st.integers(-2**31, 2**31 - 1), min_size=rows,
                                                     max_size=rows))
    return DbfField(name, "M", 10), [None] * rows


@st.composite
def _tables(draw: st.DrawFn) -> tuple[list[DbfField], list[dict[str, Any]], set[int]]:
    rows = draw(st.integers(0, 12))
    names = draw(st.lists(st.from_regex(r"[A-Z][A-Z0-9_]{0,9}", fullmatch=True), min_size=1, max_size=8,
                          unique=True))
    columns = [draw(_field_and_values(name, rows)) for name in names]
    fields = [f for f, _ in columns]
    records = [{f.name: values[i] for f, values in columns} for i in range(rows)]
    deleted = draw(st.sets(st.integers(0, max(rows - 1, 0)))) if rows else set()
    return fields, records, deleted


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_tables())
def test_onprem_dbf_random_tables_read_back_equal(
    tmp_path: Path, table: tuple[list[DbfField], list[dict[str, Any]], set[int]]
) -> None:
    fields, records, deleted = table
    path = tmp_path / "P.DBF"
    write_dbf(path, fields, records, deleted=deleted)
    got = list(read_dbf(path))
    expected = [{f.name: (None if f.type == "M" else r[f.name]) for f in fields}
                for i, r in enumerate(records) if i not in deleted]
    assert got == expected
    for g, e in zip(got, expected, strict=True):
        for name, value in e.items():
            if isinstance(value, Decimal):
                assert type(g[name]) is Decimal and g[name].as_tuple() == value.as_tuple()


def test_onprem_dbf_an_overflowed_number_is_an_error_not_a_blank(tmp_path: Path) -> None:
    # dBase writes '*'s when an amount is too wide for its field: reading it as None would drop
    # money silently.
    path = tmp_path / "X_ACT.DBF"
    write_dbf(path, ALL_TYPES, ROWS)
    _patch(path, _offset(DbfTable(path), 2, "AMOUNTEUR"), b"*" * 17)
    with pytest.raises(UnreadableFile, match=r"field AMOUNTEUR of record 2: .* too wide for its field"):
        list(read_dbf(path))
