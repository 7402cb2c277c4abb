"""Journals into ledger lines.

Xero's journals are immutable: voiding or deleting a document posts a journal that reverses the
original (same source, same date, every amount negated); editing it posts such a reversal and a
new journal. The dossier should show what the books say now, so a reversal of a journal on the
same day is reported as the deletion of the original, and the reversal itself is not stored. A
reversal on another day (an auto-reversing accrual) is ordinary bookkeeping and kept as it is.
Signatures of the journals seen are kept in the connection's state to recognise reversals in
later syncs.

A page of journals becomes one :class:`~sfsync.ledger_columns.LedgerColumns`: each journal line is
mapped to a plain record (:func:`to_records`) and the page is validated a column at a time, which
gives the same lines (and the same errors) as one ``LedgerLine`` per line, several times faster.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal, InvalidOperation
from typing import Any

from sfsync.errors import MalformedResponse
from sfsync.ledger_columns import LedgerColumns
from sfsync.models import FiscalYear, LedgerLine

from sfsync_xero.dates import parse_msdate, parse_msdate_day
from sfsync_xero.fiscal import place

_CENT = Decimal("0.0001")


def signature(journal: dict[str, Any], *, negate: bool = False) -> str | None:
    """A short hash of a journal's source, date and amounts per account (or their negation)."""
    own, mirror = signatures(journal)
    return mirror if negate else own


def signatures(journal: dict[str, Any]) -> tuple[str | None, str | None]:
    """``signature(journal)`` and ``signature(journal, negate=True)``, in one pass over the lines."""
    source = journal.get("SourceID")
    if not source:
        return None, None
    own = []
    mirror = []
    for line in journal.get("JournalLines") or []:
        amount = Decimal(line.get("NetAmount", 0) or 0)
        account = line.get("AccountID")
        own.append(f"{account}={amount.quantize(_CENT)}")
        mirror.append(f"{account}={(-amount).quantize(_CENT)}")
    if not own:
        return None, None
    head = [str(source), str(journal.get("JournalDate"))]
    return _digest(head, own), _digest(head, mirror)


def _digest(head: list[str], parts: list[str]) -> str:
    text = "|".join([*head, *sorted(parts)])
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def account_code(line: dict[str, Any]) -> str:
    """The account code of a journal line; an account without a code is keyed by its id."""
    code = str(line.get("AccountCode") or "").strip()
    return code or str(line.get("AccountID"))


def to_records(
    journal: dict[str, Any],
    years: list[FiscalYear],
    *,
    parsed: tuple[dt.date, dt.datetime | None] | None = None,
) -> list[dict[str, Any]]:
    """The ledger lines of one journal as records for ``LedgerColumns.from_records``: NetAmount
    positive is a debit (``amount``), amounts in base currency.

    ``parsed`` is the journal's ``(JournalDate, CreatedDateUTC)`` when the caller already read
    them, so that a page does not parse each stamp twice.
    """
    try:
        journal_id = str(journal["JournalID"])
        if parsed is None:
            day = parse_msdate_day(str(journal["JournalDate"]))
            created = parse_msdate(str(journal["CreatedDateUTC"])) if journal.get("CreatedDateUTC") else None
        else:
            day, created = parsed
    except KeyError as exc:
        raise MalformedResponse(f"a Xero journal lacks {exc.args[0]}") from exc
    year, period = place(day, years)
    period_number = period.number if period else None
    year_label = year.label if year else None
    source_type = str(journal.get("SourceType") or "") or None
    reference = str(journal.get("Reference") or "")
    records = []
    for line in journal.get("JournalLines") or []:
        amount = line.get("NetAmount", 0)
        if isinstance(amount, float):  # pragma: no cover - decode() gives Decimal
            raise MalformedResponse("a journal amount was read as a float")
        if "JournalLineID" not in line:
            raise MalformedResponse(f"a line of Xero journal {journal_id} lacks JournalLineID")
        try:
            amount = Decimal(amount or 0)
        except (InvalidOperation, TypeError, ValueError) as exc:
            raise MalformedResponse(
                f"Xero journal {journal_id} line {line['JournalLineID']}: NetAmount {amount!r} is not a number"
            ) from exc
        tax_type = line.get("TaxType")
        records.append(
            {
                "id": str(line["JournalLineID"]),
                "entry": journal_id,
                "journal": source_type,
                "date": day,
                "period": period_number,
                "fiscal_year": year_label,
                "account": account_code(line),
                "description": str(line.get("Description") or reference)[:500],
                "amount": amount,
                "vat_code": str(tax_type) if tax_type else None,
                "modified": created,
            }
        )
    return records


def to_ledger_lines(journal: dict[str, Any], years: list[FiscalYear]) -> list[LedgerLine]:
    """The ledger lines of one journal as models (a page is better read with :func:`to_records`
    and one ``LedgerColumns.from_records``)."""
    return list(LedgerColumns.from_records(to_records(journal, years)))
