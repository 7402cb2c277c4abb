"""The connector and the sandbox, checked against the WSDLs.

Every operation the connector calls exists in its service's WSDL with exactly those parameter
names (case-sensitive, in order), and every sandbox response has the elements the WSDL declares.
The WSDL is read here with plain lxml, independently of ``sfsync_yuki.wsdl``.
"""

from __future__ import annotations

import datetime as dt
import decimal
from importlib import resources

import pytest
from lxml import etree
from sfsync_yuki.connector import yuki
from sfsync_yuki.sandbox.service import SoapApp

W = "http://schemas.xmlsoap.org/wsdl/"
S = "http://www.w3.org/2001/XMLSchema"
SOAP = "http://schemas.xmlsoap.org/wsdl/soap/"
ENV = "http://schemas.xmlsoap.org/soap/envelope/"
TNS = "http://www.theyukicompany.com/"
NS = {"w": W, "s": S, "soap": SOAP}


def _wsdl(service: str) -> etree._Element:
    data = resources.files("sfsync_yuki").joinpath("wsdl", f"{service}.asmx.wsdl.xml").read_bytes()
    return etree.fromstring(data)


def _schema_element(root: etree._Element, name: str) -> etree._Element:
    found = root.find(f"w:types/s:schema/s:element[@name='{name}']", NS)
    assert found is not None, f"the WSDL declares no element {name}"
    return found


def _sequence(node: etree._Element) -> list[etree._Element]:
    return node.findall("s:complexType/s:sequence/s:element", NS) or node.findall("s:sequence/s:element", NS)


def _check_value(xsd_type: str, text: str, where: str) -> None:
    text = text or ""
    if xsd_type == "s:int":
        int(text)
    elif xsd_type == "s:dateTime":
        dt.datetime.fromisoformat(text)
    elif xsd_type == "s:boolean":
        assert text in ("true", "false"), f"{where}: {text!r} is no xs:boolean"
    elif xsd_type in ("s:decimal", "s:double"):
        decimal.Decimal(text)


def _check_children(root: etree._Element, element: etree._Element, declared: list[etree._Element], where: str) -> None:
    names = [d.get("name") for d in declared]
    position = -1
    seen: dict[str, int] = {}
    for child in element:
        if not isinstance(child.tag, str):
            continue
        qname = etree.QName(child)
        assert qname.namespace == TNS, f"{where}: <{qname.localname}> is not in Yuki's namespace"
        assert qname.localname in names, f"{where}: <{qname.localname}> is not declared ({names})"
        index = names.index(qname.localname)
        decl = declared[index]
        seen[qname.localname] = seen.get(qname.localname, 0) + 1
        if decl.get("maxOccurs") == "unbounded":
            assert index >= position, f"{where}: <{qname.localname}> out of order"
        else:
            assert index > position and seen[qname.localname] == 1, f"{where}: <{qname.localname}> out of order or repeated"
        position = index
        xsd_type = decl.get("type", "")
        if child.get("{http://www.w3.org/2001/XMLSchema-instance}nil") == "true":
            assert decl.get("nillable") == "true" or decl.get("minOccurs") == "1"
            continue
        if xsd_type.startswith("tns:"):
            ctype = root.find(f"w:types/s:schema/s:complexType[@name='{xsd_type[4:]}']", NS)
            if ctype is None:  # a simple type (an enumeration)
                continue
            _check_children(root, child, _sequence(ctype), f"{where}/{qname.localname}")
        else:
            _check_value(xsd_type, child.text or "", f"{where}/{qname.localname}")
    for decl in declared:
        if decl.get("minOccurs") == "1" and decl.get("maxOccurs") != "unbounded" and decl.get("nillable") != "true":
            assert decl.get("name") in seen, f"{where}: required <{decl.get('name')}> is missing"


