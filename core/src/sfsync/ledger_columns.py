"""The lines of a ledger batch held column by column: the fast path from parsed pages to rows.

A sync moves millions of lines. Validating each one as a pydantic model costs more than writing
it to the store, so a batch keeps its lines as one tuple per field (:class:`LedgerColumns`) and
validates a whole column at once with C-speed built-ins (``map``, ``set``, ``min``).

The rules are exactly :class:`~sfsync.ledger_line.LedgerLine`'s, by construction: the column checks
only *accept* what is plainly valid (a ``str`` id, an ISO date, a decimal string…). Anything
else, including every invalid value, sends the batch through ``LedgerLine`` itself, line by line,
so the result, or the error naming the field and the offending value, is pydantic's own. A
property test (``core/tests/test_ledger_columns.py``) holds the two paths equal.

A connector builds one from the dicts it maps its page into::

    lines = LedgerColumns.from_records(
        {"id": row["ID"], "entry": row["EntryID"], "date": row["Date"], "account": row["GLAccount"],
         "amount": row["AmountDC"], "description": row["Description"]}
        for row in page
    )
    yield LedgerBatch(lines=lines, cursor=next_cursor)

``amount`` (signed, positive is a debit) may stand for ``debit`` and ``credit``, as most APIs
send it. A batch given a list of ``LedgerLine`` models converts it (:meth:`from_lines`), so
connectors that build models keep working; they only miss the speed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from functools import cache
from itertools import compress, repeat
from operator import itemgetter
from typing import Any, overload

from pydantic import ValidationError

from sfsync.ledger_line import LedgerLine, Money

__all__ = ["FIELDS", "LedgerColumns"]

FIELDS = (
    "id", "entry", "journal", "date", "period", "fiscal_year", "account", "description",
    "debit", "credit", "currency", "foreign_amount", "counterparty", "vat_code", "modified",
)
"""The fields of a ledger line, in the order :class:`LedgerColumns` keeps its columns."""

_INDEX = {name: i for i, name in enumerate(FIELDS)}
_ACCEPTED_KEYS = frozenset(FIELDS) | {"amount"}
_NONE = type(None)
_ZERO = Decimal(0)
# What pydantic-core strips with ``str_strip_whitespace`` (Rust's ``trim``: Unicode White_Space).
# Python's own ``str.strip()`` also strips U+001C..U+001F, which pydantic keeps.
_WHITESPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000"
)
_DECIMAL_CHARS = "0123456789.+-"
_REQUIRED_TEXT = ("id", "entry", "account")
_OPTIONAL_TEXT = ("journal", "fiscal_year", "currency", "counterparty", "vat_code")
_MAYBE_EMPTY = frozenset(_OPTIONAL_TEXT) | {"period", "foreign_amount", "modified"}


class LedgerColumns(Sequence["LedgerLine"]):
    """Validated ledger lines, one tuple per field; a read-only sequence of ``LedgerLine``.

    Build one with :meth:`from_columns` (fastest), :meth:`from_records` (fast) or :meth:`from_lines`. Indexing and iterating
    give :class:`~sfsync.models.LedgerLine` models; :meth:`column` gives a whole field.
    """

    __slots__ = ("_columns", "_date_texts", "_length")

    def __init__(self, columns: Sequence[Sequence[Any]], length: int) -> None:
        # Private: the classmethods validate, this only holds what they built.
        self._columns = tuple(tuple(c) for c in columns)
        self._length = length
        # The dates as the package wrote them, when that is exactly their ISO form: what a SQL
        # store keeps, so it need not format every date again (set by from_records).
        self._date_texts: Sequence[str] | None = None

    # --- building -------------------------------------------------------------------------------

    @classmethod
    def empty(cls) -> LedgerColumns:
        """No lines."""
        return cls([() for _ in FIELDS], 0)

    @classmethod
    def from_lines(cls, lines: Iterable[LedgerLine]) -> LedgerColumns:
        """Columns from models that are already validated."""
        lines = list(lines)
        columns = [[getattr(line, name) for line in lines] for name in FIELDS]
        return cls(columns, len(lines))

    @classmethod
    def from_records(cls, records: Iterable[Mapping[str, Any]]) -> LedgerColumns:
        """Validate dicts keyed by ``LedgerLine``'s field names (``amount`` may stand for
        ``debit``/``credit``) and hold them as columns.

        Raises:
            pydantic.ValidationError: A record breaks a rule of ``LedgerLine``; the error names
                the field and the offending value.
        """
        records = records if isinstance(records, list) else list(records)
        texts: list[Any] = []
        columns = _fast_columns(records, date_texts=texts)
        if columns is None:
            return cls.from_lines(_one_by_one(records))
        made = cls(columns, len(records))
        made._date_texts = texts or None
        return made

    @classmethod
    def from_columns(cls, columns: Mapping[str, Sequence[Any]]) -> LedgerColumns:
        """Validate whole fields, keyed by ``LedgerLine``'s field names (``amount`` may stand for
        ``debit``/``credit``), one value per line in each; the same rules and errors as
        :meth:`from_records`, without a dict per line.

        The quickest path for a connector whose page rows carry the fields under their own
        names: each field is taken from all rows at once, at C speed::

            get = lambda key: list(map(operator.itemgetter(key), page))
            lines = LedgerColumns.from_columns(
                {"id": get("ID"), "entry": get("EntryID"), "date": get("Date"), "amount": get("AmountDC")}
            )

        Raises:
            ValueError: The columns do not all hold the same number of values.
            pydantic.ValidationError: A line breaks a rule of ``LedgerLine``; the error names
                the line, the field and the offending value.
        """
        lengths = {name: len(values) for name, values in columns.items()}
        if len(set(lengths.values())) > 1:
            sizes = ", ".join(f"{name} {length}" for name, length in lengths.items())
            raise ValueError(f"the columns of a batch must hold one value per line each; they hold {sizes}")
        n = next(iter(lengths.values()), 0)
        texts: list[Any] = []
        checked = _checked_columns(lambda name, _default: list(columns[name]), set(columns), n, texts) if n else None
        if checked is None:
            if not n:
                return cls.empty()
            records = [dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)]
            return cls.from_lines(_one_by_one(records))
        made = cls(checked, n)
        made._date_texts = texts or None
        return made

    @classmethod
    def coerce(cls, value: Any) -> LedgerColumns:
        """What ``LedgerBatch(lines=…)`` accepts: columns, ``LedgerLine`` models or dicts."""
        if isinstance(value, LedgerColumns):
            return value
        if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
            raise ValueError(f"lines must be a list of LedgerLine or dicts, not {type(value).__name__}")
        items = list(value)
        model = LedgerLine
        if all(type(item) is model for item in items):
            return cls.from_lines(items)
        if all(isinstance(item, Mapping) for item in items):
            return cls.from_records(items)
        records = [item.model_dump() if isinstance(item, model) else item for item in items]
        if all(isinstance(item, Mapping) for item in records):
            return cls.from_records(records)
        raise ValueError("lines must be LedgerLine models or dicts")

    # --- reading --------------------------------------------------------------------------------

    def column(self, name: str) -> tuple[Any, ...]:
        """All values of one field, e.g. ``column("date")``."""
        try:
            return self._columns[_INDEX[name]]
        except KeyError:
            raise KeyError(f"no ledger field {name!r}; fields: {', '.join(FIELDS)}") from None

    def __len__(self) -> int:
        return self._length

    @overload
    def __getitem__(self, index: int) -> LedgerLine: ...
    @overload
    def __getitem__(self, index: slice) -> LedgerColumns: ...
    def __getitem__(self, index: int | slice) -> LedgerLine | LedgerColumns:
        if isinstance(index, slice):
            columns = [c[index] for c in self._columns]
            return LedgerColumns(columns, len(columns[0]))
        if index < 0:
            index += self._length
        if not 0 <= index < self._length:
            raise IndexError("ledger line index out of range")
        return _built_line({name: column[index] for name, column in zip(FIELDS, self._columns, strict=True)})

    def __iter__(self) -> Iterator[LedgerLine]:
        return map(_built_line, self.to_records())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LedgerColumns):
            return self._columns == other._columns
        if isinstance(other, (list, tuple)):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # equal to lists, which are unhashable

    def __repr__(self) -> str:
        return f"<LedgerColumns: {self._length} lines>"

    # --- selecting ------------------------------------------------------------------------------

    def dated_from(self, day: dt.date) -> LedgerColumns:
        """The lines dated on or after ``day`` (itself when none is earlier)."""
        dates = self.column("date")
        if not dates or min(dates) >= day:
            return self
        return self.only([d >= day for d in dates])

    def only(self, keep: Sequence[bool]) -> LedgerColumns:
        """The lines whose entry in ``keep`` is true, in order."""
        return LedgerColumns([list(compress(c, keep)) for c in self._columns], sum(keep))

    def repeated_ids(self) -> list[str]:
        """The ids that more than one line of these columns carries, once each, in the order they repeat.

        Within one batch a package id names one line: two lines under one id are two lines the
        package's ids cannot tell apart, which an upsert on ``id`` would silently merge.
        """
        ids = self.column("id")
        if len(set(ids)) == len(ids):  # the usual case, at C speed
            return []
        seen: set[str] = set()
        repeated: dict[str, None] = {}
        for line_id in ids:
            if line_id in seen:
                repeated[line_id] = None
            seen.add(line_id)
        return list(repeated)

    def last_per_id(self) -> LedgerColumns:
        """One line per id, the last one given winning.

        A store's defence only (an upsert cannot touch one row twice in a statement): the runner
        refuses a batch with a repeated id before it reaches a store (:mod:`sfsync.unique_ids`).
        """
        ids = self.column("id")
        last = {line_id: i for i, line_id in enumerate(ids)}
        if len(last) == self._length:
            return self
        wanted = sorted(last.values())
        return LedgerColumns([[c[i] for i in wanted] for c in self._columns], len(wanted))

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per line, keyed by field name (what ``LedgerBatch.model_dump()`` gives)."""
        return [dict(zip(FIELDS, values, strict=True)) for values in zip(*self._columns, strict=True)]

    def text_columns(self) -> dict[str, Sequence[Any]]:
        """The columns as a SQL store keeps them: dates, stamps and amounts as exact text.

        A field that is empty (``None``) on every line is left out: a store writes NULL for it
        without binding one value per line. Amounts are in plain notation (``format(value,
        "f")``, never ``1E+2``) so that they read back to the same ``Decimal``.
        """
        out: dict[str, Sequence[Any]] = {}
        for name, column in zip(FIELDS, self._columns, strict=True):
            if name in _MAYBE_EMPTY and column.count(None) == self._length:
                continue
            if name == "date":
                out[name] = self._date_texts or list(map(dt.date.isoformat, column))
            elif name in ("debit", "credit"):
                texts = _plain_texts(column)
                if texts and min(texts)[0] == "-":  # debits and credits are >= 0: only -0 sorts first
                    texts = [t[1:] if t[0] == "-" else t for t in texts]
                out[name] = texts
            elif name == "foreign_amount":
                out[name] = [None if v is None else _no_negative_zero(format(v, "f")) for v in column]
            elif name == "modified":
                out[name] = [None if v is None else v.isoformat() for v in column]
            else:
                out[name] = column
        return out


