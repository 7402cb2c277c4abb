"""The sandbox's office and wire: valid Belgian numbers, the legal forms and languages a Belgian
office holds, AdminPulse's paging envelope and caps, and what it refuses."""

from __future__ import annotations

import pytest
from sfsync_adminpulse.sandbox import AdminPulseSandbox
from sfsync_adminpulse.sandbox.harness import api_get
from sfsync_adminpulse.sandbox.relations import enterprise_number, valid_enterprise_number


def test_enterprise_numbers_carry_the_kbo_check_number():
    assert enterprise_number("04623187") == "0462318727"  # 97 - 4623187 % 97 = 27
    assert valid_enterprise_number("BE 0462.318.727") and not valid_enterprise_number("0462318728")
    with pytest.raises(ValueError, match="eight digits"):
        enterprise_number("2462318")


def test_the_office_is_belgian_and_varied(sandbox):
    companies = [r for r in sandbox.relations if r.number]
    assert all(valid_enterprise_number(r.number) for r in companies)
    assert all(r.vat_number is None or r.vat_number == f"BE{r.number}" for r in sandbox.relations)
    assert {"BV", "NV", "VZW", "CommV"} <= {r.legal_form for r in sandbox.relations}
    assert {"nl", "fr"} == {r.language for r in sandbox.relations}
    assert {"31/12", "30/06", "31/03"} <= {r.fiscal_year_end for r in sandbox.relations}
    # Relations that are no one's company: a private person and a prospect are not listed.
    listed = set(sandbox.company_refs())
    assert {r.name for r in sandbox.relations if r.id not in listed} == {"Jan Janssens", "Garage Maes"}


def test_relations_page_from_zero_with_a_page_count():
    sandbox = AdminPulseSandbox(extra=30)
    first = api_get(sandbox, "/relations", page=0, pageSize=20).json()
    second = api_get(sandbox, "/relations", page=1, pageSize=20).json()
    assert set(first) == {"results", "pageCount"} and first["pageCount"] == 2
    assert len(first["results"]) == 20 and len(second["results"]) == 17
    assert not {r["id"] for r in first["results"]} & {r["id"] for r in second["results"]}
    assert api_get(sandbox, "/relations", page=5, pageSize=20).json()["results"] == []


@pytest.mark.parametrize(("params", "status"), [
    ({"pageSize": 401}, 400), ({"pageSize": 0}, 400), ({"page": "x"}, 400), ({"modifiedSince": "2026-01-01"}, 400),
    ({"vatNumber": "BE0462318727"}, 400),
])
def test_what_it_refuses(sandbox, params, status):
    answer = api_get(sandbox, "/relations", **params)
    assert answer.status_code == status and "message" in answer.json()


def test_filters_by_vat_number_and_search(sandbox):
    peeters = sandbox.relations[0]
    found = api_get(sandbox, "/relations", vatNumber=peeters.number).json()["results"]
    assert [r["id"] for r in found] == [peeters.id]
    for needle in ("peeters", "APR0001", "0462.318.727", "PEETERS"):
        assert [r["id"] for r in api_get(sandbox, "/relations", search=needle).json()["results"]] == [peeters.id], needle


def test_a_key_that_is_not_the_office_s_is_refused(sandbox):
    assert api_get(sandbox, "/relations", key="wrong").status_code == 401
    assert api_get(sandbox, f"/relations/{sandbox.relations[0].id}", key="wrong").status_code == 401
    old = sandbox.api_key
    sandbox.revoke()
    assert api_get(sandbox, "/relations", key=old).status_code == 401
    assert api_get(sandbox, "/relations").status_code == 200  # the office's new key


def test_one_relation_and_an_unknown_one(sandbox):
    body = api_get(sandbox, f"/relations/{sandbox.relations[2].id}").json()
    assert body["name"] == "Sportclub De Leeuw" and body["legalForm"] == "VZW" and body["vatNumber"] is None
    assert body["addresses"][0]["box"] == "2" and body["fiscalYearEnd"] == "31/12"
    assert api_get(sandbox, "/relations/00000000-0000-0000-0000-000000000000").status_code == 404


def test_every_served_relation_has_the_fields_the_clients_read(sandbox):
    # No published schema exists: what the open-source clients read is what is held to.
    served: list[dict] = []
    sandbox.observers.append(lambda route, bodies: served.extend(bodies))
    api_get(sandbox, "/relations", pageSize=400)
    api_get(sandbox, f"/relations/{sandbox.relations[0].id}")
    assert len(served) == len(sandbox.relations) + 1
    for body in served:
        assert isinstance(body["id"], str) and isinstance(body["name"], str) and body["name"]
        assert isinstance(body["uniqueIdentifier"], str)
        assert body["vatNumber"] is None or body["vatNumber"].startswith("BE")


def test_the_minute_limit_answers_429_with_retry_after():
    sandbox = AdminPulseSandbox(per_minute=2, window_seconds=3600)
    answers = [api_get(sandbox, "/relations") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert int(answers[2].headers["Retry-After"]) >= 1 and "480" in answers[2].json()["message"]
