"""One general-ledger line and the money type it is made of: the bottom of the data models.

:mod:`sfsync.ledger_columns` (a batch's lines held column by column) is built on
:class:`LedgerLine`, and :mod:`sfsync.models` (every other model, and ``LedgerBatch``) on both;
each module stands above what it uses. Import them from :mod:`sfsync.models`, which re-exports
them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

__all__ = ["FrozenModel", "LedgerLine", "Money", "refuse_float"]


def refuse_float(value: Any) -> Any:
    """``value`` unchanged, unless it is a float (which has lost the cent already)."""
    if isinstance(value, float):
        raise ValueError(
            f"amount {value!r} is a float; pass a Decimal or a string so no cent is lost"
        )
    return value


Money = Annotated[Decimal, BeforeValidator(refuse_float)]
"""A Decimal amount that refuses floats."""


class FrozenModel(BaseModel):
    """The base of sfsync's data models: immutable, no unknown fields, text stripped."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class LedgerLine(FrozenModel):
    """One general-ledger line.

    Attributes:
        id: The package's own id of the line; re-syncs upsert on it.
        entry: The id of the entry (document) the line belongs to; the lines of an entry balance.
        period: The booking period as the package gives it, which may differ from the period the
            date falls in; reports place a line by period.
        fiscal_year: The label of the fiscal year it is booked in, when the package says.
        debit, credit: Non-negative amounts in the company's currency.
        currency, foreign_amount: The transaction currency and signed amount in it, when foreign.
    """

    id: str = Field(min_length=1)
    entry: str = Field(min_length=1)
    journal: str | None = None
    date: dt.date
    period: int | None = None
    fiscal_year: str | None = None
    account: str = Field(min_length=1)
    description: str = ""
    # The hot path of every sync: constraints stay native to pydantic-core (ge=0), and the float
    # check is one pass over the input (_refuse_floats) instead of a validator per field.
    debit: Decimal = Field(default=Decimal(0), ge=0, description="Non-negative; book a negative debit as a credit")
    credit: Decimal = Field(default=Decimal(0), ge=0, description="Non-negative; book a negative credit as a debit")
    currency: str | None = None
    foreign_amount: Decimal | None = None
    counterparty: str | None = None
    vat_code: str | None = None
    modified: dt.datetime | None = None

    @model_validator(mode="before")
    @classmethod
    def _refuse_floats(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name in ("debit", "credit", "foreign_amount"):
                value = data.get(name)
                if type(value) is float:
                    raise ValueError(
                        f"{name}: amount {value!r} is a float; pass a Decimal or a string so no cent is lost"
                    )
        return data

    @classmethod
    def from_signed(cls, amount: Decimal, **fields: Any) -> LedgerLine:
        """Build a line from a signed amount (positive = debit), as most APIs send it."""
        refuse_float(amount)
        if amount >= 0:
            return cls(debit=amount, credit=Decimal(0), **fields)
        return cls(debit=Decimal(0), credit=Decimal(amount).copy_negate(), **fields)  # exact: no rounding
