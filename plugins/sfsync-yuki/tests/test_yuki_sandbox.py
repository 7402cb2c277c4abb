"""The sandbox refuses what Yuki's ASMX services refuse, and answers as section 10 lists."""

from __future__ import annotations

import asyncio
import datetime as dt

import httpx
import pytest
from lxml import etree
from sfsync_yuki.sandbox import VALID_KEY
from sfsync_yuki.sandbox.data import DOMAIN_NL

ENV = "http://schemas.xmlsoap.org/soap/envelope/"
TNS = "http://www.theyukicompany.com/"


def envelope(op: str, inner: str) -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{ENV}"><soap:Body>'
            f'<{op} xmlns="{TNS}">{inner}</{op}></soap:Body></soap:Envelope>').encode()


def post(sandbox, service: str, body: bytes, action: str | None, content_type: str = "text/xml; charset=utf-8",
         method: str = "POST", query: str = "") -> httpx.Response:
    headers = {"Content-Type": content_type}
    if action is not None:
        headers["SOAPAction"] = f'"{TNS}{action}"'

    async def send():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.app), base_url="https://api.yukiworks.nl") as c:
            return await c.request(method, f"/ws/{service}.asmx{query}", content=body, headers=headers)

    return asyncio.run(send())


def fault_text(response: httpx.Response) -> str:
    assert response.status_code == 500
    return etree.fromstring(response.content).findtext(f".//{{{ENV}}}Fault/faultstring")


def session(sandbox) -> str:
    response = post(sandbox, "AccountingInfo", envelope("Authenticate", f"<accessKey>{VALID_KEY}</accessKey>"), "Authenticate")
    return etree.fromstring(response.content).findtext(f".//{{{TNS}}}AuthenticateResult")


def call(sandbox, service, op, inner, sid=None):
    sid = sid or session(sandbox)
    return post(sandbox, service, envelope(op, f"<sessionID>{sid}</sessionID>{inner}"), op)


ADMIN = "0b7e7c0e-2f43-4a55-8d1a-3c4f5e6a7b8c"


def test_wrong_parameter_case_is_refused(sandbox):
    sid = session(sandbox)
    response = post(sandbox, "AccountingInfo", envelope("GetGLAccountScheme",
                    f"<SessionID>{sid}</SessionID><administrationID>{ADMIN}</administrationID>"), "GetGLAccountScheme")
    assert "<SessionID" in fault_text(response) and "was not expected" in fault_text(response)
    # GetTransactions spells its dates in lower case, GetTransactionDetails in upper case.
    wrong = call(sandbox, "AccountingInfo", "GetTransactions",
                 f"<administrationID>{ADMIN}</administrationID><GLAccountCode/><StartDate>2024-01-01</StartDate>", sid)
    assert "<GLAccountCode" in fault_text(wrong)


def test_parameter_outside_yukis_namespace_is_refused(sandbox):
    sid = session(sandbox)
    body = envelope("Administrations", f'<sessionID xmlns="">{sid}</sessionID>')
    assert "was not expected" in fault_text(post(sandbox, "AccountingInfo", body, "Administrations"))


def test_missing_or_expired_session_is_refused(sandbox, clock):
    assert "No session ID" in fault_text(post(sandbox, "AccountingInfo", envelope("Administrations", ""), "Administrations"))
    sid = session(sandbox)
    assert call(sandbox, "AccountingInfo", "Administrations", "", sid).status_code == 200
    clock.advance(24 * 3600)
    assert "expired" in fault_text(call(sandbox, "AccountingInfo", "Administrations", "", sid))


def test_soapaction_is_required_and_must_match_the_body(sandbox):
    body = envelope("Authenticate", f"<accessKey>{VALID_KEY}</accessKey>")
    assert "did not recognize the value of HTTP Header SOAPAction" in fault_text(post(sandbox, "AccountingInfo", body, None))
    assert "does not match SOAPAction" in fault_text(post(sandbox, "AccountingInfo", body, "Administrations"))
    # An Accounting operation is not on the AccountingInfo endpoint.
    assert "did not recognize" in fault_text(post(sandbox, "AccountingInfo", body, "GLAccountBalance"))


def test_only_soap_11_posts_and_the_wsdl(sandbox):
    body = envelope("Authenticate", f"<accessKey>{VALID_KEY}</accessKey>")
    assert post(sandbox, "AccountingInfo", body, "Authenticate", content_type="application/json").status_code == 415
    assert post(sandbox, "Nope", body, "Authenticate").status_code == 404
    wsdl = post(sandbox, "Accounting", b"", None, method="GET", query="?WSDL")
    assert wsdl.status_code == 200 and b'name="GLAccountBalance"' in wsdl.content


def test_wrong_value_type_is_refused(sandbox):
    response = call(sandbox, "AccountingInfo", "GetPeriodDateTable",
                    f"<administrationID>{ADMIN}</administrationID><yearID>twenty</yearID>")
    assert "Input string was not in a correct format" in fault_text(response)
    missing = call(sandbox, "AccountingInfo", "GetPeriodDateTable", f"<administrationID>{ADMIN}</administrationID>")
    assert "yearID is required" in fault_text(missing)


