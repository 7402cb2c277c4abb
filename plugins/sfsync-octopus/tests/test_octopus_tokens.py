"""Both Octopus tokens live 10 minutes: a sync that outlives them renews them and keeps its place."""

from __future__ import annotations

from sfsync.models import Granularity
from sfsync.testing.checks_books import assert_matches_truth
from sfsync.testing.figures import fetched, ledger_snapshot

from .conftest import linked

TEN_MINUTES_AND_A_BIT = 601


def _reference_lines(harness, ref):  # type: ignore[no-untyped-def]
    dossier = linked(harness, ref)
    run = harness.sync(dossier)
    assert run.status == "ok", run.error
    return fetched(run, Granularity.TRANSACTIONS)


def test_tokens_that_expire_mid_sync_are_renewed_without_losing_the_place(harness, sandbox, clock):
    """Ten minutes pass after the first ledger batch: both tokens are dead on Octopus's side and
    by the connector's clock; the run renews them and reads every line exactly once."""
    ref = sandbox.company_refs()[0]
    total = _reference_lines(harness, ref)
    dossier = linked(harness, ref)
    logins = sandbox.tokens.issued_logins
    run, _ = harness.sync_until(dossier, 1, action=lambda: clock.advance(TEN_MINUTES_AND_A_BIT))
    assert run is not None and run.status == "ok", run and run.error
    assert sandbox.tokens.issued_logins == logins + 2  # this run's login, and the renewed one
    assert fetched(run, Granularity.TRANSACTIONS) == total, "the renewed run re-read or skipped lines"
    assert_matches_truth(harness, dossier.id, sandbox.truth(ref))


def test_tokens_octopus_drops_early_are_renewed_on_its_401(harness, sandbox):
    """Octopus refuses both tokens before they are due (a restart): the 401 is answered by a new
    dossier token, which needs a new login; the same call is sent again."""
    ref = sandbox.company_refs()[1]
    total = _reference_lines(harness, ref)
    dossier = linked(harness, ref)
    before = (sandbox.tokens.issued_logins, sandbox.tokens.issued_dossier_tokens)
    run, _ = harness.sync_until(dossier, 2, action=sandbox.expire_tokens)
    assert run is not None and run.status == "ok", run and run.error
    assert (sandbox.tokens.issued_logins, sandbox.tokens.issued_dossier_tokens) == (before[0] + 2, before[1] + 2)
    assert fetched(run, Granularity.TRANSACTIONS) == total
    assert set(ledger_snapshot(harness, dossier.id)) == set(sandbox.truth(ref).line_places)


def test_a_dossier_token_opens_only_its_own_dossier(harness, sandbox):
    """The sandbox is strict as Octopus: another dossier's token is refused (401)."""
    import asyncio

    import httpx

    async def call() -> int:
        async with httpx.AsyncClient(transport=sandbox.transports()[sandbox.base_urls[0]], base_url=sandbox.base_urls[0]) as client:
            login = await client.post("/authentication", json={"user": sandbox.user, "password": sandbox.password},
                                      headers={"softwareHouseUuid": sandbox.software_house})
            token = (await client.post("/dossiers", params={"dossierId": "1001"},
                                       headers={"Token": login.json()["token"]})).json()["Dossiertoken"]
            own = await client.get("/dossiers/1001/bookyears", headers={"dossierToken": token})
            other = await client.get("/dossiers/1002/bookyears", headers={"dossierToken": token})
            assert own.status_code == 200
            return other.status_code

    assert asyncio.run(call()) == 401
