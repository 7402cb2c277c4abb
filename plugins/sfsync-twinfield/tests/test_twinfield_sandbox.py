"""The sandbox is as strict as Twinfield: it refuses what the real services refuse."""

from __future__ import annotations

import asyncio
import base64

import pytest
from lxml import etree
from sfsync.errors import FatalError
from sfsync_twinfield import client
from sfsync_twinfield.sandbox import TwinfieldSandbox

PROCESSXML = "/webservices/processxml.asmx"


def run(coroutine):
    return asyncio.run(coroutine)


def _token(sandbox: TwinfieldSandbox) -> str:
    basic = base64.b64encode(f"{sandbox.client_id}:{sandbox.client_secret}".encode()).decode()
    status, _, body = sandbox.over_http(
        "GET",
        "/auth/authentication/connect/authorize",
        {
            "client_id": sandbox.client_id,
            "response_type": "code",
            "redirect_uri": "http://127.0.0.1/cb",
            "scope": "openid twf.organisation twf.organisationUser offline_access",
            "nonce": "n1",
            "state": "s1",
        },
        {},
        b"",
    )
    assert status == 200
    fields = (
        # What the page's hidden fields carry (the authorize request), then what the person types.
        "client_id=sfsync-sandbox-app&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcb&state=s1&response_type=code&nonce=n1"
        "&scope=openid+twf.organisation+twf.organisationUser+offline_access"
        f"&organisation={sandbox.organisation}&username={sandbox.username}&password=Zomer2026%21"
    )
    status, headers, _ = sandbox.over_http(
        "POST", "/auth/authentication/connect/authorize", {}, {}, fields.encode()
    )
    assert status == 302
    code = headers["location"].split("code=")[1].split("&")[0]
    body = f"grant_type=authorization_code&code={code}&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcb"
    status, _, answer = sandbox.over_http(
        "POST",
        "/auth/authentication/connect/token",
        {},
        {"authorization": f"Basic {basic}"},
        body.encode(),
    )
    assert status == 200, answer
    import json

    return json.loads(answer)["access_token"]


def _post(sandbox, path, action, payload, *, token, office=None, content_type="text/xml"):
    body = client.envelope(payload, token=token, office=office, wcf=path.endswith(".svc"))
    return sandbox.handle(
        "POST", path, {}, {"content-type": content_type, "soapaction": f'"{action}"'}, body
    )


def _offices_request() -> etree._Element:
    call = etree.Element(f"{{{client.NS_TWIN}}}ProcessXmlString")
    etree.SubElement(
        call, f"{{{client.NS_TWIN}}}xmlRequest"
    ).text = "<list><type>offices</type></list>"
    return call


def _fault_of(body: bytes) -> client.Fault:
    root = etree.fromstring(body)
    fault = client.find_fault(root.find(f"{{{client.NS_SOAP}}}Body"))
    assert fault is not None
    return fault


def test_twinfield_sandbox_token_endpoint_wants_basic_auth(clock):
    sandbox = TwinfieldSandbox(clock)
    status, _, body = sandbox.over_http(
        "POST",
        "/auth/authentication/connect/token",
        {},
        {},
        f"grant_type=refresh_token&refresh_token=x&client_id={sandbox.client_id}"
        f"&client_secret={sandbox.client_secret}".encode(),
    )
    assert status == 400
    assert b"invalid_client" in body


def test_twinfield_sandbox_validation_gives_cluster_and_expiry(clock):
    sandbox = TwinfieldSandbox(clock)
    token = _token(sandbox)
    status, _, body = sandbox.over_http(
        "GET", "/auth/authentication/connect/accesstokenvalidation", {"token": token}, {}, b""
    )
    import json

    claims = json.loads(body)
    assert status == 200
    assert claims["twf.clusterUrl"] == sandbox.cluster_url
    assert claims["exp"] - claims["nbf"] == 3600
    clock.advance(3601)
    status, _, _ = sandbox.over_http(
        "GET", "/auth/authentication/connect/accesstokenvalidation", {"token": token}, {}, b""
    )
    assert status == 400


def test_twinfield_sandbox_wants_soapaction_and_text_xml(clock):
    sandbox = TwinfieldSandbox(clock)
    token = _token(sandbox)
    status, _, body = _post(
        sandbox, PROCESSXML, "http://www.twinfield.com/Search", _offices_request(), token=token
    )
    assert status == 500
    assert "SOAPAction" in _fault_of(body).message
    status, _, _ = _post(
        sandbox,
        PROCESSXML,
        "http://www.twinfield.com/ProcessXmlString",
        _offices_request(),
        token=token,
        content_type="application/json",
    )
    assert status == 415
    status, _, body = _post(
        sandbox,
        PROCESSXML,
        "http://www.twinfield.com/ProcessXmlString",
        _offices_request(),
        token=token,
    )
    assert status == 200
    assert b"Bakkerij Voorbeeld BV" in body


