"""BoCount keeps the company id it found for a VAT number: a night does not look the company up
again, and a kept id BoCount no longer knows (the company made again) is looked up once more."""

from __future__ import annotations

import uuid

from sfsync_businesscentral.connector import COMPANY_IDS

REF = "BE0765432198"


def _kept(harness):  # type: ignore[no-untyped-def]
    """The company ids kept in the connection's (sealed) state."""
    sealed = harness.app.store.get_connection(harness.connection.id).sealed
    return harness.app.box.open(sealed).get("state", {}).get(COMPANY_IDS, {})


def _lookups(sandbox, harness, dossier):  # type: ignore[no-untyped-def]
    """The night's run and how often it asked the companies collection."""
    asked: list[str] = []
    for inner in list(harness.app.transports.values()):
        original = inner.handle_async_request

        async def spy(request, _original=original):  # type: ignore[no-untyped-def]
            asked.append(request.url.path)
            return await _original(request)

        inner.handle_async_request = spy  # type: ignore[method-assign]
    run = harness.sync(dossier)
    return run, [p for p in asked if p.rstrip("/").endswith("/companies")]


def test_a_night_does_not_look_the_company_up_again(bocount):  # type: ignore[no-untyped-def]
    sandbox, harness = bocount
    dossier = harness.new_dossier(company_ref=REF)
    assert harness.sync(dossier).status == "ok"
    assert _kept(harness) == {REF: str(sandbox.company(REF).id)}
    run, lookups = _lookups(sandbox, harness, dossier)
    assert run.status == "ok", run.error
    assert lookups == []


def test_a_company_made_again_is_found_at_its_new_id(bocount):  # type: ignore[no-untyped-def]
    sandbox, harness = bocount
    dossier = harness.new_dossier(company_ref=REF)
    assert harness.sync(dossier).status == "ok"
    company = sandbox.company(REF)
    company.id = str(uuid.uuid4())  # deleted and made again under the same VAT number
    run, lookups = _lookups(sandbox, harness, dossier)
    assert run.status == "ok", run.error
    assert len(lookups) == 1
    assert _kept(harness) == {REF: company.id}
