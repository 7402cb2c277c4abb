"""The sandbox answers what clients written for the real Twinfield send, not only what sfsync
sends: browse 030_3's documented columns, a signed ``id_token`` for ``openid``, and the legacy
``session.asmx`` logon whose ``SessionID`` the cluster takes."""

from __future__ import annotations

import asyncio
import base64
import json
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree
from sfsync_twinfield import client
from sfsync_twinfield.browse import browse, column
from sfsync_twinfield.sandbox import TwinfieldSandbox
from sfsync_twinfield.sandbox_browse import LINE_030_3

REDIRECT = "http://127.0.0.1:8765/callback"
TW = client.NS_TWIN
run = asyncio.run


# --- browse 030_3 ---------------------------------------------------------------------------------


def test_browse_030_3_serves_its_documented_columns(connected):
    asked = ["fin.trs.line.dim1", "fin.trs.line.basevaluesigned", *sorted(LINE_030_3)]
    rows = run(browse(connected.ctx, "001", "030_3", [
        column("fin.trs.head.yearperiod", "between", "2025/00", "2025/55"),
        *(column(field) for field in asked),
    ]))
    assert rows
    assert {"fin.trs.line.dim3", "fin.trs.line.vatbasevaluesigned", "fin.trs.line.quantity",
            "fin.trs.line.freetext1", "fin.trs.line.dim1group1", "fin.trs.mng.type"} <= LINE_030_3
    assert all(r["fin.trs.line.vatbasevaluesigned"] == "0.00" and r["fin.trs.line.dim3"] == "" for r in rows)


def test_browse_still_refuses_a_column_the_browse_does_not_have(connected):
    from sfsync.errors import FatalError

    with pytest.raises(FatalError, match=r"fin\.trs\.line\.nosuchcolumn"):
        run(browse(connected.ctx, "001", "030_3", [column("fin.trs.line.nosuchcolumn")]))
    with pytest.raises(FatalError, match=r"fin\.trs\.line\.dim3"):  # 040_1 has no cost centres
        run(browse(connected.ctx, "001", "040_1", [column("fin.trs.line.dim3")]))


# --- OpenID ---------------------------------------------------------------------------------------


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _code_flow(sandbox: TwinfieldSandbox, nonce: str) -> dict[str, str]:
    async def flow() -> dict[str, str]:
        transport = httpx.ASGITransport(app=sandbox.app)
        async with httpx.AsyncClient(transport=transport, base_url=sandbox.login_url) as http:
            query = {"client_id": sandbox.client_id, "response_type": "code", "redirect_uri": REDIRECT,
                     "scope": "openid twf.organisation twf.organisationUser offline_access",
                     "nonce": nonce, "state": "st"}
            callback = await sandbox.authorize(
                http, f"{sandbox.login_url}{client.AUTH_PATH}/authorize?{urlencode(query)}")
            code = parse_qs(urlsplit(callback).query)["code"][0]
            answer = await http.post(
                f"{client.AUTH_PATH}/token", auth=(sandbox.client_id, sandbox.client_secret),
                data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT})
            assert answer.status_code == 200, answer.text
            tokens: dict[str, str] = answer.json()
            discovery = (await http.get("/auth/authentication/.well-known/openid-configuration")).json()
            jwks = (await http.get(urlsplit(discovery["jwks_uri"]).path)).json()
            tokens["jwks"] = json.dumps(jwks)
            tokens["issuer"] = discovery["issuer"]
            return tokens

    return run(flow())


def _verify(token: str, jwks: dict[str, list[dict[str, str]]]) -> dict[str, object]:
    header_b64, claims_b64, signature_b64 = token.split(".")
    header = json.loads(_b64decode(header_b64))
    key = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    public = rsa.RSAPublicNumbers(int.from_bytes(_b64decode(key["e"]), "big"),
                                  int.from_bytes(_b64decode(key["n"]), "big")).public_key()
    public.verify(_b64decode(signature_b64), f"{header_b64}.{claims_b64}".encode(),
                  padding.PKCS1v15(), hashes.SHA256())
    assert header["alg"] == "RS256"
    claims: dict[str, object] = json.loads(_b64decode(claims_b64))
    return claims


def test_openid_code_exchange_answers_a_signed_id_token_with_the_nonce(clock):
    sandbox = TwinfieldSandbox(clock)
    tokens = _code_flow(sandbox, nonce="n-42")
    claims = _verify(tokens["id_token"], json.loads(tokens["jwks"]))
    assert claims["iss"] == tokens["issuer"] == "https://login.twinfield.com/auth/authentication"
    assert claims["aud"] == sandbox.client_id and claims["nonce"] == "n-42"
    assert claims["exp"] > claims["iat"] == int(clock.now().timestamp())  # type: ignore[operator]
    # The signature is real: changed claims no longer validate.
    header, body, signature = tokens["id_token"].split(".")
    forged = json.loads(_b64decode(body))
    forged["nonce"] = "n-43"
    tampered = ".".join((header, base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode(), signature))
    with pytest.raises(InvalidSignature):
        _verify(tampered, json.loads(tokens["jwks"]))


