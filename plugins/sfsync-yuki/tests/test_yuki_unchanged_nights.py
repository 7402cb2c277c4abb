"""What an unchanged night costs on Yuki, and that the streams it skips still follow a change.

The chart asks ``GetGLAccountScheme`` every night; the account kinds (``GLAccountBalance`` on the
last closed year's end) are kept with that year's modified stamp and asked again only when the
stamp, the day or the chart's codes change. The ledger asks one modified stamp per fiscal year.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from sfsync.models import AccountKind
from sfsync_yuki.sandbox.data import Entry, Line


def _ops(sandbox, start: int) -> list[str]:
    return [op for op, _ in sandbox.log[start:]]


def _kinds(host, dossier) -> dict[str, AccountKind]:
    return {a.code: a.kind for a in host.app.store.accounts(dossier.id)}


def _book(sandbox, company_ref: str, day: dt.date, code: str, amount: Decimal) -> None:
    """A balanced entry on ``code`` and the bank, bumping the year's modified stamp."""
    admin = sandbox.admins[company_ref]
    hid = max(e.hid for e in admin.entries.values()) + 100
    stamp = sandbox.clock.now().replace(tzinfo=None, microsecond=0)
    entry = Entry(sandbox._uuid(), hid, f"MM{day.year}-X{hid}", "Memoriaal", "Memoriaal", "", stamp, stamp)
    entry.lines += [Line(sandbox._uuid(), hid + 1, day, "Correctie", amount, code),
                    Line(sandbox._uuid(), hid + 2, day, "Correctie", -amount, "110000")]
    admin.entries[entry.document_id] = entry
    sandbox._bump(admin, day)


def test_an_unchanged_night_asks_the_chart_once_and_one_stamp_per_year(host, sandbox, clock, company):
    dossier = host.dossier(company.ref)
    assert host.sync(dossier).status == "ok"
    clock.advance(24 * 3600)
    host.sync(dossier)  # a new session (the old one is a day old) and the company details
    clock.advance(3600)
    mark = len(sandbox.log)
    run = host.sync(dossier)
    assert run.status == "ok" and run.counts["lines_fetched"] == 0
    ops = _ops(sandbox, mark)
    assert "GLAccountBalance" not in ops  # the account kinds come from the state
    assert sorted(ops) == sorted(["GetGLAccountScheme"] + ["GetFinancialYearModifiedDate"] * 4)
    assert run.requests == 5


def test_a_new_account_in_the_chart_brings_its_kind_the_next_night(host, sandbox, clock, company):
    dossier = host.dossier(company.ref)
    assert host.sync(dossier).status == "ok"
    admin = sandbox.admins[company.ref]
    template = admin.chart["450000"]
    admin.chart["452000"] = dataclasses.replace(template, code="452000", nl="Advieskosten", en="Advice")
    clock.advance(3600)
    _book(sandbox, company.ref, dt.date(2025, 11, 20), "452000", Decimal("250.00"))  # the last closed year
    clock.advance(24 * 3600)
    mark = len(sandbox.log)
    assert host.sync(dossier).status == "ok"
    assert "GLAccountBalance" in _ops(sandbox, mark)
    assert _kinds(host, dossier)["452000"] is AccountKind.PROFIT_LOSS


def test_a_late_correction_of_the_closed_year_updates_the_kinds_once_the_ledger_saw_its_stamp(
        host, sandbox, clock, company):
    dossier = host.dossier(company.ref)
    assert host.sync(dossier).status == "ok"
    unused = next(code for code, kind in _kinds(host, dossier).items() if kind is AccountKind.UNKNOWN)
    clock.advance(3600)
    _book(sandbox, company.ref, dt.date(2025, 12, 30), unused, Decimal("75.00"))
    clock.advance(24 * 3600)
    assert host.sync(dossier).status == "ok"  # the ledger stage sees the year's new stamp
    clock.advance(24 * 3600)
    mark = len(sandbox.log)
    assert host.sync(dossier).status == "ok"
    assert _ops(sandbox, mark).count("GLAccountBalance") == 1
    expected = AccountKind.BALANCE_SHEET if sandbox.admins[company.ref].chart[unused].balance_sheet else AccountKind.PROFIT_LOSS
    assert _kinds(host, dossier)[unused] is expected
