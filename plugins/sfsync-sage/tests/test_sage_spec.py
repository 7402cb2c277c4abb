"""Everything the sandbox serves to the connector, checked against Sage's published swagger:
each answer's items against their schema (types, date formats, no field the schema lacks), lists
in the ``$items`` envelope, and each query parameter the connector sends declared for its path."""

from __future__ import annotations

import json

import pytest
from sfsync.clock import FakeClock
from sfsync.models import Company, Granularity, SyncMode
from sfsync.testing.harness import ContractHarness
from sfsync_sage.sandbox import SageSandbox
from sfsync_sage.sandbox.harness import api_get

SPECCED = {"/v3.1/businesses", "/v3.1/financial_settings", "/v3.1/ledger_accounts", "/v3.1/ledger_entries",
           "/v3.1/opening_balance_journals"}


def _sync_everything(tmp_path, checker) -> ContractHarness:  # type: ignore[no-untyped-def]
    sandbox = SageSandbox(clock=FakeClock())
    sandbox.observers.append(checker)
    harness = ContractHarness.create("sage-accounting", tmp_path, sandbox=sandbox)
    connection = harness.connect()
    refs = sandbox.company_refs()
    for index, ref in enumerate(refs):
        years = harness.run(harness.app.fiscal_years(harness.admin, connection.id, ref))
        for mode, since, granularity in ((SyncMode.REPLACE, None, Granularity.TRANSACTIONS),
                                         (SyncMode.SINCE, years[-1].start, Granularity.TRIAL_BALANCE),
                                         (SyncMode.SINCE, years[0].start, Granularity.TRANSACTIONS)):
            dossier = harness.app.create_dossier(harness.admin, f"{index}-{mode.value}-{granularity.value}-{since}")
            harness.run(harness.app.link(harness.admin, dossier.id, connection.id, ref, mode=mode, since=since,
                                         granularity=granularity))
            assert harness.sync(dossier).status in ("ok", "warning")
            sandbox.add_entry(ref)
            assert harness.sync(dossier).status in ("ok", "warning")
        assert harness.call_hook("sfsync_fetch_company_details", company=Company(ref=ref), previous=None).name
    return harness


def test_every_answer_the_connector_gets_conforms_to_the_swagger(tmp_path, spec_checker_factory):
    checker = spec_checker_factory()
    harness = _sync_everything(tmp_path, checker)
    harness.close()
    assert checker.violations == [], "\n".join(sorted(set(checker.violations))[:20])
    assert set(checker.checked) >= SPECCED, checker.checked
    assert any(path.startswith("/v3.1/businesses/") for path in checker.checked)  # company details
    assert sum(checker.checked.values()) > 30


def test_the_checker_catches_what_the_swagger_refuses(spec_checker_factory):
    """The check can fail: a string amount, an invented field, a bare array, a bad date."""
    checker = spec_checker_factory()
    entry = {"id": "a", "debit": "12.50", "credit": 0, "date": "2026-13-01", "currency": "USD"}
    checker("/v3.1/ledger_entries", {}, 200, json.dumps({**dict.fromkeys(
        ("$total", "$page", "$next", "$back", "$items_per_page")), "$items": [entry]}).encode())
    checker("/v3.1/ledger_accounts", {"items_per_page": "500", "pages": "2"}, 200, b"[]")
    text = "\n".join(checker.violations)
    for expected in ("'12.50' is not of type 'number'", "'2026-13-01' is not a 'date'", "'currency' is not in the schema",
                     "query parameter 'pages' is not declared", "items_per_page=500 is above 200", "not in the $items envelope"):
        assert expected in text, (expected, text)


@pytest.mark.parametrize(("path", "params"), [
    ("/v3.1/ledger_entries", {"attributes": "all", "items_per_page": "200"}),
    ("/v3.1/businesses", {}),  # the User API declares no paging parameters for it
])
def test_each_list_is_served_in_the_envelope(path, params, spec_checker_factory):
    checker = spec_checker_factory()
    sandbox = SageSandbox(clock=FakeClock())
    sandbox.observers.append(checker)

    response = api_get(sandbox, path.removeprefix("/v3.1"), params=params)
    assert response.status_code == 200
    assert checker.violations == [] and checker.checked == {path: 1}
