"""The figures pages read the store afresh on every request (issue 27: fast without a cache), so
a sync's new figures show at once: on the trial balance, its download and the drill-down."""

from __future__ import annotations

import asyncio
import csv
import io
from decimal import Decimal
from pathlib import Path

from sfsync.plugins import PluginRegistry, get_registry
from sfsync.sandbox import connect_sandbox

from .conftest import browser_for, make_host


def _debits(download: str) -> Decimal:
    return sum((Decimal(r["debit"]) for r in csv.DictReader(io.StringIO(download))), Decimal(0))


def test_a_sync_changes_the_figures_pages_at_once(tmp_path: Path) -> None:
    from sfsync.demo import start_sandboxes

    installed = get_registry()
    registry = PluginRegistry()
    loaded = installed.connector("yuki")
    registry.register(loaded.plugin, "yuki", distribution=loaded.distribution, version=loaded.version)
    sandboxes, failures = start_sandboxes(registry)  # this test's own: it books an entry in it
    assert not failures, failures
    host = make_host(tmp_path, sandboxes=sandboxes)
    yuki = sandboxes["yuki"]
    ref = yuki.company_refs()[0]

    async def go() -> None:
        admin = host.people["admin"]  # type: ignore[attr-defined]
        connection = await connect_sandbox(host.app, admin, "yuki", yuki)
        dossier = host.app.create_dossier(admin, "Vers")
        await host.app.link(admin, dossier.id, connection.id, ref, mode="replace")
        assert (await host.app.sync(dossier.id)).status in ("ok", "warning")
        browser = browser_for(host)
        await browser.sign_in("anne@dupont.be")
        year = host.app.figures(admin, dossier.id).year()
        assert year is not None
        at = f"/dossiers/{dossier.id}/figures"
        before = _debits((await browser.client.get(f"{at}/download.csv?year={year.start}")).text)
        known = {line.id for line in host.app.store.ledger_lines(dossier.id)}
        page_before = (await browser.client.get(f"{at}?year={year.start}")).text

        day = min(year.end, max(year.start, yuki.today()))
        yuki.add_entry(ref, day=day, amount=Decimal("1234.56"))
        assert (await host.app.sync(dossier.id)).status in ("ok", "warning")

        new = [line for line in host.app.store.ledger_lines(dossier.id) if line.id not in known]
        assert new, "the sync brought the booked entry"
        after = _debits((await browser.client.get(f"{at}/download.csv?year={year.start}")).text)
        assert after - before == sum((line.debit for line in new), Decimal(0)) > 0
        page_after = (await browser.client.get(f"{at}?year={year.start}")).text
        assert page_after != page_before
        account = max(new, key=lambda line: line.debit).account
        drill = (await browser.client.get(f"{at}/lines/{account}?year={year.start}")).text
        assert "Factuur sandbox" in drill
        await browser.client.aclose()

    try:
        asyncio.run(go())
    finally:
        host.app.store.close()

