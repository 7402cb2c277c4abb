"""Every body the sandbox serves in a full round of syncs validates against Intuit's XSDs."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from sfsync.models import Granularity
from sfsync.testing.harness import ContractHarness
from sfsync_quickbooks.sandbox import QuickbooksSandbox
from sfsync_quickbooks.sandbox.xsd import XsdChecker

SPECS = Path(__file__).resolve().parents[4] / "shared" / "reference" / "specs" / "quickbooks-online"
if not SPECS.is_dir():  # the workspace's copy of shared/ sits beside the repository
    SPECS = Path("/work/shared/reference/specs/quickbooks-online")

pytestmark = pytest.mark.skipif(not (SPECS / "IntuitRestServiceDef.xsd").exists(), reason="Intuit's XSDs are not here")


@pytest.fixture(scope="module")
def checker() -> XsdChecker:
    return XsdChecker(SPECS)


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> list[tuple[str, int, bytes]]:
    sandbox = QuickbooksSandbox(time_scale=20, keep_bodies=True)
    harness = ContractHarness.create("quickbooks", tmp_path_factory.mktemp("spec"), sandbox=sandbox)
    try:
        for granularity in (Granularity.TRANSACTIONS, Granularity.TRIAL_BALANCE):
            harness.granularity_override = granularity
            for ref in sandbox.all_company_refs():
                sandbox.pick_company(ref)
                dossier = harness.new_dossier()
                assert harness.sync(dossier).status in ("ok", "warning")
                ref_company = sandbox.company_refs()[0]
                sandbox.add_entry(ref_company)
                sandbox.edit_line(ref_company)
                sandbox.delete_entry(ref_company)
                assert harness.sync(dossier).status in ("ok", "warning")
        # Refusals are served too: a malformed query and an expired token's 401.
        import asyncio

        import httpx

        async def refused() -> None:
            realm = sandbox.companies[0].realm
            token = str(sandbox.issue_token(realm)["access_token"])
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.app),
                                         base_url="https://quickbooks.api.intuit.com") as client:
                await client.get(f"/v3/company/{realm}/query", params={"query": "SELEC * FROM Account", "minorversion": "75"},
                                 headers={"Authorization": f"Bearer {token}"})
                await client.get(f"/v3/company/{realm}/query", params={"query": "select * from Account", "minorversion": "75"},
                                 headers={"Authorization": "Bearer nope"})

        asyncio.run(refused())
    finally:
        harness.close()
    return sandbox.served


def test_a_round_of_syncs_serves_every_kind_of_body(served):
    paths = {path.split("/")[4].split("?")[0] for path, _, _ in served}
    assert {"query", "companyinfo", "preferences", "cdc", "reports"} <= paths
    assert {status for _, status, _ in served} >= {200, 400, 401}


def test_every_body_served_validates_against_the_xsds(served, checker):
    problems = []
    for path, _status, body in served:
        document = json.loads(body, parse_float=Decimal)
        root = "Report" if "/reports/" in path and "Fault" not in document else "IntuitResponse"
        problems.extend(f"{path}: {p}" for p in checker.problems(document, root)[:3])
    assert not problems, problems[:10]


@pytest.mark.parametrize(
    ("body", "root", "expected"),
    [
        ({"QueryResponse": {"Account": [{"Nmae": "Kas"}]}}, "IntuitResponse", "'Nmae' is not declared"),
        ({"QueryResponse": {"Account": [{"Active": "maybe"}]}}, "IntuitResponse", "not a boolean"),
        ({"QueryResponse": {"startPosition": "one"}}, "IntuitResponse", "startPosition"),
        ({"Fault": {"Error": [{"Message": "x"}], "type": "ValidationFault"}}, "IntuitResponse", "code"),
        ({"Rows": {"Row": [{"ColData": [{"value": "1", "amount": "2"}]}]}}, "Report", "'amount' is not declared"),
    ],
)
def test_the_checker_refuses_what_the_xsds_refuse(checker, body, root, expected):
    problems = checker.problems(body, root)
    assert problems and any(expected in p for p in problems), problems