def _plain_texts(amounts: Sequence[Decimal]) -> list[str]:
    """``format(value, "f")`` of each amount, at half its cost: ``str`` gives the same plain text
    unless it chose exponent notation (``1E+2``, ``1E-7``), which one search over all of them finds."""
    texts = list(map(str, amounts))
    if "E" in "".join(texts):
        return list(map(format, amounts, repeat("f")))
    return texts


def _no_negative_zero(text: str) -> str:
    """``-0.00`` is stored as ``0.00``: a zero has no sign an accountant should see."""
    return text[1:] if text[0] == "-" and not text.strip("-0.") else text


_ALL_FIELDS = set(FIELDS)


def _built_line(values: dict[str, Any]) -> LedgerLine:
    """A ``LedgerLine`` from values that were validated already, in a third of what
    ``model_construct`` costs: the same four attributes it sets, without its generic handling of
    defaults and aliases (every field is given). ``test_ledger_columns`` holds the two equal."""
    line = object.__new__(LedgerLine)
    object.__setattr__(line, "__dict__", values)
    object.__setattr__(line, "__pydantic_fields_set__", _ALL_FIELDS.copy())  # model_copy adds to it
    object.__setattr__(line, "__pydantic_extra__", None)
    object.__setattr__(line, "__pydantic_private__", None)
    return line