def _check_exchange(service: str, action: str, request: bytes, status: int, response: bytes) -> str:
    root = _wsdl(service)
    call = etree.fromstring(request).find(f"{{{ENV}}}Body")[0]
    op = etree.QName(call).localname
    assert etree.QName(call).namespace == TNS
    binding = root.find(f"w:binding[@name='{service}Soap']/w:operation[@name='{op}']/soap:operation", NS)
    assert binding is not None, f"{service}.asmx has no operation {op}"
    assert action == f'"{binding.get("soapAction")}"', "SOAPAction must be the WSDL's, quoted"
    _check_children(root, call, _sequence(_schema_element(root, op)), f"{service}.{op} request")
    assert status == 200, response
    body = etree.fromstring(response).find(f"{{{ENV}}}Body")
    wrapper = body[0]
    assert wrapper.tag == f"{{{TNS}}}{op}Response"
    declared = _sequence(_schema_element(root, f"{op}Response"))
    results = [c for c in wrapper if isinstance(c.tag, str)]
    if not declared:
        assert not results, f"{op} declares an empty response"
        return op
    result_decl = declared[0]
    assert [etree.QName(r).localname for r in results] in ([result_decl.get("name")], [])
    if not results:
        return op
    result = results[0]
    inline = result_decl.find("s:complexType", NS)
    if inline is not None and inline.get("mixed") == "true":
        inner = [c for c in result if isinstance(c.tag, str)]
        assert len(inner) == 1 and etree.QName(inner[0]).namespace is None, f"{op}: untyped result needs one root in no namespace"
        assert f'<{inner[0].tag} xmlns="">'.encode() in response or f'<{inner[0].tag} xmlns=""'.encode() in response
    elif result_decl.get("type", "").startswith("tns:"):
        ctype = root.find(f"w:types/s:schema/s:complexType[@name='{result_decl.get('type')[4:]}']", NS)
        _check_children(root, result, _sequence(ctype), f"{op} response")
    else:
        _check_value(result_decl.get("type", ""), result.text or "", f"{op} response")
    return op


@pytest.fixture
def recorded(connection, sandbox):
    """Every exchange of a connection check, a listing and a full sync (both granularities) of a
    Dutch and a Belgian administration."""
    sandbox.record = True

    async def body(ctx):
        await yuki.sfsync_check_connection(ctx=ctx)
        companies = await yuki.sfsync_list_companies(ctx=ctx)
        for ref in (sandbox.company_refs()[0], sandbox.company_refs()[2]):
            company = next(c for c in companies if c.ref == ref)
            years = await yuki.sfsync_fetch_fiscal_years(ctx=ctx, company=company)
            await yuki.sfsync_fetch_accounts(ctx=ctx, company=company)
            await yuki.sfsync_fetch_company_details(ctx=ctx, company=company)
            await yuki.sfsync_fetch_opening_balances(ctx=ctx, company=company, at=years[-1].start)
            await yuki.sfsync_fetch_opening_balances(ctx=ctx, company=company, at=years[-1].start + dt.timedelta(days=40))
            async for _ in yuki.sfsync_fetch_ledger(ctx=ctx, company=company, since=None, cursor=None):
                pass
            async for _ in yuki.sfsync_fetch_trial_balance(ctx=ctx, company=company, fiscal_years=years[-1:], cursor=None):
                pass

    connection.run(body)
    return sandbox.exchanges


def test_every_call_of_the_connector_is_in_the_wsdl_with_its_exact_parameters(recorded):
    called = {_check_exchange(*exchange) for exchange in recorded}
    assert called == {
        "Authenticate", "GetCurrentDomain", "SetCurrentDomain", "Administrations", "GetPeriodDateTable",
        "GetGLAccountScheme", "GLAccountBalance", "GetFinancialYearModifiedDate", "GetTransactionDetails",
        "GetStartBalanceByGlAccount",
    }


def test_general_operations_match_the_real_archive_wsdl(recorded):
    archive = _wsdl("Archive")
    for service, _, request, _, _ in recorded:
        op = etree.QName(etree.fromstring(request).find(f"{{{ENV}}}Body")[0]).localname
        if archive.find(f"w:binding[@name='ArchiveSoap']/w:operation[@name='{op}']", NS) is None:
            continue
        real = [(e.get("name"), e.get("type")) for e in _sequence(_schema_element(archive, op))]
        ours = [(e.get("name"), e.get("type")) for e in _sequence(_schema_element(_wsdl(service), op))]
        assert ours == real, op


