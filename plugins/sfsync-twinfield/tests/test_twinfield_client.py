"""Twinfield's connection: OAuth2 at the login host, the cluster, SOAP headers, faults, limits."""

from __future__ import annotations

import asyncio
import logging

import pytest
from lxml import etree
from sfsync.errors import AuthError, FatalError, NeedsReconsent
from sfsync_twinfield import client
from sfsync_twinfield.browse import browse, column
from sfsync_twinfield.connector import twinfield
from sfsync_twinfield.sandbox import TwinfieldSandbox


def run(coroutine):
    return asyncio.run(coroutine)


def _fault(code: str, message: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><soap:Envelope '
        'xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault>'
        f"<faultcode>soap:Client</faultcode><faultstring>{message}</faultstring>"
        f"<detail><message>{message}</message><code>{code}</code>"
        "<source>ProcessXmlString</source></detail></soap:Fault></soap:Body></soap:Envelope>"
    ).encode()


def test_twinfield_authorize_url_carries_nonce_and_scopes():
    spec = twinfield.sfsync_auth()
    first = spec.start(client_id="app", redirect_uri="http://127.0.0.1/cb")
    second = spec.start(client_id="app", redirect_uri="http://127.0.0.1/cb")
    assert first.authorize_url.startswith(
        "https://login.twinfield.com/auth/authentication/connect/authorize?"
    )
    assert "nonce=" in first.authorize_url
    nonce = first.authorize_url.split("nonce=")[1]
    assert nonce
    assert nonce != second.authorize_url.split("nonce=")[1]
    for scope in ("openid", "twf.organisation", "twf.organisationUser", "offline_access"):
        assert scope in first.authorize_url
    assert spec.client_auth == "basic"


def test_twinfield_sandbox_refuses_an_authorize_without_nonce(clock):
    sandbox = TwinfieldSandbox(clock)
    status, _, body = sandbox.over_http(
        "GET",
        "/auth/authentication/connect/authorize",
        {
            "client_id": sandbox.client_id,
            "response_type": "code",
            "redirect_uri": "http://127.0.0.1/cb",
            "scope": "openid twf.organisationUser",
        },
        {},
        b"",
    )
    assert status == 400
    assert b"nonce" in body


def test_twinfield_cluster_comes_from_token_validation(clock, helpers):
    sandbox = TwinfieldSandbox(clock, cluster_url="https://c3.twinfield.example")
    connected = helpers.connect(sandbox, clock)
    assert connected.ctx.state["cluster_url"] == "https://c3.twinfield.example"
    assert connected.ctx.state["organisation"] == sandbox.organisation
    assert sandbox.calls["/auth/authentication/connect/accesstokenvalidation"] == 1
    companies = run(twinfield.sfsync_list_companies(ctx=connected.ctx))
    assert companies
    # The cluster is not looked up again: it is in the connection's state.
    assert sandbox.calls["/auth/authentication/connect/accesstokenvalidation"] == 1


def test_twinfield_access_token_never_in_logs(clock, helpers, caplog):
    caplog.set_level(logging.DEBUG)
    connected = helpers.connect(TwinfieldSandbox(clock), clock)
    run(twinfield.sfsync_list_companies(ctx=connected.ctx))
    token = connected.vault.tokens.access_token.get_secret_value()
    assert "accesstokenvalidation" in caplog.text  # the validation call was logged...
    assert token not in caplog.text  # ...without the token it carried in its query


def test_twinfield_soap_headers_carry_token_and_company():
    payload = etree.Element("{http://www.twinfield.com/}ProcessXmlString")
    asmx = etree.fromstring(client.envelope(payload, token="tok-1", office="001", wcf=False))
    ns = {"s": client.NS_SOAP, "t": client.NS_TWIN, "sh": client.NS_SHARED}
    assert asmx.findtext("s:Header/t:Header/t:AccessToken", namespaces=ns) == "tok-1"
    assert asmx.findtext("s:Header/t:Header/t:CompanyCode", namespaces=ns) == "001"
    wcf = etree.fromstring(client.envelope(payload, token="tok-2", office="010", wcf=True))
    assert wcf.findtext("s:Header/t:Authentication/sh:AccessToken", namespaces=ns) == "tok-2"
    assert wcf.findtext("s:Header/t:Authentication/sh:CompanyCode", namespaces=ns) == "010"
    bare = etree.fromstring(client.envelope(payload, token="tok-3", office=None, wcf=False))
    assert bare.find("s:Header/t:Header/t:CompanyCode", namespaces=ns) is None


def test_twinfield_fault_354_refreshes_the_token_once(connected):
    before = connected.vault.tokens.access_token.get_secret_value()
    connected.sandbox.expire_tokens()  # the token still looks valid to us: Twinfield says 354
    companies = run(twinfield.sfsync_list_companies(ctx=connected.ctx))
    assert companies
    assert connected.vault.tokens.access_token.get_secret_value() != before
    assert connected.sandbox.calls["/auth/authentication/connect/token"] == 2  # code + refresh


def test_twinfield_fault_103_refreshes_then_works(connected):
    connected.sandbox.invalidate_logons()
    assert run(twinfield.sfsync_list_companies(ctx=connected.ctx))
    assert connected.vault.saves == 1


