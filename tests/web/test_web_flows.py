"""The flows of the host over HTTP (no browser): a manual dossier's XAF upload and its figures,
the downloads, going back to manual with the history kept, a *since* link with a fiscal-year
override, XeroTB's advice and its trial balance, and the run history's failure reasons."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import re
from decimal import Decimal

import httpx
from sfsync.sandbox import connect_sandbox
from sfsync.web.host import Host

from .conftest import browser_for


def run(coroutine):  # type: ignore[no-untyped-def]
    return asyncio.run(coroutine)


class _Slow(httpx.AsyncBaseTransport):
    """A package that takes 50 ms to answer, so a page sees the sync's stages go by."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.05)
        return await self.inner.handle_async_request(request)


def _dossier_id(answer_url: str) -> str:
    found = re.search(r"/dossiers/(dos_\w+)", answer_url)
    assert found, answer_url
    return found.group(1)


def test_a_manual_dossier_takes_an_xaf_upload_and_downloads_its_trial_balance(host: Host) -> None:
    from sfsync_onprem.sandbox import sample_path

    async def go() -> None:
        browser = browser_for(host)
        await browser.sign_in("bram@dupont.be")
        made = await browser.post("/dossiers/new", {"name": "Handwerk", "source": "manual"}, follow_redirects=True)
        dossier_id = _dossier_id(str(made.url))
        assert "Upload an export" in made.text
        path = sample_path("auditfile_v3.2_nl_20180101_20181231.xaf")
        page = (await browser.client.get(f"/dossiers/{dossier_id}")).text
        from .conftest import csrf_of

        uploaded = await browser.client.post(
            f"/dossiers/{dossier_id}/upload", data={"csrf": csrf_of(page)},
            files={"file": ("../../evil/" + path.name, path.read_bytes(), "application/xml")}, follow_redirects=True)
        assert "is imported" in uploaded.text, uploaded.text[-800:]
        figures = await browser.client.get(f"/dossiers/{dossier_id}/figures?year=2018-01-01")
        assert figures.status_code == 200 and "data-account" in figures.text
        member = host.people["member"]  # type: ignore[attr-defined]
        year = host.app.figures(member, dossier_id).year(dt.date(2018, 1, 1))
        assert year is not None
        lines = list(host.app.store.ledger_lines(dossier_id, start=year.start, end=year.end))
        download = await browser.client.get(f"/dossiers/{dossier_id}/figures/download.csv?year=2018-01-01")
        rows = list(csv.DictReader(io.StringIO(download.text)))
        assert download.headers["content-disposition"].endswith('.csv"')
        # Every line of the year is in the downloaded trial balance, to the cent.
        assert sum(Decimal(r["debit"]) for r in rows) == sum(line.debit for line in lines)
        assert sum(Decimal(r["credit"]) for r in rows) == sum(line.credit for line in lines)
        for r in rows:
            assert Decimal(r["opening"]) + Decimal(r["debit"]) - Decimal(r["credit"]) == Decimal(r["closing"])
        xlsx = await browser.client.get(f"/dossiers/{dossier_id}/figures/download.xlsx?year=2018-01-01")
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(xlsx.content)).active
        assert sheet is not None and sheet.max_row == len(rows) + 1
        account = rows[0]["account"]
        drill = await browser.client.get(f"/dossiers/{dossier_id}/figures/lines/{account}?year=2018-01-01&period={rows[0]['period']}")
        assert drill.status_code == 200 and drill.text.count("<tr>") >= 2

    run(go())


def test_a_since_link_with_a_first_year_override_then_back_to_manual_keeps_the_history(host: Host) -> None:
    async def go() -> None:
        admin_user = host.people["admin"]  # type: ignore[attr-defined]
        yuki = host.sandboxes["yuki"]
        connection = await connect_sandbox(host.app, admin_user, "yuki", yuki)
        browser = browser_for(host)
        await browser.sign_in("anne@dupont.be")
        made = await browser.post("/dossiers/new", {"name": "Klant", "source": "automatic", "sync": connection.id},
                                  follow_redirects=True)
        dossier_id = _dossier_id(str(made.url))
        ref = yuki.company_refs()[0]
        settings = await browser.client.get(f"/dossiers/{dossier_id}/settings?connection={connection.id}&company={ref}")
        starts = re.findall(r'<option value="(\d{4}-\d\d-\d\d)"', settings.text)
        years = await host.app.fiscal_years(admin_user, connection.id, ref)
        assert starts == [y.start.isoformat() for y in years]  # the package's fiscal-year starts
        first_end = years[0].end + dt.timedelta(days=31)
        saved = await browser.post(f"/dossiers/{dossier_id}/settings", {
            "connection": connection.id, "company": ref, "mode": "since", "since": years[-1].start.isoformat(),
            "override": "yes", "first_year_end": first_end.isoformat()}, follow_redirects=True)
        assert "first sync has started" in saved.text
        await host.progress.wait()
        link = host.app.store.get_link(dossier_id)
        assert link is not None and link.since == years[-1].start and link.first_year_end == first_end
        assert host.app.runs(admin_user, dossier_id)[0].status in ("ok", "warning")
        kept = host.app.store.count_ledger_lines(dossier_id)
        assert kept > 0
        back = await browser.post(f"/dossiers/{dossier_id}/unlink", {"confirm": "yes"}, follow_redirects=True)
        assert "everything synced so far is kept" in back.text and "Upload an export" in back.text
        assert host.app.store.get_link(dossier_id) is None
        assert host.app.store.count_ledger_lines(dossier_id) == kept

    run(go())


