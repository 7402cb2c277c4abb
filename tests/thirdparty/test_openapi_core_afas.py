"""AFAS Profit's REST API as a generic OpenAPI client sees it, against the served AFAS sandbox.

No maintained Python client of AFAS Profit is on PyPI (afas-connector 0.1.5 has had no release
since July 2024), so the client here is what a Python integration uses instead: AFAS's own
OpenAPI 3 documents (read by path from ``shared/reference/specs/afas-profit``, never copied: their
licence is unclear) loaded into openapi-core, which validates every request the integration makes
and every answer the sandbox gives, with requests on the wire and AFAS's ``AfasToken`` header.

AFAS's documents declare no field ``nullable`` while AFAS writes an empty field as ``null`` (its
own get-connector page shows ``"AddressAdd": null``); the documents are loaded with primitive
properties made nullable. Two more places where the documents are narrower than AFAS's own
guide, found by this client: ``operatortypes`` is typed a number, so a filter of several conditions
(``1;1``, as get-connector.md shows) is sent without request validation; and the global
``AfasToken`` requirement also covers ``/OtpRequest`` and ``/OtpValidation``, which exist to obtain
a token (their bodies carry the App Connector's keys), so those two are loaded without it.
"""

from __future__ import annotations

import base64
import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest
import requests
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
from sfsync_afas.sandbox import AfasSandbox

SPECS = Path(os.environ.get("SFSYNC_AFAS_SPECS") or Path(__file__).resolve().parents[2].parent / "shared/reference/specs/afas-profit")


def _nullable(node: Any) -> Any:
    if isinstance(node, dict):
        out = {k: _nullable(v) for k, v in node.items()}
        if out.get("type") in ("string", "integer", "number", "boolean"):
            out["nullable"] = True
        return out
    if isinstance(node, list):
        return [_nullable(v) for v in node]
    return node


def _openapi(name: str, base: str) -> OpenAPI:
    if not (SPECS / name).exists():
        pytest.skip(f"AFAS's OpenAPI documents are not at {SPECS} (set SFSYNC_AFAS_SPECS)")
    document = _nullable(copy.deepcopy(json.loads((SPECS / name).read_text())))
    document["servers"] = [{"url": f"{base}/ProfitRestServices"}]
    for path in ("/OtpRequest", "/OtpValidation"):
        if path in document["paths"]:
            document["paths"][path]["post"]["security"] = []
    return OpenAPI.from_dict(document)


class Integration:
    """An AFAS integration as its developers write one: requests, the token header, the spec."""

    def __init__(self, base: str, token: str, openapi: OpenAPI) -> None:
        self.base, self.openapi = f"{base}/ProfitRestServices", openapi
        self.session = requests.Session()
        self.session.headers.update({"Authorization": "AfasToken " + base64.b64encode(token.encode()).decode(),
                                     "Accept": "application/json"})

    def call(self, method: str, path: str, *, check_request: bool = True, **kwargs: Any) -> requests.Response:
        prepared = self.session.prepare_request(requests.Request(method, self.base + path, **kwargs))
        if check_request:
            self.openapi.validate_request(RequestsOpenAPIRequest(prepared))
        response = self.session.send(prepared, timeout=30)
        if response.status_code == 200:
            self.openapi.validate_response(RequestsOpenAPIRequest(prepared), RequestsOpenAPIResponse(response))
        return response

    def rows(self, connector: str, **params: str) -> list[dict[str, Any]]:
        """Every row, paged with skip/take in a fixed order, as AFAS asks."""
        out: list[dict[str, Any]] = []
        take = int(params.pop("take", "500"))
        single = ";" not in params.get("operatortypes", "") and "," not in params.get("operatortypes", "")
        while True:
            response = self.call("GET", f"/connectors/{connector}", check_request=single,
                                 params={**params, "skip": len(out), "take": take})
            assert response.status_code == 200, response.text
            page = response.json()["rows"]
            out += page
            if len(page) < take:
                return out


