"""The support staff's pages over HTTP (no browser): AFAS's one-time-code step in two
server-rendered steps (no JavaScript), its secrets kept off the second page, a wrong code asked
again; the firm list through the core; and a firm's admin or member posting the forms directly,
refused by the core API."""

from __future__ import annotations

import asyncio
import re

from sfsync.web.host import Host
from sfsync_afas.sandbox import AfasSandbox

from .conftest import Browser, browser_for


def run(coroutine):  # type: ignore[no-untyped-def]
    return asyncio.run(coroutine)


def _otp_form(sandbox: AfasSandbox) -> dict[str, str]:
    return {"environment": sandbox.environment, "environment_type": "production", "user_id": sandbox.otp_user,
            "api_key": sandbox.api_key, "api_token": sandbox.api_token}


def _wait_key(page: str) -> str:
    found = re.search(r'name="wait" value="([^"]+)"', page)
    assert found, "the page has no code step"
    return found.group(1)


async def _support(host: Host) -> Browser:
    staff = browser_for(host)
    await staff.sign_in("help@host.test")
    return staff


def test_support_sends_afas_a_code_then_enters_it_and_the_firm_has_its_afas_sync(host: Host) -> None:
    sandbox: AfasSandbox = host.sandboxes["afas"]  # type: ignore[assignment]
    firm = host.firm  # type: ignore[attr-defined]
    url = f"/support/{firm.id}/afas"

    async def go() -> None:
        staff = await _support(host)
        form = (await staff.client.get(url)).text
        assert 'value="send_code"' in form and 'name="otp"' not in form  # the code comes in step two
        mailed = len(sandbox.otp.mailbox)
        step_two = await staff.post(url, {**_otp_form(sandbox), "step": "send_code"})
        assert step_two.status_code == 200, step_two.text
        assert 'name="otp"' in step_two.text and sandbox.otp_user in step_two.text
        for secret in (sandbox.api_key, sandbox.api_token):  # kept by the host, never on the page
            assert secret not in step_two.text
        assert len(sandbox.otp.mailbox) == mailed + 1
        user, code = sandbox.otp.mailbox[-1]
        assert user == sandbox.otp_user
        key = _wait_key(step_two.text)
        wrong = await staff.post(url, {"wait": key, "otp": "00000000" if code != "00000000" else "11111111"})
        assert wrong.status_code == 400 and "not valid" in wrong.text and _wait_key(wrong.text) == key
        admin = host.people["admin"]  # type: ignore[attr-defined]
        assert not [c for c in host.app.connections(admin) if c.connector == "afas"]  # nothing saved yet
        done = await staff.post(url, {"wait": key, "otp": code}, follow_redirects=True)
        assert str(done.url).endswith("/support") and "is set up" in done.text
        made = [c for c in host.app.connections(admin) if c.connector == "afas"]
        assert len(made) == 1 and made[0].level == "support"
        assert host.app.box.open(host.app.store.get_connection(made[0].id).sealed)["state"]["token"] == sandbox.token
        # The kept form is gone with its secrets: the key finishes nothing again.
        again = await staff.post(url, {"wait": key, "otp": code}, follow_redirects=True)
        assert "waited too long" in again.text
        assert len([c for c in host.app.connections(admin) if c.connector == "afas"]) == 1

    run(go())


def test_a_code_step_is_only_its_senders(host: Host) -> None:
    sandbox: AfasSandbox = host.sandboxes["afas"]  # type: ignore[assignment]
    firm = host.firm  # type: ignore[attr-defined]
    url = f"/support/{firm.id}/afas"
    second = host.app.add_support_user("second@host.test")
    host.passwords.set_password(second.email, second.id, "correct horse battery")

    async def go() -> None:
        staff = await _support(host)
        key = _wait_key((await staff.post(url, {**_otp_form(sandbox), "step": "send_code"})).text)
        code = sandbox.otp.mailbox[-1][1]
        other = browser_for(host)
        await other.sign_in(second.email)
        taken = await other.post(url, {"wait": key, "otp": code}, follow_redirects=True)
        assert "waited too long" in taken.text
        assert not [c for c in host.app.connections(host.people["admin"]) if c.connector == "afas"]  # type: ignore[attr-defined]
        # …and the sender still finishes it.
        done = await staff.post(url, {"wait": key, "otp": code}, follow_redirects=True)
        assert "is set up" in done.text

    run(go())


def test_a_firms_admin_or_member_posting_the_support_forms_is_refused_by_the_core(host: Host) -> None:
    sandbox: AfasSandbox = host.sandboxes["afas"]  # type: ignore[assignment]
    firm = host.firm  # type: ignore[attr-defined]
    url = f"/support/{firm.id}/afas"

    async def go() -> None:
        for email in ("anne@dupont.be", "bram@dupont.be"):
            person = browser_for(host)
            await person.sign_in(email)
            mailed = len(sandbox.otp.mailbox)
            sent = await person.post(url, {**_otp_form(sandbox), "step": "send_code"})
            # The core's refusal (sfsync.levels), not the page's: the page let the post through.
            assert sent.status_code == 403 and "set up by support staff" in sent.text, sent.text
            assert len(sandbox.otp.mailbox) == mailed  # no code was asked for
            direct = await person.post(url, {"environment": sandbox.environment, "token": sandbox.token})
            assert direct.status_code == 403 and "set up by support staff" in direct.text
            listed = await person.client.get("/support")
            assert listed.status_code == 403
        admin = host.people["admin"]  # type: ignore[attr-defined]
        assert not [c for c in host.app.connections(admin) if c.connector == "afas"]

    run(go())


def test_the_support_page_lists_every_firm_through_the_core(host: Host) -> None:
    calls: list[str] = []
    listed = host.app.firms

    def counted(user):  # type: ignore[no-untyped-def]
        calls.append(user.role)
        return listed(user)

    host.app.firms = counted  # type: ignore[method-assign]

    async def go() -> None:
        staff = await _support(host)
        page = (await staff.client.get("/support")).text
        for firm in host.app.store.list_firms():
            assert f'data-firm="{firm.id}"' in page
        assert calls == ["support"]

    run(go())


def test_the_code_step_speaks_dutch_and_french(host: Host) -> None:
    url = f"/support/{host.firm.id}/afas"  # type: ignore[attr-defined]

    async def go() -> None:
        staff = await _support(host)
        for language, word in (("nl", "Code versturen"), ("fr", "Envoyer le code")):
            await staff.client.get(f"/language/{language}?next=/support")
            assert word in (await staff.client.get(url)).text

    run(go())
