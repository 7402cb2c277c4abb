"""e-conomic's token authentication as the dossier's approval step: the request URL, the grant
handed back on the redirect, one agreement per grant bound to its dossier, the app secret token
kept secret, and a revoked grant that needs the dossier's user to approve again."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sfsync.access import UNKNOWN_STATE
from sfsync.clock import FakeClock
from sfsync.errors import AuthError, NeedsReconsent, NotFound
from sfsync.testing.harness import ContractHarness
from sfsync_economic.auth import REQUEST_ACCESS_URL, economic_auth_spec
from sfsync_economic.sandbox import APP_PUBLIC_TOKEN, APP_SECRET_TOKEN, EconomicSandbox

START = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def harness(tmp_path):
    sandbox = EconomicSandbox(clock=FakeClock(START))
    made = ContractHarness.create("economic", tmp_path, sandbox=sandbox)
    yield made
    made.close()


def test_the_request_url_names_the_app_and_carries_state_inside_the_redirect():
    pending = economic_auth_spec().start(client_id=APP_PUBLIC_TOKEN, redirect_uri="http://127.0.0.1:8765/callback")
    parts = urlsplit(pending.authorize_url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == REQUEST_ACCESS_URL
    query = parse_qs(parts.query)
    assert query["appPublicToken"] == [APP_PUBLIC_TOKEN]
    back = urlsplit(query["redirectUrl"][0])
    assert back.path == "/callback" and parse_qs(back.query)["state"] == [pending.state]
    assert "code_challenge" not in query and "client_secret" not in query


def test_approval_binds_the_grant_to_the_dossier_and_keeps_it_sealed(harness):
    sandbox: EconomicSandbox = harness.sandbox
    dossier = harness.new_dossier()
    link = harness.app.store.get_link(dossier.id)
    assert link is not None
    connection = harness.app.store.get_connection(link.connection_id)
    assert connection.level == "dossier" and connection.owner_dossier_id == dossier.id
    grant = next(iter(sandbox.access.grants))
    assert grant.encode() not in connection.sealed and APP_SECRET_TOKEN.encode() not in connection.sealed
    opened = harness.app.box.open(connection.sealed)
    assert opened["tokens"]["access_token"] == grant and opened["state"]["agreement"] == sandbox.companies[0].agreement
    assert grant not in repr(connection) and APP_SECRET_TOKEN not in repr(connection)


def test_each_dossier_approves_its_own_agreement(harness):
    sandbox: EconomicSandbox = harness.sandbox
    refs = sandbox.all_company_refs()
    dossiers = []
    for ref in refs[:2]:
        sandbox.pick_company(ref)
        dossiers.append(harness.new_dossier(company_ref=ref))
    for dossier, ref in zip(dossiers, refs[:2], strict=True):
        assert harness.sync(dossier).status == "ok"
        truth = sandbox.truth(ref)
        assert {line.id for line in harness.app.store.ledger_lines(dossier.id)} == set(truth.line_places)
    # A grant for one agreement cannot be linked to another.
    sandbox.pick_company(refs[2])
    other = harness.app.create_dossier(harness.admin, "other")
    connection = harness.connect(dossier=other)
    with pytest.raises(NotFound, match=f"no company '{refs[0]}'.*it can see: {refs[2]}"):
        harness.relink(other, company_ref=refs[0], connection=connection)


def test_a_revoked_grant_needs_reconsent_and_a_new_approval_resumes(harness):
    sandbox: EconomicSandbox = harness.sandbox
    dossier = harness.new_dossier()
    assert harness.sync(dossier).status == "ok"
    sandbox.revoke()
    run = harness.sync(dossier)
    assert run.status == "failed" and run.error_kind == "NeedsReconsent"
    assert "approve the app again" in (run.error or "")
    link = harness.app.store.get_link(dossier.id)
    assert link is not None
    assert harness.app.store.get_connection(link.connection_id).status == "needs_reconsent"
    harness.reconsent(harness.app.store.get_connection(link.connection_id), dossier=dossier)
    assert harness.sync(dossier).status == "ok"


def test_a_wrong_app_secret_token_is_an_auth_error_without_the_secret(harness):
    with pytest.raises(AuthError) as caught:
        harness.connect(secrets={"client_secret": "wrong-app-secret-token"})
    assert not isinstance(caught.value, NeedsReconsent)
    assert "wrong-app-secret-token" not in str(caught.value) and "app secret token" in str(caught.value)


def test_a_callback_without_a_grant_or_with_another_state_is_refused(harness):
    app = harness.app
    dossier = app.create_dossier(harness.admin, "refused")
    pending = app.start_oauth(harness.admin, "economic", redirect_uri="http://127.0.0.1:8765/callback",
                              client_id=APP_PUBLIC_TOKEN, client_secret=APP_SECRET_TOKEN, dossier_id=dossier.id)
    with pytest.raises(AuthError, match="without an agreement grant token"):
        asyncio.run(app.finish_oauth(harness.admin, f"http://127.0.0.1:8765/callback?state={pending.state}"))
    with pytest.raises(AuthError, match=re.escape(UNKNOWN_STATE)):
        asyncio.run(app.finish_oauth(harness.admin, "http://127.0.0.1:8765/callback?state=forged&token=x"))


def test_the_api_refuses_calls_without_both_headers():
    sandbox = EconomicSandbox(clock=FakeClock(START))
    grant = sandbox.issue_grant(sandbox.all_company_refs()[0])

    async def call(headers: dict[str, str]) -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.app)) as client:
            return await client.get("https://restapi.e-conomic.com/self", headers=headers)

    missing_grant = asyncio.run(call({"X-AppSecretToken": APP_SECRET_TOKEN}))
    missing_secret = asyncio.run(call({"X-AgreementGrantToken": grant}))
    both = asyncio.run(call({"X-AppSecretToken": APP_SECRET_TOKEN, "X-AgreementGrantToken": grant}))
    assert missing_grant.status_code == missing_secret.status_code == 401
    assert missing_grant.json()["errorCode"] != missing_secret.json()["errorCode"]
    assert both.status_code == 200 and both.json()["agreementNumber"] == sandbox.companies[0].agreement
