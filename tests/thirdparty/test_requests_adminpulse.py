"""AdminPulse's served sandbox driven over real HTTP the way the open-source integrations call
the real API (no Python client of AdminPulse exists on PyPI; they use plain HTTP): Bearer key,
``/relations`` paged with ``page`` from 0 and ``pageSize`` 400 until ``pageCount``, a lookup by
``vatNumber`` with ``pageSize=1`` reading ``results[0].id/name/uniqueIdentifier``, 401 for a
wrong key and 429 with Retry-After above the limit."""

from __future__ import annotations

import pytest
import requests
from sfsync_adminpulse.sandbox import AdminPulseSandbox


def _get(base: str, key: str, path: str, **params: object) -> requests.Response:
    return requests.get(f"{base}{path}", params=params, headers={"Authorization": f"Bearer {key}",
                                                                  "Accept": "application/json"}, timeout=30)


def test_paging_as_the_scripts_do_reads_every_relation_once(serve):
    sandbox = AdminPulseSandbox(extra=450)  # two pages of 400
    base = serve(sandbox.app)
    seen, page = [], 0
    while True:
        body = _get(base, sandbox.api_key, "/relations", page=page, pageSize=400).json()
        seen += [row["id"] for row in body["results"]]
        page += 1
        if page >= body["pageCount"]:
            break
    assert page == 2 and sorted(seen) == sorted(r.id for r in sandbox.relations)


def test_the_vat_lookup_finds_the_relation(serve):
    sandbox = AdminPulseSandbox()
    base = serve(sandbox.app)
    peeters = sandbox.relations[0]
    body = _get(base, sandbox.api_key, "/relations", vatNumber=peeters.number, pageSize=1).json()
    found = body["results"][0]
    assert (found["id"], found["name"], found["uniqueIdentifier"]) == (peeters.id, "Bakkerij Peeters", "APR0001")
    one = _get(base, sandbox.api_key, f"/relations/{found['id']}").json()
    assert one["vatNumber"] == "BE0462318727"


def test_a_wrong_key_is_401_and_the_limit_is_429_with_retry_after(serve):
    sandbox = AdminPulseSandbox(per_minute=3, window_seconds=3600)  # a long window: no turn mid-test
    base = serve(sandbox.app)
    assert _get(base, "not-the-key", "/relations").status_code == 401
    answers = [_get(base, sandbox.api_key, "/relations") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert int(answers[-1].headers["Retry-After"]) >= 1


@pytest.mark.parametrize("bad", [{"pageSize": 401}, {"page": -1}, {"pagesize": 10}])
def test_what_the_api_refuses_is_400(serve, bad):
    sandbox = AdminPulseSandbox()
    assert _get(serve(sandbox.app), sandbox.api_key, "/relations", **bad).status_code == 400
