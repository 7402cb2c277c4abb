"""The sandbox is as strict as Exact (reference §3, §8, §9, §11): the OData subset it accepts and
the way it rejects the rest, paging, bad tokens, rate-limit headers, the error budget, faults."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import httpx
import pytest
from sfsync.clock import FakeClock
from sfsync_exact.client import exact_error_message, unwrap
from sfsync_exact.sandbox import ExactSandbox, LimitConfig
from sfsync_exact.sandbox.harness import connect
from sfsync_exact.sandbox.odata import guid_sort_key
from sfsync_exact.wire import decode_json, parse_int64


class Api:
    """Raw calls to a sandbox with a valid bearer token."""

    def __init__(self, region: str = "be", **knobs: Any) -> None:
        self.sandbox = ExactSandbox(region, clock=FakeClock(), **knobs)
        ctx = asyncio.run(connect(self.sandbox))
        tokens = ctx.vault.tokens  # type: ignore[union-attr]
        self.token = tokens.access_token.get_secret_value()
        self.ref = self.sandbox.company_refs()[0]

    def get(
        self,
        path: str,
        params: dict[str, str] | None = None,
        *,
        token: str | None = None,
        accept: str = "application/json",
    ) -> httpx.Response:
        headers = {"Accept": accept}
        if token != "":
            headers["Authorization"] = f"Bearer {token or self.token}"
        url = path if path.startswith("http") else f"{self.sandbox.base_urls[0]}/api/v1/{path}"

        async def go() -> httpx.Response:
            async with httpx.AsyncClient(
                transport=next(iter(self.sandbox.transports().values()))
            ) as client:
                return await client.get(url, params=params, headers=headers)

        return asyncio.run(go())

    def rows(
        self, path: str, params: dict[str, str] | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        response = self.get(path, params)
        assert response.status_code == 200, response.text
        return unwrap(decode_json(response.content))

    def refused(self, path: str, params: dict[str, str]) -> str:
        response = self.get(path, params)
        assert response.status_code == 400, response.text
        body = response.json()
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
        return exact_error_message(response)


@pytest.fixture(scope="module")
def api() -> Api:
    return Api(limits=LimitConfig(error_budget=10_000))


LINES = "sync/Financial/TransactionLines"


@pytest.mark.parametrize(
    ("entity", "params", "message"),
    [
        ("financial/GLAccounts", {"$skip": "10"}, "'$skip' is not supported"),
        ("financial/GLAccounts", {"$format": "json"}, "'$format' is not supported"),
        ("financial/GLAccounts", {"$expand": "Lines"}, "'$expand' is not supported"),
        ("financial/GLAccounts", {"$filter": "Code eq Description"}, "Comparing properties"),
        (
            "financial/GLAccounts",
            {"$filter": "substringof('10', Code)"},
            "'substringof' is not supported",
        ),
        ("financial/GLAccounts", {"$filter": "Type add 1 eq 2"}, "Arithmetic"),
        ("financial/GLAccounts", {"$filter": "Nope eq 1"}, "No property 'Nope'"),
        ("financial/GLAccounts", {"$select": "ID,Nope"}, "No property 'Nope'"),
        ("financial/GLAccounts", {"$filter": "Code eq 1000"}, "incompatible"),
        (
            "financial/GLAccounts",
            {"$filter": "ID eq '4f3cb13e-8984-4cc5-b69a-5271a9bdd7c9'"},
            "incompatible",
        ),
        ("financial/GLAccounts", {"$filter": "Modified gt datetime'yesterday'"}, "Edm.DateTime"),
        ("financial/GLAccounts", {"$filter": "ID eq guid'not-a-guid'"}, "Invalid guid"),
        ("financial/GLAccounts", {"$filter": "Code eq '1000' and"}, "ends too early"),
        (
            "financial/GLAccounts",
            {"$filter": ""},
            "This $filter parameter is not supported for this resource",
        ),
        ("financial/GLAccounts", {"$top": "0"}, "Invalid $top"),
        ("financial/GLAccounts", {"$skiptoken": "bogus"}, "$skiptoken"),
        (
            LINES,
            {"$filter": "Date gt datetime'2025-01-01T00:00:00'"},
            "Filtering on these fields is not supported: Date",
        ),
        (
            LINES,
            {"$filter": "Timestamp gt 1L and JournalCode eq '700'"},
            "Filtering on these fields is not supported: JournalCode",
        ),
        (
            LINES,
            {"$filter": "Timestamp gt 1L", "$orderby": "Timestamp desc"},
            "$orderby is not supported",
        ),
        (LINES, {"$filter": "Timestamp gt '5'"}, "incompatible"),
        ("financialtransaction/TransactionLines", {"$select": "ID"}, "mandatory filtering"),
        (
            "bulk/Financial/TransactionLines",
            {"$filter": "Date ge datetime'2025-01-01T00:00:00'"},
            "requires a $select",
        ),
        (
            "bulk/Financial/TransactionLines",
            {"$select": "ID", "$filter": "Description eq 'x'"},
            "Filtering on these fields is not supported: Description",
        ),
    ],
)
def test_exact_sandbox_rejects_what_exact_rejects(
    api: Api, entity: str, params: dict[str, str], message: str
) -> None:
    assert message in api.refused(f"{api.ref}/{entity}", params)


def test_exact_sandbox_accepts_the_odata_subset(api: Api) -> None:
    lines = api.sandbox.division(api.ref).lines
    some = next(iter(lines.values()))
    rows, _ = api.rows(
        f"{api.ref}/financialtransaction/TransactionLines",
        {
            "$select": "ID,EntryID,AmountDC",
            "$filter": f"EntryID eq guid'{some['EntryID']}' and (AmountDC gt 0 or AmountDC lt 0)",
        },
    )
    assert {r["ID"] for r in rows} == {
        i for i, r in lines.items() if r["EntryID"] == some["EntryID"]
    }
    vat = api.sandbox.division(api.ref).chart.vat_code
    rows, _ = api.rows(
        f"{api.ref}/financialtransaction/TransactionLines",
        {
            "$select": "ID,VATCode",
            "$filter": f"trim(VATCode) eq '{vat.strip()}' and Date ge datetime'2000-01-01' and not (Status eq 20)",
            "$top": "5",
        },
    )
    assert len(rows) == 5 and all(r["VATCode"] == vat for r in rows)
    padded, _ = api.rows(
        f"{api.ref}/financialtransaction/TransactionLines",
        {
            "$select": "ID",
            "$filter": f"VATCode eq '{vat.strip()}' and Date ge datetime'2000-01-01'",
        },
    )
    assert padded == []  # a padded field only matches its padded value, or through trim()
    without_l, _ = api.rows(f"{api.ref}/{LINES}", {"$select": "ID", "$filter": "Timestamp gt 1"})
    with_l, _ = api.rows(f"{api.ref}/{LINES}", {"$select": "ID", "$filter": "Timestamp gt 1L"})
    assert without_l == with_l and len(with_l) == 1000


def test_exact_sandbox_pages_60_and_carries_top_into_next(api: Api) -> None:
    params = {"$select": "ID", "$filter": "Date ge datetime'2000-01-01T00:00:00'", "$top": "100"}
    rows, following = api.rows(f"{api.ref}/financialtransaction/TransactionLines", params)
    assert len(rows) == 60 and following is not None
    assert following.startswith(
        f"{api.sandbox.base_urls[0]}/api/v1/{api.ref}/financialtransaction/TransactionLines?"
    )
    assert "$top=40" in following and "$skiptoken=guid'" in following
    more, last = api.rows(following)
    assert len(more) == 40 and last is None
    keys = [guid_sort_key(r["ID"]) for r in rows + more]
    assert keys == sorted(keys)  # SQL Server uniqueidentifier order
    assert [r["ID"] for r in rows + more] != sorted(r["ID"] for r in rows + more)


def test_exact_sandbox_sync_pages_1000_in_timestamp_order(api: Api) -> None:
    seen: list[int] = []
    rows, following = api.rows(
        f"{api.ref}/{LINES}", {"$select": "ID,Timestamp", "$filter": "Timestamp gt 1L"}
    )
    seen += [parse_int64(r["Timestamp"]) or 0 for r in rows]
    while following:
        assert following.endswith("L")  # the Timestamp skiptoken
        rows, following = api.rows(following)
        seen += [parse_int64(r["Timestamp"]) or 0 for r in rows]
    assert seen == sorted(seen) and len(seen) == len(api.sandbox.division(api.ref).lines)


def test_exact_sandbox_orderby_count_inlinecount_and_key_lookup(api: Api) -> None:
    params = {
        "$select": "ID,Modified",
        "$filter": "Date ge datetime'2000-01-01T00:00:00'",
        "$orderby": "Modified asc",
    }
    _rows, following = api.rows(f"{api.ref}/financialtransaction/TransactionLines", params)
    assert following is not None and "$skiptoken=datetime'" in following and ",guid'" in following
    count = api.get(
        f"{api.ref}/financialtransaction/TransactionLines/$count",
        {"$filter": "Date ge datetime'2000-01-01T00:00:00'"},
    )
    assert count.text == str(len(api.sandbox.division(api.ref).lines))
    counted = api.get(
        f"{api.ref}/financial/GLAccounts", {"$select": "ID", "$inlinecount": "allpages"}
    ).json()
    assert counted["d"]["__count"] == str(len(api.sandbox.division(api.ref).glaccounts))
    account = next(iter(api.sandbox.division(api.ref).glaccounts.values()))
    single = api.get(f"{api.ref}/financial/GLAccounts(guid'{account['ID']}')").json()
    assert single["d"]["Code"] == account["Code"]


def test_exact_sandbox_sync_timestamp_and_deleted(api: Api) -> None:
    division = api.sandbox.division(api.ref)
    middle = sorted(division.lines.values(), key=lambda r: r["Timestamp"])[len(division.lines) // 2]
    literal = middle["Modified"].astimezone(dt.timezone(dt.timedelta(hours=0)))
    from sfsync_exact.wire import amsterdam_wall_clock, format_datetime_literal

    rows, _ = api.rows(
        f"{api.ref}/read/sync/Sync/SyncTimestamp",
        {
            "modified": format_datetime_literal(amsterdam_wall_clock(literal)),
            "endPoint": "'TransactionLines'",
        },
    )
    value = parse_int64(rows[0]["TimeStampAsBigInt"])
    assert value is not None and value < middle["Timestamp"]
    assert all(
        r["Modified"] < middle["Modified"]
        for r in division.lines.values()
        if r["Timestamp"] <= value
    )
    deleted, _ = api.rows(f"{api.ref}/sync/Deleted", {"$filter": "Timestamp gt 1L"})
    assert {r["EntityKey"] for r in deleted} == {r["EntityKey"] for r in division.deleted}
    assert deleted and not {r["EntityKey"] for r in deleted} & set(division.lines)


def test_exact_sandbox_refuses_bad_tokens() -> None:
    clock = FakeClock()
    api = Api()
    api.sandbox.clock = clock  # share one clock to expire the token
    assert api.get(f"{api.ref}/financial/GLAccounts", {"$select": "ID"}).status_code == 200
    for token in ("", "garbage"):
        refused = api.get(f"{api.ref}/financial/GLAccounts", {"$select": "ID"}, token=token)
        assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith(
            "Bearer"
        )
    api.sandbox.expire_tokens()
    assert api.get(f"{api.ref}/financial/GLAccounts", {"$select": "ID"}).status_code == 401


def test_exact_sandbox_access_token_expires_after_600_seconds() -> None:
    api = Api()
    api.sandbox.clock.advance(599)  # type: ignore[attr-defined]
    assert api.get("current/Me").status_code == 200
    api.sandbox.clock.advance(1)  # type: ignore[attr-defined]
    assert api.get("current/Me").status_code == 401


def test_exact_sandbox_me_lists_the_current_division() -> None:
    api = Api("fr")
    rows, _ = api.rows("current/Me")
    assert (
        len(rows) == 1
        and rows[0]["CurrentDivision"] == int(api.ref)
        and rows[0]["Legislation"] == "1"
    )
    assert isinstance(rows[0]["ServerUtcOffset"], int)


def test_exact_sandbox_minutely_limit_answers_429_with_minutely_headers_only() -> None:
    api = Api(limits=LimitConfig(minutely=3))
    answers = [api.get(f"{api.ref}/financial/GLAccounts", {"$select": "ID"}) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert (
        answers[0].headers["X-RateLimit-Minutely-Remaining"] == "2"
        and answers[0].headers["X-RateLimit-Limit"] == "5000"
    )
    assert (
        "X-RateLimit-Limit" not in answers[3].headers
        and "X-RateLimit-Remaining" not in answers[3].headers
    )
    reset_ms = int(answers[3].headers["X-RateLimit-Minutely-Reset"])
    now = api.sandbox.clock.now().timestamp()
    assert 0 < reset_ms / 1000 - now <= 60 and reset_ms % 60_000 == 0  # the next full minute, in ms
    api.sandbox.clock.advance(reset_ms / 1000 - now)  # type: ignore[attr-defined]
    assert api.get(f"{api.ref}/financial/GLAccounts", {"$select": "ID"}).status_code == 200
    other = api.sandbox.company_refs()[1]  # another division has its own minute
    assert (
        api.get(f"{other}/financial/GLAccounts", {"$select": "ID"}).headers[
            "X-RateLimit-Minutely-Remaining"
        ]
        == "2"
    )


def test_exact_sandbox_daily_limit_resets_at_midnight_utc() -> None:
    api = Api(limits=LimitConfig(daily=2))
    answers = [api.get(f"{api.ref}/financial/GLAccounts", {"$select": "ID"}) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    reset = dt.datetime.fromtimestamp(int(answers[2].headers["X-RateLimit-Reset"]) / 1000, dt.UTC)
    assert reset == dt.datetime.combine(
        api.sandbox.clock.now().date() + dt.timedelta(days=1), dt.time(), dt.UTC
    )


def test_exact_sandbox_blocks_after_ten_errors_on_an_endpoint() -> None:
    api = Api()
    for _ in range(11):
        assert api.get(f"{api.ref}/financial/GLAccounts", {"$skip": "1"}).status_code == 400
    blocked = api.get(f"{api.ref}/financial/GLAccounts", {"$select": "ID"})
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 3000
    assert api.get(f"{api.ref}/financial/FinancialPeriods", {"$select": "ID"}).status_code == 200


def test_exact_sandbox_faults_and_scopes() -> None:
    api = Api()
    unknown = api.get(f"{api.ref}/financial/NoSuchThing")
    assert unknown.status_code == 404
    assert api.get("999999/financialtransaction/Transactions").status_code == 404
    api.sandbox.scope_violations.add("financial")
    violated = api.get(f"{api.ref}/financial/GLAccounts", {"$select": "ID"})
    assert (
        violated.status_code == 403
        and exact_error_message(violated) == "Forbidden - Application Scope Violated"
    )
    assert api.get(f"{api.ref}/financialtransaction/Transactions").status_code == 200
    api.sandbox.faults.add(
        500,
        body={"error": {"code": "", "message": {"lang": "", "value": "A problem has occurred."}}},
    )
    failed = api.get(f"{api.ref}/financialtransaction/Transactions")
    assert failed.status_code == 500 and exact_error_message(failed) == "A problem has occurred."


def test_exact_sandbox_division_move_regenerates_timestamps() -> None:
    api = Api()
    division = api.sandbox.division(api.ref)
    before = {i: r["Timestamp"] for i, r in division.lines.items()}
    api.sandbox.move_division(api.ref)
    after = {i: r["Timestamp"] for i, r in division.lines.items()}
    assert set(before) == set(after) and all(before[i] != after[i] for i in before)
    order_before = sorted(before, key=before.__getitem__)
    assert order_before != sorted(after, key=after.__getitem__)
    rows, _ = api.rows(
        f"{api.ref}/system/Divisions",
        {"$select": "Code,DivisionMoveDate", "$filter": f"Code eq {api.ref}"},
    )
    assert rows[0]["DivisionMoveDate"] is not None


def test_exact_sandbox_is_deterministic() -> None:
    first, second = ExactSandbox("nl", clock=FakeClock()), ExactSandbox("nl", clock=FakeClock())
    for ref in first.company_refs():
        a, b = first.division(ref), second.division(ref)
        assert list(a.lines) == list(b.lines) and [r["AmountDC"] for r in a.lines.values()] == [
            r["AmountDC"] for r in b.lines.values()
        ]
    for division in first.store.divisions.values():
        sums: dict[str, Any] = {}
        for row in division.lines.values():
            sums[row["EntryID"]] = sums.get(row["EntryID"], 0) + row["AmountDC"]
        assert all(total == 0 for total in sums.values())


def test_exact_sandbox_latency_knob_and_division_lists() -> None:
    api = Api("be", latency=0.25)
    slept = len(api.sandbox.clock.slept)  # type: ignore[attr-defined]
    everything, _ = api.rows(f"{api.ref}/system/AllDivisions", {"$select": "Code"})
    hrm, _ = api.rows(f"{api.ref}/hrm/Divisions", {"$select": "Code,Description"})
    assert (
        {r["Code"] for r in everything}
        == {r["Code"] for r in hrm}
        == {int(c) for c in api.sandbox.company_refs()}
    )
    assert api.sandbox.clock.slept[slept:] == [0.25, 0.25]  # type: ignore[attr-defined]


def test_exact_sandbox_time_scaled_window() -> None:
    api = Api("nl", limits=LimitConfig(minutely=2, window_seconds=1.0))
    answers = [api.get(f"{api.ref}/financial/GLAccounts", {"$select": "ID"}) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    reset_ms = int(answers[2].headers["X-RateLimit-Minutely-Reset"])
    assert 0 < reset_ms / 1000 - api.sandbox.clock.now().timestamp() <= 1.0
    api.sandbox.clock.advance(1.0)  # type: ignore[attr-defined]
    assert api.get(f"{api.ref}/financial/GLAccounts", {"$select": "ID"}).status_code == 200


def test_exact_sandbox_next_links_keep_exacts_host_when_served_behind_a_forwarder() -> None:
    api = Api("fr")

    async def go() -> httpx.Response:
        async with httpx.AsyncClient(
            transport=next(iter(api.sandbox.transports().values()))
        ) as client:
            return await client.get(
                f"http://127.0.0.1:8800/api/v1/{api.ref}/{LINES}",
                params={"$select": "ID", "$filter": "Timestamp gt 1L"},
                headers={
                    "Authorization": f"Bearer {api.token}",
                    "Accept": "application/json",
                    "X-Sfsync-Sandbox-Host": "start.exactonline.fr",
                },
            )

    _, following = unwrap(decode_json(asyncio.run(go()).content))
    assert following is not None and following.startswith(
        f"https://start.exactonline.fr/api/v1/{api.ref}/"
    )
