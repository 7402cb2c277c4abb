"""Exact Online's wire formats (OData v2 "verbose" JSON), both ways.

Shared by the connector (decoding) and the sandbox (encoding), so the two agree by construction
and the tests check each against the reference (``exact-online.md`` §3.5):

* ``/Date(ms)/``: milliseconds of Exact's *local wall-clock time* (Europe/Amsterdam) written as if
  it were UTC. Date-only fields carry midnight. Modification stamps become aware UTC datetimes.
* ``Edm.Int64`` travels as a JSON *string* (``"Timestamp": "1234567"``); parse strings and numbers.
* ``Edm.Double`` travels as a JSON number: decode with ``parse_float=Decimal`` (never float).
* Fixed-width char fields keep their padding (``"VATCode": "VB "``): strip when comparing.
* Nulls are explicit (``"City": null``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

__all__ = [
    "AMSTERDAM",
    "amsterdam_wall_clock",
    "date_to_wire",
    "decode_json",
    "encode_json",
    "format_datetime_literal",
    "number_mark",
    "parse_date",
    "parse_decimal",
    "parse_int64",
    "parse_stamp",
    "parse_wall_clock",
    "stamp_to_wire",
    "text",
]

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
_EPOCH = dt.datetime(1970, 1, 1)
_DATE_RE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")


# --- decoding (connector) ------------------------------------------------------------------------


def decode_json(content: bytes) -> Any:
    """Parse a response body; every JSON number with a fraction becomes a Decimal."""
    return json.loads(content, parse_float=Decimal)


def parse_wall_clock(value: str | None) -> dt.datetime | None:
    """``"/Date(1723420800000)/"`` → the naive wall-clock datetime it encodes (Exact's frame)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"not an OData /Date(ms)/ value: {value!r}")
    match = _DATE_RE.match(value.strip())
    if match is None:
        raise ValueError(f"not an OData /Date(ms)/ value: {value[:40]!r}")
    naive = _EPOCH + dt.timedelta(milliseconds=int(match.group(1)))
    if match.group(2):  # "/Date(ms+0100)/": ms is already UTC, the offset says the local frame
        sign = 1 if match.group(2)[0] == "+" else -1
        offset = dt.timedelta(hours=int(match.group(2)[1:3]), minutes=int(match.group(2)[3:5]))
        naive = naive + sign * offset
    return naive


def parse_date(value: str | None) -> dt.date | None:
    """A date-only field (``Date``, ``StartDate``…): midnight in Exact's frame → the calendar day."""
    naive = parse_wall_clock(value)
    return None if naive is None else naive.date()


def parse_stamp(value: str | None) -> dt.datetime | None:
    """A modification stamp (``Modified``): Amsterdam wall-clock → aware UTC datetime.

    In the autumn hour that occurs twice, ``fold=0`` (the first, summer-time, occurrence) is taken.
    """
    naive = parse_wall_clock(value)
    if naive is None:
        return None
    return naive.replace(tzinfo=AMSTERDAM).astimezone(dt.UTC)


def parse_int64(value: Any) -> int | None:
    """``Edm.Int64``: a JSON string by the OData v2 rule, but accept a number too."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"not an Int64: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value.strip())
    raise ValueError(f"not an Int64: {value!r}")


def parse_decimal(value: Any) -> Decimal | None:
    """``Edm.Double`` (or a numeric string) → Decimal; a float is refused, it has lost cents."""
    if value is None:
        return None
    if isinstance(value, float):
        raise TypeError("amounts must be decoded with parse_float=Decimal, not as float")
    if isinstance(value, bool):
        raise ValueError(f"not an amount: {value!r}")
    if isinstance(value, Decimal | int):
        return Decimal(value)
    try:
        return Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {value!r}") from exc


def text(value: Any) -> str | None:
    """A char field without its fixed-width padding; ``None`` and blanks stay ``None``."""
    if value is None:
        return None
    stripped = str(value).strip()
    return stripped or None


# --- encoding (sandbox, filters) -----------------------------------------------------------------


def amsterdam_wall_clock(moment: dt.datetime) -> dt.datetime:
    """An aware moment as Exact's naive Amsterdam wall-clock time."""
    if moment.tzinfo is None:
        raise ValueError("need an aware datetime")
    return moment.astimezone(AMSTERDAM).replace(tzinfo=None)


def _ms(naive: dt.datetime) -> int:
    delta = naive - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def date_to_wire(day: dt.date | None) -> str | None:
    """A calendar day as Exact sends date-only fields: midnight, ``/Date(ms)/``."""
    if day is None:
        return None
    return f"/Date({_ms(dt.datetime(day.year, day.month, day.day))})/"


def stamp_to_wire(moment: dt.datetime | None) -> str | None:
    """A modification stamp (aware, or naive wall-clock) as ``/Date(ms)/`` in Amsterdam time."""
    if moment is None:
        return None
    naive = amsterdam_wall_clock(moment) if moment.tzinfo is not None else moment
    return f"/Date({_ms(naive)})/"


def format_datetime_literal(naive: dt.datetime | dt.date) -> str:
    """An OData ``datetime'…'`` literal (no zone suffix, always with a time part)."""
    if not isinstance(naive, dt.datetime):
        naive = dt.datetime(naive.year, naive.month, naive.day)
    body = naive.strftime("%Y-%m-%dT%H:%M:%S")
    millis = naive.microsecond // 1000  # Exact keeps milliseconds; below that is dropped
    if millis:  # not ``microsecond``: 1-999 us would give "…:30." (no digits), a 400 from Exact
        body += f".{millis:03d}".rstrip("0")
    return f"datetime'{body}'"


_NUM_MARK = "\x00N"
_NUM_RE = re.compile(r'"\\u0000N([-+0-9.Ee]+)"')


def _prepare(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{_NUM_MARK}{value}"
    if isinstance(value, dict):
        return {k: _prepare(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_prepare(v) for v in value]
    return value


def number_mark(value: Decimal) -> str:
    """A Decimal pre-marked for :func:`encode_json` (saves walking large payloads)."""
    return f"{_NUM_MARK}{value}"


def encode_json(payload: Any, *, premarked: bool = False) -> bytes:
    """JSON with Decimals written as JSON *numbers* (``-16.5``), as Exact writes Edm.Double."""
    raw = json.dumps(
        payload if premarked else _prepare(payload), ensure_ascii=False, separators=(",", ":")
    )
    return _NUM_RE.sub(r"\1", raw).encode()
