"""The OData v4 toolkit: the client side (:mod:`sfsync.odata`) and the sandbox side
(:mod:`sfsync.sandbox.odata`), each held to the OData v4.01 texts it follows."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from decimal import Decimal

import httpx
import pytest
from sfsync.errors import MalformedResponse
from sfsync.http.pagination import PageLoopError
from sfsync.odata import (
    ODataQuery,
    filter_and,
    literal,
    max_page_size_header,
    odata_error,
    read_collection,
)
from sfsync.sandbox.odata import (
    CsdlSchema,
    EntityType,
    EnumType,
    NavigationProperty,
    ODataQueryError,
    Property,
    ServiceModel,
    collection_response,
    parse_filter,
    requested_page_size,
)
from starlette.requests import Request

# --- client: literals and query options ----------------------------------------------------------


@pytest.mark.parametrize(("value", "written"), [
    ("O'Brien", "'O''Brien'"),
    ("", "''"),
    (dt.date(2026, 1, 31), "2026-01-31"),
    (dt.datetime(2026, 1, 31, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=1))), "2026-01-31T08:30:00Z"),
    (dt.datetime(2026, 1, 31, 8, 0, 0, 250000, tzinfo=dt.UTC), "2026-01-31T08:00:00.25Z"),
    (Decimal("1250.50"), "1250.50"),
    (42, "42"),
    (True, "true"),
    (None, "null"),
    (uuid.UUID(int=1), "00000000-0000-0000-0000-000000000001"),
])
def test_literals_are_written_as_the_abnf_says(value, written):
    assert literal(value) == written


def test_a_float_or_a_naive_datetime_is_no_literal():
    with pytest.raises(TypeError, match="Decimal"):
        literal(0.1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="aware"):
        literal(dt.datetime(2026, 1, 1))


def test_query_options_and_filter_joins():
    assert filter_and(None, "") is None
    assert filter_and("a eq 1", "b eq 2 or b eq 3") == "a eq 1 and (b eq 2 or b eq 3)"
    query = ODataQuery(filter="a eq 1", select=("id", "a"), expand=("lines",), orderby=("a desc",), top=0,
                       extra=(("company", "x"),))
    assert query.params() == {"$filter": "a eq 1", "$select": "id,a", "$expand": "lines", "$orderby": "a desc",
                              "$top": "0", "company": "x"}
    assert max_page_size_header(500) == {"Prefer": "odata.maxpagesize=500"}
    with pytest.raises(ValueError, match="at least 1"):
        max_page_size_header(0)


def test_an_error_body_is_read_and_a_page_of_html_is_not_one():
    body = {"error": {"code": "BadRequest_NotFound", "message": "Bad Request - Error in query syntax", "target": "$filter"}}
    error = odata_error(httpx.Response(400, json=body))
    assert error is not None and str(error) == "BadRequest_NotFound: Bad Request - Error in query syntax [$filter]"
    assert odata_error(httpx.Response(502, text="<html>Bad gateway</html>")) is None


# --- client: server-driven paging ----------------------------------------------------------------


def _pages(answers: dict[str, dict]) -> list:  # type: ignore[type-arg]
    sent: list[tuple[str, object]] = []

    async def send(url: str, params: object) -> httpx.Response:
        sent.append((url, params))
        return httpx.Response(200, content=json.dumps(answers[url]).encode())

    async def collect() -> list:  # type: ignore[type-arg]
        return [page async for page in read_collection(send, "https://api.example/x/items", {"$top": "9"})]

    pages = asyncio.run(collect())
    assert sent[0] == ("https://api.example/x/items", {"$top": "9"})
    assert all(params is None for _, params in sent[1:])  # a next link carries its own query
    return pages


def test_next_links_are_followed_to_the_end_with_decimals():
    pages = _pages({
        "https://api.example/x/items": {"value": [{"a": 1.10}], "@odata.nextLink": "https://api.example/x/items?$skiptoken=2"},
        "https://api.example/x/items?$skiptoken=2": {"value": [{"a": 2}], "@odata.nextLink": "items?$skiptoken=3"},
        "https://api.example/x/items?$skiptoken=3": {"value": []},
    })
    assert [len(p.value) for p in pages] == [1, 1, 0]
    assert pages[0].value[0]["a"] == Decimal("1.1") and isinstance(pages[0].value[0]["a"], Decimal)
    assert pages[-1].next_link is None


def test_a_looping_or_foreign_next_link_is_refused():
    with pytest.raises(PageLoopError):
        _pages({"https://api.example/x/items": {"value": [], "@odata.nextLink": "https://api.example/x/b"},
                "https://api.example/x/b": {"value": [], "@odata.nextLink": "https://api.example/x/b"}})
    with pytest.raises(MalformedResponse, match="leaves the service"):
        _pages({"https://api.example/x/items": {"value": [], "@odata.nextLink": "https://evil.example/x/items?p=2"}})
    with pytest.raises(MalformedResponse, match="value array"):
        _pages({"https://api.example/x/items": {"d": {"results": []}}})


# --- sandbox: model, $metadata and $filter -------------------------------------------------------

ITEM = EntityType("item", ("id",), (
    Property("id", "Edm.Guid", nullable=False), Property("name", "Edm.String", max_length=5),
    Property("day", "Edm.Date"), Property("stamp", "Edm.DateTimeOffset"), Property("amount", "Edm.Decimal"),
    Property("number", "Edm.Int32"), Property("done", "Edm.Boolean"), Property("kind", "NS.kind"),
), (NavigationProperty("parts", "part"),))
MODEL = ServiceModel("NS", [ITEM], sets={"items": "item"}, enums=[EnumType("kind", ("A", "B_x0020_C"))])
ROWS = [
    {"id": "00000000-0000-0000-0000-00000000000a", "name": "O'B", "day": dt.date(2026, 1, 1),
     "stamp": dt.datetime(2026, 1, 1, 8, tzinfo=dt.UTC), "amount": Decimal("1.50"), "number": 1, "done": True, "kind": "A"},
    {"id": "00000000-0000-0000-0000-00000000000b", "name": "Bee", "day": dt.date(2026, 2, 1),
     "stamp": dt.datetime(2026, 2, 1, 8, tzinfo=dt.UTC), "amount": Decimal("-3"), "number": 2, "done": False,
     "kind": "B_x0020_C"},
]


@pytest.mark.parametrize(("expression", "ids"), [
    ("name eq 'O''B'", "a"), ("day ge 2026-01-15", "b"), ("stamp lt 2026-01-31T00:00:00Z", "a"),
    ("amount gt 0", "a"), ("number eq 2 or done eq true", "ab"), ("not (number eq 2) and kind eq 'A'", "a"),
    ("(day le 2026-03-01 and amount lt -2.5)", "b"), ("kind eq 'B_x0020_C'", "b"),
    ("id eq 00000000-0000-0000-0000-00000000000B", "b"), ("name ne null", "ab"),
])
def test_filters_select_what_they_say(expression, ids):
    parsed = parse_filter(expression, ITEM, MODEL)
    assert "".join(r["id"][-1] for r in ROWS if parsed.matches(r)) == ids


@pytest.mark.parametrize(("expression", "why"), [
    ("day eq '2026-01-01'", "incompatible types"), ("nope eq 1", "Could not find a property"),
    ("number eq 1.5", "incompatible types"), ("kind eq 'Z'", "not a member"), ("name eq 'open", "Syntax error"),
    ("number eq", "ends too early"), ("(number eq 1", r"'\)' expected|ends too early"), ("number like 1", "not a comparison"),
    ("id eq null", "incompatible types"),
])
def test_filters_the_model_refuses(expression, why):
    with pytest.raises(ODataQueryError, match=why):
        parse_filter(expression, ITEM, MODEL)


def test_bounds_of_a_conjunction_are_readable():
    parsed = parse_filter("day ge 2026-01-01 and day le 2026-01-31", ITEM, MODEL)
    assert parsed.conjunctive and parsed.bounds("day") == {"ge": dt.date(2026, 1, 1), "le": dt.date(2026, 1, 31)}
    assert not parse_filter("day ge 2026-01-01 or day le 2026-01-31", ITEM, MODEL).conjunctive


def test_the_csdl_reads_back_and_judges_entities():
    schema = CsdlSchema(MODEL.csdl())
    assert schema.sets == {"items": "item"} and schema.enums == {"kind": {"A", "B_x0020_C"}}
    assert set(schema.navigation["item"]) == {"parts"}
    good = {"id": ROWS[0]["id"], "name": "abc", "day": "2026-01-01", "stamp": "2026-01-01T08:00:00Z",
            "amount": Decimal("1.5"), "number": 1, "done": True, "kind": "A", "@odata.etag": "W/\"x\"", "parts": []}
    assert schema.violations("item", good) == []
    bad = {"id": None, "name": "toolong", "day": "2026-02-30", "amount": 1.5, "number": True, "kind": "C", "extra": 1}
    text = "\n".join(schema.violations("item", bad))
    for expected in ("not nullable", "MaxLength 5", "'2026-02-30' is not a valid Edm.Date", "1.5 is not a valid Edm.Decimal",
                     "True is not a valid Edm.Int32", "'C' is not a valid NS.kind", "'extra' is not a property"):
        assert expected in text, expected


def _request(query: str = "", prefer: str | None = None) -> Request:
    headers = [(b"host", b"api.example")] + ([(b"prefer", prefer.encode())] if prefer else [])
    return Request({"type": "http", "method": "GET", "path": "/items", "query_string": query.encode(),
                    "headers": headers, "scheme": "https", "server": ("api.example", 443)})


def test_page_size_preferences_and_the_cap():
    assert requested_page_size(_request(prefer="odata.maxpagesize=10"), maximum=20) == 10
    assert requested_page_size(_request(prefer="respond-async, odata.maxpagesize=20"), maximum=20) == 20
    assert requested_page_size(_request(), maximum=20) is None
    with pytest.raises(ODataQueryError) as too_big:
        requested_page_size(_request(prefer="odata.maxpagesize=21"), maximum=20)
    assert too_big.value.status == 413
    with pytest.raises(ODataQueryError):
        requested_page_size(_request(prefer="odata.maxpagesize=x"), maximum=20)


def test_a_collection_pages_selects_orders_and_counts():
    response = collection_response(_request("$select=name&$orderby=number desc&$count=true", "odata.maxpagesize=1"),
                                   ROWS, ITEM, context="https://api.example/$metadata#items", max_page_size=10)
    body = json.loads(response.body)
    assert body["@odata.count"] == 2 and body["value"] == [{"id": ROWS[1]["id"], "name": "Bee"}]
    assert "$skiptoken=" in body["@odata.nextLink"] and response.headers["preference-applied"] == "odata.maxpagesize=1"
    token = body["@odata.nextLink"].split("$skiptoken=")[1]
    second = json.loads(collection_response(
        _request(f"$select=name&$orderby=number desc&$skiptoken={token}", "odata.maxpagesize=1"), ROWS, ITEM,
        context="c", max_page_size=10).body)
    assert second["value"] == [{"id": ROWS[0]["id"], "name": "O'B"}] and "@odata.nextLink" not in second
    for query in ("$expand=nope", "$select=nope", "$unknown=1", "$skiptoken=forged", "$top=-1"):
        with pytest.raises(ODataQueryError):
            collection_response(_request(query), ROWS, ITEM, context="c", max_page_size=10)


def test_expand_inlines_a_declared_navigation_property():
    parts = {ROWS[0]["id"]: [{"n": 1}], ROWS[1]["id"]: []}
    body = json.loads(collection_response(_request("$expand=parts&$select=name"), ROWS, ITEM, context="c", max_page_size=10,
                                          expand={"parts": lambda e: parts[e["id"]]}).body)
    assert [(v["name"], v["parts"]) for v in body["value"]] == [("O'B", [{"n": 1}]), ("Bee", [])]
    assert CsdlSchema(MODEL.csdl()).violations("item", body["value"][0]) == []
