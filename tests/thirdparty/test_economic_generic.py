"""e-conomic's REST API has no maintained Python client on PyPI: python-economic-rest (0.9.2,
October 2021) still sends the experimental API's ``appId``/``accessId`` headers instead of
``X-AppSecretToken``/``X-AgreementGrantToken``, pyconomic (0.1.2, 2013) speaks the old SOAP API,
and airbyte-source-visma-economic (0.2.15, August 2024) is an Airbyte connector image, not a
client. So the served sandbox is driven by a *generic* REST client, as an integration without an
SDK is written: ``requests`` over real HTTP, the approval at the request URL followed like a
browser, only the links the API gives (``self``, ``periods``, ``entries``, ``totals``,
``pagination.nextPage``, as Airbyte's manifest pages), and every page validated with
``jsonschema`` against schemas built at test time from e-conomic's reference pages (read by path
from ``shared/reference/specs/e-conomic``, never copied: their licence is unclear)."""

from __future__ import annotations

import os
import re
from decimal import Decimal
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jsonschema
import pytest
import requests
from sfsync_economic.sandbox import APP_PUBLIC_TOKEN, APP_SECRET_TOKEN, USER_EMAIL, USER_PASSWORD, EconomicSandbox
from sfsync_economic.sandbox.facts import REST_URL

SPECS = Path(os.environ.get("SFSYNC_ECONOMIC_SPECS")
             or Path(__file__).resolve().parents[2].parent / "shared/reference/specs/e-conomic")
TYPES = {"integer": "integer", "number": "number", "string": "string", "boolean": "boolean", "object": "object",
         "array": "array", "enum": "string"}
PAGINATION = {
    "type": "object", "additionalProperties": False,
    "required": ["skipPages", "pageSize", "maxPageSizeAllowed", "results", "resultsWithoutFilter", "firstPage", "lastPage"],
    "properties": {k: {"type": "integer"} for k in ("skipPages", "pageSize", "maxPageSizeAllowed", "results",
                                                     "resultsWithoutFilter")}
    | {k: {"type": "string"} for k in ("firstPage", "nextPage", "lastPage")},
}
"""The envelope as ``_introduction.md`` and the provider notes describe it (our own words)."""


def _object() -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "properties": {}}


def _schemas() -> dict[str, dict[str, Any]]:
    """GET path pattern -> a JSON Schema of one item, from the reference pages' property tables."""
    out: dict[str, dict[str, Any]] = {}
    for page in sorted(SPECS.glob("_*.md")):
        text = page.read_text(encoding="utf-8")
        for match in re.finditer(r"^### <span class='get'>GET</span> (\S+)\s*$", text, re.MULTILINE):
            section = text[match.end():]
            end = re.search(r"^### ", section, re.MULTILINE)
            rows = [r for r in (section[:end.start()] if end else section).splitlines() if r.startswith("|")]
            if len(rows) < 3:
                continue
            header = [c.strip().lower() for c in rows[0].strip("|").split("|")]
            values_at = header.index("values") if "values" in header else None
            root = _object()
            for row in rows[2:]:
                cells = [c.replace("<wbr>", "").strip() for c in row.strip("|").split("|")]
                if len(cells) < 2 or not cells[0]:
                    continue
                node = root
                *parents, leaf = cells[0].split(".")
                for name in parents:
                    child = node["properties"].setdefault(name, _object())
                    if child.get("type") == "array":
                        child = child.setdefault("items", _object())
                    elif "properties" not in child:  # a page that types a parent as a string
                        child.update(_object())
                    node = child
                kind = cells[1].lower()
                schema: dict[str, Any] = _object() if kind == "object" else {"type": TYPES.get(kind, "string")}
                if kind == "boolean":
                    schema["const"] = True  # false booleans are left out
                if values_at is not None and len(cells) > values_at and cells[values_at]:
                    schema["enum"] = [v.strip() for v in cells[values_at].split(",")]
                kept = node["properties"].get(leaf) or {}
                schema.update({k: v for k, v in kept.items() if k in ("properties", "items")})
                node["properties"][leaf] = schema
            out[match.group(1)] = root
    return out


def _pattern(path: str) -> str:
    path = re.sub(r"^/accounting-years/[^/]+", "/accounting-years/:accountingYear", path)
    return re.sub(r"/periods/\d+", "/periods/:accountingYearPeriod", path)


