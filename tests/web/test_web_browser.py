"""sfsync web in a real browser: headless Chromium (Debian's ``chromium``, driven by Playwright)
through the product's flows against the sandboxes, one browser for the whole module.

An admin connects Exact through its login page and back to the host's callback; a dossier is
linked from the new-dossier wizard, saving starts its first sync with live progress, and its trial
balance by period matches Exact's own figures; a member links two Xero dossiers, each with its
own login; support staff set up a support-level package that the admin may only ask for, and
AFAS with the one-time code AFAS mails; a dossier is linked by sync reference to an agent folder;
a dossier's administrative data come from AdminPulse; the sync arrows start a sync; a night
fails on a revoked Exact consent, the banner's one-click re-consent resumes every dossier.

Screenshots go to ``docs/images/web/`` when ``SFSYNC_SCREENSHOTS=1`` (the docs page shows them).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("playwright")
from playwright.sync_api import Page, expect, sync_playwright
from sfsync.web.app import build_app
from sfsync.web.host import Host

from .conftest import PASSWORD, make_host

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "images" / "web"


def _chromium() -> str:
    for candidate in (os.environ.get("SFSYNC_CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and Path(candidate).exists():
            return candidate
    if os.environ.get("CI"):
        pytest.fail("no chromium in CI: .ci/browser.sh installs Debian's chromium")
    pytest.skip("no chromium found (apt-get install chromium); the browser tests need a real browser")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Served:
    """The host under uvicorn in a thread; ``call`` runs a coroutine on the server's loop."""

    def __init__(self, host: Host, port: int) -> None:
        import uvicorn

        self.host = host
        self.url = f"http://127.0.0.1:{port}"
        self.server = uvicorn.Server(uvicorn.Config(build_app(host), host="127.0.0.1", port=port, log_level="warning",
                                                    lifespan="off"))
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "the host did not start"
            time.sleep(0.05)

    def _run(self) -> None:
        self.loop = asyncio.new_event_loop()
        try:
            self.loop.run_until_complete(self.server.serve())
        finally:
            self.loop.close()

    def call(self, coroutine: Any) -> Any:
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=120)

    def stop(self) -> None:
        self.call(self.host.progress.wait())
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    port = _free_port()
    host = make_host(tmp_path_factory.mktemp("web"), base_url=f"http://127.0.0.1:{port}")
    running = Served(host, port)
    yield running
    running.stop()
    host.app.store.close()


@pytest.fixture(scope="module")
def browser(served: Served) -> Iterator[Any]:
    executable = _chromium()
    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=executable, headless=True, args=["--no-sandbox"])
        yield launched
        launched.close()


def _page(browser: Any, served: Served) -> Page:
    context = browser.new_context(base_url=served.url, locale="en-GB", viewport={"width": 1200, "height": 800})
    page: Page = context.new_page()
    page.set_default_timeout(20_000)
    return page


