"""Status first (issue 15, finding 4): a 500 that is not SOAP is an outage, retried; a SOAP fault
on a 500 is Twinfield's answer, read once."""

from __future__ import annotations

import asyncio

import pytest
from sfsync.errors import AuthError, RetriableError
from sfsync_twinfield.connector import twinfield

PLAIN = b"Internal Server Error"  # what a gateway in front of the cluster sends
FAULT_354 = (
    b'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
    b"<soap:Body><soap:Fault><faultcode>soap:Client</faultcode><faultstring>Access denied. Token invalid."
    b"</faultstring><detail><message>Access denied. Token invalid.</message><code>354</code></detail>"
    b"</soap:Fault></soap:Body></soap:Envelope>"
)


def _companies(ctx):  # type: ignore[no-untyped-def]
    return asyncio.run(twinfield.sfsync_list_companies(ctx=ctx))


def test_a_plain_text_500_is_retried(connected):  # type: ignore[no-untyped-def]
    page = connected.sandbox.faults.add(500, body=PLAIN, times=3, path_contains="processxml")
    assert _companies(connected.ctx)
    assert page.times == 0  # all three were served, and retried past


def test_an_html_500_is_retried(connected):  # type: ignore[no-untyped-def]
    page = connected.sandbox.faults.add(500, body="<html><body>Bad gateway</body></html>", times=2,
                                        path_contains="processxml")
    assert _companies(connected.ctx)
    assert page.times == 0


def test_eight_plain_500s_outlast_the_transport_and_stay_retriable(connected):  # type: ignore[no-untyped-def]
    connected.sandbox.faults.add(500, body=PLAIN, times=8, path_contains="processxml")
    with pytest.raises(RetriableError):  # the runner resumes from its checkpoint; not a fatal error
        _companies(connected.ctx)


def test_a_soap_fault_on_500_is_read_not_retried(connected):  # type: ignore[no-untyped-def]
    fault = connected.sandbox.faults.add(500, body=FAULT_354, times=5, path_contains="processxml")
    with pytest.raises(AuthError, match="354"):
        _companies(connected.ctx)
    assert fault.times == 3  # two calls: the first and the one after a token refresh, no retries