# --- the reference path: every record through LedgerLine --------------------------------------------


@cache
def _amount_model() -> Any:
    from pydantic import BaseModel

    class SignedAmount(BaseModel):
        amount: Money  # so that an error names "amount", the field the connector gave

    return SignedAmount


def _one_by_one(records: Sequence[Mapping[str, Any]]) -> list[LedgerLine]:
    lines = []
    for index, record in enumerate(records):
        try:
            lines.append(_validate(record))
        except ValidationError as exc:
            # Say which line of the batch it is: ``3.debit`` rather than ``debit``.
            details: list[Any] = [
                {"type": e["type"], "loc": (index, *e["loc"]), "input": e["input"]}
                | ({"ctx": e["ctx"]} if "ctx" in e else {})
                for e in exc.errors()
            ]
            line_id = record.get("id") if isinstance(record, Mapping) else None
            title = f"LedgerLine {line_id!r}" if isinstance(line_id, str) and line_id else "LedgerLine"
            raise ValidationError.from_exception_data(title, details) from None
    return lines


def _validate(record: Mapping[str, Any]) -> LedgerLine:
    if "amount" in record:
        fields = dict(record)
        if "debit" in fields or "credit" in fields:
            raise ValueError(f"ledger line {fields.get('id')!r} gives both amount and debit/credit; give one of them")
        amount = _amount_model().model_validate({"amount": fields.pop("amount")}).amount
        fields["debit"], fields["credit"] = (amount, _ZERO) if amount >= 0 else (_ZERO, amount.copy_negate())
        record = fields
    return LedgerLine.model_validate(record)