# Parameter names as the provider notes list them (sections 4-7), case and order included.
REFERENCE_PARAMETERS = {
    ("Accounting", "GLAccountTransactions"): ["sessionID", "administrationID", "GLAccountCode", "StartDate", "EndDate"],
    ("Accounting", "GLAccountTransactionsFiscal"): ["sessionID", "administrationID", "GLAccountCode", "StartDate", "EndDate"],
    ("Accounting", "GLAccountBalance"): ["sessionID", "administrationID", "transactionDate"],
    ("AccountingInfo", "GetTransactionDetails"): ["sessionID", "administrationID", "GLAccountCode", "StartDate", "EndDate", "financialMode"],
    ("AccountingInfo", "GetTransactions"): ["sessionID", "administrationID", "glAccountCode", "startDate", "endDate",
                                            "financialMode", "dataGroups", "numberOfRecords", "startRecord", "searchValues"],
    ("AccountingInfo", "GetPeriodDateTable"): ["sessionID", "administrationID", "yearID"],
    ("AccountingInfo", "GetFinancialYearModifiedDate"): ["sessionID", "administrationID", "yearID"],
    ("AccountingInfo", "GetStartBalanceByGlAccount"): ["sessionID", "administrationID", "bookyear", "financialMode"],
    ("AccountingInfo", "GetGLAccountScheme"): ["sessionID", "administrationID"],
    ("Archive", "Authenticate"): ["accessKey"],
}


@pytest.mark.parametrize(("service", "op"), sorted(REFERENCE_PARAMETERS))
def test_wsdl_parameters_are_the_references(service, op):
    names = [e.get("name") for e in _sequence(_schema_element(_wsdl(service), op))]
    assert names == REFERENCE_PARAMETERS[(service, op)]


def test_gl_account_keeps_the_misspelt_descripton():
    gl = _wsdl("AccountingInfo").find("w:types/s:schema/s:complexType[@name='GlAccount']", NS)
    names = [e.get("name") for e in _sequence(gl)]
    assert "descripton" in names and "description" not in names


def test_every_sandbox_operation_is_declared(sandbox):
    handlers = set(SoapApp(sandbox).handlers)
    declared = set()
    for service in ("Accounting", "AccountingInfo", "Archive"):
        declared |= {o.get("name") for o in _wsdl(service).findall(f"w:binding[@name='{service}Soap']/w:operation", NS)}
    assert handlers <= declared


def test_other_sandbox_responses_match_the_wsdl(connection, sandbox):
    """The operations the connector does not use (GetTransactions, GLAccountTransactions,
    Companies, Domains…) answer as their WSDL says too."""
    from sfsync_yuki.client import YukiClient

    admin = sandbox.admins[sandbox.company_refs()[1]]  # with foreign currency
    sandbox.record = True

    async def body(ctx):
        client = YukiClient.of(ctx)
        base = {"administrationID": admin.id}
        for service, op, params in [
            ("Archive", "Companies", {}),
            ("Archive", "Domains", {}),
            ("AccountingInfo", "GetTransactions", {**base, "glAccountCode": "", "startDate": dt.date(2023, 7, 1),
                                                    "endDate": dt.date(2024, 6, 30), "financialMode": 0,
                                                    "dataGroups": "document,contact,foreigncurrency,vat,documentprocessed,documentmatching",
                                                    "numberOfRecords": 50, "startRecord": 10}),
            ("AccountingInfo", "GetTransactions", {**base, "glAccountCode": "700000", "startDate": dt.date(2023, 7, 1),
                                                    "endDate": dt.date(2024, 6, 30), "financialMode": None,
                                                    "numberOfRecords": None, "startRecord": None}),
            ("Accounting", "GLAccountTransactions", {**base, "GLAccountCode": "", "StartDate": dt.date(2024, 1, 1),
                                                      "EndDate": dt.date(2024, 3, 31)}),
            ("Accounting", "GLAccountTransactionsFiscal", {**base, "GLAccountCode": "130000", "StartDate": dt.date(2024, 1, 1),
                                                            "EndDate": dt.date(2024, 3, 31)}),
            ("Accounting", "GLAccountBalanceYearEnd", {**base, "transactionDate": dt.date(2024, 6, 30)}),
            ("Accounting", "GLAccountBalanceFiscal", {**base, "transactionDate": dt.date(2024, 6, 30)}),
        ]:
            await client.call(service, op, params, domain=admin.domain_id)

    connection.run(body)
    checked = [_check_exchange(*exchange) for exchange in sandbox.exchanges]
    assert {"Companies", "Domains", "GetTransactions", "GLAccountTransactions", "GLAccountTransactionsFiscal",
            "GLAccountBalanceYearEnd", "GLAccountBalanceFiscal"} <= set(checked)