@pytest.fixture
def served(serve):  # type: ignore[no-untyped-def]
    sandbox = AfasSandbox()
    return sandbox, serve(sandbox.app)


def test_an_integration_reads_every_getconnector_the_connector_uses(served):
    sandbox, base = served
    client = Integration(base, sandbox.token, _openapi("Mutaties.json", base))
    admins = client.rows("Profit_Administrations", orderbyfieldids="AdminId")
    assert [a["AdminCd"] for a in admins] == ["JANSEN", "VDAMME", "DESMET"]
    lines = client.rows("Profit_Transactions", orderbyfieldids="Year,EntryNo,SeqNo", filterfieldids="UnitId",
                        filtervalues="1", operatortypes="1", take="300")
    assert len(lines) == len(sandbox.by_ref["1"].lines)
    assert len({(r["Year"], r["EntryNo"], r["SeqNo"]) for r in lines}) == len(lines)  # paged without doubles
    debit = sum(round(r["AmtDebit"] * 100) for r in lines)
    credit = sum(round(r["AmtCredit"] * 100) for r in lines)
    assert debit == credit
    balances = client.rows("Profit_Period_balance", orderbyfieldids="Year,Period,AccountNr",
                           filterfieldids="UnitId;UnitId", filtervalues="1;2", operatortypes="1;1")
    assert {r["UnitId"] for r in balances} == {1, 2}
    for connector, order in (("Profit_Accounts", "Account"), ("Profit_periods_per_administration", "Unit,Year,Period"),
                             ("Profit_Journals", "UnitId,JournalId"), ("Profit_Fin_ChangedEntrydate", "-Modified")):
        assert client.rows(connector, orderbyfieldids=order)


def test_metainfo_and_the_catalogue_conform(served):
    sandbox, base = served
    client = Integration(base, sandbox.token, _openapi("Overige.json", base))
    meta = client.call("GET", "/Metainfo/get/Profit_Transactions")
    assert meta.status_code == 200 and {f["id"] for f in meta.json()["fields"]} >= {"EntryNo", "Modified"}
    catalogue = client.call("GET", "/MetaInfo")
    assert "Profit_Transactions" in {c["id"] for c in catalogue.json()["getConnectors"]}


def test_the_otp_flow_gives_a_token_that_reads(served):
    sandbox, base = served
    openapi = _openapi("Inrichting.json", base)
    anonymous = requests.Session()
    body = {"apiKey": sandbox.api_key, "apiToken": sandbox.api_token, "userId": sandbox.otp_user}
    for path, payload in (("/OtpRequest", body),):
        prepared = anonymous.prepare_request(requests.Request("POST", f"{base}/ProfitRestServices{path}", json=payload))
        openapi.validate_request(RequestsOpenAPIRequest(prepared))
        assert anonymous.send(prepared, timeout=30).status_code == 200
    code = sandbox.otp.mailbox[-1][1]
    prepared = anonymous.prepare_request(requests.Request("POST", f"{base}/ProfitRestServices/OtpValidation",
                                                          json={**body, "otp": code}))
    openapi.validate_request(RequestsOpenAPIRequest(prepared))
    answer = anonymous.send(prepared, timeout=30)
    openapi.validate_response(RequestsOpenAPIRequest(prepared), RequestsOpenAPIResponse(answer))
    token = answer.json()["token"]
    reader = Integration(base, token, _openapi("Mutaties.json", base))
    assert reader.rows("Profit_Administrations", orderbyfieldids="AdminId")


def test_a_wrong_token_is_401_and_bad_paging_is_afas_s_error_body(served):
    sandbox, base = served
    wrong = Integration(base, "<token><version>1</version><data>00</data></token>", _openapi("Mutaties.json", base))
    assert wrong.call("GET", "/connectors/Profit_Accounts").status_code == 401
    right = Integration(base, sandbox.token, _openapi("Mutaties.json", base))
    response = right.call("GET", "/connectors/Profit_Accounts", params={"skip": 2, "take": -1})
    assert response.status_code == 500
    assert set(response.json()) == {"externalMessage", "errorNumber", "profitLogReference"}
