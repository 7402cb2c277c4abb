"""WinBooks on Web's REST API as a generic Swagger client sees it, against the served sandbox.

No Python client of WinBooks on Web is on PyPI (see pyproject.toml; the vendor's client is .NET,
whitecube's is PHP). bravado is loaded with a Swagger document written from the facts the plugin
records (``specs/winbooks-on-web.json``) and validates requests and answers: the exchange token
turned into OAuth tokens at ``/OAuth20/Token`` (Basic e-mail, form body), a refresh, Get All
followed through its ``ContinuePath`` chunks, and a criteria page of GLTransHeaders.
"""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bravado.client import SwaggerClient
from sfsync.clock import Clock
from sfsync_winbooks_online.sandbox import WinbooksSandbox

SPEC = Path(__file__).parent / "specs" / "winbooks-on-web.json"
BRAVADO = {"validate_responses": True, "validate_requests": True, "validate_swagger_spec": True, "use_models": False}
HEADER_TYPE = "Winbooks.TORM.OM.Accounting.GLTransHeader, Winbooks.TORM.OM"


def _client(base: str) -> Any:
    spec = json.loads(SPEC.read_text())
    served = urlsplit(base)
    spec["host"], spec["schemes"] = served.netloc, [served.scheme]
    return SwaggerClient.from_spec(spec, origin_url=base, config=BRAVADO)


def test_bravado_exchanges_the_token_and_reads_a_folder(serve):
    sandbox = WinbooksSandbox(clock=Clock())
    sandbox.chunk = 5
    client = _client(serve(sandbox.app))
    basic = "Basic " + base64.b64encode(sandbox.email.encode()).decode()
    tokens = client.OAuth.token(Authorization=basic, grant_type="exchange_token", code=sandbox.exchange_token).response().result
    refreshed = client.OAuth.token(Authorization=basic, grant_type="refresh_token", code=tokens["refresh_token"]).response().result
    bearer = f"Bearer {refreshed['access_token']}"
    folders = client.Folders.getFolders(Authorization=bearer).response().result
    assert [f["Code"] for f in folders] == list(sandbox.folders)
    code = folders[0]["Code"]
    accounts, following = [], None
    while True:
        answer = client.GetAll.getAllGLAccounts(Authorization=bearer, folder=code, maxLevel=1, ContinuePath=following).response()
        accounts += answer.result
        following = answer.incoming_response.headers.get("ContinuePath")
        if not following:
            break
    assert len(accounts) == 10  # two full chunks of five
    headers = client.Criteria.criteriaGLTransHeaders(Authorization=bearer, folder=code, maxLevel=2, criteria={
        "EntityType": HEADER_TYPE, "Conditions": [], "FirstResult": 0, "MaxResult": 100,
        "Orders": [{"PropertyName": "Modified", "Alias": None, "Projections": None, "Ascending": True}],
    }).response().result
    assert headers and all(h["GLTransactions"] for h in headers)
    # bravado reads JSON numbers as floats; money is compared as Decimal of their shortest text.
    assert all(sum(Decimal(str(t["Amount"])) for t in h["GLTransactions"]) == 0 for h in headers)
