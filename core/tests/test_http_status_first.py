"""The transport looks at the status first (issue 15, finding 4): a 5xx is retried unless the
connector says its body is the package's own answer (a SOAP fault on HTTP 500)."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sfsync.clock import FakeClock
from sfsync.errors import RetriableError
from sfsync.http import (
    InMemoryLimiterBackend,
    ManagedTransport,
    RequestStats,
    RetryPolicy,
    soap_envelope,
)

FAULT = (b'<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
         b"<soap:Body><soap:Fault><faultcode>soap:Server</faultcode></soap:Fault></soap:Body></soap:Envelope>")


def _send(answers: list[httpx.Response], *, keeps: bool) -> tuple[httpx.Response, int]:
    queue = list(answers)

    def handler(request: httpx.Request) -> httpx.Response:
        return queue.pop(0)

    stats = RequestStats()
    transport = ManagedTransport(
        httpx.MockTransport(handler), key="k", policy=None, backend=InMemoryLimiterBackend(), clock=FakeClock(),
        stats=stats, retry=RetryPolicy(attempts=4, wait_initial=0.001, wait_max=0.002),
        keeps=soap_envelope if keeps else None,
    )

    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=transport, base_url="https://pkg.test") as client:
            return await client.post("/soap", content=b"<x/>")

    return asyncio.run(go()), stats.requests


def test_a_soap_fault_on_500_is_kept() -> None:
    response, requests = _send([httpx.Response(500, content=FAULT)], keeps=True)
    assert response.status_code == 500 and requests == 1


@pytest.mark.parametrize("body", [b"", b"Internal Server Error", b"<html><body>502 Bad Gateway</body></html>"])
def test_a_500_that_is_not_soap_is_retried(body: bytes) -> None:
    response, requests = _send([httpx.Response(500, content=body), httpx.Response(200, content=b"ok")], keeps=True)
    assert response.status_code == 200 and requests == 2


def test_without_keeps_every_500_is_retried() -> None:
    answers = [httpx.Response(500, content=FAULT)] * 4
    with pytest.raises(RetriableError):
        _send(answers, keeps=False)


def test_soap_envelope() -> None:
    assert soap_envelope(httpx.Response(500, content=b"  \n" + FAULT))
    assert soap_envelope(httpx.Response(500, content=b"<Envelope><Body/></Envelope>"))
    assert not soap_envelope(httpx.Response(500, content=b"<html><p>Envelope missing</p></html>"))
    assert not soap_envelope(httpx.Response(500, content=b"Service Unavailable"))
