"""Business Central's per-user limits, on the sandbox and in the connector: the 5-minute window
(429 with Retry-After), five at a time with a queue (full: 429 without Retry-After; too long:
503), the 8-minute operation timeout (408), and the connector waiting them out."""

from __future__ import annotations

import asyncio

import httpx
from sfsync.clock import FakeClock
from sfsync.testing.harness import ContractHarness
from sfsync_businesscentral.facts import api_base
from sfsync_businesscentral.sandbox import BusinessCentralSandbox, LimitConfig
from sfsync_businesscentral.sandbox.harness import api_get, issue_tokens


def test_the_window_answers_429_with_retry_after_and_frees_up():
    clock = FakeClock()
    sandbox = BusinessCentralSandbox(clock=clock, limits=LimitConfig(window_requests=3, window_seconds=300))
    token = issue_tokens(sandbox)["access_token"]
    assert [api_get(sandbox, "companies", token=token).status_code for _ in range(3)] == [200, 200, 200]
    refused = api_get(sandbox, "companies", token=token)
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "Application_TooManyRequests"
    assert int(refused.headers["retry-after"]) == 300
    assert api_get(sandbox, "$metadata", token=token).status_code == 200  # not counted
    clock.advance(301)
    assert api_get(sandbox, "companies", token=token).status_code == 200


async def _burst(sandbox: BusinessCentralSandbox, count: int) -> list[httpx.Response]:
    token = issue_tokens(sandbox)["access_token"]
    url = f"{api_base(sandbox.tenant.id, 'Production')}/companies"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.app)) as client:
        return list(await asyncio.gather(*(client.get(url, headers={"Authorization": f"Bearer {token}"})
                                           for _ in range(count))))


def test_five_run_at_once_and_the_rest_wait_in_the_queue():
    sandbox = BusinessCentralSandbox(clock=FakeClock(), latency=1.0)

    async def slow(seconds: float) -> None:  # each request takes a moment of real time
        await asyncio.sleep(0.02)

    sandbox.clock.sleep = slow  # type: ignore[method-assign]
    answers = asyncio.run(_burst(sandbox, 12))
    assert [r.status_code for r in answers] == [200] * 12
    assert sandbox.queue.peak_in_flight == 5


def test_a_full_queue_is_429_without_retry_after_and_a_long_wait_is_503():
    sandbox = BusinessCentralSandbox(clock=FakeClock(), limits=LimitConfig(concurrent=1, queue_length=2, queue_seconds=0.05))

    async def slow(seconds: float) -> None:
        await asyncio.sleep(0.2)

    sandbox.clock.sleep = slow  # type: ignore[method-assign]
    sandbox.latency = 1.0
    answers = asyncio.run(_burst(sandbox, 5))
    statuses = sorted(r.status_code for r in answers)
    assert statuses == [200, 429, 429, 503, 503], statuses
    full = next(r for r in answers if r.status_code == 429)
    assert "retry-after" not in full.headers
    assert next(r for r in answers if r.status_code == 503).json()["error"]["code"] == "Internal_ServiceUnavailable"


def test_an_operation_past_eight_minutes_is_408_and_the_connector_retries_then_says_so(tmp_path):
    sandbox = BusinessCentralSandbox(clock=FakeClock())
    sandbox.operation_seconds["generalLedgerEntries"] = 600
    response = api_get(sandbox, f"companies({sandbox.tenant.companies[0].id})/generalLedgerEntries")
    assert response.status_code == 408 and response.json()["error"]["code"] == "Request_Timeout"
    harness = ContractHarness.create("businesscentral", tmp_path, sandbox=sandbox)
    harness.connect()
    run = harness.sync(harness.new_dossier())
    harness.close()
    assert run.status == "failed" and "408" in (run.error or "")
    assert sum(p.endswith("/generalLedgerEntries") for p, _ in sandbox.requests) >= 3  # retried before giving up


def test_a_429_without_retry_after_is_retried(tmp_path):
    sandbox = BusinessCentralSandbox(clock=FakeClock())
    harness = ContractHarness.create("businesscentral", tmp_path, sandbox=sandbox)
    harness.connect()
    sandbox.faults.add(429, times=2)
    run = harness.sync(harness.new_dossier())
    harness.close()
    assert run.status == "ok", run.error
    assert len(sandbox.faults.served) == 2


def test_the_connector_keeps_five_requests_of_a_user_in_flight(tmp_path):
    """The service would take fifty at once here: the five come from the client."""
    sandbox = BusinessCentralSandbox(clock=FakeClock(), latency=1.0, limits=LimitConfig(concurrent=50))

    async def slow(seconds: float) -> None:
        await asyncio.sleep(0.02)

    sandbox.clock.sleep = slow  # type: ignore[method-assign]
    harness = ContractHarness.create("businesscentral", tmp_path, sandbox=sandbox)
    record = harness.app.store.get_connection(harness.connect().id)
    connector = harness.app.registry.connector("businesscentral").plugin

    async def burst() -> list[int]:
        ctx = harness.app.runner.context_for(record)
        try:
            client = await connector.client(ctx, "Production")
            answers = await asyncio.gather(*(client.send("companies") for _ in range(12)))
        finally:
            await ctx.aclose()
        return [a.status_code for a in answers]

    assert harness.run(burst()) == [200] * 12
    harness.close()
    assert sandbox.queue.peak_in_flight == 5