def test_twinfield_fault_354_twice_is_an_auth_error(connected):
    connected.sandbox.faults.add(
        500,
        body=_fault("354", "Access denied. Token invalid."),
        times=2,
        path_contains="processxml",
    )
    with pytest.raises(AuthError, match="354") as caught:
        run(twinfield.sfsync_list_companies(ctx=connected.ctx))
    assert not isinstance(caught.value, NeedsReconsent)


def test_twinfield_fault_103_twice_needs_reconsent(connected):
    message = "Your logon credentials are not valid anymore. Try to log on again."
    connected.sandbox.faults.add(
        500, body=_fault("103", message), times=2, path_contains="processxml"
    )
    with pytest.raises(NeedsReconsent, match="103"):
        run(twinfield.sfsync_list_companies(ctx=connected.ctx))


def test_twinfield_revoked_grant_needs_reconsent(connected):
    connected.sandbox.revoke()
    with pytest.raises(NeedsReconsent):
        run(twinfield.sfsync_list_companies(ctx=connected.ctx))


def test_twinfield_bad_client_secret_is_an_auth_error(clock, helpers):
    sandbox = TwinfieldSandbox(clock)
    vault = helpers.MemoryVault()
    ctx = helpers.make_context(sandbox, clock, vault, secrets=sandbox.bad_connection_secrets())
    with pytest.raises(AuthError) as caught:
        run(helpers.login(sandbox, ctx))
    assert "not-the-twinfield-secret" not in str(caught.value)


def test_twinfield_result_0_is_a_fatal_error_with_twinfield_message(connected):
    with pytest.raises(FatalError, match="Browsecode '999' bestaat niet"):
        run(browse(connected.ctx, "001", "999", [column("fin.trs.head.office", "equal", "001")]))
    with pytest.raises(FatalError, match="ongeldige waarde"):
        run(
            browse(
                connected.ctx,
                "001",
                "030_3",
                [column("fin.trs.head.yearperiod", "between", "2025-01", "2025-12")],
            )
        )


def test_twinfield_missing_company_code_is_refused(connected):
    request = etree.Element("list")
    etree.SubElement(request, "type").text = "dimensions"
    etree.SubElement(request, "dimtype").text = "BAS"
    with pytest.raises(FatalError, match="Company ontbreekt in request header"):
        run(client.process_xml(connected.ctx, request))
    listing = run(client.process_xml(connected.ctx, request, office="001"))
    assert listing.get("result") == "1"
    assert [d.text for d in listing.iter("dimension")][:2] == ["0200", "0500"]


def test_twinfield_finder_errors_are_mapped(connected):
    with pytest.raises(FatalError, match="OptionMandatory"):
        run(client.finder(connected.ctx, "DIM", {"office": "001"}, first_row=1, max_rows=10))
    with pytest.raises(FatalError, match="ParameterOutOfRange"):
        run(
            client.finder(
                connected.ctx, "DIM", {"dimtype": "BAS", "office": "001"}, first_row=1, max_rows=500
            )
        )
    with pytest.raises(FatalError, match="NoAccessToOffice"):
        run(
            client.finder(
                connected.ctx, "DIM", {"dimtype": "BAS", "office": "999"}, first_row=1, max_rows=10
            )
        )


def test_twinfield_finder_pages_with_first_row(connected):
    total, columns, first = run(
        client.finder(
            connected.ctx, "DIM", {"dimtype": "BAS", "office": "001"}, first_row=1, max_rows=4
        )
    )
    _, _, second = run(
        client.finder(
            connected.ctx, "DIM", {"dimtype": "BAS", "office": "001"}, first_row=5, max_rows=4
        )
    )
    books = connected.sandbox.books.offices["001"]
    assert total == len([k for k in books.dimensions if k[0] == "BAS"])
    assert columns == ["Code", "Name"]
    assert len(first) == 4
    assert first[-1][0] < second[0][0]
    offices = run(client.finder(connected.ctx, "OFF", {}, first_row=1, max_rows=100))
    assert [row[0] for row in offices[2]] == list(connected.sandbox.books.offices)


def test_twinfield_429_retry_after_is_honoured(connected):
    connected.sandbox.credits_per_minute = 3
    company = connected.company()
    slept_before = len(connected.clock.slept)

    async def three_calls():
        for _ in range(5):
            await twinfield.sfsync_fetch_fiscal_years(ctx=connected.ctx, company=company)

    run(three_calls())
    waits = connected.clock.slept[slept_before:]
    assert connected.ctx.stats.status_counts[429] >= 1
    assert connected.ctx.stats.rate_limit_waits >= 1
    assert any(w >= 1 for w in waits), waits


def test_twinfield_process_xml_flavours_agree(connected):
    request = etree.Element("list")
    etree.SubElement(request, "type").text = "offices"
    plain = run(client.process_xml(connected.ctx, request))
    packed = run(client.process_xml(connected.ctx, request, compressed=True))
    assert etree.tostring(plain) == etree.tostring(packed)
    assert [c["operation"] for c in connected.calls(request="list")] == [
        "ProcessXmlString",
        "ProcessXmlCompressed",
    ]
