"""The sandbox toolkit's responses, routing, paging and rate limits."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal
from typing import Any

import httpx
import pytest

from sfsync.clock import FakeClock
from sfsync.context import RoutingTransport
from sfsync.echo import EchoSandbox
from sfsync.echo.sandbox import API_KEY, BASE_URL
from sfsync.sandbox.limits import Concurrent, Quota, RateLimits
from sfsync.sandbox.paging import PagingError, cursor_page, offset_page, page_number, skiptoken_page, with_query
from sfsync.sandbox.responses import (
    exact,
    json_body,
    odata_response,
    problem_response,
    soap_fault,
    soap_response,
    text_response,
    xml_response,
)
from sfsync.sandbox.routing import Request, Route, basic_credentials, bearer_token, form, starlette_app


async def _call(app: Any, method: str = "GET", path: str = "/", headers: dict[str, str] | None = None,
                body: bytes = b"") -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://pkg.example") as client:
        return await client.request(method, path, headers=headers, content=body)


def _serve(response: Any) -> httpx.Response:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await response(scope, receive, send)

    return asyncio.run(_call(app))


# --- responses -------------------------------------------------------------------------------------


def test_exact_keeps_status_headers_in_order_and_bytes() -> None:
    answer = _serve(exact(b"\x00\xffraw", 207, [("X-B", "2"), ("X-A", "1"), ("X-A", "again")]))
    assert answer.status_code == 207 and answer.content == b"\x00\xffraw"
    assert answer.headers.get_list("x-a") == ["1", "again"]
    assert [k for k, _ in answer.headers.raw][:3] == [b"x-b", b"x-a", b"x-a"]
    assert "content-type" not in answer.headers, "nothing is added but the length"
    assert answer.headers["content-length"] == "5"


def test_json_writes_decimals_exactly_as_numbers() -> None:
    assert json_body({"amount": Decimal("1234.50"), "rate": Decimal("0.000001"), "n": [Decimal("-0")]}) == (
        b'{"amount": 1234.50, "rate": 0.000001, "n": [-0]}'
    )
    assert json_body({"a": 1}, compact=True) == b'{"a":1}'


def test_text_and_xml_content_types_are_as_given() -> None:
    assert _serve(text_response("hi", content_type="text/plain")).headers["content-type"] == "text/plain"
    answer = _serve(xml_response(b"<a>\xc3\xa9</a>", content_type="application/xml"))
    assert answer.headers["content-type"] == "application/xml" and answer.content == b"<a>\xc3\xa9</a>"


def test_problem_json() -> None:
    answer = _serve(problem_response(422, "Invalid date", detail="2025-02-30", code="E42"))
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json() == {"type": "about:blank", "title": "Invalid date", "status": 422, "detail": "2025-02-30", "code": "E42"}


def test_odata_v2_and_v4_envelopes() -> None:
    v2 = _serve(odata_response([{"ID": 1}], next_link="https://x/next", count=9)).json()
    assert v2 == {"d": {"results": [{"ID": 1}], "__count": "9", "__next": "https://x/next"}}
    v4 = _serve(odata_response([{"ID": 1}], version="4", next_link="https://x/n", context="$metadata#X"))
    assert v4.headers["odata-version"] == "4.0"
    assert v4.json() == {"@odata.context": "$metadata#X", "value": [{"ID": 1}], "@odata.nextLink": "https://x/n"}


def test_soap_11_and_12() -> None:
    eleven = _serve(soap_response("<R/>"))
    assert eleven.headers["content-type"] == "text/xml; charset=utf-8"
    assert b'xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"' in eleven.content
    fault = _serve(soap_fault("No <access>", code="soap:Client", version="1.2"))
    assert fault.status_code == 500 and fault.headers["content-type"].startswith("application/soap+xml")
    assert b"<soap:Value>soap:Sender</soap:Value>" in fault.content and b"No &lt;access&gt;" in fault.content


# --- routing ---------------------------------------------------------------------------------------


def test_routes_request_helpers_and_the_packages_own_refusals() -> None:
    async def echo(request: Request) -> Any:
        posted = await form(request)
        return text_response(f"{request.path_params['ref']}|{bearer_token(request)}|{basic_credentials(request)}|{posted}")

    app = starlette_app(
        [Route("/things/{ref}", echo, methods=["POST"])],
        refusal=lambda request, status: text_response(f"package says {status}", status),
    )
    answer = asyncio.run(_call(app, "POST", "/things/42", {"Authorization": "Bearer tok",
                                                           "Content-Type": "application/x-www-form-urlencoded"},
                               b"a=1&b=%C3%A9&a=2"))
    assert answer.text == "42|tok|None|{'a': '2', 'b': 'é'}"
    assert asyncio.run(_call(app, "GET", "/things/42")).text == "package says 405"
    assert asyncio.run(_call(app, "GET", "/nowhere")).text == "package says 404"
    basic = asyncio.run(_call(app, "POST", "/things/1", {"Authorization": "Basic YXBwJTNBMTpzJTNBZWNyZXQ="}))
    assert "('app:1', 's:ecret')" in basic.text, "RFC 6749 §2.3.1: client credentials are URL-decoded"


def test_echo_sandbox_answers_as_before_on_the_toolkit() -> None:
    sandbox = EchoSandbox(lines_per_company=9)

    async def get(path: str, key: str = API_KEY, method: str = "GET") -> httpx.Response:
        async with httpx.AsyncClient(transport=RoutingTransport(sandbox.transports())) as client:
            return await client.request(method, BASE_URL + path, headers={"X-Api-Key": key})

    assert asyncio.run(get("/companies")).json()[0]["ref"] == "C1"
    assert asyncio.run(get("/companies", key="bad")).json()["error"] == "invalid_api_key"
    assert asyncio.run(get("/elsewhere", key="bad")).status_code == 401, "the key before the path"
    assert asyncio.run(get("/elsewhere")).json() == {"error": "not_found"}
    assert asyncio.run(get("/companies", method="POST")).json() == {"error": "method_not_allowed"}
    assert asyncio.run(get("/companies/C9/lines")).json()["error"] == "unknown_company"
    assert asyncio.run(get("/companies/C1/lines?limit=0")).json()["message"] == "limit must be between 1 and 500"
    page = asyncio.run(get("/companies/C1/lines?limit=4")).json()
    assert len(page["lines"]) == 4 and page["more"] is True


# --- paging ----------------------------------------------------------------------------------------


def test_offset_and_page_number() -> None:
    items = list(range(10))
    assert offset_page(items, offset="8", limit="5") == offset_page(items, offset=8, limit=5)
    last = offset_page(items, offset=8, limit=5)
    assert last.items == [8, 9] and last.next is None and last.total == 10
    first = offset_page(items, offset=None, limit=None, default_limit=4)
    assert first.items == [0, 1, 2, 3] and first.next == "4"
    assert page_number(items, page="2", size="4").items == [4, 5, 6, 7]
    assert page_number(items, page=3, size=4).next is None
    assert page_number(items, page=9, size=4).items == []
    with pytest.raises(PagingError, match="pageSize must be between 1 and 100, not 101"):
        page_number(items, page=1, size=101, max_size=100)
    with pytest.raises(PagingError, match="offset must be a whole number"):
        offset_page(items, offset="x", limit=1)


def test_skiptoken_links_and_cursors() -> None:
    ids = [f"id-{n:02d}" for n in range(7)]
    page = skiptoken_page(ids, key=str, skiptoken=None, size=3, url="https://x/api/Lines?$select=ID&$skiptoken=old",
                          quote=True)
    assert page.items == ids[:3] and page.next == "https://x/api/Lines?$select=ID&$skiptoken='id-02'"
    second = skiptoken_page(ids, key=str, skiptoken="'id-02'", size=3, url="https://x", quote=True)
    assert second.items == ids[3:6]
    with pytest.raises(PagingError, match="must be quoted"):
        skiptoken_page(ids, key=str, skiptoken="id-02", size=3, url="https://x", quote=True)
    seen, cursor = [], None
    while True:
        chunk = cursor_page(ids, key=str, cursor=cursor, size=2)
        seen += chunk.items
        if chunk.next is None:
            break
        cursor = chunk.next
    assert seen == ids
    with pytest.raises(PagingError, match="not one this API gave"):
        cursor_page(ids, key=str, cursor="%%%", size=2)
    assert with_query("https://x/a?b=1&c=2", b=None, d="4") == "https://x/a?c=2&d=4"


# --- limits ----------------------------------------------------------------------------------------


def _limited(limits: RateLimits) -> Any:
    async def ok(request: Request) -> Any:
        return text_response("ok")

    return limits.wrap(starlette_app([Route("/{company}/x", ok)]))


def test_fixed_minute_and_day_quotas_per_credential_with_headers() -> None:
    clock = FakeClock(dt.datetime(2026, 3, 1, 23, 58, 30, tzinfo=dt.UTC))
    limits = RateLimits(
        [Quota("minute", 2, 60), Quota("day", 3, 86400)], clock=clock,
        headers=lambda v: {"X-Minute-Remaining": str(s.remaining) for s in v.states if s.limit.name == "minute"},
    )
    app = _limited(limits)

    def call(key: str = "a") -> httpx.Response:
        return asyncio.run(_call(app, path="/c1/x", headers={"Authorization": f"Bearer {key}"}))

    assert [call().headers["x-minute-remaining"] for _ in range(2)] == ["1", "0"]
    refused = call()
    assert refused.status_code == 429 and refused.headers["retry-after"] == "30", "fixed: the minute turns at :00"
    assert refused.headers["x-minute-remaining"] == "0"
    assert call("b").status_code == 200, "another credential has its own budget"
    clock.advance(30)
    assert call().status_code == 200, "a new minute"
    spent = call()
    assert spent.status_code == 429 and spent.headers["retry-after"] == "60" and limits.refusals == 2, "the day's 3 are spent"
    clock.advance(60)
    assert call().status_code == 200, "a new day at 00:00 UTC"
    assert asyncio.run(_call(app, path="/c1/x")).status_code == 200, "no credential, no key: not counted"


def test_sliding_window_per_company() -> None:
    clock = FakeClock()
    limits = RateLimits([Quota("hour", 2, 3600, scope="company", window="sliding")], clock=clock,
                        scopes={"company": lambda r: r.path_params.get("company") or r.url.path.split("/")[1]})
    app = _limited(limits)

    def call(company: str) -> int:
        return asyncio.run(_call(app, path=f"/{company}/x")).status_code

    assert [call("c1"), call("c1"), call("c1"), call("c2")] == [200, 200, 429, 200]
    clock.advance(3599)
    assert call("c1") == 429
    clock.advance(1)
    assert call("c1") == 200


def test_concurrency_limit_counts_requests_in_flight() -> None:
    clock = FakeClock()
    limits = RateLimits([Concurrent("concurrent", 1)], clock=clock)
    gate = asyncio.Event()

    async def slow(request: Request) -> Any:
        await gate.wait()
        return text_response("done")

    app = limits.wrap(starlette_app([Route("/slow", slow)]))

    async def scenario() -> list[int]:
        headers = {"X-Api-Key": "k"}
        first = asyncio.create_task(_call(app, path="/slow", headers=headers))
        await asyncio.sleep(0.05)
        second = await _call(app, path="/slow", headers=headers)
        gate.set()
        done = await first
        third = await _call(app, path="/slow", headers=headers)
        return [done.status_code, second.status_code, third.status_code]

    assert asyncio.run(scenario()) == [200, 429, 200]


def test_echo_quota_opt_in_on_the_shared_clock() -> None:
    clock = FakeClock()
    sandbox = EchoSandbox(clock=clock, lines_per_company=3, per_minute=2)

    async def get() -> httpx.Response:
        async with httpx.AsyncClient(transport=RoutingTransport(sandbox.transports())) as client:
            return await client.get(BASE_URL + "/companies", headers={"X-Api-Key": API_KEY})

    answers = [asyncio.run(get()) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[1].headers["x-ratelimit-remaining"] == "0" and answers[2].headers["retry-after"] == "60"
    clock.advance(60)
    assert asyncio.run(get()).status_code == 200


def test_a_calendar_day_in_a_zone_with_refused_calls_counted_and_limits_per_key() -> None:
    # 21:30 UTC on 29 March 2026 is 23:30 in Amsterdam (summer time, UTC+2, began that morning).
    clock = FakeClock(dt.datetime(2026, 3, 29, 21, 30, tzinfo=dt.UTC))
    limits = RateLimits([Quota("daily", 2, 86400, scope="domain", timezone="Europe/Amsterdam", count_refused=True)],
                        clock=clock, scopes={})
    assert [limits.take_keys({"domain": "nl"}).allowed for _ in range(3)] == [True, True, False]
    assert limits.used("daily", "nl") == 3 and limits.used("daily") == 3  # the refused call counted
    assert limits.take_keys({}).allowed  # no key: not counted
    limits.set_limit("daily", 5, "nl")
    assert limits.limit_of("daily", "nl") == 5 and limits.limit_of("daily", "be") == 2
    assert limits.take_keys({"domain": "nl"}).allowed
    clock.advance(60 * 60)  # 22:30 UTC: 00:30 in Amsterdam, a new day there (not yet in UTC)
    assert limits.used("daily", "nl") == 0 and limits.take_keys({"domain": "nl"}).allowed
    limits.set_limit("daily", 1)
    assert limits.take_keys({"domain": "be"}).allowed and not limits.take_keys({"domain": "be"}).allowed


def test_call_faults_match_on_the_calls_parts_with_times_and_after() -> None:
    from sfsync.sandbox.calls import CallFaults

    faults: CallFaults[str] = CallFaults()
    fault = faults.inject("refused", model="account.move.line", method="", times=2, after=1)
    assert faults.take(model="res.partner", method="read") is None
    assert faults.take(model="account.move.line", method="search_read") is None  # the one let pass
    assert faults.take(model="account.move.line", method="search_read") == "refused"
    assert faults.take(model="account.move.line", method="read") == "refused"
    assert faults.take(model="account.move.line", method="read") is None  # spent
    assert fault.served == ["account.move.line.search_read", "account.move.line.read"]


def test_a_call_may_cost_more_than_one_in_a_rolling_window() -> None:
    clock = FakeClock()
    credits = RateLimits([Quota("credits", 5, 60, scope="caller", window="sliding")], clock=clock, scopes={})
    assert credits.take_keys({"caller": "app"}, cost=3).allowed
    clock.advance(10)
    refused = credits.take_keys({"caller": "app"}, cost=3)  # 3 + 3 > 5
    assert not refused.allowed and refused.retry_after == 50  # the first spend leaves the window in 50 s
    assert credits.take_keys({"caller": "app"}).allowed and credits.used("credits", "app") == 4
    clock.advance(50)
    assert credits.take_keys({"caller": "app"}, cost=3).allowed


def test_the_memory_vault_keeps_the_tokens_and_counts_each_save() -> None:
    from sfsync.auth import TokenSet
    from sfsync.sandbox.vault import MemoryVault

    moment = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    first, second = (TokenSet(access_token=f"a-{n}", refresh_token=f"r-{n}", expires_at=moment) for n in (1, 2))
    vault = MemoryVault(first)

    async def rotate() -> TokenSet | None:
        async with vault.lock():
            await vault.save(second)
        return await vault.load()

    assert asyncio.run(rotate()) is second and vault.saved == [second] and vault.saves == 1
