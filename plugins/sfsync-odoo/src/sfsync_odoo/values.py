"""Reading values as the external API sends them: ``False`` for empty, many2one as
``[id, "name"]``, dates ``"YYYY-MM-DD"``, datetimes ``"YYYY-MM-DD HH:MM:SS"`` (UTC, naive), and
amounts already parsed as :class:`~decimal.Decimal` by the transport."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sfsync.errors import MalformedResponse

__all__ = ["amount", "date", "datetime", "m2o_id", "m2o_name", "text"]

CENT = Decimal("0.01")


def text(value: Any) -> str | None:
    """A char field: ``False`` is empty."""
    if value is False or value is None:
        return None
    return str(value)


def m2o_id(value: Any) -> int | None:
    if value is False or value is None:
        return None
    if isinstance(value, list) and value and isinstance(value[0], int):
        return value[0]
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise MalformedResponse(f"Odoo sent {value!r} where a many2one [id, name] belongs")


def m2o_name(value: Any) -> str | None:
    if isinstance(value, list) and len(value) == 2:
        return str(value[1])
    return None


def date(value: Any) -> dt.date | None:
    if value is False or value is None:
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError as exc:
        raise MalformedResponse(f"Odoo sent {value!r} where a date belongs") from exc


def datetime(value: Any) -> dt.datetime | None:
    if value is False or value is None:
        return None
    try:
        return dt.datetime.fromisoformat(str(value)[:19]).replace(tzinfo=dt.UTC)
    except ValueError as exc:
        raise MalformedResponse(f"Odoo sent {value!r} where a datetime belongs") from exc


def amount(value: Any, places: Decimal = CENT) -> Decimal:
    """A monetary value (Odoo sends a double: round to the currency's precision)."""
    if value is False or value is None:
        return Decimal(0)
    if isinstance(value, float):
        raise MalformedResponse("an amount arrived as a float; the transport must parse it as Decimal")
    if isinstance(value, int) and not isinstance(value, bool):
        value = Decimal(value)
    if not isinstance(value, Decimal):
        raise MalformedResponse(f"Odoo sent {value!r} where an amount belongs")
    return value.quantize(places, rounding=ROUND_HALF_UP)