# --- the fast path: accept a column only when it is plainly valid -----------------------------------


def _fast_columns(records: list[Mapping[str, Any]], *, date_texts: list[Any] | None = None) -> list[list[Any]] | None:
    """The validated columns, or ``None`` when any value needs pydantic's judgement.

    ``date_texts`` receives the dates as given when every one is plain ISO text."""
    if not records:
        return [[] for _ in FIELDS]
    if set(map(type, records)) != {dict}:
        return None

    def column_of(name: str, default: Any) -> list[Any]:
        try:
            return list(map(itemgetter(name), records))  # C speed, when every record has it
        except KeyError:
            return [r.get(name, default) for r in records]

    return _checked_columns(column_of, set().union(*records), len(records), date_texts)


def _checked_columns(
    column_of: Callable[[str, Any], list[Any]], keys: set[str], n: int, date_texts: list[Any] | None
) -> list[list[Any]] | None:
    """The checks of :func:`_fast_columns` on ``n`` lines whose fields ``keys`` ``column_of``
    gives as a whole column (a field missing from a line as ``default``)."""
    if not keys <= _ACCEPTED_KEYS:
        return None
    nothing = [None] * n

    def values(name: str, default: Any = None) -> list[Any]:
        # A field no line has is its default throughout: no need to look it up per line.
        if name not in keys:
            return [default] * n if default is not None else nothing
        return column_of(name, default)

    columns: list[list[Any] | None] = [None] * len(FIELDS)
    for name in _REQUIRED_TEXT:
        columns[_INDEX[name]] = _text(values(name), optional=False, non_empty=True)
    for name in _OPTIONAL_TEXT:
        columns[_INDEX[name]] = _text(values(name), optional=True, non_empty=False)
    columns[_INDEX["description"]] = _text(values("description", ""), optional=False, non_empty=False)
    given_dates = values("date")
    columns[_INDEX["date"]] = _dates(given_dates)
    if date_texts is not None and columns[_INDEX["date"]] is not None and set(map(type, given_dates)) == {str}:
        date_texts.extend(given_dates)  # _dates took only text that is exactly its date's ISO form
    columns[_INDEX["period"]] = _optional_ints(values("period"))
    columns[_INDEX["modified"]] = _optional_stamps(values("modified"))
    columns[_INDEX["foreign_amount"]] = _decimals(values("foreign_amount"), optional=True)
    if "amount" in keys:
        if "debit" in keys or "credit" in keys:
            return None
        amounts = _decimals(values("amount"), optional=False)
        if amounts is None:
            return None
        # Exactly LedgerLine.from_signed: max() keeps its first argument when both are equal,
        # so a zero amount is a zero debit (its own sign kept) and Decimal(0) credit.
        columns[_INDEX["debit"]] = list(map(max, amounts, repeat(_ZERO)))
        columns[_INDEX["credit"]] = list(map(max, repeat(_ZERO), map(Decimal.copy_negate, amounts)))
    else:
        for name in ("debit", "credit"):
            given = _decimals(values(name, _ZERO), optional=False)
            if given is None or min(given) < 0:
                return None
            columns[_INDEX[name]] = given
    if any(c is None for c in columns):
        return None
    return columns  # type: ignore[return-value]


