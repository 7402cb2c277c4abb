"""What a file reader returns (:func:`~sfsync.hookspecs.sfsync_read_export`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

from sfsync.models import (
    Account,
    Company,
    FiscalYear,
    LedgerColumns,
    LedgerLine,
    OpeningBalance,
    TrialBalanceLine,
)

__all__ = ["ReadResult"]


@dataclass
class ReadResult:
    """An export file, normalised. ``ledger`` is an iterator so a large file streams.

    Attributes:
        format: What the reader detected (``XAF 3.2``, ``SAF-T NO 1.30``, ``Winbooks balance``).
        company: The company the file describes, when it says.
        fiscal_years: The fiscal years it covers.
        accounts: Its chart of accounts.
        ledger: Its ledger lines, streamed (empty for a balance export): ``LedgerLine`` models, or
            whole batches of them as ``LedgerColumns`` (the fast path: each is written as it is,
            without being taken apart into lines).
        trial_balance: Its trial-balance lines (a balance export).
        opening_balances: Opening balances it declares.
        warnings: Declared totals that differ from computed ones, rounded float artefacts…
            (appended to while ``ledger`` is consumed).
        covers: The first and last day the file's data covers, when that is less than its
            fiscal years (a partial extract, e.g. periods 1–4): an import replaces only these
            days. ``None``: the whole of its fiscal years.
    """

    format: str
    company: Company | None = None
    fiscal_years: list[FiscalYear] = field(default_factory=list)
    accounts: list[Account] = field(default_factory=list)
    ledger: Iterator[LedgerLine | LedgerColumns] = field(default_factory=lambda: iter(()))
    trial_balance: list[TrialBalanceLine] = field(default_factory=list)
    opening_balances: list[OpeningBalance] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    covers: tuple[dt.date, dt.date] | None = None

    def ledger_lines(self) -> Iterator[LedgerLine]:
        """The ledger one line at a time, batches taken apart (``ledger`` itself is faster to
        write). Like ``ledger``, it can be consumed once."""
        for item in self.ledger:
            if isinstance(item, LedgerColumns):
                yield from item
            else:
                yield item
