"""The offline demo behind ``sfsync demo``: every installed connector against its sandbox.

It creates a firm with an admin on the embedded store, connects each package through its real
flow (OAuth through the sandbox's authorize page, forms, an agent), links dossiers in both modes,
syncs them, syncs again (the second run fetches next to nothing), and returns a summary.
"""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sfsync.api import Sfsync
from sfsync.errors import SfsyncError
from sfsync.models import Granularity, SyncMode
from sfsync.plugins import PluginRegistry, get_registry
from sfsync.runner import RunObserver
from sfsync.sandbox import Sandbox
from sfsync.sandbox.connect import connect_sandbox
from sfsync.secrets import SecretBox, generate_key
from sfsync.store.base import User
from sfsync.store.sqlite import SQLiteStore

__all__ = ["DemoRow", "run_demo", "start_sandboxes"]


def start_sandboxes(registry: PluginRegistry) -> tuple[dict[str, Sandbox], dict[str, str]]:
    """A sandbox per connector, shared by connectors whose sandboxes answer the same URLs (Xero's
    ``xero`` and ``xerotb`` are one package): returns the sandboxes and the ones that failed."""
    sandboxes: dict[str, Sandbox] = {}
    failures: dict[str, str] = {}
    by_urls: dict[tuple[str, ...], Sandbox] = {}
    for name in sorted(registry.connectors):
        if not registry.supports(name, "sfsync_sandbox"):
            continue
        try:
            sandbox = registry.call(name, "sfsync_sandbox")
        except Exception as exc:  # one broken plugin must not stop the others
            failures[name] = f"{type(exc).__name__}: {exc}"
            continue
        sandboxes[name] = by_urls.setdefault(tuple(sorted(sandbox.base_urls)), sandbox)
    return sandboxes, failures


@dataclass
class DemoRow:
    """One line of the demo's summary table."""

    dossier: str
    connector: str
    mode: str
    fiscal_years: int = 0
    accounts: int = 0
    lines: int = 0
    balanced: bool | None = None
    requests_first: int = 0
    requests_second: int = 0
    fetched_second: int = 0
    seconds: float = 0.0
    status: str = ""
    error: str = ""


