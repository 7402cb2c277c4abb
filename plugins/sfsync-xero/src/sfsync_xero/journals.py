"""Journals into ledger lines.

Xero's journals are immutable: voiding or deleting a document posts a journal that reverses the
original (same source, same date, every amount negated); editing it posts such a reversal and a
new journal. The dossier should show what the books say now, so a reversal of a journal on the
same day is reported as the deletion of the original, and the reversal itself is not stored. A
reversal on another day (an auto-reversing accrual) is ordinary bookkeeping and kept as it is.
Signatures of the journals seen are kept in the connection's state to recognise reversals in
later syncs.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any

from sfsync.errors import MalformedResponse
from sfsync.models import FiscalYear, LedgerLine

from sfsync_xero.dates import parse_msdate, parse_msdate_day
from sfsync_xero.fiscal import place

_CENT = Decimal("0.0001")


def signature(journal: dict[str, Any], *, negate: bool = False) -> str | None:
    """A short hash of a journal's source, date and amounts per account (or their negation)."""
    source = journal.get("SourceID")
    if not source:
        return None
    parts = []
    for line in journal.get("JournalLines") or []:
        amount = Decimal(line.get("NetAmount", 0) or 0)
        if negate:
            amount = -amount
        parts.append(f"{line.get('AccountID')}={amount.quantize(_CENT)}")
    if not parts:
        return None
    text = "|".join([str(source), str(journal.get("JournalDate")), *sorted(parts)])
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def account_code(line: dict[str, Any]) -> str:
    """The account code of a journal line; an account without a code is keyed by its id."""
    code = str(line.get("AccountCode") or "").strip()
    return code or str(line.get("AccountID"))


def to_ledger_lines(journal: dict[str, Any], years: list[FiscalYear]) -> list[LedgerLine]:
    """The ledger lines of one journal: NetAmount positive is a debit, amounts in base currency."""
    try:
        journal_id = str(journal["JournalID"])
        day = parse_msdate_day(str(journal["JournalDate"]))
        created = parse_msdate(str(journal["CreatedDateUTC"])) if journal.get("CreatedDateUTC") else None
    except KeyError as exc:
        raise MalformedResponse(f"a Xero journal lacks {exc.args[0]}") from exc
    year, period = place(day, years)
    lines = []
    reference = str(journal.get("Reference") or "")
    for line in journal.get("JournalLines") or []:
        amount = line.get("NetAmount", 0)
        if isinstance(amount, float):  # pragma: no cover - decode() gives Decimal
            raise MalformedResponse("a journal amount was read as a float")
        lines.append(
            LedgerLine.from_signed(
                Decimal(amount or 0),
                id=str(line["JournalLineID"]),
                entry=journal_id,
                journal=str(journal.get("SourceType") or "") or None,
                date=day,
                period=period.number if period else None,
                fiscal_year=year.label if year else None,
                account=account_code(line),
                description=str(line.get("Description") or reference)[:500],
                vat_code=str(line.get("TaxType")) if line.get("TaxType") else None,
                modified=created,
            )
        )
    return lines
