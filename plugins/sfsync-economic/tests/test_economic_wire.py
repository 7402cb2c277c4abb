"""e-conomic's wire contract as the sandbox serves it and the connector meets it: paging with
pagesize (at most 1,000), skippages and pagination.nextPage; the filter language with its escapes
and limits; false booleans left out; the 400 error body; the fair-use day and the token bucket."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import httpx
import pytest
from sfsync.clock import FakeClock
from sfsync.testing.harness import ContractHarness
from sfsync_economic.filters import all_of, escape, predicate
from sfsync_economic.ratelimits import rate_limits
from sfsync_economic.sandbox import APP_SECRET_TOKEN, EconomicSandbox
from sfsync_economic.sandbox.filters import FilterError, parse_filter

START = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)
API = "https://restapi.e-conomic.com"


@pytest.fixture
def api():
    sandbox = EconomicSandbox(clock=FakeClock(START))
    grant = sandbox.issue_grant(sandbox.all_company_refs()[0])
    headers = {"X-AppSecretToken": APP_SECRET_TOKEN, "X-AgreementGrantToken": grant}

    def get(path: str, **params: str) -> httpx.Response:
        async def call() -> httpx.Response:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.app)) as client:
                return await client.get(f"{API}{path}", params=params, headers=headers)

        return asyncio.run(call())

    get.sandbox = sandbox  # type: ignore[attr-defined]
    return get


def _year(api: Any) -> str:
    return str(api.sandbox.companies[0].years[0].label)


def test_collections_page_by_pagesize_and_skippages_up_to_the_last_page(api):
    path = f"/accounting-years/{_year(api)}/entries"
    first = api(path).json()
    assert len(first["collection"]) == 20 and first["pagination"]["pageSize"] == 20  # the default
    total = first["pagination"]["results"]
    seen, skip = [], 0
    while True:
        body = api(path, pagesize="100", skippages=str(skip)).json()
        seen += [e["entryNumber"] for e in body["collection"]]
        assert body["pagination"]["maxPageSizeAllowed"] == 1000 and body["pagination"]["skipPages"] == skip
        if "nextPage" not in body["pagination"]:
            assert body["self"] == body["pagination"]["lastPage"]
            break
        assert f"skippages={skip + 1}" in body["pagination"]["nextPage"]
        skip += 1
    assert len(seen) == len(set(seen)) == total and seen == sorted(seen)


def test_a_pagesize_above_1000_is_a_400_in_e_conomic_s_error_body(api):
    answer = api("/accounts", pagesize="1001")
    assert answer.status_code == 400
    body = answer.json()
    assert {"message", "developerHint", "errorCode", "httpStatusCode", "logId", "logTime", "errors"} <= set(body)
    assert body["httpStatusCode"] == 400 and body["errors"]["pagesize"]["errors"][0]["value"] == "1001"


def test_filters_select_by_the_documented_language_and_refuse_what_is_not_filterable(api):
    path = f"/accounting-years/{_year(api)}/entries"
    high = api(path, pagesize="1000", filter="entryNumber$gt:100$and:entryNumber$lte:110").json()
    assert [e["entryNumber"] for e in high["collection"]] == list(range(101, 111))
    assert high["pagination"]["results"] == 10 and high["pagination"]["resultsWithoutFilter"] > 10
    either = api(path, pagesize="1000", filter="(entryNumber$eq:1$or:entryNumber$eq:3)").json()
    assert [e["entryNumber"] for e in either["collection"]] == [1, 3]
    listed = api(path, pagesize="1000", filter="entryNumber$in:[2,5,7]").json()
    assert [e["entryNumber"] for e in listed["collection"]] == [2, 5, 7]
    refused = api(path, filter="account.accountNumber$eq:5500")
    assert refused.status_code == 400 and "not filterable" in refused.json()["developerHint"]
    assert api(path, filter="text$in:[a,b]").status_code == 400  # $in: is for numbers only
    assert api(path, filter="entryNumber$in:[" + ",".join(map(str, range(201))) + "]").status_code == 400


def test_escaped_characters_match_themselves():
    filterable = {"text": "text", "entryNumber": "number"}
    item = {"text": "Huur (05/2026) $ 1,5 [x]", "entryNumber": 4}
    written = predicate("text", "eq", item["text"])
    assert written == "text$eq:Huur $(05/2026$) $$ 1$,5 $[x$]"
    assert parse_filter(written, filterable)(item)
    assert parse_filter(all_of(written, predicate("entryNumber", "gt", 3)), filterable)(item)
    assert not parse_filter(all_of(written, predicate("entryNumber", "gt", 4)), filterable)(item)
    assert parse_filter(predicate("text", "eq", None), filterable)({"entryNumber": 1})
    assert escape("a$b") == "a$$b"
    with pytest.raises(FilterError):
        parse_filter("text$eq:a$b", filterable)  # an unescaped $
    with pytest.raises(ValueError, match="at most 200"):
        predicate("entryNumber", "in", range(201))


def test_false_booleans_are_left_out(api):
    years = api("/accounting-years").json()["collection"]
    assert [y.get("closed") for y in years] == [True, True, None]
    assert all(v is not False for y in years for v in y.values())
    periods = api(f"/accounting-years/{years[-1]['year']}/periods").json()["collection"]
    assert any("closed" not in p for p in periods) and all(p.get("closed", True) is True for p in periods)


def test_the_token_bucket_answers_429_with_retry_after_and_the_connector_waits(tmp_path):
    sandbox = EconomicSandbox(clock=FakeClock(START))
    sandbox.throttles.burst = 5
    sandbox.throttles.rate = 1.0
    harness = ContractHarness.create("economic", tmp_path, sandbox=sandbox)
    try:
        run = harness.sync(harness.new_dossier())
        assert run.status == "ok", run.error
        assert sandbox.throttles.refusals > 0 and run.rate_limit_waits > 0
    finally:
        harness.close()


def test_the_fair_use_day_stops_the_run_and_it_resumes_the_next_day(tmp_path):
    clock = FakeClock(START)
    sandbox = EconomicSandbox(clock=clock)
    harness = ContractHarness.create("economic", tmp_path, sandbox=sandbox)
    try:
        dossier = harness.new_dossier()
        sandbox.throttles.per_day = len(sandbox.requests) + 10  # the approval used some already
        run = harness.sync(dossier)
        assert run.status == "waiting" and "hours" in (run.error or ""), run.error
        committed = harness.app.store.count_ledger_lines(dossier.id)
        clock.advance(dt.timedelta(hours=23).total_seconds())
        sandbox.throttles.per_day = 50_000  # a new day: the budget is back (only 10 would not do)
        resumed = harness.sync(dossier)
        assert resumed.status == "ok", resumed.error
        truth = sandbox.truth(sandbox.company_refs()[0])
        assert {line.id for line in harness.app.store.ledger_lines(dossier.id)} == set(truth.line_places)
        assert resumed.counts["lines_fetched"] <= len(truth.line_places) - committed + 200  # it resumed
    finally:
        harness.close()


def test_the_policy_numbers_are_configurable(monkeypatch):
    monkeypatch.setenv("SFSYNC_ECONOMIC_RATE", "5")
    monkeypatch.setenv("SFSYNC_ECONOMIC_BURST", "10")
    policy = rate_limits()
    bucket = next(w for w in policy.windows if w.name == "bucket")
    assert (bucket.limit, bucket.seconds) == (8, 1.6)  # two calls of head-room
    assert next(w for w in policy.windows if w.name == "fair-use day").limit == 50_000


def test_sorting_and_the_demo_agreement(api):
    path = f"/accounting-years/{_year(api)}/entries"
    down = api(path, pagesize="5", sort="-entryNumber").json()["collection"]
    assert [e["entryNumber"] for e in down] == sorted((e["entryNumber"] for e in down), reverse=True)
    assert down[0]["entryNumber"] == api(path, pagesize="1").json()["pagination"]["results"]
    assert api(path, sort="account.accountNumber").status_code == 400  # not sortable

    async def demo(method: str) -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api.sandbox.app)) as client:
            return await client.request(method, f"{API}/self", headers={"X-AppSecretToken": "demo",
                                                                        "X-AgreementGrantToken": "demo"})

    assert asyncio.run(demo("GET")).json()["agreementNumber"] == api.sandbox.companies[0].agreement
    assert asyncio.run(demo("POST")).status_code in (403, 405)