def _text(values: list[Any], *, optional: bool, non_empty: bool) -> list[Any] | None:
    kinds = set(map(type, values))
    if optional and kinds == {_NONE}:
        return values
    stripped: list[Any]
    if kinds <= {str}:
        stripped = list(map(str.strip, values, repeat(_WHITESPACE)))
    elif optional and kinds <= {str, _NONE}:
        stripped = [None if v is None else v.strip(_WHITESPACE) for v in values]
    else:
        return None
    if non_empty and "" in stripped:
        return None
    return stripped


def _dates(values: list[Any]) -> list[Any] | None:
    # Only plain YYYY-MM-DD text: ``date.fromisoformat`` also reads week dates and ``20240131``,
    # which pydantic refuses. Text that is exactly its date's ISO form is plain.
    kinds = set(map(type, values))
    if kinds <= {dt.date}:
        return values
    try:
        if kinds == {str}:
            # The lines of a batch share a few dozen dates: each distinct text is parsed and
            # checked once, and the lines take theirs by lookup.
            texts = list(set(values))
            days = dict(zip(texts, map(dt.date.fromisoformat, texts), strict=True))
            if list(map(dt.date.isoformat, days.values())) != texts:
                return None
            return list(map(days.__getitem__, values))
        if kinds == {dt.date, str}:
            parsed = [v if type(v) is dt.date else dt.date.fromisoformat(v) for v in values]
            plain = all(type(v) is dt.date or d.isoformat() == v for v, d in zip(values, parsed, strict=True))
            return parsed if plain else None
    except ValueError:
        return None
    return None


def _optional_ints(values: list[Any]) -> list[Any] | None:
    return values if set(map(type, values)) <= {int, _NONE} else None


def _optional_stamps(values: list[Any]) -> list[Any] | None:
    return values if set(map(type, values)) <= {dt.datetime, _NONE} else None


def _decimals(values: list[Any], *, optional: bool) -> list[Any] | None:
    kinds = set(map(type, values))
    if not kinds <= ({Decimal, int, str, _NONE} if optional else {Decimal, int, str}):
        return None
    if kinds == {_NONE}:
        return values
    strings = values if kinds == {str} else list(filter(_is_str, values))
    # Stripping the allowed characters off the texts joined leaves nothing exactly when every
    # character of every text is one of them (one pass in C, not one call per value).
    if strings and "".join(strings).strip(_DECIMAL_CHARS):
        return None  # letters, spaces, underscores, exponents: pydantic decides
    try:
        if kinds <= {Decimal}:
            out = values
        elif kinds == {str}:
            out = list(map(Decimal, values))
        else:
            out = [v if v is None or type(v) is Decimal else Decimal(v) for v in values]
    except InvalidOperation:
        return None
    present = out if _NONE not in kinds else [v for v in out if v is not None]
    if not all(map(Decimal.is_finite, present)):
        return None
    return out


def _is_str(value: Any) -> bool:
    return type(value) is str
