"""The host's safety, over HTTP: passwords are hashed, every POST needs the session's CSRF token,
a member posting admin forms directly is refused by the core, another firm's ids are not found,
no secret reaches a page, and every answer carries the security headers."""

from __future__ import annotations

import asyncio
import re
import sqlite3

import pytest
from sfsync.sandbox import connect_sandbox
from sfsync.web.app import routes
from sfsync.web.host import Host
from sfsync.web.sandbox_gateway import PREFIX

from .conftest import PASSWORD, browser_for


def run(coroutine):  # type: ignore[no-untyped-def]
    return asyncio.run(coroutine)


def test_passwords_are_stored_as_argon2_hashes_and_a_wrong_one_is_refused(host: Host) -> None:
    rows = sqlite3.connect(host.settings.db).execute("SELECT email, password_hash FROM web_accounts").fetchall()
    assert rows and all(digest.startswith("$argon2id$") and PASSWORD not in digest for _, digest in rows)

    async def go() -> None:
        browser = browser_for(host)
        refused = await browser.sign_in("anne@dupont.be", "wrong password!")
        assert refused.status_code == 401 and "wrong" in refused.text
        assert (await browser.client.get("/dossiers")).status_code == 303  # still signed out
        assert (await browser.sign_in("anne@dupont.be")).status_code == 303
        assert (await browser.client.get("/dossiers")).status_code == 200

    run(go())


def test_every_post_route_refuses_a_form_without_the_csrf_token(host: Host) -> None:
    # The sandbox gateway stands in for the package's own login page (sandbox mode only): its
    # form is the package's, not the host's.
    posts = [r for r in routes(host) if "POST" in getattr(r, "methods", set())
             and not r.path.startswith(PREFIX)]
    assert len(posts) >= 10

    async def go() -> None:
        browser = browser_for(host)
        await browser.sign_in("anne@dupont.be")
        for route in posts:
            path = re.sub(r"\{(\w+)(:\w+)?\}", "x", route.path)  # type: ignore[attr-defined]
            answer = await browser.client.post(path, data={"name": "Sneaky"})
            assert answer.status_code == 403, (route.path, answer.status_code)  # type: ignore[attr-defined]
            forged = await browser.client.post(path, data={"name": "Sneaky", "csrf": "forged"})
            assert forged.status_code == 403, route.path  # type: ignore[attr-defined]
        assert not host.app.status(host.people["admin"])  # type: ignore[attr-defined]

    run(go())


def test_a_member_posting_admin_forms_directly_is_refused_by_the_core(host: Host) -> None:
    async def go() -> None:
        admin_user = host.people["admin"]  # type: ignore[attr-defined]
        yuki = host.sandboxes["yuki"]
        connection = await connect_sandbox(host.app, admin_user, "yuki", yuki)
        member = browser_for(host)
        await member.sign_in("bram@dupont.be")
        page = (await member.client.get("/syncs")).text
        assert "/remove" not in page and "Add a new sync" not in page  # not shown…
        # …and refused when posted anyway: the core decides, not the template.
        removed = await member.post(f"/syncs/{connection.id}/remove")
        assert removed.status_code == 403 and "only an admin" in removed.text
        connected = await member.post("/syncs/new/yuki", {"access_key": "anything"})
        assert connected.status_code == 403
        exact = await member.post("/syncs/new/exact-be")
        assert exact.status_code == 403
        assert [c.id for c in host.app.connections(admin_user)] == [connection.id]

    run(go())


def test_another_firms_ids_are_not_found(host: Host) -> None:
    async def go() -> None:
        admin_user = host.people["admin"]  # type: ignore[attr-defined]
        dossier = host.app.create_dossier(admin_user, "Jansen")
        connection = await connect_sandbox(host.app, admin_user, "yuki", host.sandboxes["yuki"])
        intruder = browser_for(host)
        await intruder.sign_in("claire@martin.be")
        for path in (f"/dossiers/{dossier.id}", f"/dossiers/{dossier.id}/figures", f"/dossiers/{dossier.id}/history",
                     f"/dossiers/{dossier.id}/settings", f"/dossiers/{dossier.id}/progress",
                     f"/syncs/{connection.id}/reconsent"):
            answer = await intruder.client.get(path)
            assert answer.status_code == 404, path
            assert "Jansen" not in answer.text
        for path in (f"/dossiers/{dossier.id}/sync", f"/dossiers/{dossier.id}/unlink", f"/syncs/{connection.id}/remove"):
            assert (await intruder.post(path)).status_code == 404, path
        assert "Jansen" not in (await intruder.client.get("/dossiers")).text
        assert host.app.connections(admin_user)

    run(go())


def test_no_secret_is_rendered_and_every_answer_has_the_security_headers(host: Host) -> None:
    async def go() -> None:
        admin_user = host.people["admin"]  # type: ignore[attr-defined]
        yuki = host.sandboxes["yuki"]
        connection = await connect_sandbox(host.app, admin_user, "yuki", yuki)
        dossier = host.app.create_dossier(admin_user, "Jansen")
        await host.app.link(admin_user, dossier.id, connection.id, yuki.company_refs()[0], mode="replace")
        await host.app.sync(dossier.id)
        exact = await connect_sandbox(host.app, admin_user, "exact-be", host.sandboxes["exact-be"])
        sealed = host.app.box.open(host.app.store.get_connection(exact.id).sealed)
        tokens = [str(v) for k, v in (sealed.get("tokens") or {}).items() if "token" in k and v]
        assert tokens, sealed.keys()
        secrets = [v for v in yuki.connection_secrets().values() if v]
        secrets += [*host.sandboxes["exact-be"].connection_secrets().values(), *tokens]
        browser = browser_for(host)
        await browser.sign_in("anne@dupont.be")
        pages = ["/dossiers", "/syncs", "/syncs/new", "/syncs/new/yuki", f"/syncs/{connection.id}/reconsent",
                 f"/dossiers/{dossier.id}", f"/dossiers/{dossier.id}/settings", f"/dossiers/{dossier.id}/figures",
                 f"/dossiers/{dossier.id}/history"]
        for path in pages:
            answer = await browser.client.get(path)
            assert answer.status_code == 200, path
            for secret in [*secrets, PASSWORD]:
                assert secret not in answer.text, path
            assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
            assert "script-src 'self'" in answer.headers["content-security-policy"]
            assert answer.headers["x-content-type-options"] == "nosniff"
            assert answer.headers["referrer-policy"] == "strict-origin-when-cross-origin"
        cookie = next(c for c in browser.client.cookies.jar if c.name == "sfsync_session")
        assert PASSWORD not in cookie.value and "anne" not in cookie.value

    run(go())


@pytest.mark.parametrize(("language", "word"), [("nl", "Nieuw dossier"), ("fr", "Nouveau dossier"), ("en", "New dossier")])
def test_the_pages_speak_the_chosen_language(host: Host, language: str, word: str) -> None:
    async def go() -> None:
        browser = browser_for(host)
        await browser.sign_in("anne@dupont.be")
        await browser.client.get(f"/language/{language}?next=/dossiers")
        assert word in (await browser.client.get("/dossiers")).text

    run(go())