def test_xerotb_is_advised_for_several_currencies_and_its_trial_balance_is_the_packages(host: Host) -> None:
    async def go() -> None:
        member = host.people["member"]  # type: ignore[attr-defined]
        browser = browser_for(host)
        await browser.sign_in("bram@dupont.be")
        made = await browser.post("/dossiers/new", {"name": "Multi", "source": "manual"}, follow_redirects=True)
        dossier_id = _dossier_id(str(made.url))
        settings = (await browser.client.get(f"/dossiers/{dossier_id}/settings")).text
        assert "We advise XeroTB when the dossier uses more than one currency" in settings
        dossier = host.app.dossier(member, dossier_id)
        xero = host.sandboxes["xerotb"]
        login = await connect_sandbox(host.app, member, "xerotb", xero, dossier=dossier)
        ref = xero.company_refs()[0]
        await host.app.link(member, dossier_id, login.id, ref, mode="replace")
        record = await host.app.sync_now(member, dossier_id)
        assert record.status in ("ok", "warning"), record.error
        figures = host.app.figures(member, dossier_id)
        truth = xero.truth(ref)
        year = figures.fiscal_years()[-1]
        page = (await browser.client.get(f"/dossiers/{dossier_id}/figures?year={year.start}")).text
        assert "data-account" in page
        rows = host.app.trial_balance(member, dossier_id, start=year.start, end=year.end)
        shown = {(t.account, t.period): t.debit - t.credit for t in rows if t.debit - t.credit}
        assert shown == {(a, p): v for (a, y, p), v in truth.movements.items() if y == year.start and v}

    run(go())


def test_the_run_history_gives_each_failures_reason(host: Host) -> None:
    async def go() -> None:
        admin_user = host.people["admin"]  # type: ignore[attr-defined]
        yuki = host.sandboxes["yuki"]
        connection = await connect_sandbox(host.app, admin_user, "yuki", yuki)
        dossier = host.app.create_dossier(admin_user, "Stopt")
        await host.app.link(admin_user, dossier.id, connection.id, yuki.company_refs()[1], mode="replace")
        saved = dict(yuki.keys)
        yuki.keys.clear()  # the key is revoked at Yuki
        try:
            failed = await host.app.sync(dossier.id)
        finally:
            yuki.keys.update(saved)
        assert failed.status == "failed" and failed.error
        browser = browser_for(host)
        await browser.sign_in("anne@dupont.be")
        history = (await browser.client.get(f"/dossiers/{dossier.id}/history")).text
        assert 'class="run-failed"' in history and failed.error.split(":")[0] in history
        listing = (await browser.client.get("/dossiers")).text
        assert "needs re-consent" in listing and "Re-consent" in listing

    run(go())


def test_the_web_demo_lets_its_admin_member_and_support_user_sign_in(tmp_path, shared_sandboxes) -> None:  # type: ignore[no-untyped-def]
    from sfsync.plugins import PluginRegistry, get_registry
    from sfsync.web import WebSettings, create_host
    from sfsync.web.demo import DEMO_PASSWORD, seed_demo

    installed = get_registry()
    registry = PluginRegistry()
    for name in ("yuki", "onprem"):  # two packages keep the test short; the demo runs them all
        loaded = installed.connector(name)
        registry.register(loaded.plugin, name, distribution=loaded.distribution, version=loaded.version)
    settings = WebSettings(db=tmp_path / "web.sqlite3", session_secret="d" * 48, sandbox=True)
    host = create_host(settings, registry=registry,
                       sandboxes={n: shared_sandboxes[n] for n in ("yuki", "onprem")})

    async def go() -> None:
        people, rows = await seed_demo(host, tmp_path / "scratch", say=lambda text: None)
        assert rows and all(r.status in ("ok", "warning") for r in rows), [r.error for r in rows]
        for email, lands in ((people.admin, "/dossiers"), (people.member, "/dossiers"), (people.support, "/support")):
            browser = browser_for(host)
            await browser.sign_in(email, DEMO_PASSWORD)
            page = await browser.client.get("/", follow_redirects=True)
            assert page.status_code == 200 and str(page.url).endswith(lands), email
            if lands == "/dossiers":
                assert all(r.dossier in page.text for r in rows)
            await browser.client.aclose()

    try:
        run(go())
    finally:
        host.app.store.close()


