"""SOAP faults become the core's errors, with Yuki's message kept."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from sfsync.errors import (
    AuthError,
    BudgetExhausted,
    FatalError,
    NeedsReconsent,
    NotFound,
    RetriableError,
)
from sfsync.models import Company
from sfsync_yuki.connector import yuki
from sfsync_yuki.soap import (
    AdministrationNotFound,
    SessionExpired,
    SoapFault,
    build_envelope,
    fault_to_error,
)

NOW = dt.datetime(2026, 1, 15, 2, 0, tzinfo=dt.UTC)
PREFIX = "Server was unable to process request. ---> "


@pytest.mark.parametrize(
    ("text", "error", "kept"),
    [
        (f"{PREFIX}Invalid access key.", NeedsReconsent, "Invalid access key."),  # a key gone for good
        (f"{PREFIX}The daily limit of 1000 web service calls for this domain has been exceeded.", BudgetExhausted,
         "The daily limit of 1000 web service calls"),
        (f"{PREFIX}The session ID is invalid or the session has expired.", SessionExpired, "session has expired"),
        (f"{PREFIX}Administration not found or no access to administration: 123.", AdministrationNotFound,
         "Administration not found or no access to administration: 123."),
        ("Server was unable to read request. ---> There is an error in XML document (1, 120).", FatalError,
         "There is an error in XML document (1, 120)."),
        (f"{PREFIX}No rights for web service Accounting.", AuthError, "No rights for web service Accounting."),
        (f"{PREFIX}Object reference not set to an instance of an object.", FatalError, "Object reference not set"),
    ],
)
def test_fault_mapping_keeps_yukis_message(text, error, kept):
    mapped = fault_to_error(SoapFault("soap:Server", text), operation="GetTransactions", now=NOW, domain="d1")
    assert type(mapped) is error
    assert kept in str(mapped)
    assert "Server was unable to process request" not in str(mapped)
    assert "GetTransactions" in str(mapped)


def test_daily_limit_fault_resumes_after_midnight_in_amsterdam():
    mapped = fault_to_error(SoapFault("soap:Server", f"{PREFIX}Daily limit exceeded"), operation="X", now=NOW)
    assert isinstance(mapped, BudgetExhausted)
    assert mapped.resume_at == dt.datetime(2026, 1, 15, 23, 0, tzinfo=dt.UTC)
    assert mapped.retry_after == 21 * 3600


def test_unknown_administration_is_not_found_and_fatal(connection):
    # A company that names a domain and start date skips the Administrations lookup: Yuki refuses it.
    company = Company(ref="11111111-2222-4333-8444-555555555555",
                      extra={"domain": "6f1c3d2e-7a8b-4c9d-8e0f-1a2b3c4d5e60", "start_date": "2023-01-01"})

    async def body(ctx):
        return await yuki.sfsync_fetch_fiscal_years(ctx=ctx, company=company)

    with pytest.raises(AdministrationNotFound) as caught:
        connection.run(body)
    assert isinstance(caught.value, NotFound) and isinstance(caught.value, FatalError)
    assert "no access to administration: 11111111-2222-4333-8444-555555555555" in str(caught.value)


def test_unlisted_administration_is_not_found_before_any_data_call(connection, sandbox):
    async def body(ctx):
        return await yuki.sfsync_fetch_accounts(ctx=ctx, company=Company(ref="not-an-administration"))

    with pytest.raises(AdministrationNotFound):
        connection.run(body)
    assert "GetGLAccountScheme" not in [op for op, _ in sandbox.log]


def test_soap_fault_is_not_retried_as_a_server_error(connection, sandbox):
    sandbox.inject_fault(f"{PREFIX}Object reference not set to an instance of an object.", operation="Administrations")

    async def body(ctx):
        return await yuki.sfsync_list_companies(ctx=ctx)

    with pytest.raises(FatalError, match="Object reference not set"):
        connection.run(body)
    assert sandbox.operation_counts["Administrations"] == 1  # one call spent, not six


def test_http_503_and_a_500_without_envelope_are_retried_by_the_transport(connection, sandbox):
    """Status first (issue 15): a bare or gateway 500 is an outage, retried like a 503; only a
    500 that carries a SOAP envelope is read as Yuki's fault."""
    sandbox.faults.add(503, times=1)

    async def body(ctx):
        return await yuki.sfsync_list_companies(ctx=ctx)

    assert [c.ref for c in connection.run(body)] == sandbox.company_refs()
    page = sandbox.faults.add(500, body="<html>Service Unavailable</html>", times=2, path_contains="AccountingInfo")
    bare = sandbox.faults.add(500, times=2, path_contains="AccountingInfo")
    assert [c.ref for c in connection.run(body)] == sandbox.company_refs()
    assert page.times == 0 and bare.times == 0
    sandbox.faults.add(500, times=50, path_contains="AccountingInfo")  # more than the transport retries
    with pytest.raises(RetriableError):
        connection.run(body)


def test_daily_limit_fault_marks_the_domain_spent(connection, sandbox):
    sandbox.inject_fault(f"{PREFIX}The daily limit of 1000 web service calls for this domain has been exceeded.",
                         operation="Administrations")

    async def body(ctx):
        return await yuki.sfsync_list_companies(ctx=ctx)

    with pytest.raises(BudgetExhausted, match="daily limit of 1000"):
        connection.run(body)
    calls = len(sandbox.log)
    with pytest.raises(BudgetExhausted, match="must wait for the next day"):
        connection.run(body)
    assert len(sandbox.log) == calls


def test_wrong_parameter_name_is_refused_before_sending():
    with pytest.raises(ValueError, match="declares no parameter SessionID"):
        build_envelope("AccountingInfo", "GetGLAccountScheme", {"SessionID": "x", "administrationID": "y"})
    with pytest.raises(ValueError, match="no operation"):
        build_envelope("Accounting", "GetTransactionDetails", {})


def test_malformed_request_fault_from_yuki_is_fatal(sandbox):
    # What Yuki says to a request with a wrong parameter case, read through the connector's mapping.
    body = (b'<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
            b'<soap:Body><GetGLAccountScheme xmlns="http://www.theyukicompany.com/"><SessionID>x</SessionID>'
            b'</GetGLAccountScheme></soap:Body></soap:Envelope>')
    import asyncio

    from sfsync_yuki.soap import parse_response
    from sfsync_yuki.wsdl import load_service

    async def post():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.app), base_url="https://api.yukiworks.nl") as c:
            return await c.post("/ws/AccountingInfo.asmx", content=body, headers={
                "Content-Type": "text/xml; charset=utf-8", "SOAPAction": '"http://www.theyukicompany.com/GetGLAccountScheme"'})

    response = asyncio.run(post())
    assert response.status_code == 500
    with pytest.raises(SoapFault) as caught:
        parse_response(load_service("AccountingInfo").operations["GetGLAccountScheme"], response)
    mapped = fault_to_error(caught.value, operation="GetGLAccountScheme", now=NOW)
    assert type(mapped) is FatalError
    assert "SessionID" in str(mapped) and "sessionID" in str(mapped)