# --- session.asmx ---------------------------------------------------------------------------------


def _session_call(sandbox: TwinfieldSandbox, operation: str, fields: dict[str, str],
                  session_id: str | None = None) -> etree._Element:
    env = etree.Element(f"{{{client.NS_SOAP}}}Envelope", nsmap={"soap": client.NS_SOAP})
    if session_id is not None:
        header = etree.SubElement(etree.SubElement(env, f"{{{client.NS_SOAP}}}Header"), f"{{{TW}}}Header")
        etree.SubElement(header, f"{{{TW}}}SessionID").text = session_id
    call = etree.SubElement(etree.SubElement(env, f"{{{client.NS_SOAP}}}Body"), f"{{{TW}}}{operation}")
    for name, value in fields.items():
        etree.SubElement(call, f"{{{TW}}}{name}").text = value
    status, _, body = sandbox.handle(
        "POST", "/webservices/session.asmx", {},
        {"content-type": "text/xml; charset=utf-8", "soapaction": f'"{TW}{operation}"'},
        etree.tostring(env))
    root = etree.fromstring(body)
    assert status in (200, 500)
    return root


def _logon(sandbox: TwinfieldSandbox, password: str | None = None) -> etree._Element:
    return _session_call(sandbox, "Logon", {"user": sandbox.username, "password": password or sandbox.password,
                                            "organisation": sandbox.organisation})


def _offices(sandbox: TwinfieldSandbox, session_id: str, request: str = "<list><type>offices</type></list>") -> etree._Element:
    env = etree.Element(f"{{{client.NS_SOAP}}}Envelope", nsmap={"soap": client.NS_SOAP})
    header = etree.SubElement(etree.SubElement(env, f"{{{client.NS_SOAP}}}Header"), f"{{{TW}}}Header")
    etree.SubElement(header, f"{{{TW}}}SessionID").text = session_id
    call = etree.SubElement(etree.SubElement(env, f"{{{client.NS_SOAP}}}Body"), f"{{{TW}}}ProcessXmlString")
    etree.SubElement(call, f"{{{TW}}}xmlRequest").text = request
    _, _, body = sandbox.handle(
        "POST", "/webservices/processxml.asmx", {},
        {"content-type": "text/xml", "soapaction": f'"{TW}ProcessXmlString"'}, etree.tostring(env))
    return etree.fromstring(body)


def _fault_code(root: etree._Element) -> str | None:
    return root.findtext(f".//{{{client.NS_SOAP}}}Fault/detail/code")


def test_session_logon_gives_a_session_the_cluster_takes(clock):
    sandbox = TwinfieldSandbox(clock)
    refused = _logon(sandbox, password="wrong")
    assert refused.findtext(f".//{{{TW}}}LogonResult") == "Invalid"
    assert refused.find(f".//{{{TW}}}SessionID") is None
    answer = _logon(sandbox)
    assert answer.findtext(f".//{{{TW}}}LogonResult") == "Ok"
    assert answer.findtext(f".//{{{TW}}}nextAction") == "None"
    assert answer.findtext(f".//{{{TW}}}cluster") == sandbox.cluster_url
    session_id = answer.findtext(f"{{{client.NS_SOAP}}}Header/{{{TW}}}Header/{{{TW}}}SessionID")
    assert session_id
    offices = _offices(sandbox, session_id)
    result = etree.fromstring(offices.findtext(f".//{{{TW}}}ProcessXmlStringResult").encode())
    assert [o.text for o in result.iter("office")] == sorted(sandbox.books.offices)
    # Company-scoped work needs SelectCompany first, as with the real session.
    dims = "<list><type>dimensions</type><dimtype>BAS</dimtype></list>"
    assert "Company ontbreekt" in etree.tostring(_offices(sandbox, session_id, dims)).decode()
    selected = _session_call(sandbox, "SelectCompany", {"company": "001"}, session_id)
    assert selected.findtext(f".//{{{TW}}}SelectCompanyResult") == "Ok"
    assert _session_call(sandbox, "SelectCompany", {"company": "999"}, session_id).findtext(
        f".//{{{TW}}}SelectCompanyResult") == "Invalid"
    listed = _offices(sandbox, session_id, dims)
    assert _fault_code(listed) is None and b"dimension" in etree.tostring(listed)


def test_a_second_logon_replaces_the_first_and_abandon_ends_it(clock):
    sandbox = TwinfieldSandbox(clock)
    first = _logon(sandbox).findtext(f".//{{{TW}}}SessionID")
    second = _logon(sandbox).findtext(f".//{{{TW}}}SessionID")
    assert first and second and first != second
    assert _fault_code(_offices(sandbox, first)) == "103"
    assert _fault_code(_session_call(sandbox, "KeepAlive", {}, first)) == "103"
    assert _fault_code(_session_call(sandbox, "KeepAlive", {}, second)) is None
    _session_call(sandbox, "Abandon", {}, second)
    assert _fault_code(_offices(sandbox, second)) == "354"
    assert _fault_code(_offices(sandbox, "made-up")) == "354"