def test_twinfield_sandbox_fault_354_for_a_missing_or_expired_token(clock):
    sandbox = TwinfieldSandbox(clock)
    status, _, body = _post(
        sandbox,
        PROCESSXML,
        "http://www.twinfield.com/ProcessXmlString",
        _offices_request(),
        token="",
    )
    assert (status, _fault_of(body).code) == (500, "354")
    token = _token(sandbox)
    clock.advance(3600)
    status, _, body = _post(
        sandbox,
        PROCESSXML,
        "http://www.twinfield.com/ProcessXmlString",
        _offices_request(),
        token=token,
    )
    assert (status, _fault_of(body).code) == (500, "354")


def test_twinfield_sandbox_document_flavour_returns_real_xml(clock):
    sandbox = TwinfieldSandbox(clock)
    token = _token(sandbox)
    call = etree.Element(f"{{{client.NS_TWIN}}}ProcessXmlDocument")
    holder = etree.SubElement(call, f"{{{client.NS_TWIN}}}xmlRequest")
    etree.SubElement(etree.SubElement(holder, "list"), "type").text = "offices"
    status, _, body = _post(
        sandbox, PROCESSXML, "http://www.twinfield.com/ProcessXmlDocument", call, token=token
    )
    assert status == 200
    result = etree.fromstring(body).find(f".//{{{client.NS_TWIN}}}ProcessXmlDocumentResult/offices")
    assert result is not None
    assert [o.text for o in result] == list(sandbox.books.offices)


def test_twinfield_sandbox_period_and_deleted_services_validate(connected):
    with pytest.raises(FatalError, match="YearNotFound"):
        run(
            client.wcf_query(
                connected.ctx,
                client.PERIODS,
                "PeriodService",
                "GetPeriods",
                client.NS_PERIOD,
                {"Year": "1999"},
                office="001",
            )
        )
    with pytest.raises(FatalError, match="InvalidCompanyCode"):
        run(
            client.wcf_query(
                connected.ctx,
                client.DELETED,
                "DeletedTransactionsService",
                "GetDeletedTransactions",
                client.NS_DELETED,
                {"CompanyCode": "010"},
                office="001",
            )
        )
    with pytest.raises(FatalError, match="InvalidDates"):
        run(
            client.wcf_query(
                connected.ctx,
                client.DELETED,
                "DeletedTransactionsService",
                "GetDeletedTransactions",
                client.NS_DELETED,
                {"CompanyCode": "001", "DateFrom": "gisteren"},
                office="001",
            )
        )


def test_twinfield_sandbox_books_balance_in_every_currency(clock):
    sandbox = TwinfieldSandbox(clock, scale=3)
    for office in sandbox.books.offices.values():
        for txn in office.transactions.values():
            assert sum(line.base for line in txn.lines) == 0
            assert sum(line.value for line in txn.lines) == 0
            year = office.year_of(txn.date)
            # booked in the year of its date, or (a late invoice) in the last period of the one before
            assert txn.year == year.number or (txn.year == year.number - 1 and txn.period == 12), txn
    assert sandbox.company_refs()[0] == "001"


def test_twinfield_sandbox_reads_dimensions_and_transactions(connected):
    read = etree.Element("read")
    for name, value in (
        ("type", "dimensions"),
        ("office", "001"),
        ("dimtype", "BAS"),
        ("code", "1100"),
    ):
        etree.SubElement(read, name).text = value
    dimension = run(client.process_xml(connected.ctx, read, office="001"))
    assert dimension.findtext("name") == "ING Bank"
    assert len(dimension.findtext("modified")) == 14
    read.find("code").text = "9999"
    with pytest.raises(FatalError, match="9999"):
        run(client.process_xml(connected.ctx, read, office="001"))

    txn = next(iter(connected.sandbox.books.offices["001"].transactions.values()))
    read = etree.Element("read")
    for name, value in (
        ("type", "transaction"),
        ("office", "001"),
        ("code", txn.code),
        ("number", txn.number),
    ):
        etree.SubElement(read, name).text = value
    answer = run(client.process_xml(connected.ctx, read, office="001"))
    assert answer.findtext("header/number") == txn.number
    assert [line.findtext("dim1") for line in answer.iter("line")] == [x.dim1 for x in txn.lines]


def test_twinfield_sandbox_browse_000_and_030_3_agree(connected):
    from sfsync_twinfield.browse import browse, column

    def lines(code):
        rows = run(
            browse(
                connected.ctx,
                "001",
                code,
                [
                    column("fin.trs.head.yearperiod", "between", "2025/00", "2025/55"),
                    column("fin.trs.line.dim1"),
                    column("fin.trs.line.basevaluesigned"),
                ],
            )
        )
        return sorted((tuple(r.key.values()), r["fin.trs.line.basevaluesigned"]) for r in rows)

    assert lines("000") == lines("030_3")
    assert len(lines("000")) == sum(
        len(t.lines)
        for t in connected.sandbox.books.offices["001"].transactions.values()
        if t.year == 2025
    )
