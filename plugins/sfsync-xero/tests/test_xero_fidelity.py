"""The sandbox answers what clients written for the real Xero send, not only what sfsync sends:
``If-Modified-Since`` as an HTTP-date, XML when JSON is not asked for, and the cash-basis trial
balance (``paymentsOnly``)."""

from __future__ import annotations

import asyncio
import datetime as dt
import xml.etree.ElementTree as ET
from collections import defaultdict
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sfsync.clock import FakeClock
from sfsync_xero.dates import parse_if_modified_since
from sfsync_xero.sandbox import XeroSandbox
from sfsync_xero.sandbox.app import PAYMENT_TYPES
from sfsync_xero.sandbox.harness import connect

START = dt.datetime(2026, 1, 15, 2, 0, tzinfo=dt.UTC)
API = "https://api.xero.com/api.xro/2.0"


def _get_all(sandbox: XeroSandbox, clock: FakeClock, calls: list[tuple[str, dict[str, str], dict[str, str]]]) -> list[httpx.Response]:
    """Log in, then send each (path, query, headers) with the bearer and tenant headers added."""

    async def scenario() -> list[httpx.Response]:
        ctx = await connect(sandbox, "xero", clock=clock)
        token = (await ctx.vault.load()).access_token.get_secret_value()
        await ctx.aclose()
        base = {"Authorization": f"Bearer {token}", "xero-tenant-id": sandbox.orgs[0].id}
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.app)) as client:
            return [await client.get(API + path, params=query, headers={**base, **headers}) for path, query, headers in calls]

    return asyncio.run(scenario())


JSON = {"Accept": "application/json"}


def test_if_modified_since_as_an_http_date_filters_like_the_iso_form():
    sandbox = XeroSandbox(clock=FakeClock(START))
    iso, http_date, gmt_minus, bad = _get_all(sandbox, sandbox.clock, [  # type: ignore[arg-type]
        ("/Journals", {}, {**JSON, "If-Modified-Since": "2025-12-01T00:00:00"}),
        ("/Journals", {}, {**JSON, "If-Modified-Since": "Mon, 01 Dec 2025 00:00:00 GMT"}),
        ("/Journals", {}, {**JSON, "If-Modified-Since": "Mon, 01 Dec 2025 01:00:00 +0100"}),
        ("/Journals", {}, {**JSON, "If-Modified-Since": "Someday, 99 Foo 2025"}),
    ])
    assert iso.status_code == 200 and iso.json()["Journals"]
    expected = [j["JournalID"] for j in iso.json()["Journals"]]
    assert [j["JournalID"] for j in http_date.json()["Journals"]] == expected
    assert [j["JournalID"] for j in gmt_minus.json()["Journals"]] == expected
    assert bad.status_code == 400 and bad.json()["Type"] == "ValidationException"


@pytest.mark.parametrize(("header", "expected"), [
    ("Fri, 19 Sep 2025 09:34:00 GMT", dt.datetime(2025, 9, 19, 9, 34, tzinfo=dt.UTC)),
    ("2025-09-19T09:34:00", dt.datetime(2025, 9, 19, 9, 34, tzinfo=dt.UTC)),
    ("2020-02-06T12:17:43.202-08:00", dt.datetime(2020, 2, 6, 20, 17, 43, 202000, tzinfo=dt.UTC)),
])
def test_if_modified_since_forms(header: str, expected: dt.datetime):
    assert parse_if_modified_since(header) == expected


def _text(element: ET.Element, path: str) -> str:
    found = element.find(path)
    assert found is not None, path
    return found.text or ""


def test_xml_answers_carry_the_same_data_as_json():
    sandbox = XeroSandbox(clock=FakeClock(START))
    as_json, as_xml, accounts_xml, bad_xml = _get_all(sandbox, sandbox.clock, [  # type: ignore[arg-type]
        ("/Journals", {}, JSON), ("/Journals", {}, {}), ("/Accounts", {}, {"Accept": "text/xml"}),
        ("/Journals", {"offset": "x"}, {}),
    ])
    assert as_xml.status_code == 200 and as_xml.headers["content-type"].startswith("text/xml")
    root = ET.fromstring(as_xml.content)
    assert root.tag == "Response" and _text(root, "Status") == "OK"
    journals = root.findall("Journals/Journal")
    wanted = as_json.json(parse_float=Decimal)["Journals"]
    assert len(journals) == len(wanted) == 100
    for element, journal in zip(journals, wanted, strict=True):
        assert _text(element, "JournalID") == journal["JournalID"]
        assert int(_text(element, "JournalNumber")) == journal["JournalNumber"]
        lines = element.findall("JournalLines/JournalLine")
        assert [Decimal(_text(ln, "NetAmount")) for ln in lines] == [ln["NetAmount"] for ln in journal["JournalLines"]]
        # A date-only field at midnight; the creation stamp an ISO date-time, as Xero's XML has them.
        assert dt.datetime.fromisoformat(_text(element, "JournalDate")).time() == dt.time(0)
        dt.datetime.fromisoformat(_text(element, "CreatedDateUTC"))
    accounts = ET.fromstring(accounts_xml.content).findall("Accounts/Account")
    assert accounts and all(_text(a, "Code") or _text(a, "AccountID") for a in accounts)
    assert {_text(a, "EnablePaymentsToAccount") for a in accounts} == {"false"}
    error = ET.fromstring(bad_xml.content)
    assert bad_xml.status_code == 400 and error.tag == "ApiException" and _text(error, "Type") == "ValidationException"


def _ytd(report: dict[str, Any]) -> dict[str, Decimal]:
    """Signed YTD balance per account id from a trial-balance report."""
    out: dict[str, Decimal] = {}
    for section in report["Rows"]:
        for row in section.get("Rows", []):
            if row["RowType"] != "Row":
                continue
            cells = row["Cells"]
            debit, credit = (Decimal(cells[i]["Value"] or 0) for i in (3, 4))
            out[cells[0]["Attributes"][0]["Value"]] = debit - credit
    return out


def test_trial_balance_payments_only_is_the_cash_basis():
    sandbox = XeroSandbox(clock=FakeClock(START))
    day = "2025-12-31"
    accrual, cash = _get_all(sandbox, sandbox.clock, [  # type: ignore[arg-type]
        ("/Reports/TrialBalance", {"date": day}, JSON),
        ("/Reports/TrialBalance", {"date": day, "paymentsOnly": "true"}, JSON),
    ])
    accrual_ytd = _ytd(accrual.json()["Reports"][0])
    cash_ytd = _ytd(cash.json()["Reports"][0])
    assert cash_ytd != accrual_ytd
    # Balance-sheet accounts: the cash basis is what the payment journals alone moved.
    org = sandbox.orgs[0]
    moved: dict[str, Decimal] = defaultdict(Decimal)
    for journal in org.journals:
        if journal.source_type in PAYMENT_TYPES and journal.date <= dt.date(2025, 12, 31):
            for line in journal.lines:
                moved[line.account.id] += line.net
    sheet = {a.id for a in org.accounts if a.cls in ("ASSET", "LIABILITY")}
    assert {k: v for k, v in cash_ytd.items() if k in sheet} == {k: v for k, v in moved.items() if k in sheet and v}
    assert sum(cash_ytd.values()) == 0
