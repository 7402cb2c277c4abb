"""The connector end to end: local root, change detection, resume, trial balance, import."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from sfsync.auth import AgentSpec
from sfsync.context import ConnectorContext, Secrets
from sfsync.errors import SfsyncError
from sfsync.models import Company, Granularity, LedgerBatch, SyncMode
from sfsync.testing.harness import ContractHarness
from sfsync_onprem import connector as connector_module
from sfsync_onprem.connector import OnpremFields, onprem
from sfsync_onprem.sandbox import OnpremSandbox


def _ctx(sandbox: OnpremSandbox, *, local: bool = False) -> ConnectorContext:
    config = {"root": str(sandbox.root)} if local else sandbox.connection_config()
    return ConnectorContext(
        connector="onprem", connection_id="c1", auth_spec=AgentSpec(fields=OnpremFields), config=config,
        secrets=Secrets({} if local else {"token": sandbox.token}), transports=sandbox.transports(),
    )


def _ledger(ctx: ConnectorContext, ref: str, cursor: str | None = None, since: dt.date | None = None,
            limit: int | None = None) -> list[LedgerBatch]:
    async def go() -> list[LedgerBatch]:
        out = []
        async for batch in onprem.sfsync_fetch_ledger(ctx=ctx, company=Company(ref=ref), since=since, cursor=cursor):
            out.append(batch)
            if limit is not None and len(out) >= limit:
                break
        return out

    return asyncio.run(go())


def test_onprem_local_root_without_agent() -> None:
    sandbox = OnpremSandbox()
    ctx = _ctx(sandbox, local=True)
    companies = asyncio.run(onprem.sfsync_list_companies(ctx=ctx))
    by_ref = {c.ref: c for c in companies}
    assert by_ref["TORO-ROSSO"].extra["format"] == "XAF 3.2"
    assert by_ref["PARFILUX"].extra["format"] == "Winbooks DBF"
    assert by_ref["SELSKAPET-AS"].extra["format"].startswith("SAF-T NO")
    assert by_ref["EXPERTM-CLIENT"].extra["format"] == "unsupported"
    batches = _ledger(ctx, "TORO-ROSSO")
    assert sum(len(b.lines) for b in batches) == 167
    assert ctx.stats.requests == 0  # no HTTP in local mode


def test_onprem_unchanged_folder_costs_one_call_and_changes_reread_one_file() -> None:
    sandbox = OnpremSandbox()
    ctx = _ctx(sandbox)
    first = _ledger(ctx, "DEMOBV")
    cursor = first[-1].cursor
    assert cursor is not None
    assert [b.clear for b in first if b.clear]  # each file clears its range first
    before = ctx.stats.requests
    assert _ledger(ctx, "DEMOBV", cursor=cursor) == []
    assert ctx.stats.requests - before == 1  # the sources listing only
    latest = sandbox.books[-1]
    added = sandbox.add_entry("DEMOBV")
    again = _ledger(ctx, "DEMOBV", cursor=cursor)
    assert len(again) == 1 and again[0].clear == (latest.start, latest.end)
    ids = {line.id for line in again[0].lines}
    assert set(added) <= ids
    assert all(line.fiscal_year == latest.label for line in again[0].lines)


def test_onprem_resume_mid_file_gives_the_same_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connector_module, "BATCH", 60)
    sandbox = OnpremSandbox()
    ctx = _ctx(sandbox)
    full = _ledger(ctx, "PARFILUX")
    assert len(full) > 3
    part = _ledger(ctx, "PARFILUX", limit=3)
    assert json.loads(part[-1].cursor or "{}")["cur"]["offset"] == 180
    rest = _ledger(ctx, "PARFILUX", cursor=part[-1].cursor)
    assert rest[0].clear is None  # resuming does not clear what was committed
    assert [ln.id for b in part + rest for ln in b.lines] == [ln.id for b in full for ln in b.lines]


def test_onprem_since_skips_earlier_lines_and_clamps_the_clear() -> None:
    sandbox = OnpremSandbox()
    ctx = _ctx(sandbox)
    since = sandbox.books[-1].start
    batches = _ledger(ctx, "DEMOBV", since=since)
    lines = [ln for b in batches for ln in b.lines]
    assert lines and all(ln.date >= since for ln in lines)
    assert all(b.clear is None or b.clear[0] >= since for b in batches)


@pytest.fixture
def harness(tmp_path: Path):
    h = ContractHarness.create("onprem", tmp_path, sandbox=OnpremSandbox())
    h.connect()
    yield h
    h.close()


def _link(h: ContractHarness, ref: str, *, granularity: Granularity = Granularity.TRANSACTIONS,
          mode: SyncMode = SyncMode.REPLACE, since: dt.date | None = None):
    dossier = h.app.create_dossier(h.admin, f"d-{ref}-{granularity.value}")
    assert h.connection is not None
    h.run(h.app.link(h.admin, dossier.id, h.connection.id, ref, mode=mode, since=since, granularity=granularity))
    return dossier


def test_onprem_truncated_file_leaves_the_dossier_untouched(harness: ContractHarness) -> None:
    dossier = _link(harness, "TORO-ROSSO")
    assert harness.sync(dossier).status in ("ok", "warning")
    before = {ln.id: ln for ln in harness.app.store.ledger_lines(dossier.id)}
    assert len(before) == 167
    path = harness.sandbox.root / "TORO-ROSSO" / "ExactOnline_V32_2016.xml"  # type: ignore[attr-defined]
    raw = path.read_bytes()
    path.write_bytes(raw[: int(len(raw) * 0.7)])
    run = harness.sync(dossier)
    assert run.status == "failed"
    assert "ExactOnline_V32_2016.xml is truncated" in (run.error or "")
    assert {ln.id: ln for ln in harness.app.store.ledger_lines(dossier.id)} == before


def test_onprem_trial_balance_granularity_on_a_balance_export(harness: ContractHarness) -> None:
    dossier = _link(harness, "PARFILUX-EXPORTS", granularity=Granularity.TRIAL_BALANCE)
    run = harness.sync(dossier)
    assert run.status == "warning", run.error  # the float artefacts and the assumed year dates
    totals = harness.app.store.trial_balance(dossier.id)
    assert len(totals) == 111
    assert sum(t.closing for t in totals) == 0
    assert {t.account: t.closing for t in totals}["400000"] == Decimal("35460.01")
    second = harness.sync(dossier)
    assert second.requests <= 3 and len(harness.app.store.trial_balance(dossier.id)) == 111


def test_onprem_trial_balance_derived_from_winbooks_lines(harness: ContractHarness) -> None:
    dossier = _link(harness, "PARFILUX", granularity=Granularity.TRIAL_BALANCE)
    assert harness.sync(dossier).status in ("ok", "warning")
    closing: dict[str, Decimal] = {}
    for total in sorted(harness.app.store.trial_balance(dossier.id), key=lambda t: t.period_end):
        closing[total.account] = total.closing
    assert closing["400000"] == Decimal("35460.01") and closing["440000"] == Decimal("-96344.28")


def test_onprem_since_link_gets_opening_balances(harness: ContractHarness) -> None:
    sandbox: OnpremSandbox = harness.sandbox  # type: ignore[assignment]
    since = sandbox.books[-1].start
    dossier = _link(harness, "DEMOBV", mode=SyncMode.SINCE, since=since)
    assert harness.sync(dossier).status in ("ok", "warning")
    openings = harness.app.store.opening_balances(dossier.id)
    assert openings and sum(o.amount for o in openings) == 0
    assert all(o.date == since for o in openings)


def test_onprem_manual_import_uses_the_same_readers(harness: ContractHarness, tmp_path: Path) -> None:
    from sfsync_onprem.sandbox import sample_path

    dossier = harness.app.create_dossier(harness.admin, "manual")
    run = harness.app.import_file(harness.admin, dossier.id, sample_path("auditfile_v3.2_nl_20180101_20181231.xaf"))
    assert run.status == "warning" and run.counts["lines"] == 121  # linesCount defect warned
    cut = tmp_path / "cut.xaf"
    raw = sample_path("pyxaf-example-2024_XAF4.0.xaf").read_bytes()
    cut.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(SfsyncError, match=r"cut\.xaf is truncated"):
        harness.app.import_file(harness.admin, dossier.id, cut)
    assert harness.app.store.count_ledger_lines(dossier.id) == 121


def test_onprem_dossier_entries_balance_per_source(harness: ContractHarness) -> None:
    dossier = _link(harness, "PARFILUX")
    assert harness.sync(dossier).status in ("ok", "warning")
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for line in harness.app.store.ledger_lines(dossier.id):
        sums[line.entry] += line.debit - line.credit
    assert sums and not any(sums.values())


def test_onprem_two_exports_of_one_year_are_warned() -> None:
    from sfsync_onprem.folder import open_dossier

    sandbox = OnpremSandbox()
    folder = sandbox.root / "TORO-ROSSO"
    (folder / "ExactOnline_V32_2016_old.xml").write_bytes((folder / "ExactOnline_V32_2016.xml").read_bytes())
    dossier = open_dossier(sandbox.root, "TORO-ROSSO")
    assert any("cover the same dates" in w for w in dossier.warnings)
    assert len(dossier.fiscal_years()) == 1


@pytest.mark.parametrize(
    ("ref", "lines"),
    [("BANANA-NL", 121), ("VOORBEELD-XAF4", 36), ("XAF32-DOC-EXAMPLE", 1), ("SELSKAPET-AS", 5)],
)
def test_onprem_every_sample_folder_syncs(harness: ContractHarness, ref: str, lines: int) -> None:
    dossier = _link(harness, ref)
    run = harness.sync(dossier)
    assert run.status in ("ok", "warning"), run.error
    assert harness.app.store.count_ledger_lines(dossier.id) == lines
    chart = {a.code for a in harness.app.store.accounts(dossier.id)}
    assert {ln.account for ln in harness.app.store.ledger_lines(dossier.id)} <= chart
    if ref == "XAF32-DOC-EXAMPLE":  # its defects reach the run's record as warnings
        assert any("totalDebit" in w for w in run.warnings)


def test_onprem_a_touched_file_is_not_a_changed_file() -> None:
    import os

    sandbox = OnpremSandbox()
    ctx = _ctx(sandbox)
    cursor = _ledger(ctx, "TORO-ROSSO")[-1].cursor
    path = sandbox.root / "TORO-ROSSO" / "ExactOnline_V32_2016.xml"
    stamp = path.stat().st_mtime_ns + 5_000_000_000
    os.utime(path, ns=(stamp, stamp))
    assert _ledger(ctx, "TORO-ROSSO", cursor=cursor) == []
    path.write_bytes(path.read_bytes().replace(b"Toro Rosso BV", b"Toro Rossa BV"))
    assert sum(len(b.lines) for b in _ledger(ctx, "TORO-ROSSO", cursor=cursor)) == 167


@pytest.mark.parametrize(
    ("ref", "count", "debit"),
    [("BANANA-NL", 2, "5000.00"), ("VOORBEELD-XAF4", 3, "12500.50"), ("SELSKAPET-AS", 3, "1234.56")],
)
def test_onprem_replace_link_keeps_the_opening_balance_of_a_one_year_export(
    harness: ContractHarness, ref: str, count: int, debit: str
) -> None:
    # These exports carry their opening balance as a section of its own (XAF openingBalance,
    # SAF-T OpeningDebit/Credit), not as lines: a replace link must bring it all the same.
    dossier = _link(harness, ref, mode=SyncMode.REPLACE)
    run = harness.sync(dossier)
    assert run.status in ("ok", "warning"), run.error
    openings = harness.app.store.opening_balances(dossier.id)
    assert len(openings) == count
    assert sum(o.amount for o in openings if o.amount > 0) == Decimal(debit)
    assert {o.date for o in openings} == {harness.app.store.fiscal_years(dossier.id)[0].start}


def test_onprem_a_late_invoice_counts_in_the_year_it_is_booked_in(harness: ContractHarness) -> None:
    sandbox: OnpremSandbox = harness.sandbox  # type: ignore[assignment]
    previous, current = sandbox.books
    dossier = _link(harness, "DEMOBV")
    assert harness.sync(dossier).status in ("ok", "warning")
    store = harness.app.store
    late = {ln.id for ln in store.ledger_lines(dossier.id) if ln.entry.endswith("VK9999")}
    assert len(late) == 3 and all(current.start <= ln.date for ln in store.ledger_lines(dossier.id) if ln.id in late)
    assert late <= {ln.id for ln in store.ledger_lines(dossier.id, start=previous.start, end=previous.end)}
    assert not late & {ln.id for ln in store.ledger_lines(dossier.id, start=current.start, end=current.end)}
    since = harness.new_dossier(mode=SyncMode.SINCE, since=current.start, company_ref="DEMOBV")
    run = harness.sync(since)
    assert run.counts.get("lines_before_since_ignored", 0) >= 3  # it belongs to the history before the date
    assert not late & {ln.id for ln in store.ledger_lines(since.id)}