async def run_demo(
    folder: Path,
    *,
    registry: PluginRegistry | None = None,
    observer: RunObserver | None = None,
    say: object = print,
    app: Sfsync | None = None,
    sandboxes: dict[str, Sandbox] | None = None,
) -> list[DemoRow]:
    """Run the demo in ``folder`` (emptied first) and return the summary rows.

    A host that embeds the demo's data (``sfsync demo --web``) passes its own ``app`` and the
    ``sandboxes`` mounted in it; the demo then leaves its store open.
    """
    given = app is not None
    registry = app.registry if app is not None else (registry or get_registry())
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    rows: list[DemoRow] = []
    failures: dict[str, str] = {}
    if sandboxes is None:
        sandboxes, failures = start_sandboxes(registry)
    for name, error in failures.items():
        rows.append(DemoRow(dossier=f"{name}-1", connector=name, mode="", status="failed",
                            error=f"its sandbox failed to start: {error}"))
    if app is None:
        app = Sfsync(SQLiteStore(folder / "sfsync.sqlite3"), SecretBox(generate_key()), registry=registry)
        for sandbox in {id(s): s for s in sandboxes.values()}.values():
            app.mount(sandbox.transports())
    firm = app.create_firm("Demo Accountants")
    admin = app.add_user(firm.id, "admin@demo.test", "admin")
    dossiers: list[tuple[str, DemoRow]] = []
    sharing: dict[int, int] = {}
    administrative: list[tuple[str, Sandbox]] = []
    for name, sandbox in sandboxes.items():
        info = registry.connector(name).info
        if info.default_granularity is Granularity.DETAILS:  # master data only: linked beside another below
            administrative.append((name, sandbox))
            continue
        # A package whose login is bound to one company (QuickBooks) lists all of them apart, and
        # each dossier's login picks its own.
        refs = getattr(sandbox, "all_company_refs", sandbox.company_refs)()
        # Connectors that share a sandbox (one package) link other companies, as two firms' dossiers
        # would: the package's limits are per company, and the demo should show them, not wait on them.
        turn = sharing.get(id(sandbox), 0)
        sharing[id(sandbox)] = turn + 1
        shift = (2 * turn) % len(refs)
        refs = refs[shift:] + refs[:shift]
        plans = [(refs[0], SyncMode.REPLACE)]
        if len(refs) > 1:
            plans.append((refs[1], SyncMode.SINCE))
        for index, (ref, mode) in enumerate(plans):
            label = f"{name}-{index + 1}"
            row = DemoRow(dossier=label, connector=name, mode=mode.value)
            rows.append(row)
            try:
                dossier = app.create_dossier(admin, label)
                level = registry.connector(name).auth.level.value
                existing = [c for c in app.connections(admin) if c.connector == name]
                if level == "dossier" or not existing:
                    if hasattr(sandbox, "pick_company"):
                        sandbox.pick_company(ref)
                    # Support-level packages (Octopus, AFAS…) are connected by the host's support staff.
                    support = level == "support"
                    user = (app.store.find_support_user("support@demo.test") or app.add_support_user("support@demo.test")
                            ) if support else admin
                    connection = await connect_sandbox(app, user, name, sandbox, dossier=dossier,
                                                       firm_id=firm.id if support else None)
                    say(f"connected {info.title} ({registry.connector(name).auth.flavour})")  # type: ignore[operator]
                else:
                    connection = existing[0]
                since = None
                if mode is SyncMode.SINCE:
                    years = await app.fiscal_years(admin, connection.id, ref)
                    since = years[-2].start if len(years) > 1 else years[0].start
                await app.link(admin, dossier.id, connection.id, ref, mode=mode, since=since,
                               granularity=info.default_granularity)
                dossiers.append((dossier.id, row))
            except Exception as exc:
                row.status = "failed"
                row.error = str(exc) if isinstance(exc, SfsyncError) else f"{type(exc).__name__}: {exc}"
    beside = await _link_administrative(app, admin, administrative, dossiers, rows, say)
    first = await app.sync_many([d for d, _ in dossiers], observer=observer)
    second = await app.sync_many([d for d, _ in dossiers], observer=observer)
    for (dossier_id, row), run1, run2 in zip(dossiers, first, second, strict=True):
        row.status = run2.status if run1.status in ("ok", "warning") else run1.status
        row.error = run1.error or run2.error or ""
        row.fiscal_years = run1.counts.get("fiscal_years", 0)
        row.accounts = run1.counts.get("accounts", 0)
        row.requests_first, row.requests_second = run1.requests, run2.requests
        row.fetched_second = run2.counts.get("lines_fetched", run2.counts.get("trial_balance_lines", 0))
        row.seconds = (run1.duration or 0.0) + (run2.duration or 0.0)
        link = app.store.get_link(dossier_id)
        if link is not None and link.granularity is Granularity.TRIAL_BALANCE:
            totals = app.store.trial_balance(dossier_id)
            row.lines = len(totals)
            row.balanced = sum((t.closing for t in totals), Decimal(0)) == 0 if totals else None
        else:
            debit = credit = Decimal(0)
            count = 0
            for line in app.store.ledger_lines(dossier_id):
                debit += line.debit
                credit += line.credit
                count += 1
            row.lines = count
            row.balanced = debit == credit if count else None
    for dossier_id, row in beside:
        _report_administrative(app, dossier_id, row)
    if not given:
        app.store.close()
    await asyncio.sleep(0)
    return rows


async def _link_administrative(
    app: Sfsync, admin: User, administrative: list[tuple[str, Sandbox]], dossiers: list[tuple[str, DemoRow]],
    rows: list[DemoRow], say: object,
) -> list[tuple[str, DemoRow]]:
    """Link each administrative-only package (AdminPulse) for the master data of a dossier that has
    its figures from another package (Exact's first where installed): one dossier, both links."""
    made: list[tuple[str, DemoRow]] = []
    for name, sandbox in administrative:
        partner = next((d for d in dossiers if d[1].connector.startswith("exact")), dossiers[0] if dossiers else None)
        row = DemoRow(dossier=partner[1].dossier if partner else f"{name}-1", connector=name,
                      mode=f"details beside {partner[1].connector}" if partner else "details")
        rows.append(row)
        try:
            connection = await connect_sandbox(app, admin, name, sandbox)
            say(f"connected {app.registry.connector(name).info.title} (form)")  # type: ignore[operator]
            dossier_id = partner[0] if partner else app.create_dossier(admin, row.dossier).id
            await app.link(admin, dossier_id, connection.id, sandbox.company_refs()[0], granularity=Granularity.DETAILS)
            if partner is None:
                dossiers.append((dossier_id, DemoRow(dossier=row.dossier, connector=name, mode="details")))
            made.append((dossier_id, row))
        except Exception as exc:
            row.status = "failed"
            row.error = str(exc) if isinstance(exc, SfsyncError) else f"{type(exc).__name__}: {exc}"
    return made


def _report_administrative(app: Sfsync, dossier_id: str, row: DemoRow) -> None:
    """The administrative row: ok when the dossier holds the package's details and no run warned
    that they failed."""
    runs = app.store.list_runs(dossier_id, limit=2)
    failed = [w for r in runs for w in r.warnings if "company details" in w] + [r.error for r in runs if r.error]
    kept = app.store.company_details(dossier_id)
    row.status = "failed" if failed or kept is None else "ok"
    row.error = "; ".join(failed) if failed else "" if kept else "no company details were stored"
    if runs:
        row.requests_first, row.requests_second = runs[-1].requests, runs[0].requests
