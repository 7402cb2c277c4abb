"""``exactonline`` (ossobv), a widely used Exact Online client, against the served Exact sandbox.

The client speaks HTTPS only and verifies certificates, so the sandbox is served with a
certificate from a throwaway CA (trustme) that the test trusts. The client runs its own
authorization-code exchange, picks the current division from ``current/Me``, checks a division
with the ``crm/Accounts`` probe, reads relations and ledger accounts, and refreshes its token."""

from __future__ import annotations

import asyncio
import ssl
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import trustme
from exactonline.api import ExactApi
from exactonline.http import HTTPError
from exactonline.resource import GET
from exactonline.storage.ini import IniStorage
from sfsync.clock import FakeClock
from sfsync_exact.sandbox import ExactSandbox

REDIRECT = "https://app.example/exact/callback"


@pytest.fixture
def tls(tmp_path, monkeypatch) -> dict[str, str]:  # type: ignore[no-untyped-def]
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    certfile, keyfile, cafile = tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "ca.pem"
    cert.private_key_and_cert_chain_pem.write_to_path(str(certfile))
    cert.private_key_pem.write_to_path(str(keyfile))
    ca.cert_pem.write_to_path(str(cafile))
    monkeypatch.setenv("SSL_CERT_FILE", str(cafile))  # what ssl.create_default_context() trusts
    return {"certfile": str(certfile), "keyfile": str(keyfile), "cafile": str(cafile)}


def _storage(path: str, sandbox: ExactSandbox, url: str) -> IniStorage:
    storage = IniStorage(path)
    storage.set("server", "auth_url", f"{url}/api/oauth2/auth")
    storage.set("server", "rest_url", f"{url}/api")
    storage.set("server", "token_url", f"{url}/api/oauth2/token")
    storage.set("application", "base_url", REDIRECT)
    storage.set("application", "client_id", sandbox.client_id)
    storage.set("application", "client_secret", sandbox.connection_secrets()["client_secret"])
    return storage


def test_exactonline_logs_in_selects_a_division_and_reads(serve, tls, tmp_path):
    clock = FakeClock()
    sandbox = ExactSandbox("be", clock=clock)
    url = serve(sandbox.app, certfile=tls["certfile"], keyfile=tls["keyfile"])
    api = ExactApi(storage=_storage(str(tmp_path / "exact.ini"), sandbox, url))

    async def consent() -> str:
        async with httpx.AsyncClient(verify=ssl.create_default_context(cafile=tls["cafile"])) as client:
            return await sandbox.authorize(client, api.create_auth_request_url())

    code = parse_qs(urlsplit(asyncio.run(consent())).query)["code"][0]
    api.request_token(code)  # the client's own code exchange
    first_refresh = api.storage.get_refresh_token()

    choices, current = api.get_divisions()  # current/Me, then hrm/Divisions
    assert current in sandbox.store.divisions and set(choices) <= set(sandbox.store.divisions)
    other = next(c for c in sandbox.store.divisions if c != current)
    api.set_division(other)  # probes crm/Accounts?$select=ID&$filter=Name eq 'DOES_NOT_EXIST'
    assert api.storage.get_division() == other

    suppliers = api.relations.filter(filter="IsSupplier eq true")
    assert {r["Name"] for r in suppliers} == set(sandbox.division(other).chart.suppliers)
    # The client pads a relation code to 18 characters, as Exact stores crm codes.
    wanted = suppliers[0]
    assert api.relations.get(relation_code=wanted["Code"].strip())["ID"] == wanted["ID"]
    ledger = api.restv1(GET("financial/GLAccounts?$select=Code,Description"))
    assert {row["Code"] for row in ledger} == set(sandbox.division(other).glaccounts)

    # As Exact: no new access token before 9.5 minutes; then a new, single-use refresh token.
    with pytest.raises(HTTPError, match="access_token not expired"):
        api.refresh_token()
    clock.advance(600)
    api.refresh_token()
    assert api.storage.get_refresh_token() != first_refresh
    assert api.relations.filter(filter="IsSupplier eq false")
