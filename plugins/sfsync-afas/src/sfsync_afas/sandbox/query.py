"""How the sandbox answers a GetConnector's query: filters, order, ``skip``/``take``.

* Filters (both forms, :func:`sfsync_afas.filters.parse_filters`) compare by the field's metainfo
  type: whole numbers and amounts as numbers, dates as date-times (``2025-01-01`` or
  ``2025-01-01T08:00:00``, a trailing ``Z`` ignored), booleans as ``true``/``false``/``1``/``0``,
  text without regard to case (UNVERIFIED: AFAS's collation). A field the connector does not have
  answers 500 "Connector field 'X' not found" (troubleshooting.md).
* ``orderbyfieldids``: fields joined by ``,``, ``-`` for descending. Without it the database
  chooses the order and it "may change" between calls (get-connector.md): the sandbox shuffles
  the rows on every call, so a client paging without an order misses and doubles rows as it would.
* ``skip``/``take``: 0/100 by default, ``-1``/``-1`` is "get all"; any other negative or a
  ``take`` of 0 is AFAS's 500 "An unexpected error has occurred." (troubleshooting.md).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from sfsync_afas.facts import DEFAULT_TAKE
from sfsync_afas.filters import Condition, FilterError, parse_filters

__all__ = ["QueryError", "select"]


class QueryError(ValueError):
    """A query AFAS answers with its 500 body."""


def _date(text: str) -> dt.datetime:
    text = text.strip().strip('"').rstrip("Z")
    return dt.datetime.fromisoformat(text) if "T" in text or " " in text else dt.datetime.fromisoformat(text + "T00:00:00")


def _coerce(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "int":
        return int(value)
    if kind == "decimal":
        return Decimal(str(value))
    if kind == "date":
        return _date(str(value))
    if kind == "boolean":
        return value if isinstance(value, bool) else str(value).lower() in ("true", "1")
    return str(value).casefold()


def _test(condition: Condition, kind: str) -> Callable[[dict[str, Any]], bool]:
    op, raw = condition.operator, condition.value
    if op in (8, 9):
        empty = op == 8
        return lambda row: (row.get(condition.field) in (None, "")) is empty
    try:
        wanted = _coerce(kind if op not in (6, 10, 11, 12, 13, 14, 15) else "string", raw)
    except (ValueError, InvalidOperation):
        raise QueryError(f"'{raw}' is not a valid value for field '{condition.field}'") from None

    def test(row: dict[str, Any]) -> bool:
        value = row.get(condition.field)
        if op in (6, 10, 11, 12, 13, 14, 15):
            text = "" if value is None else str(value).casefold()
            return {
                6: wanted in text, 15: wanted in text, 10: text.startswith(wanted), 11: wanted not in text,
                12: not text.startswith(wanted), 13: text.endswith(wanted), 14: not text.endswith(wanted),
            }[op]
        have = _coerce(kind, value)
        if have is None:
            return op == 7
        return bool({1: have == wanted, 2: have >= wanted, 3: have <= wanted, 4: have > wanted, 5: have < wanted,
                     7: have != wanted}[op])

    return test


def _sort_key(field: str, kind: str) -> Callable[[dict[str, Any]], tuple[bool, Any]]:
    def key(row: dict[str, Any]) -> tuple[bool, Any]:
        value = row.get(field)
        return (value is not None, _coerce(kind, value) if value is not None else 0)

    return key


def _whole(params: Mapping[str, str], name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise QueryError("An unexpected error has occurred.") from None


def select(
    rows: list[dict[str, Any]], fields: Mapping[str, str], params: Mapping[str, str], rng: random.Random
) -> tuple[int, int, list[dict[str, Any]]]:
    """(skip, take, rows of the page) for a query; raises :class:`QueryError`."""
    try:
        groups = parse_filters(params)
    except FilterError as exc:
        raise QueryError(str(exc)) from None
    tests = []
    for group in groups:
        for condition in group:
            if condition.field not in fields:
                raise QueryError(f"Connector field '{condition.field}' not found")
        tests.append([_test(c, fields[c.field]) for c in group])
    if tests:
        rows = [row for row in rows if any(all(t(row) for t in group) for group in tests)]
    order = [f for f in (params.get("orderbyfieldids") or "").split(",") if f.strip()]
    if order:
        for name in reversed(order):
            descending, field = name.startswith("-"), name.lstrip("-").strip()
            if field not in fields:
                raise QueryError(f"Connector field '{field}' not found")
            # Empty values first, as a database sorts NULL (UNVERIFIED for AFAS).
            rows = sorted(rows, key=_sort_key(field, fields[field]), reverse=descending)
    else:
        rows = list(rows)
        rng.shuffle(rows)
    skip, take = _whole(params, "skip", 0), _whole(params, "take", DEFAULT_TAKE)
    if (skip, take) == (-1, -1):
        return skip, take, rows
    if skip < 0 or take <= 0:
        raise QueryError("An unexpected error has occurred.")
    return skip, take, rows[skip : skip + take]
