"""Exact conversions between models and stored values, shared by the SQL stores."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from sfsync.models import FiscalYear

__all__ = ["dec", "dec_or_none", "fiscal_years_from_json", "fiscal_years_to_json", "money"]


def money(value: Decimal | None) -> str | None:
    """A Decimal as plain text (never ``1E+2``), so it reads back exactly; a zero has no sign."""
    if value is None:
        return None
    return format(abs(value) if value.is_zero() else value, "f")


def dec(text: Any) -> Decimal:
    """Read an amount back exactly."""
    return Decimal(text) if not isinstance(text, Decimal) else text


def dec_or_none(text: Any) -> Decimal | None:
    return None if text is None else dec(text)


def fiscal_years_to_json(years: list[FiscalYear] | None) -> str | None:
    if years is None:
        return None
    return json.dumps([y.model_dump(mode="json") for y in years])


def fiscal_years_from_json(text: str | None) -> list[FiscalYear] | None:
    if text is None:
        return None
    return [FiscalYear.model_validate(item) for item in json.loads(text)]


def date_or_none(text: str | None) -> dt.date | None:
    return None if text is None else dt.date.fromisoformat(text)
