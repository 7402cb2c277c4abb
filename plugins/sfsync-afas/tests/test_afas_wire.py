"""The sandbox is as strict as AFAS's documents say: the token header per environment, 401/403
with empty bodies, AFAS's error body, the 2,049-character query limit, skip/take, order, filters
in both forms, the timeout and the 75 MB cap."""

from __future__ import annotations

import json

import pytest
from sfsync_afas.facts import UNEXPECTED_ERROR_NUMBER
from sfsync_afas.filters import Condition, filter_params
from sfsync_afas.sandbox import AfasSandbox

from .helpers import call, rows


@pytest.fixture(scope="module")
def sandbox() -> AfasSandbox:
    return AfasSandbox()


def test_the_token_goes_base64_in_an_afastoken_header_for_its_own_environment(sandbox):
    ok = call(sandbox, "GET", "/connectors/Profit_Administrations", params={"orderbyfieldids": "AdminId"})
    assert ok.status_code == 200 and [r["AdminCd"] for r in ok.json()["rows"]] == ["JANSEN", "VDAMME", "DESMET"]
    bare = call(sandbox, "GET", "/connectors/Profit_Administrations", headers={"Authorization": f"AfasToken {sandbox.token}"})
    assert bare.status_code == 401 and bare.content == b""  # the XML itself, not its base64
    assert call(sandbox, "GET", "/connectors/Profit_Administrations", headers={}).status_code == 401
    assert call(sandbox, "GET", "/connectors/Profit_Administrations", kind="test").status_code == 401
    assert call(sandbox, "GET", "/connectors/Profit_Administrations", kind="test", token=sandbox.test_token).status_code == 200
    assert call(sandbox, "GET", "/connectors/Profit_Administrations", kind="accept").status_code == 401


def test_an_ip_restriction_answers_403():
    restricted = AfasSandbox(allowed_ips={"203.0.113.7"})
    response = call(restricted, "GET", "/connectors/Profit_Administrations")
    assert response.status_code == 403 and response.content == b""


def test_a_query_string_over_2049_characters_is_404(sandbox):
    from urllib.parse import urlencode

    def params(length: int) -> dict[str, str]:
        base = {"orderbyfieldids": "AdminId", "filterfieldids": "AdminNm", "operatortypes": "6", "filtervalues": ""}
        base["filtervalues"] = "x" * (length - len("?" + urlencode(base)))
        assert len("?" + urlencode(base)) == length
        return base

    assert call(sandbox, "GET", "/connectors/Profit_Administrations", params=params(2049)).status_code == 200
    assert call(sandbox, "GET", "/connectors/Profit_Administrations", params=params(2050)).status_code == 404


@pytest.mark.parametrize(("skip", "take"), [("2", "-1"), ("-3", "10"), ("0", "0"), ("a", "10")])
def test_invalid_skip_take_is_afas_s_unexpected_error(sandbox, skip, take):
    response = call(sandbox, "GET", "/connectors/Profit_Accounts", params={"skip": skip, "take": take})
    assert response.status_code == 500
    body = response.json()
    assert set(body) == {"externalMessage", "errorNumber", "profitLogReference"}
    assert body["externalMessage"] == "An unexpected error has occurred." and body["errorNumber"] == UNEXPECTED_ERROR_NUMBER


def test_paging_defaults_to_100_and_get_all_is_minus_one(sandbox):
    default = call(sandbox, "GET", "/connectors/Profit_Transactions", params={"orderbyfieldids": "Year,EntryNo,SeqNo"}).json()
    assert (default["skip"], default["take"], len(default["rows"])) == (0, 100, 100)
    everything = rows(sandbox, "Profit_Transactions", skip="-1", take="-1")
    assert len(everything) == sum(len(a.lines) for a in sandbox.administrations)


def test_without_orderbyfieldids_the_order_changes_between_calls(sandbox):
    first = [(r["Year"], r["EntryNo"], r["SeqNo"]) for r in rows(sandbox, "Profit_Transactions", take="50")]
    second = [(r["Year"], r["EntryNo"], r["SeqNo"]) for r in rows(sandbox, "Profit_Transactions", take="50")]
    assert first != second
    ordered = rows(sandbox, "Profit_Transactions", take="50", orderbyfieldids="-Year,EntryNo,SeqNo")
    assert ordered == rows(sandbox, "Profit_Transactions", take="50", orderbyfieldids="-Year,EntryNo,SeqNo")
    assert ordered[0]["Year"] == max(y.number for y in sandbox.administrations[0].years)


def test_an_unknown_field_is_connector_field_not_found(sandbox):
    for params in ({"orderbyfieldids": "Amount"}, {"filterfieldids": "Amount", "filtervalues": "1", "operatortypes": "1"}):
        response = call(sandbox, "GET", "/connectors/Profit_Transactions", params=params)
        assert response.status_code == 500 and response.json()["externalMessage"] == "Connector field 'Amount' not found"


