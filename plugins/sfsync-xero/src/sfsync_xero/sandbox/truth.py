"""The Xero sandbox's own figures (``Sandbox.truth``), from an organisation's seeded journals.

Xero has no booking periods: a posting belongs to the month of its date within the financial
year. For ``xero`` (journals) the movements are the journal lines' net amounts (the lines of the
books as they stand now leave out a voided or edited journal and its same-day reversal); for ``xerotb``
they are what Xero's own Trial Balance report gives per month, currency revaluations included
(they are in the reports, never in /Journals). Balances at a year's start are the report's
year-to-date figures the day before, with the year's profit and loss in retained earnings.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sfsync.models import CompanyDetails
from sfsync.truth import PackageTruth, TruthBuilder

from sfsync_xero.sandbox.data import PROFIT_LOSS, SJournal, SOrg, trial_balance


def _month_of_year(day: dt.date, start: dt.date) -> int:
    return (day.year - start.year) * 12 + day.month - start.month + 1


def _month_ends(first: dt.date, last: dt.date) -> list[dt.date]:
    ends, current = [], first.replace(day=1)
    while current <= last:
        following = (current + dt.timedelta(days=32)).replace(day=1)
        ends.append(min(following - dt.timedelta(days=1), last))
        current = following
    return ends


def _voided(org: SOrg) -> set[str]:
    """Journals that a reversal of the same source on the same day undoes (a voided or edited
    document), and those reversals: the books as they stand now hold neither."""
    def signature(journal: SJournal, sign: int) -> tuple[object, ...]:
        amounts = sorted((line.account.code, sign * line.net) for line in journal.lines)
        return (journal.source_id, journal.date, tuple(amounts))

    seen: dict[tuple[object, ...], list[str]] = {}
    voided: set[str] = set()
    for journal in org.journals:
        undone = seen.get(signature(journal, -1))
        if undone:
            voided.update((undone.pop(0), journal.id))
            continue
        seen.setdefault(signature(journal, 1), []).append(journal.id)
    return voided


def organisation_truth(org: SOrg, *, reports: bool, today: dt.date) -> PackageTruth:
    """The movements, line places, balances at each year's start and details of one organisation."""
    books = TruthBuilder()
    dates = [journal.date for journal in org.journals]
    first = org.fiscal_start(min(dates)) if dates else today
    if reports:
        for end in _month_ends(first, today):
            start = org.fiscal_start(end)
            for row in trial_balance(org, end):
                books.add(row.account.code, start, _month_of_year(end, start), row.month)
    else:
        voided = _voided(org)
        for journal in org.journals:
            start = org.fiscal_start(journal.date)
            for line in journal.lines:
                books.add(line.account.code, start, _month_of_year(journal.date, start), line.net,
                          line_id=None if journal.id in voided else line.id)
    retained = org.system("RETAINEDEARNINGS")
    balances: dict[dt.date, dict[str, Decimal]] = {}
    start = first
    while start <= today:
        at: dict[str, Decimal] = {}
        for row in trial_balance(org, start - dt.timedelta(days=1)):
            code = retained.code if row.account.cls in PROFIT_LOSS and retained is not None else row.account.code
            at[code] = at.get(code, Decimal(0)) + row.ytd
        balances[start] = at
        start = org.fiscal_start(start + dt.timedelta(days=370))
    details = CompanyDetails(name=org.legal_name or org.name, vat_number=org.tax_number or None, legal_form="COMPANY",
                             fiscal_year_end=f"{org.fy_month:02d}-{org.fy_day:02d}",
                             street=org.street or None, postal_code=org.postal_code or None, city=org.city or None,
                             country=org.country or None)
    return books.build(opening_balances=balances, company_details=details,
                       result_account=retained.code if retained is not None else None)
