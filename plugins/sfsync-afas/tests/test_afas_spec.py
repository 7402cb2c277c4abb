"""Everything the sandbox serves to the connector, checked against AFAS's published OpenAPI 3
documents (Mutaties.json, Overige.json): every row's fields and types, the ``{skip, take, rows}``
envelope, no field a schema lacks, each query parameter declared; plus metainfo and the
GetConnector catalogue."""

from __future__ import annotations

import json

from sfsync.clock import FakeClock
from sfsync.models import Company, Granularity, SyncMode
from sfsync.testing.harness import ContractHarness
from sfsync_afas.facts import CONNECTORS
from sfsync_afas.sandbox import AfasSandbox

from .helpers import call


def test_every_answer_the_connector_gets_conforms_to_the_openapi_documents(tmp_path, spec_checker_factory):
    checker = spec_checker_factory()
    sandbox = AfasSandbox(clock=FakeClock())
    sandbox.observers.append(checker)
    harness = ContractHarness.create("afas", tmp_path, sandbox=sandbox)
    connection = harness.connect()
    for ref in sandbox.company_refs():
        years = harness.run(harness.app.fiscal_years(harness.admin, connection.id, ref))
        for mode, since, granularity in ((SyncMode.REPLACE, None, Granularity.TRANSACTIONS),
                                         (SyncMode.SINCE, years[1].start, Granularity.TRIAL_BALANCE),
                                         (SyncMode.SINCE, years[1].start, Granularity.TRANSACTIONS)):
            dossier = harness.app.create_dossier(harness.admin, f"{ref}-{mode.value}-{granularity.value}")
            harness.run(harness.app.link(harness.admin, dossier.id, connection.id, ref, mode=mode, since=since,
                                         granularity=granularity))
            assert harness.sync(dossier).status == "ok"
            sandbox.add_entry(ref)
            sandbox.delete_entry(ref, year=years[-1].start.year)
            assert harness.sync(dossier).status == "ok"
        assert harness.call_hook("sfsync_fetch_company_details", company=Company(ref=ref), previous=None).name
    served = {path.rsplit("/", 1)[-1] for path in checker.checked if "/connectors/" in path}
    assert served == set(CONNECTORS) - {"Profit_Journals"}, served  # the connector needs no journal names
    assert call(sandbox, "GET", "/connectors/Profit_Journals", params={"orderbyfieldids": "UnitId,JournalId"}).status_code == 200
    for connector in CONNECTORS:
        assert call(sandbox, "GET", f"/metainfo/get/{connector}").status_code == 200
    assert call(sandbox, "GET", "/MetaInfo").status_code == 200
    harness.close()
    assert checker.violations == [], "\n".join(sorted(set(checker.violations))[:20])
    assert sum(checker.checked.values()) > 40


def test_the_checker_catches_what_the_documents_refuse(spec_checker_factory):
    """The check can fail: a text amount, an invented field, a missing envelope, a bad parameter."""
    checker = spec_checker_factory()
    row = {"UnitId": 1, "EntryNo": 1, "SeqNo": 1, "AmtDebit": "12.50", "Currency": "USD"}
    checker("/ProfitRestServices/connectors/Profit_Transactions", {"pages": "2"}, 200,
            json.dumps({"skip": 0, "take": 100, "rows": [row]}).encode())
    checker("/ProfitRestServices/connectors/Profit_Accounts", {}, 200, json.dumps({"skip": "0", "rows": {}}).encode())
    text = "\n".join(checker.violations)
    for expected in ("'12.50' is not of type 'number'", "'Currency' was unexpected", "query parameter 'pages' is not declared",
                     "'0' is not of type 'integer'", "{} is not of type 'array'"):
        assert expected in text, (expected, text)