def _shot(page: Page, name: str, *, full_page: bool = True) -> None:
    if os.environ.get("SFSYNC_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def _sign_in(page: Page, email: str) -> None:
    page.goto("/sign-in")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Sign in')")
    expect(page.locator("header .who")).to_contain_text(email)


def _wait_synced(page: Page) -> None:
    """The dossier page follows the sync live and shows its outcome when it ends."""
    expect(page.locator("#progress .done")).to_be_visible(timeout=60_000)
    expect(page.locator("#progress .done")).to_contain_text(re.compile("ok|warning"))


def _pick(page: Page, selector: str, value: str) -> None:
    """Pick an option of a step's list: the page's script sends the step's form at once."""
    page.wait_for_load_state("load")
    with page.expect_navigation():
        page.select_option(selector, value)
    page.wait_for_load_state("load")


def _exact_login(page: Page, served: Served) -> None:
    exact = served.host.sandboxes["exact-be"]
    expect(page).to_have_url(re.compile("/_sandbox/start.exactonline.be/"))
    page.fill("input[name=UserName]", exact.username)
    page.fill("input[name=Password]", exact.password)
    page.locator("form button, form input[type=submit]").first.click()


def test_an_admin_connects_exact_through_its_login_page_and_links_a_dossier(browser: Any, served: Served) -> None:
    page = _page(browser, served)
    _sign_in(page, "anne@dupont.be")
    page.click("nav >> text=Syncs")
    page.click("text=Add a new sync")
    _shot(page, "add-sync")
    page.click("li[data-connector=exact-be] >> text=Connect")
    page.click("button:has-text('Connect')")
    _shot(page, "exact-login")
    _exact_login(page, served)
    expect(page).to_have_url(f"{served.url}/syncs")
    expect(page.locator(".flash.ok")).to_contain_text("is set up")
    # The wizard: automatically from the bookkeeping, with the Exact sync.
    page.goto("/dossiers/new")
    page.fill("input[name=name]", "Bakkerij Jansen")
    page.check("input[value=automatic]")
    page.select_option("select[name=sync]", label="Exact Online Belgium")
    _shot(page, "new-dossier")
    page.click("text=Save & continue")
    exact = served.host.sandboxes["exact-be"]
    ref = exact.company_refs()[0]
    _pick(page, "select[name=company]", ref)
    page.check("input[name=mode][value=replace]")
    _shot(page, "sync-settings")
    page.click("#save button:has-text('Save changes')")
    expect(page.locator(".flash.ok")).to_contain_text("first sync has started")
    _wait_synced(page)
    _shot(page, "dossier")
    # The trial balance by period is Exact's own.
    page.click("text=Figures")
    truth = exact.truth(ref)
    years = sorted({year for (_, year, _) in truth.movements})
    page.select_option("select[name=year]", years[-1].isoformat())
    expect(page.locator("table.tb tbody tr").first).to_be_visible()
    _shot(page, "figures", full_page=False)  # a long table: its first screen
    shown: dict[tuple[str, int | None], Decimal] = {}
    for row in page.locator("table.tb tbody tr[data-account]").all():
        cells = row.locator("td").all_inner_texts()
        moved = Decimal(cells[4].replace("\u202f", "") or 0) - Decimal(cells[5].replace("\u202f", "") or 0)
        if moved:
            period = row.get_attribute("data-period")
            shown[row.get_attribute("data-account") or "", int(period) if period else None] = moved
    expected = {(a, p): v for (a, y, p), v in truth.movements.items() if y == years[-1] and v}
    assert shown == expected
    # Drill down to the lines of one cell.
    page.locator("table.tb tbody tr[data-account] a").first.click()
    expect(page.locator("table.lines tbody tr").first).to_be_visible()
    _shot(page, "lines", full_page=False)
    page.context.close()


def test_a_member_links_two_xero_dossiers_each_with_its_own_login(browser: Any, served: Served) -> None:
    from sfsync_xero.sandbox import USER_EMAIL, USER_PASSWORD

    xero = served.host.sandboxes["xero"]
    page = _page(browser, served)
    _sign_in(page, "bram@dupont.be")
    for name, ref in (("Acme", xero.company_refs()[0]), ("Bolt", xero.company_refs()[-1])):
        page.goto("/dossiers/new")
        page.fill("input[name=name]", name)
        page.select_option("select[name=sync]", "login:xero")
        page.click("text=Save & continue")
        expect(page).to_have_url(re.compile("/_sandbox/"))
        if name == "Acme":
            _shot(page, "xero-login")
        page.fill("input[name=email]", USER_EMAIL)
        page.fill("input[name=password]", USER_PASSWORD)
        page.locator("form button, form input[type=submit]").first.click()
        expect(page).to_have_url(re.compile(r"/dossiers/.+/settings\?connection="))
        _pick(page, "select[name=company]", ref)
        page.check("input[name=mode][value=replace]")
        page.click("#save button:has-text('Save changes')")
        _wait_synced(page)
    member = served.host.people["member"]  # type: ignore[attr-defined]
    owners = {served.host.app.dossier(member, n).id: served.host.app.dossier_connections(member, served.host.app.dossier(member, n).id)
              for n in ("Acme", "Bolt")}
    assert all(len(c) == 1 for c in owners.values())
    assert len({c[0].id for c in owners.values()}) == 2  # two logins, one per dossier
    page.context.close()


def test_support_sets_up_a_support_level_package_the_admin_may_only_ask_for(browser: Any, served: Served) -> None:
    page = _page(browser, served)
    _sign_in(page, "anne@dupont.be")
    page.goto("/syncs/new")
    expect(page.locator("li[data-connector=octopus]")).to_contain_text("Contact support")
    expect(page.locator("li[data-connector=octopus] a")).to_have_count(0)
    page.context.close()
    octopus = served.host.sandboxes["octopus"]
    page = _page(browser, served)
    _sign_in(page, "help@host.test")
    page.click(f"tr[data-firm='{served.host.firm.id}'] >> text=octopus")  # type: ignore[attr-defined]
    for name, value in {**octopus.connection_config(), **octopus.connection_secrets()}.items():
        field = page.locator(f"[name={name}]")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(str(value))
        else:
            field.fill(str(value))
    _shot(page, "support")
    page.click("button:has-text('Set up sync with')")
    expect(page.locator(".flash.ok")).to_contain_text("is set up")
    admin = served.host.people["admin"]  # type: ignore[attr-defined]
    assert "octopus" in [c.connector for c in served.host.app.connections(admin)]
    page.context.close()


def test_support_sets_up_afas_with_the_one_time_code_afas_mails(browser: Any, served: Served) -> None:
    afas = served.host.sandboxes["afas"]
    firm = served.host.firm  # type: ignore[attr-defined]
    page = _page(browser, served)
    _sign_in(page, "help@host.test")
    page.click(f"tr[data-firm='{firm.id}'] >> text=afas")
    page.fill("[name=environment]", afas.environment)  # type: ignore[attr-defined]
    page.fill("[name=user_id]", afas.otp_user)  # type: ignore[attr-defined]
    page.fill("[name=api_key]", afas.api_key)  # type: ignore[attr-defined]
    page.fill("[name=api_token]", afas.api_token)  # type: ignore[attr-defined]
    expect(page.locator("[name=otp]")).to_have_count(0)
    _shot(page, "support-afas-form")
    page.click("button:has-text('Send code')")
    expect(page.locator("#enter-code")).to_contain_text(afas.otp_user)  # type: ignore[attr-defined]
    user, code = afas.otp.mailbox[-1]  # type: ignore[attr-defined]  # what the AFAS user reads in their mail
    assert user == afas.otp_user  # type: ignore[attr-defined]
    page.fill("[name=otp]", code)
    _shot(page, "support-afas-code")
    page.click("#enter-code button:has-text('Set up sync with')")
    expect(page.locator(".flash.ok")).to_contain_text("is set up")
    admin = served.host.people["admin"]  # type: ignore[attr-defined]
    assert "afas" in [c.connector for c in served.host.app.connections(admin)]
    page.context.close()


def test_a_dossier_links_to_an_agent_folder_by_its_sync_reference(browser: Any, served: Served) -> None:
    onprem = served.host.sandboxes["onprem"]
    page = _page(browser, served)
    _sign_in(page, "anne@dupont.be")
    page.goto("/syncs/new/onprem")
    for name, value in {**onprem.connection_config(), **onprem.connection_secrets()}.items():
        page.fill(f"[name={name}]", str(value))
    page.click("button:has-text('Set up sync with')")
    expect(page.locator(".flash.ok")).to_contain_text("is set up")
    page.goto("/dossiers/new")
    page.fill("input[name=name]", "Demo BV")
    page.select_option("select[name=sync]", label="On-premise packages (sync service)")
    page.click("text=Save & continue")
    page.fill("input[name=company]", "DEMOBV")  # typed, not picked
    page.click("button:has-text('Next')")
    page.check("input[name=mode][value=replace]")
    page.click("#save button:has-text('Save changes')")
    _wait_synced(page)
    page.context.close()


def test_a_dossiers_administrative_data_come_from_adminpulse(browser: Any, served: Served) -> None:
    adminpulse = served.host.sandboxes["adminpulse"]
    page = _page(browser, served)
    _sign_in(page, "anne@dupont.be")
    page.goto("/syncs/new/adminpulse")
    for name, value in {**adminpulse.connection_config(), **adminpulse.connection_secrets()}.items():
        page.fill(f"[name={name}]", str(value))
    page.click("button:has-text('Set up sync with')")
    expect(page.locator(".flash.ok")).to_contain_text("is set up")
    page.goto("/dossiers/new")
    page.fill("input[name=name]", "Bakkerij Peeters")
    page.check("input[name=source][value=manual]")
    page.click("text=Save & continue")
    expect(page.locator("#administrative")).to_contain_text("No administrative link")
    page.click("text=Edit dossier → Sync")
    _pick(page, "#details-choose select[name=details]", label_of(page, "#details-choose select[name=details]", "AdminPulse"))
    page.fill("input[name=details_q]", "peeters")  # filters the list as one types
    expect(page.locator("#details-list option:not([hidden])")).to_have_count(1)
    _pick(page, "#details-list", label_of(page, "#details-list", "Bakkerij Peeters"))
    _shot(page, "details-link")
    page.click("#details-save button")
    _wait_synced(page)
    details = page.locator("#administrative")
    expect(details.locator("[data-field=name]")).to_have_text("Bakkerij Peeters")
    expect(details.locator("[data-field=vat_number]")).to_contain_text("BE")
    expect(details.locator("[data-field=enterprise_number]")).not_to_be_empty()
    _shot(page, "dossier-details")
    page.context.close()


def label_of(page: Page, selector: str, text: str) -> str:
    """The value of the option of ``selector`` whose text has ``text``."""
    value = page.locator(f"{selector} option", has_text=text).first.get_attribute("value")
    assert value, f"no option {text!r} in {selector}"
    return value


def test_the_sync_arrows_then_a_failed_night_and_a_one_click_reconsent(browser: Any, served: Served) -> None:
    page = _page(browser, served)
    _sign_in(page, "anne@dupont.be")
    page.goto("/dossiers")
    page.click("tr:has-text('Bakkerij Jansen') button.arrows")
    expect(page.locator(".flash.ok")).to_contain_text("Syncing Bakkerij Jansen")
    page.click("tr:has-text('Bakkerij Jansen') >> a:has-text('Bakkerij Jansen')")
    _wait_synced(page)
    # The night: Exact has revoked the consent, so Jansen's run stops and waits.
    served.call(served.host.progress.wait())
    served.host.sandboxes["exact-be"].revoke()
    served.call(served.host.app.sync_due(now=served.host.app.clock.now() + __import__("datetime").timedelta(days=1)))
    page.goto("/dossiers")
    banner = page.locator(".banner")
    expect(banner).to_contain_text("needs re-consent")
    expect(page.locator("tr:has-text('Bakkerij Jansen')")).to_contain_text("failed")
    _shot(page, "reconsent-banner")
    banner.locator("button.reconsent").click()
    _exact_login(page, served)
    expect(page.locator(".flash.ok")).to_contain_text("re-consented; 1 dossier(s) resume now")
    served.call(served.host.progress.wait())
    page.goto("/dossiers")
    expect(page.locator(".banner")).to_have_count(0)
    expect(page.locator("tr:has-text('Bakkerij Jansen')")).to_contain_text(re.compile("ok|warning"))
    page.click("tr:has-text('Bakkerij Jansen') >> a:has-text('Bakkerij Jansen')")
    page.click("text=Run history")
    expect(page.locator("table.runs tr.run-failed")).to_contain_text("refresh token for this connection is no longer valid")
    _shot(page, "history")
    # The language switch: the same page in Dutch, then French.
    page.goto("/dossiers")
    page.click("header .languages >> text=NL")
    expect(page.locator("main")).to_contain_text("Nieuw dossier")
    _shot(page, "dossiers-nl")
    page.click("header .languages >> text=FR")
    expect(page.locator("main")).to_contain_text("Nouveau dossier")
    page.context.close()