def test_untyped_results_are_documents_in_no_namespace_with_id_attributes(sandbox):
    response = call(sandbox, "AccountingInfo", "Administrations", "")
    assert b'<Administrations xmlns="">' in response.content
    root = etree.fromstring(response.content)
    admins = root.findall(".//Administrations/Administration")
    assert [a.get("ID") for a in admins] == sandbox.company_refs()
    assert admins[0].find("ID") is None  # an attribute, not an element
    domains = etree.fromstring(call(sandbox, "Archive", "Domains", "").content).findall(".//Domains/Domain")
    assert {d.get("ID") for d in domains} == set(sandbox.domains)


def test_typed_results_are_in_yukis_namespace(sandbox):
    response = call(sandbox, "AccountingInfo", "GetGLAccountScheme", f"<administrationID>{ADMIN}</administrationID>")
    items = etree.fromstring(response.content).findall(f".//{{{TNS}}}GetGLAccountSchemeResult/{{{TNS}}}GlAccount")
    assert len(items) == len(sandbox.admins[ADMIN].chart)
    assert items[0].find(f"{{{TNS}}}descripton") is not None


def test_get_transactions_pages_and_data_groups(sandbox):
    sid = session(sandbox)
    base = (f"<administrationID>{ADMIN}</administrationID><glAccountCode></glAccountCode>"
            "<startDate>2024-01-01T00:00:00</startDate><endDate>2024-12-31T00:00:00</endDate><financialMode>0</financialMode>")
    ids = []
    start = 0
    while True:
        response = call(sandbox, "AccountingInfo", "GetTransactions",
                        base + f"<dataGroups>document</dataGroups><numberOfRecords>100</numberOfRecords><startRecord>{start}</startRecord>", sid)
        page = etree.fromstring(response.content).findall(f".//{{{TNS}}}Transaction")
        ids += [t.findtext(f"{{{TNS}}}id") for t in page]
        assert all(t.find(f"{{{TNS}}}document/{{{TNS}}}id") is not None for t in page)
        if len(page) < 100:
            break
        start += 100
    assert ids == [line.id for line in sandbox.admins[ADMIN].lines() if line.date.year == 2024]
    bad = call(sandbox, "AccountingInfo", "GetTransactions",
               base + "<dataGroups>everything</dataGroups><numberOfRecords>1</numberOfRecords><startRecord>0</startRecord>", sid)
    assert "Unknown data group" in fault_text(bad)


def test_daily_counter_per_domain(sandbox, clock):
    sid = session(sandbox)  # 1 call of the NL domain
    sandbox.set_daily_limit(3, DOMAIN_NL.id)
    assert call(sandbox, "AccountingInfo", "Administrations", "", sid).status_code == 200
    assert call(sandbox, "AccountingInfo", "Administrations", "", sid).status_code == 200
    assert "daily limit of 3" in fault_text(call(sandbox, "AccountingInfo", "Administrations", "", sid))
    # A Belgian administration counts against its own domain.
    be = sandbox.company_refs()[2]
    assert call(sandbox, "AccountingInfo", "GetGLAccountScheme", f"<administrationID>{be}</administrationID>", sid).status_code == 200
    clock.advance(22 * 3600)  # past midnight in Amsterdam
    assert call(sandbox, "AccountingInfo", "Administrations", "", sid).status_code == 200


def test_modified_date_is_bumped_by_every_change(sandbox, clock):
    admin = sandbox.admins[ADMIN]
    before = dict(admin.year_modified)
    clock.advance(60)
    sandbox.add_entry(ADMIN, day=dt.date(2024, 2, 2))
    assert admin.year_modified[2024] > before[2024]
    assert {y: s for y, s in admin.year_modified.items() if y != 2024} == {y: s for y, s in before.items() if y != 2024}
    edited = sandbox.edit_line(ADMIN)
    latest = max(line.date for line in admin.lines() if line.id == edited)
    assert admin.year_modified[admin.year_id_of(latest)] >= clock.now().replace(microsecond=0)
    response = call(sandbox, "AccountingInfo", "GetFinancialYearModifiedDate",
                    f"<administrationID>{ADMIN}</administrationID><yearID>2024</yearID>")
    stamp = etree.fromstring(response.content).findtext(f".//{{{TNS}}}GetFinancialYearModifiedDateResult")
    assert dt.datetime.fromisoformat(stamp) > before[2024].replace(tzinfo=None)


@pytest.mark.parametrize("ref_index", [0, 1, 2, 3])
def test_seeded_entries_balance_and_accounts_exist(sandbox, ref_index):
    admin = sandbox.admins[sandbox.company_refs()[ref_index]]
    for entry in admin.entries.values():
        assert sum(line.amount for line in entry.lines) == 0
        assert all(line.account in admin.chart for line in entry.lines)
    assert len({line.id for line in admin.lines()}) == len(admin.lines())