class Client:
    """What an integration without an SDK writes: a session with the two headers."""

    def __init__(self, served: str, grant: str) -> None:
        self.served = served
        self.session = requests.Session()
        self.session.headers.update({"X-AppSecretToken": APP_SECRET_TOKEN, "X-AgreementGrantToken": grant,
                                     "Accept": "application/json"})
        self.schemas = _schemas()
        self.pages = 0

    def local(self, link: str) -> str:
        # The API's links name restapi.e-conomic.com; the served sandbox answers them on loopback.
        return link.replace(REST_URL, self.served)

    def get(self, link: str) -> Any:
        answer = self.session.get(self.local(link), timeout=30)
        assert answer.status_code == 200, (link, answer.status_code, answer.text[:200])
        assert answer.headers["content-type"].startswith("application/json")
        return answer.json(parse_float=Decimal)

    def collection(self, link: str, **params: str) -> list[dict[str, Any]]:
        path = urlsplit(link).path
        schema = {"type": "object", "additionalProperties": False, "required": ["collection", "pagination", "self"],
                  "properties": {"collection": {"type": "array", "items": self.schemas[_pattern(path)]},
                                 "pagination": PAGINATION, "self": {"type": "string"}}}
        url: str | None = f"{link}?{urlencode({'pagesize': '1000', **params})}"
        items: list[dict[str, Any]] = []
        while url:
            page = self.get(url)
            jsonschema.validate(page, schema)
            self.pages += 1
            items += page["collection"]
            url = page["pagination"].get("nextPage")
        return items


def _approve(served: str, agreement: str) -> str:
    """Approve the app at its request URL, as the agreement's user would in a browser."""
    back = "http://127.0.0.1:9/callback?state=generic"
    start = f"{served}/secure/api1/requestaccess.aspx?{urlencode({'appPublicToken': APP_PUBLIC_TOKEN, 'redirectUrl': back})}"
    page = requests.get(start, timeout=30)
    assert page.status_code == 200 and "Grant access" in page.text
    form = {k: unescape(v) for k, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text)}
    form.update(username=USER_EMAIL, password=USER_PASSWORD, agreement=agreement, approve="yes")
    answer = requests.post(start.split("?")[0], data=form, allow_redirects=False, timeout=30)
    assert answer.status_code == 302
    location = urlsplit(answer.headers["location"])
    query = parse_qs(location.query)
    assert location.path == "/callback" and query["state"] == ["generic"]
    return query["token"][0]


@pytest.fixture
def client(serve):
    if not (SPECS / "_accounting-years.md").exists():
        pytest.skip(f"e-conomic's reference pages are not at {SPECS} (set SFSYNC_ECONOMIC_SPECS)")
    sandbox = EconomicSandbox()
    served = serve(sandbox.app)
    ref = sandbox.all_company_refs()[1]  # the importer: USD lines and July-June years
    made = Client(served, _approve(served, ref))
    made.sandbox = sandbox  # type: ignore[attr-defined]
    made.ref = ref  # type: ignore[attr-defined]
    return made


def test_a_generic_client_reads_every_year_through_the_api_s_own_links(client):
    me = client.get(f"{REST_URL}/self")
    jsonschema.validate(me, client.schemas["/self"])
    assert str(me["agreementNumber"]) == client.ref and me["settings"]["baseCurrency"] == "EUR"
    truth = client.sandbox.truth(client.ref)
    seen: set[str] = set()
    for year in client.collection(f"{REST_URL}/accounting-years"):
        entries = client.collection(year["entries"])
        seen |= {str(e["entryNumber"]) for e in entries}
        sums: dict[int, Decimal] = {}
        for e in entries:
            sums[e["account"]["accountNumber"]] = sums.get(e["account"]["accountNumber"], Decimal(0)) + e["amountInBaseCurrency"]
        totals = {t["account"]["accountNumber"]: t["totalInBaseCurrency"] for t in client.collection(year["totals"])}
        assert {k: v for k, v in sums.items() if v} == {k: v for k, v in totals.items() if v}
        periods = client.collection(year["periods"])
        assert [p["periodNumber"] for p in periods] == list(range(1, len(periods) + 1))
        in_periods = sum((len(client.collection(p["entries"])) for p in periods), 0)
        assert in_periods == len(entries)
    assert seen == set(truth.line_places)
    assert any(e.get("currency") == "USD" for y in client.collection(f"{REST_URL}/accounting-years")
               for e in client.collection(y["entries"], filter="currency$eq:USD"))


def test_the_generic_client_pages_small_and_filters_with_escapes(client):
    year = client.collection(f"{REST_URL}/accounting-years")[0]
    small = client.session.get(client.local(year["entries"]), params={"pagesize": "7"}, timeout=30).json()
    pages, url = 1, small["pagination"].get("nextPage")
    while url:
        url = client.get(url)["pagination"].get("nextPage")
        pages += 1
    assert pages == -(-small["pagination"]["results"] // 7)
    text = "Aankoopfactuur (USD)"
    escaped = text.replace("$", "$$").replace("(", "$(").replace(")", "$)")
    found = client.collection(year["entries"], filter=f"text$eq:{escaped}")
    assert found and all(e["text"] == text for e in found)
    refused = client.session.get(client.local(year["entries"]), params={"filter": "account.accountNumber$eq:5500"}, timeout=30)
    assert refused.status_code == 400 and {"message", "developerHint", "errorCode"} <= set(refused.json())
