"""The data that flows from a connector to the store, as pydantic models.

Money is :class:`~decimal.Decimal` from the wire to the store: every amount field refuses a
``float`` (a float has already lost the cent that an accountant will look for). Dates are
:class:`~datetime.date`; only modification stamps are datetimes. Every ledger line keeps the
package's own id so that a re-sync upserts instead of doubling.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, ConfigDict, Field, PlainSerializer, model_validator

from sfsync.ledger_columns import LedgerColumns
from sfsync.ledger_line import FrozenModel as _Model
from sfsync.ledger_line import LedgerLine, Money

__all__ = [
    "Account",
    "AccountKind",
    "Company",
    "CompanyDetails",
    "FiscalYear",
    "Granularity",
    "LedgerBatch",
    "LedgerColumns",
    "LedgerLine",
    "Money",
    "OpeningBalance",
    "Period",
    "Person",
    "SyncMode",
    "TrialBalanceBatch",
    "TrialBalanceLine",
]


class SyncMode(str, enum.Enum):
    """How a link treats data that is already in the dossier."""

    SINCE = "since"
    """Sync from a date: data dated before it stays as it is."""
    REPLACE = "replace"
    """Replace all data by everything the package has."""


class Granularity(str, enum.Enum):
    """What a link brings: every ledger line, or trial-balance totals per account and period."""

    TRANSACTIONS = "transactions"
    TRIAL_BALANCE = "trial_balance"
    DETAILS = "details"
    """Administrative only: the client's master data (:class:`CompanyDetails`), no figures. A
    dossier may have one such link beside its accounting link."""


class AccountKind(str, enum.Enum):
    """Where an account belongs in the annual accounts."""

    BALANCE_SHEET = "balance_sheet"
    PROFIT_LOSS = "profit_loss"
    UNKNOWN = "unknown"


class Company(_Model):
    """What a connection can see in the package: an Exact division, a Xero tenant, a folder.

    Attributes:
        ref: The package's stable id for it; what a link stores.
        code: The code a person knows it by (may equal ``ref``).
        name: Its name.
    """

    ref: str = Field(min_length=1)
    code: str = ""
    name: str = ""
    vat_number: str | None = None
    currency: str | None = None
    country: str | None = None
    extra: dict[str, str] = Field(default_factory=dict)


class Period(_Model):
    """A booking period of a fiscal year (months, or 13 periods, or 00/99 for opening/closing)."""

    number: int = Field(ge=0, le=99)
    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end < self.start:
            raise ValueError(f"period {self.number} ends ({self.end}) before it starts ({self.start})")
        return self


class FiscalYear(_Model):
    """A fiscal year as the package defines it; not always a calendar year."""

    start: dt.date
    end: dt.date
    label: str = ""
    closed: bool = False
    periods: tuple[Period, ...] = ()

    @model_validator(mode="after")
    def _ordered(self) -> FiscalYear:
        if self.end < self.start:
            raise ValueError(f"fiscal year {self.label!r} ends ({self.end}) before it starts ({self.start})")
        return self

    def contains(self, day: dt.date) -> bool:
        """Whether ``day`` falls within this year."""
        return self.start <= day <= self.end


class Account(_Model):
    """One account of the chart of accounts, keyed by its code."""

    code: str = Field(min_length=1)
    name: str = ""
    kind: AccountKind = AccountKind.UNKNOWN
    parent: str | None = None
    ref: str | None = None
    """The package's own id, when it differs from the code (Exact's GUIDs)."""


class OpeningBalance(_Model):
    """The balance of a balance-sheet account at the start of a *since* link (debit positive)."""

    account: str = Field(min_length=1)
    date: dt.date
    amount: Money


class TrialBalanceLine(_Model):
    """Totals of one account over one period.

    ``closing`` must equal ``opening + debit - credit``; the model refuses anything else.
    """

    account: str = Field(min_length=1)
    period_start: dt.date
    period_end: dt.date
    period: int | None = None
    fiscal_year: str | None = None
    opening: Money = Decimal(0)
    debit: Money = Decimal(0)
    credit: Money = Decimal(0)
    closing: Money = Decimal(0)

    @model_validator(mode="after")
    def _adds_up(self) -> TrialBalanceLine:
        if self.opening + self.debit - self.credit != self.closing:
            raise ValueError(
                f"account {self.account} {self.period_end}: opening {self.opening} + debit "
                f"{self.debit} - credit {self.credit} is not the closing {self.closing}"
            )
        return self


class Person(_Model):
    """Someone behind the company: a director, a partner, the accountant's contact.

    Attributes:
        name: The person's full name.
        role: What they are to the company, as the package says it (``Director``, ``zaakvoerder``).
        email, phone: How to reach them, when the package has it.
        since: When they took the role, when the package has it.
    """

    name: str = Field(min_length=1)
    role: str | None = None
    email: str | None = None
    phone: str | None = None
    since: dt.date | None = None


class CompanyDetails(_Model):
    """Master data of the client (administrative sync): who the company is, not its figures.

    The runner fetches them for every link whose connector supports them and keeps each version
    per dossier with its history; an unchanged answer adds nothing.

    Attributes:
        name: The legal name (the registered name, not a trading name, where the package has both).
        legal_form: BV, NV, SRL, Ltd… as the package gives it.
        vat_number: The VAT number, with its country prefix where the package has it.
        enterprise_number: The registry number: the Belgian enterprise number (KBO/BCE), the
            Dutch KvK number, a company registration number.
        street, postal_code, city, country: The registered address (country as ISO 3166 alpha-2
            where the package gives it).
        email, phone: The company's own contact data.
        fiscal_year_end: The usual end of its fiscal year as ``MM-DD`` (``12-31``).
        start_date: When the company was founded or started its activity.
        people: The people behind the company, where the package has them.
        modified: When the package last changed these data, where it says; a connector that can
            tell uses it to answer "unchanged" cheaply.
    """

    name: str
    legal_form: str | None = None
    vat_number: str | None = None
    enterprise_number: str | None = None
    street: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: str | None = None
    email: str | None = None
    phone: str | None = None
    fiscal_year_end: str | None = Field(default=None, pattern=r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")
    start_date: dt.date | None = None
    people: tuple[Person, ...] = ()
    modified: dt.datetime | None = None

    def same_as(self, other: CompanyDetails | None) -> bool:
        """Whether ``other`` holds the same data, whatever its ``modified`` stamp says."""
        if other is None:
            return False
        return self.model_dump(exclude={"modified"}) == other.model_dump(exclude={"modified"})


class LedgerBatch(_Model):
    """One batch of ledger changes, written with its cursor in one transaction.

    Attributes:
        lines: New or changed lines (upserted on ``id``), held as :class:`LedgerColumns`. Give
            ``LedgerColumns.from_records(dicts)`` (the fast path), a list of dicts, or a list of
            :class:`LedgerLine` models; iterating gives ``LedgerLine`` models either way.
        deleted: Ids of lines the package deleted since the previous batch.
        deleted_entries: Ids of whole entries the package deleted (Exact deletes by entry).
        clear: A date range whose stored lines (of this link's source) are removed before
            ``lines`` are written, for packages that re-read a whole year (Yuki). A line is in
            the range by its booking period where it has one, by its date otherwise.
        cursor: Opaque state to resume from after this batch; ``None`` keeps the previous one.
        warnings: Things a person should know (declared totals that differ…).
        booking_years: The fiscal years the lines' booking periods refer to: the package's own,
            which a firm's override may have changed. Set by the runner, not by connectors; a
            store places lines by it (see :mod:`sfsync.placement`), by the generation's fiscal
            years when it is ``None``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    lines: Annotated[
        LedgerColumns,
        BeforeValidator(LedgerColumns.coerce),
        PlainSerializer(LedgerColumns.to_records, return_type=list[dict[str, Any]]),
    ] = Field(default_factory=LedgerColumns.empty)
    deleted: list[str] = Field(default_factory=list)
    deleted_entries: list[str] = Field(default_factory=list)
    clear: tuple[dt.date, dt.date] | None = None
    cursor: str | None = None
    warnings: list[str] = Field(default_factory=list)
    booking_years: tuple[FiscalYear, ...] | None = None


class TrialBalanceBatch(_Model):
    """One batch of trial-balance lines; ``clear`` removes stored periods in that date range."""

    lines: list[TrialBalanceLine] = Field(default_factory=list)
    clear: tuple[dt.date, dt.date] | None = None
    cursor: str | None = None
    warnings: list[str] = Field(default_factory=list)
