"""The connector's requests and the sandbox's answers, checked against Twinfield's WSDL schemas."""

from __future__ import annotations

import asyncio
import copy
from pathlib import Path

import pytest
from lxml import etree
from sfsync_twinfield import client
from sfsync_twinfield.connector import twinfield

SPECS = Path(__file__).parent / "specs"
XS = "http://www.w3.org/2001/XMLSchema"
HEADER_FIELDS = ["SessionID", "AccessToken", "CompanyCode", "CompanyId"]  # processxml-oauth.wsdl


def _schema(name: str) -> etree.XMLSchema:
    """The WSDL's tns schema without its SOAP header type (which needs a guid type from a second
    schema and is checked separately below)."""
    wsdl = etree.parse(str(SPECS / name))
    found = wsdl.find(f".//{{{XS}}}schema")
    # Prefixes used only in attribute values (tns:ArrayOfString) must stay declared.
    schema = etree.Element(found.tag, attrib=dict(found.attrib), nsmap=wsdl.getroot().nsmap)
    for node in found:
        if node.tag != f"{{{XS}}}import" and node.get("name") != "Header":
            schema.append(copy.deepcopy(node))
    return etree.XMLSchema(schema)


@pytest.fixture
def exchanges(connected):
    """Every SOAP exchange with the cluster during the test: (path, request, status, answer)."""
    seen: list[tuple[str, bytes, int, bytes]] = []
    handle = connected.sandbox.handle

    def recording(method, path, query, headers, body):  # type: ignore[no-untyped-def]
        status, out, payload = handle(method, path, query, headers, body)
        if path.endswith(".asmx"):
            seen.append((path, body, status, payload))
        return status, out, payload

    connected.sandbox.handle = recording
    return seen


def _body_child(raw: bytes) -> etree._Element:
    return etree.fromstring(raw).find(f"{{{client.NS_SOAP}}}Body")[0]


def test_twinfield_requests_and_answers_match_the_wsdls(connected, exchanges):
    company = connected.company()

    async def sync() -> None:
        await twinfield.sfsync_list_companies(ctx=connected.ctx)
        years = await twinfield.sfsync_fetch_fiscal_years(ctx=connected.ctx, company=company)
        await twinfield.sfsync_fetch_accounts(ctx=connected.ctx, company=company)
        async for _ in twinfield.sfsync_fetch_ledger(
            ctx=connected.ctx, company=company, since=None, cursor=None, fiscal_years=years[-1:]
        ):
            pass
        await client.finder(connected.ctx, "DIM", {"office": "001"}, first_row=1, max_rows=5)

    with pytest.raises(Exception, match="OptionMandatory"):
        asyncio.run(sync())
    schemas = {
        "/webservices/processxml.asmx": _schema("processxml-oauth.wsdl"),
        "/webservices/finder.asmx": _schema("finder.wsdl"),
    }
    paths = {path for path, *_ in exchanges}
    assert paths == set(schemas)
    operations = set()
    for path, request, status, answer in exchanges:
        schema = schemas[path]
        payload = _body_child(request)
        operations.add(etree.QName(payload).localname)
        assert schema.validate(payload), (etree.QName(payload).localname, schema.error_log)
        assert status == 200
        reply = _body_child(answer)
        assert schema.validate(reply), (etree.QName(reply).localname, schema.error_log)
        header = etree.fromstring(request).find(
            f"{{{client.NS_SOAP}}}Header/{{{client.NS_TWIN}}}Header"
        )
        names = [etree.QName(child).localname for child in header]
        assert names == [n for n in HEADER_FIELDS if n in names]
        assert "AccessToken" in names
    assert {"ProcessXmlString", "ProcessXmlCompressed", "Search"} <= operations