def _units(found: list[dict]) -> set[int]:
    return {r["AdminId"] for r in found}


@pytest.mark.parametrize(("conditions", "expected"), [
    ([[Condition("AdminId", 1, "2")]], {2}),
    ([[Condition("AdminId", 2, "2")]], {2, 3}),
    ([[Condition("AdminId", 3, "2")]], {1, 2}),
    ([[Condition("AdminId", 4, "2")]], {3}),
    ([[Condition("AdminId", 5, "2")]], {1}),
    ([[Condition("AdminNm", 6, "logistics")]], {2}),
    ([[Condition("AdminId", 7, "2")]], {1, 3}),
    ([[Condition("AdminNm", 8, "")]], set()),
    ([[Condition("AdminNm", 9, "")]], {1, 2, 3}),
    ([[Condition("AdminNm", 10, "De ")]], {3}),
    ([[Condition("AdminNm", 11, "B.V.")]], {2, 3}),
    ([[Condition("AdminNm", 12, "Bakkerij")]], {2, 3}),
    ([[Condition("AdminNm", 13, "BV")]], {2, 3}),
    ([[Condition("AdminNm", 14, "BV")]], {1}),
    ([[Condition("AdminCd", 15, "dam")]], {2}),
    ([[Condition("AdminId", 2, "2"), Condition("AdminNm", 6, "Smet")]], {3}),  # , is AND
    ([[Condition("AdminId", 1, "1")], [Condition("AdminId", 1, "3")]], {1, 3}),  # ; is OR
    ([[Condition("AdminNm", 6, "Jansen, B")]], set()),  # a comma in a value: sent as filterjson
])
def test_filters_in_both_forms(sandbox, conditions, expected):
    params = filter_params(conditions)
    found = rows(sandbox, "Profit_Administrations", orderbyfieldids="AdminId", **params)
    assert _units(found) == expected
    document = {"Filters": {"Filter": [{"@FilterId": f"F{n}", "Field": [
        {"@FieldId": c.field, "@OperatorType": str(c.operator), "#text": c.value} for c in group]}
        for n, group in enumerate(conditions)]}}
    as_json = rows(sandbox, "Profit_Administrations", orderbyfieldids="AdminId", filterjson=json.dumps(document))
    assert _units(as_json) == expected


def test_the_wire_forms_of_a_filter():
    assert filter_params([[Condition("UnitId", 1, "1"), Condition("Year", 2, "2025")], [Condition("UnitId", 1, "3")]]) == {
        "filterfieldids": "UnitId,Year;UnitId", "filtervalues": "1,2025;3", "operatortypes": "1,2;1"}
    assert set(filter_params([[Condition("Description", 6, "a;b")]])) == {"filterjson"}
    with pytest.raises(ValueError, match="1–15"):
        Condition("Year", 16, "1")


def test_a_date_filter_and_a_stamp_filter(sandbox):
    first = sandbox.administrations[0].years[-1].start.isoformat()
    dated = rows(sandbox, "Profit_Transactions", take="-1", skip="-1", **filter_params([[
        Condition("UnitId", 1, "1"), Condition("EntryDate", 2, first)]]))
    assert dated and all(r["EntryDate"] >= first and r["UnitId"] == 1 for r in dated)
    newest = max(r["Modified"] for r in dated)
    at = rows(sandbox, "Profit_Transactions", take="-1", skip="-1",
              **filter_params([[Condition("Modified", 2, newest.rstrip("Z"))]]))
    assert at and all(r["Modified"] >= newest for r in at)


def test_the_15_minute_timeout_and_the_75_mb_cap():
    slow = AfasSandbox(timeout_rows=200)
    response = call(slow, "GET", "/connectors/Profit_Transactions", params={"take": "500", "orderbyfieldids": "Year"})
    assert response.status_code == 500 and "maximum duration" in response.json()["externalMessage"]
    small = AfasSandbox(max_answer_bytes=20_000)
    assert call(small, "GET", "/connectors/Profit_Transactions", params={"take": "500", "orderbyfieldids": "Year"}).status_code == 413


def test_a_getconnector_outside_the_app_connector_is_refused():
    sandbox = AfasSandbox()
    sandbox.withheld.add("Profit_Period_balance")
    response = call(sandbox, "GET", "/connectors/Profit_Period_balance")
    assert response.status_code == 404 and "not supported for this app" in response.json()["externalMessage"]
    assert "Profit_Period_balance" not in {c["id"] for c in call(sandbox, "GET", "/MetaInfo").json()["getConnectors"]}


def test_metainfo_names_every_field_the_rows_carry(sandbox):
    for connector in ("Profit_Accounts", "Profit_Transactions", "Profit_Fin_ChangedEntrydate"):
        meta = call(sandbox, "GET", f"/metainfo/get/{connector}").json()
        assert meta["name"] == connector
        assert {f["id"] for f in meta["fields"]} == set(rows(sandbox, connector, orderbyfieldids=meta["fields"][0]["id"])[0])
