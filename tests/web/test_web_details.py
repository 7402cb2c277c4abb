"""A dossier's administrative link over HTTP (no browser): an admin connects AdminPulse; the
dossier's sync settings set the link up beside the accounting one (package, then client, each a
GET step without JavaScript), saving fetches the data and the dossier page shows them; the link
is changed to another client, then removed with the data kept. AdminPulse brings no figures, so
it is no choice for the accounting sync."""

from __future__ import annotations

import asyncio
import html

from sfsync.sandbox import connect_sandbox
from sfsync.web.host import Host

from .conftest import browser_for


def run(coroutine):  # type: ignore[no-untyped-def]
    return asyncio.run(coroutine)


def test_a_dossier_gets_its_administrative_data_from_adminpulse_beside_its_figures(host: Host) -> None:
    admin = host.people["admin"]  # type: ignore[attr-defined]

    async def go() -> None:
        adminpulse = await connect_sandbox(host.app, admin, "adminpulse", host.sandboxes["adminpulse"])
        companies = {c.name: c for c in await host.app.list_companies(admin, adminpulse.id)}
        peeters, lambert = companies["Bakkerij Peeters"], companies["Transports Lambert"]
        dossier = host.app.create_dossier(admin, "Bakkerij Peeters")
        person = browser_for(host)
        await person.sign_in("bram@dupont.be")  # a member sets it up: the core allows it
        settings = f"/dossiers/{dossier.id}/settings"
        page = (await person.client.get(settings)).text
        assert 'id="details"' in page and f'<option value="{adminpulse.id}"' in page
        # Only in the administrative section: AdminPulse brings no figures to sync.
        accounting = page[page.index('id="choose"'):page.index('id="details"')]
        assert adminpulse.id not in accounting
        step = (await person.client.get(settings, params={"details": adminpulse.id, "details_q": "peet"})).text
        assert "Bakkerij Peeters" in step and "Transports Lambert" not in step  # the server's search
        chosen = (await person.client.get(settings, params={"details": adminpulse.id,
                                                            "details_company": peeters.ref})).text
        assert 'id="details-save"' in chosen
        saved = await person.post(f"/dossiers/{dossier.id}/details",
                                  {"details": adminpulse.id, "details_company": peeters.ref})
        assert saved.status_code == 303 and saved.headers["location"] == f"/dossiers/{dossier.id}"
        await host.progress.wait()
        record = host.app.company_details(admin, dossier.id)
        assert record is not None and record.details.name == "Bakkerij Peeters"
        shown = html.unescape((await person.client.get(f"/dossiers/{dossier.id}")).text)
        section = shown[shown.index('id="administrative"'):]
        assert record.details.vat_number and record.details.vat_number in section
        assert record.details.enterprise_number and record.details.enterprise_number in section
        assert "Bakkerij Peeters" in section
        # Change it to another client: the link follows, the next fetch brings that client.
        page = (await person.client.get(settings)).text
        assert "Client data now from" in page and "Bakkerij Peeters" in page
        await person.post(f"/dossiers/{dossier.id}/details", {"details": adminpulse.id, "details_company": lambert.ref})
        await host.progress.wait()
        status = next(s for s in host.app.status(admin) if s.dossier.id == dossier.id)
        assert status.admin_link is not None and status.admin_link.company_ref == lambert.ref
        assert host.app.company_details(admin, dossier.id).details.name == "Transports Lambert"  # type: ignore[union-attr]
        # Remove it: no more administrative link, what was fetched stays.
        removed = await person.post(f"/dossiers/{dossier.id}/details/remove", follow_redirects=True)
        assert "administrative link is removed" in removed.text and "Client data now from" not in removed.text
        status = next(s for s in host.app.status(admin) if s.dossier.id == dossier.id)
        assert status.admin_link is None
        assert "Transports Lambert" in (await person.client.get(f"/dossiers/{dossier.id}")).text

    run(go())


def test_another_firm_cannot_link_a_dossier_to_our_administrative_package(host: Host) -> None:
    admin = host.people["admin"]  # type: ignore[attr-defined]

    async def go() -> None:
        adminpulse = await connect_sandbox(host.app, admin, "adminpulse", host.sandboxes["adminpulse"])
        ref = (await host.app.list_companies(admin, adminpulse.id))[0].ref
        other = host.people["other"]  # type: ignore[attr-defined]
        theirs = host.app.create_dossier(other, "Their client")
        intruder = browser_for(host)
        await intruder.sign_in(other.email)
        refused = await intruder.post(f"/dossiers/{theirs.id}/details", {"details": adminpulse.id, "details_company": ref},
                                      follow_redirects=True)
        # Refused by the core like a connection that does not exist (nothing confirms it is ours).
        assert f"no connection {adminpulse.id!r}" in html.unescape(refused.text), refused.text
        assert next(s for s in host.app.status(other) if s.dossier.id == theirs.id).admin_link is None

    run(go())
