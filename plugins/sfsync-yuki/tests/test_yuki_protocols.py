"""The sandbox answers the protocols the published WSDL advertises besides SOAP 1.1 (SOAP 1.2,
HTTP GET, HTTP POST) and operations the WSDL declares, such as ``AdministrationID``."""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode

import httpx
from lxml import etree
from sfsync_yuki.sandbox import VALID_KEY

ENV12 = "http://www.w3.org/2003/05/soap-envelope"
TNS = "http://www.theyukicompany.com/"
ADMIN = "0b7e7c0e-2f43-4a55-8d1a-3c4f5e6a7b8c"


def send(sandbox, method: str, path: str, *, body: bytes = b"", headers: dict[str, str] | None = None) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=sandbox.app)
        async with httpx.AsyncClient(transport=transport, base_url="https://api.yukiworks.nl") as client:
            return await client.request(method, path, content=body, headers=headers or {})

    return asyncio.run(go())


def soap12(sandbox, service: str, op: str, inner: str, *, action: bool = True) -> httpx.Response:
    body = (f'<?xml version="1.0" encoding="utf-8"?><soap12:Envelope xmlns:soap12="{ENV12}"><soap12:Body>'
            f'<{op} xmlns="{TNS}">{inner}</{op}></soap12:Body></soap12:Envelope>').encode()
    content_type = "application/soap+xml; charset=utf-8" + (f'; action="{TNS}{op}"' if action else "")
    return send(sandbox, "POST", f"/ws/{service}.asmx", body=body, headers={"Content-Type": content_type})


def http_get(sandbox, service: str, op: str, **params: str) -> httpx.Response:
    return send(sandbox, "GET", f"/ws/{service}.asmx/{op}?{urlencode(params)}")


def http_post(sandbox, service: str, op: str, **params: str) -> httpx.Response:
    return send(sandbox, "POST", f"/ws/{service}.asmx/{op}", body=urlencode(params).encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded"})


def test_soap_12_authenticates_and_answers_in_a_soap_12_envelope(sandbox):
    answer = soap12(sandbox, "AccountingInfo", "Authenticate", f"<accessKey>{VALID_KEY}</accessKey>")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/soap+xml")
    root = etree.fromstring(answer.content)
    assert root.tag == f"{{{ENV12}}}Envelope"
    session_id = root.findtext(f".//{{{TNS}}}AuthenticateResult")
    assert session_id
    # The action parameter is optional in SOAP 1.2: the body element names the operation.
    admins = soap12(sandbox, "Accounting", "Administrations", f"<sessionID>{session_id}</sessionID>", action=False)
    assert admins.status_code == 200
    assert ADMIN in {a.get("ID") for a in etree.fromstring(admins.content).iter("Administration")}


def test_soap_12_faults_have_code_and_reason(sandbox):
    answer = soap12(sandbox, "AccountingInfo", "Authenticate", "<accessKey>wrong</accessKey>")
    assert answer.status_code == 500
    fault = etree.fromstring(answer.content).find(f".//{{{ENV12}}}Fault")
    assert fault is not None
    assert fault.findtext(f"{{{ENV12}}}Code/{{{ENV12}}}Value") == "soap:Receiver"
    assert "Invalid access key" in fault.findtext(f"{{{ENV12}}}Reason/{{{ENV12}}}Text")
    # A SOAP 1.1 envelope sent as 1.2 is refused as a client error.
    wrong = send(sandbox, "POST", "/ws/Accounting.asmx", body=b'<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/"/>',
                 headers={"Content-Type": f'application/soap+xml; action="{TNS}Authenticate"'})
    assert wrong.status_code == 500
    assert etree.fromstring(wrong.content).findtext(f".//{{{ENV12}}}Value") == "soap:Sender"


def test_http_get_and_post_bindings(sandbox):
    answer = http_get(sandbox, "Archive", "Authenticate", accessKey=VALID_KEY)
    assert answer.status_code == 200
    root = etree.fromstring(answer.content)
    assert root.tag == f"{{{TNS}}}string" and root.text
    admins = http_post(sandbox, "Archive", "Administrations", sessionID=root.text)
    assert admins.status_code == 200
    assert etree.fromstring(admins.content).tag == "Administrations"
    assert ADMIN in {a.get("ID") for a in etree.fromstring(admins.content).iter("Administration")}
    # A void operation answers an empty 200; a typed one its WSDL type as the root.
    assert http_get(sandbox, "Archive", "SetCurrentDomain", sessionID=root.text,
                    domainID=sandbox.admins[ADMIN].domain_id).content == b""
    scheme = http_get(sandbox, "AccountingInfo", "GetGLAccountScheme", sessionID=root.text, administrationID=ADMIN)
    scheme_root = etree.fromstring(scheme.content)
    assert scheme_root.tag == f"{{{TNS}}}ArrayOfGlAccount" and len(scheme_root.findall(f"{{{TNS}}}GlAccount")) > 10


def test_http_bindings_refuse_as_asmx_does(sandbox):
    missing = http_get(sandbox, "Archive", "Authenticate")
    assert missing.status_code == 500 and missing.text == "System.InvalidOperationException: Missing parameter: accessKey."
    bad_key = http_get(sandbox, "Archive", "Authenticate", accessKey="nope")
    assert bad_key.status_code == 500 and "Invalid access key" in bad_key.text
    assert http_get(sandbox, "Archive", "NoSuchOperation").status_code == 500
    not_a_form = send(sandbox, "POST", "/ws/Archive.asmx/Authenticate", body=b"{}", headers={"Content-Type": "application/json"})
    assert not_a_form.status_code == 415


def test_administration_id_is_the_guid_for_a_name(sandbox):
    session_id = etree.fromstring(http_get(sandbox, "Accounting", "Authenticate", accessKey=VALID_KEY).content).text
    name = sandbox.admins[ADMIN].name
    for service in ("Accounting", "AccountingInfo", "Archive"):
        answer = soap12(sandbox, service, "AdministrationID",
                        f"<sessionID>{session_id}</sessionID><administrationName>{name.upper()}</administrationName>")
        assert answer.status_code == 200, answer.text
        assert etree.fromstring(answer.content).findtext(f".//{{{TNS}}}AdministrationIDResult") == ADMIN
    unknown = http_get(sandbox, "Accounting", "AdministrationID", sessionID=session_id, administrationName="Bestaat Niet BV")
    assert unknown.status_code == 500 and "not found" in unknown.text
