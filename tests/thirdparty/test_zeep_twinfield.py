"""Clients built for the real Twinfield against the served Twinfield sandbox: zeep on Twinfield's
published WSDLs (the legacy ``session.asmx`` logon, ``ProcessXmlString`` with a ``SessionID`` or an
OAuth access token, browse ``030_3`` with its documented columns), and PyJWT checking the OpenID
``id_token`` against the sandbox's JWKS, as OpenID client libraries do."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import jwt
from conftest import SPECS, offline_soap_client  # type: ignore[import-not-found]
from lxml import etree
from sfsync_twinfield.sandbox import TwinfieldSandbox

TNS = "{http://www.twinfield.com/}"
WSDL = SPECS / "twinfield"
REDIRECT = "http://127.0.0.1:8765/callback"
BROWSE = """<columns code="030_3">
  <column><field>fin.trs.head.yearperiod</field><operator>between</operator><from>2025/00</from><to>2025/55</to></column>
  <column><field>fin.trs.line.dim1</field></column>
  <column><field>fin.trs.line.basevaluesigned</field></column>
  <column><field>fin.trs.line.dim3</field></column>
  <column><field>fin.trs.line.vatbasevaluesigned</field></column>
  <column><field>fin.trs.line.quantity</field></column>
  <column><field>fin.trs.line.freetext1</field></column>
  <column><field>fin.trs.line.dim1group1</field></column>
  <column><field>fin.trs.mng.type</field></column>
</columns>"""


def _result(answer: object) -> etree._Element:
    """ProcessXmlString's result document (zeep returns the string, or a body when headers come back)."""
    text = answer if isinstance(answer, str) else answer.body.ProcessXmlStringResult  # type: ignore[attr-defined]
    return etree.fromstring(text.encode())


def _served(serve) -> tuple[TwinfieldSandbox, str]:  # type: ignore[no-untyped-def]
    sandbox = TwinfieldSandbox()
    url = serve(sandbox.app)
    # One server plays both hosts: what the sandbox writes (cluster, issuer, jwks_uri) points here.
    sandbox.login_url = sandbox.cluster_url = url
    return sandbox, url


def test_zeep_session_logon_then_process_xml_with_the_session(serve):
    sandbox, url = _served(serve)
    session = offline_soap_client(str(WSDL / "session-login.wsdl")).create_service(
        f"{TNS}SessionSoap", f"{url}/webservices/session.asmx")
    answer = session.Logon(user=sandbox.username, password=sandbox.password, organisation=sandbox.organisation)
    assert answer.body.LogonResult == "Ok" and answer.body.cluster == url
    session_id = answer.header.Header.SessionID
    assert session_id
    refused = session.Logon(user=sandbox.username, password="wrong", organisation=sandbox.organisation)
    assert refused.body.LogonResult == "Invalid"

    client = offline_soap_client(str(WSDL / "processxml.wsdl"))
    process = client.create_service(f"{TNS}ProcessXmlSoap", f"{answer.body.cluster}/webservices/processxml.asmx")
    header = client.get_element(f"{TNS}Header")(SessionID=session_id)
    offices = _result(process.ProcessXmlString(xmlRequest="<list><type>offices</type></list>", _soapheaders=[header]))
    assert [o.text for o in offices.iter("office")] == sorted(sandbox.books.offices)


def _oauth_tokens(sandbox: TwinfieldSandbox, url: str, nonce: str) -> dict[str, str]:
    async def flow() -> dict[str, str]:
        async with httpx.AsyncClient(base_url=url) as http:
            query = {"client_id": sandbox.client_id, "response_type": "code", "redirect_uri": REDIRECT,
                     "scope": "openid twf.user twf.organisation twf.organisationUser offline_access",
                     "nonce": nonce, "state": "s"}
            callback = await sandbox.authorize(http, f"{url}/auth/authentication/connect/authorize?{urlencode(query)}")
            code = parse_qs(urlsplit(callback).query)["code"][0]
            answer = await http.post("/auth/authentication/connect/token", auth=(sandbox.client_id, sandbox.client_secret),
                                     data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT})
            assert answer.status_code == 200, answer.text
            tokens: dict[str, str] = answer.json()
            return tokens

    return asyncio.run(flow())


def test_pyjwt_validates_the_id_token_and_zeep_browses_030_3_with_the_access_token(serve):
    sandbox, url = _served(serve)
    tokens = _oauth_tokens(sandbox, url, nonce="n-7")
    discovery = httpx.get(f"{url}/auth/authentication/.well-known/openid-configuration").json()
    key = jwt.PyJWKClient(discovery["jwks_uri"]).get_signing_key_from_jwt(tokens["id_token"])
    claims = jwt.decode(tokens["id_token"], key.key, algorithms=discovery["id_token_signing_alg_values_supported"],
                        audience=sandbox.client_id, issuer=discovery["issuer"])
    assert claims["nonce"] == "n-7" and claims["sub"]

    client = offline_soap_client(str(WSDL / "processxml-oauth.wsdl"))
    process = client.create_service(f"{TNS}ProcessXmlSoap", f"{url}/webservices/processxml.asmx")
    header = client.get_element(f"{TNS}Header")(AccessToken=tokens["access_token"], CompanyCode="001")
    browse = _result(process.ProcessXmlString(xmlRequest=BROWSE, _soapheaders=[header]))
    assert browse.get("result") == "1", etree.tostring(browse)[:300]
    rows = browse.findall("tr")
    assert rows and {td.get("field") for td in rows[0].findall("td")} >= {"fin.trs.line.dim3", "fin.trs.mng.type"}
