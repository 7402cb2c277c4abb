"""Exact's wire details (reference §2.2, §3): dates in Amsterdam wall-clock, Int64 as strings,
padded char fields, explicit nulls, Decimal amounts, the envelope, ``expires_in`` as a string,
and ``Accept`` handling — each checked on the decoder and on what the sandbox sends."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal

import httpx
import pytest
from sfsync.clock import FakeClock
from sfsync.errors import MalformedResponse
from sfsync_exact.auth import exact_oauth_spec
from sfsync_exact.client import ExactClient, unwrap
from sfsync_exact.mapping import to_company, to_line
from sfsync_exact.sandbox import ExactSandbox
from sfsync_exact.sandbox.harness import connect
from sfsync_exact.wire import (
    date_to_wire,
    decode_json,
    format_datetime_literal,
    parse_date,
    parse_decimal,
    parse_int64,
    parse_stamp,
    parse_wall_clock,
    stamp_to_wire,
    text,
)

# --- decoders, against the reference's recorded values ----------------------------------------


def test_exact_date_only_fields_are_midnight_and_become_calendar_days() -> None:
    # Reference §3.5: "Date": "/Date(1723420800000)/" = 2024-08-12T00:00:00.
    assert parse_wall_clock("/Date(1723420800000)/") == dt.datetime(2024, 8, 12)
    assert parse_date("/Date(1723420800000)/") == dt.date(2024, 8, 12)
    assert date_to_wire(dt.date(2024, 8, 12)) == "/Date(1723420800000)/"


def test_exact_stamps_are_amsterdam_wall_clock_in_summer_and_winter() -> None:
    # Reference §3.5(c): /Date(1725885629900)/ is the wall-clock 2024-09-09T12:40:29.9 (CEST).
    assert parse_wall_clock("/Date(1725885629900)/") == dt.datetime(2024, 9, 9, 12, 40, 29, 900000)
    assert parse_stamp("/Date(1725885629900)/") == dt.datetime(
        2024, 9, 9, 10, 40, 29, 900000, tzinfo=dt.UTC
    )
    winter = dt.datetime(2024, 1, 15, 9, 0, tzinfo=dt.UTC)  # 10:00 in Amsterdam (CET)
    midnight_ms = int(str(date_to_wire(dt.date(2024, 1, 15)))[6:-2])
    assert stamp_to_wire(winter) == f"/Date({midnight_ms + 10 * 3_600_000})/"
    assert parse_stamp(stamp_to_wire(winter)) == winter
    assert (
        format_datetime_literal(dt.datetime(2024, 9, 9, 12, 40, 29, 900000))
        == "datetime'2024-09-09T12:40:29.9'"
    )


def test_exact_datetime_literal_below_a_millisecond_is_still_a_literal() -> None:
    # A clock reading of 1-999 microseconds used to give "datetime'…:30.'" (no digits), which
    # the sandbox (like Exact) refuses with a 400: SyncTimestamp then failed ~1 run in 1,000.
    from sfsync_exact.sandbox.odata import parse_literal_list

    for micros, wanted in ((1, "30"), (999, "30"), (1000, "30.001"), (120999, "30.12")):
        moment = dt.datetime(2026, 11, 27, 23, 18, 30, micros)
        literal = format_datetime_literal(moment)
        assert literal == f"datetime'2026-11-27T23:18:{wanted}'"
        (parsed,) = parse_literal_list(literal)
        assert (parsed.kind, parsed.value) == (
            "datetime",
            moment.replace(microsecond=micros // 1000 * 1000),
        )


def test_exact_date_with_offset_and_garbage() -> None:
    assert parse_wall_clock("/Date(0+0100)/") == dt.datetime(1970, 1, 1, 1, 0)
    assert parse_wall_clock(None) is None
    with pytest.raises(ValueError, match="Date"):
        parse_wall_clock("2024-08-12")


def test_exact_int64_arrive_as_strings_or_numbers() -> None:
    assert parse_int64("1") == 1  # "Hid": "1" (reference §3.5)
    assert parse_int64("5100001945") == 5_100_001_945
    assert parse_int64(123) == 123
    assert parse_int64(None) is None
    for bad in ("12.5", True, "abc"):
        with pytest.raises(ValueError, match="Int64"):
            parse_int64(bad)


def test_exact_padded_strings_and_explicit_nulls() -> None:
    assert text("VB ") == "VB"
    assert text("           1265594") == "1265594"
    assert text(None) is None
    assert text("   ") is None
    company = to_company(
        {
            "Code": 124132,
            "Description": "Example SAS",
            "Country": "FR ",
            "Hid": "1",
            "CustomerCode": "           1265594",
            "VATNumber": None,
            "Currency": "EUR",
        }
    )
    assert (
        company.country,
        company.vat_number,
        company.extra["customer_code"],
        company.extra["hid"],
    ) == ("FR", None, "1265594", "1")


def test_exact_amounts_are_decimal_never_float() -> None:
    body = b'{"d": {"results": [{"AmountDC": -16.5}, {"AmountDC": 316.5}, {"AmountDC": -300}]}}'
    rows, following = unwrap(decode_json(body))
    amounts = [parse_decimal(r["AmountDC"]) for r in rows]
    assert amounts == [Decimal("-16.5"), Decimal("316.5"), Decimal("-300")]
    assert all(isinstance(a, Decimal) for a in amounts) and following is None
    assert sum(a for a in amounts if a is not None) == 0
    with pytest.raises(TypeError):
        parse_decimal(-16.5)


def test_exact_recorded_sales_entry_maps_to_balanced_lines() -> None:
    # The three lines of the recorded FR sales entry (reference §7.4), VATCode padded or null.
    base = {
        "EntryID": "20b9ba3a-d743-40f0-bcf8-15929975cff6",
        "Date": "/Date(1723420800000)/",
        "FinancialYear": 2024,
        "FinancialPeriod": 8,
        "Currency": "EUR",
        "Modified": "/Date(1723472960657)/",
    }
    raw = decode_json(
        b'[{"ID": "a", "AmountDC": -16.5, "GLAccountCode": "445847", "VATCode": "VB ", "Description": "top tip"},'
        b' {"ID": "b", "AmountDC": 316.5, "GLAccountCode": "411000", "VATCode": null, "Description": null},'
        b' {"ID": "c", "AmountDC": -300, "GLAccountCode": "706000", "VATCode": "VB ", "Description": "top tip"}]'
    )
    lines = [to_line({**base, **row}, "EUR") for row in raw]
    assert [(l.debit, l.credit) for l in lines] == [
        (0, Decimal("16.5")),
        (Decimal("316.5"), 0),
        (0, Decimal(300)),
    ]
    assert [l.vat_code for l in lines] == ["VB", None, "VB"]
    assert (
        lines[1].description == ""
        and lines[0].date == dt.date(2024, 8, 12)
        and lines[0].currency is None
    )
    # /Date(1723472960657)/ reads 14:29:20.657 on Amsterdam's clock (CEST), 12:29:20.657 UTC.
    assert parse_wall_clock(str(base["Modified"])) == dt.datetime(2024, 8, 12, 14, 29, 20, 657000)
    assert lines[0].modified == dt.datetime(2024, 8, 12, 12, 29, 20, 657000, tzinfo=dt.UTC)


def test_exact_envelope_shapes() -> None:
    assert unwrap({"d": {"results": [{"a": 1}], "__next": "https://x/next"}}) == (
        [{"a": 1}],
        "https://x/next",
    )
    assert unwrap({"d": {"a": 1}}) == ([{"a": 1}], None)
    assert unwrap({"d": [{"a": 1}]}) == ([{"a": 1}], None)
    with pytest.raises(MalformedResponse):
        unwrap({"results": []})


def test_exact_expires_in_is_a_string() -> None:
    spec = exact_oauth_spec("https://start.exactonline.be")
    now = dt.datetime(2026, 1, 15, 2, 0, tzinfo=dt.UTC)
    # Reference §2.2's response, verbatim shape: expires_in "600".
    body = {
        "access_token": "AAEAAGxWulSxg7ZT",
        "token_type": "Bearer",
        "expires_in": "600",
        "refresh_token": "Gcp7!IAAAABh4eI8",
    }
    tokens = spec.parse_token_response(httpx.Response(200, json=body), now=now)
    assert tokens.expires_at == now + dt.timedelta(seconds=600)
    assert (
        tokens.refresh_token is not None
        and tokens.refresh_token.get_secret_value() == "Gcp7!IAAAABh4eI8"
    )
    with pytest.raises(MalformedResponse):
        spec.parse_token_response(
            httpx.Response(200, json={**body, "expires_in": "ten minutes"}), now=now
        )


# --- what the sandbox sends ---------------------------------------------------------------------


def _sandbox_get(
    sandbox: ExactSandbox, path: str, params: dict[str, str], headers: dict[str, str] | None = None
) -> httpx.Response:
    async def go() -> httpx.Response:
        ctx = await connect(sandbox)
        tokens = await ctx.vault.load()  # type: ignore[union-attr]
        assert tokens is not None
        async with httpx.AsyncClient(transport=next(iter(sandbox.transports().values()))) as client:
            return await client.get(
                f"{sandbox.base_urls[0]}/api/v1/{path}",
                params=params,
                headers={
                    "Authorization": f"Bearer {tokens.access_token.get_secret_value()}",
                    **(headers or {}),
                },
            )

    return asyncio.run(go())


def test_exact_sandbox_serialises_like_exact() -> None:
    sandbox = ExactSandbox("be", clock=FakeClock())
    ref = sandbox.company_refs()[0]
    response = _sandbox_get(
        sandbox,
        f"{ref}/sync/Financial/TransactionLines",
        {"$filter": "Timestamp gt 1L"},
        {"Accept": "application/json"},
    )
    assert response.status_code == 200 and response.headers["content-type"].startswith(
        "application/json"
    )
    rows, following = unwrap(decode_json(response.content))
    assert len(rows) == 1000 and following and following.startswith(sandbox.base_urls[0])
    seeded = sandbox.division(ref).lines
    for row in rows[:50]:
        truth = seeded[row["ID"]]
        assert isinstance(row["Timestamp"], str) and int(row["Timestamp"]) == truth["Timestamp"]
        assert parse_decimal(row["AmountDC"]) == truth["AmountDC"]
        assert parse_wall_clock(row["Date"]) == dt.datetime.combine(truth["Date"], dt.time(0))
        assert parse_date(row["Date"]) == truth["Date"]
        assert parse_stamp(row["Modified"]) == truth["Modified"].replace(
            microsecond=truth["Modified"].microsecond // 1000 * 1000
        )
        assert "Notes" in row and row["Notes"] is None  # explicit null, not a missing key
        assert row["__metadata"]["type"] == "Exact.Web.Api.Models.Financial.TransactionLine"
    padded = [r["VATCode"] for r in rows if r["VATCode"] is not None]
    assert padded and all(len(v) == 3 for v in padded) and any(v != v.strip() for v in padded)
    relation_codes = [r["AccountCode"] for r in rows if r["AccountCode"]]
    assert relation_codes and all(len(c) == 18 and c.startswith(" ") for c in relation_codes)


def test_exact_sandbox_division_row_types() -> None:
    sandbox = ExactSandbox("fr", clock=FakeClock())
    ref = sandbox.company_refs()[0]
    response = _sandbox_get(
        sandbox,
        f"{ref}/system/Divisions",
        {"$select": "Code,Hid,Country,DivisionMoveDate"},
        {"Accept": "application/json"},
    )
    rows, _ = unwrap(decode_json(response.content))
    first = next(r for r in rows if r["Code"] == int(ref))
    assert first["Hid"] == "1" and first["Country"] == "FR " and first["DivisionMoveDate"] is None
    assert set(first) == {"__metadata", "Code", "Hid", "Country", "DivisionMoveDate"}


def test_exact_sandbox_answers_atom_unless_json_is_asked_for() -> None:
    sandbox = ExactSandbox("nl", clock=FakeClock())
    ref = sandbox.company_refs()[0]
    atom = _sandbox_get(sandbox, f"{ref}/financial/GLAccounts", {"$select": "Code"})
    assert atom.status_code == 200 and atom.headers["content-type"].startswith(
        "application/atom+xml"
    )
    assert b"<d:Code>" in atom.content
    assert (
        _sandbox_get(
            sandbox,
            f"{ref}/financial/GLAccounts",
            {"$select": "Code"},
            {"Accept": "application/xml"},
        ).status_code
        == 406
    )
    strict = ExactSandbox("nl", clock=FakeClock(), strict_accept=True)
    assert (
        _sandbox_get(strict, f"{ref}/financial/GLAccounts", {"$select": "Code"}).status_code == 406
    )


def test_exact_client_sends_accept_json_and_refuses_atom() -> None:
    sandbox = ExactSandbox("be", clock=FakeClock())
    ref = sandbox.company_refs()[0]

    async def go() -> None:
        ctx = await connect(sandbox)
        client = ExactClient(ctx, sandbox.base_urls[0])
        rows = await client.all(f"{ref}/financial/GLAccounts", {"$select": "Code"})
        assert len(rows) == len(sandbox.division(ref).glaccounts)
        client.http.headers["Accept"] = "*/*"
        with pytest.raises(MalformedResponse, match="instead of JSON"):
            await client.get(f"{ref}/financial/GLAccounts", {"$select": "Code"})

    asyncio.run(go())