def test_switching_a_dossier_to_another_company_is_confirmed_and_keeps_the_history(host: Host) -> None:
    async def go() -> None:
        admin_user = host.people["admin"]  # type: ignore[attr-defined]
        yuki = host.sandboxes["yuki"]
        connection = await connect_sandbox(host.app, admin_user, "yuki", yuki)
        dossier = host.app.create_dossier(admin_user, "Wissel")
        first, second = yuki.company_refs()[0], yuki.company_refs()[1]
        await host.app.link(admin_user, dossier.id, connection.id, first, mode="replace")
        assert (await host.app.sync(dossier.id)).status in ("ok", "warning")
        browser = browser_for(host)
        await browser.sign_in("anne@dupont.be")
        page = await browser.client.get(f"/dossiers/{dossier.id}/settings?connection={connection.id}&company={second}")
        assert "Switching keeps the history" in page.text and 'name="switch"' in page.text
        form = {"connection": connection.id, "company": second, "mode": "replace"}
        refused = await browser.post(f"/dossiers/{dossier.id}/settings", form, follow_redirects=True)
        assert "is linked to another source" in refused.text
        assert host.app.store.get_link(dossier.id).company_ref == first  # type: ignore[union-attr]
        switched = await browser.post(f"/dossiers/{dossier.id}/settings", {**form, "switch": "yes"}, follow_redirects=True)
        assert "first sync has started" in switched.text
        assert host.app.store.get_link(dossier.id).company_ref == second  # type: ignore[union-attr]

    run(go())


def test_the_sync_arrows_start_a_sync_whose_progress_streams_to_the_page(host: Host) -> None:
    async def go() -> None:
        admin_user = host.people["admin"]  # type: ignore[attr-defined]
        yuki = host.sandboxes["yuki"]
        connection = await connect_sandbox(host.app, admin_user, "yuki", yuki)
        dossier = host.app.create_dossier(admin_user, "Live")
        await host.app.link(admin_user, dossier.id, connection.id, yuki.company_refs()[0], mode="replace")
        host.app.mount({url: _Slow(host.app.transports[url]) for url in yuki.base_urls})  # a package far away
        browser = browser_for(host)
        await browser.sign_in("bram@dupont.be")  # any member of the firm may press the arrows
        pressed = await browser.post(f"/dossiers/{dossier.id}/sync", {"back": "/dossiers"})
        assert pressed.status_code == 303 and pressed.headers["location"] == "/dossiers"
        assert host.progress.running(dossier.id)
        events = []
        async with browser.client.stream("GET", f"/dossiers/{dossier.id}/progress/events") as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            async for line in stream.aiter_lines():
                events.append(line)
                if line == "event: done":
                    break
        stages = [line for line in events if line.startswith("data: {") and '"stage"' in line]
        assert len(stages) >= 2, events  # it went through stages while the page listened
        assert '"running": true' in stages[0] and '"running": false' in stages[-1]
        assert re.search(r'"status": "(ok|warning)"', stages[-1]) and '"lines":' in stages[-1]
        assert host.app.runs(admin_user, dossier.id)[0].status in ("ok", "warning")
        # Without JavaScript the page refreshes itself while a sync runs.
        host.progress.states[dossier.id].running = True
        page = (await browser.client.get(f"/dossiers/{dossier.id}")).text
        assert 'data-running="yes"' in page and '<noscript><meta http-equiv="refresh"' in page
        host.progress.states[dossier.id].running = False
        done = (await browser.client.get(f"/dossiers/{dossier.id}")).text
        assert 'data-running="no"' in done and 'class="run-' in done

    run(go())


def test_a_member_reconsents_a_dossiers_own_xero_login_from_the_banner(host: Host) -> None:
    async def go() -> None:
        member = host.people["member"]  # type: ignore[attr-defined]
        xero = host.sandboxes["xero"]
        dossier = host.app.create_dossier(member, "Eigen login")
        login = await connect_sandbox(host.app, member, "xero", xero, dossier=dossier)
        await host.app.link(member, dossier.id, login.id, xero.company_refs()[0], mode="replace")
        xero.revoke()
        try:
            failed = await host.app.sync(dossier.id)
            assert failed.status == "failed"
            browser = browser_for(host)
            await browser.sign_in("bram@dupont.be")
            listing = (await browser.client.get("/dossiers")).text
            assert f'data-connection="{login.id}"' in listing and "button class=\"reconsent\"" in listing
            started = await browser.post(f"/syncs/{login.id}/reconsent", {"back": "/dossiers"})
            assert started.status_code == 303
            assert started.headers["location"].startswith("/_sandbox/login.xero.com/")  # the package's login
            assert "client_secret" not in started.headers["location"]
        finally:
            xero.faults.clear()

    run(go())
