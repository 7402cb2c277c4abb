"""Every answer the sandbox serves to the connectors, checked against the ``$metadata`` it
publishes (read back from the XML) and, for the entities Microsoft's official v1.0 OpenAPI
contract has, against that contract on the properties v2.0 kept with the same type."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from sfsync.clock import FakeClock
from sfsync.models import Company, Granularity, SyncMode
from sfsync.sandbox.odata import CsdlSchema
from sfsync.testing.harness import ContractHarness
from sfsync_businesscentral.sandbox import BoCountSandbox, BusinessCentralSandbox
from sfsync_businesscentral.sandbox.harness import api_get, bocount_get

SEGMENT = re.compile(r"/(companies|companyInformation|accountingPeriods|accounts|generalLedgerEntries|trialBalances|"
                     r"generalLedgerSetup)(\([^)]*\))?$")
# v2.0 entity → the v1.0 schema of the same entity.
V1 = {"company": "company", "companyInformation": "companyInformation", "account": "account",
      "generalLedgerEntry": "generalLedgerEntry", "trialBalance": "trialBalance"}
# Properties whose type v2.0 changed from v1.0 (v1.0: integer id, date-time dates), so v1.0
# cannot judge them.
RETYPED = {"id", "postingDate", "dateFilter", "currentFiscalYearStartDate"}


class Checker:
    """An observer of the sandbox: each collection answer against the served $metadata."""

    def __init__(self, metadata: bytes, openapi: dict | None) -> None:  # type: ignore[type-arg]
        self.schema = CsdlSchema(metadata)
        self.openapi = openapi
        self.violations: list[str] = []
        self.checked: dict[str, int] = {}

    def type_of(self, path: str) -> str | None:
        match = SEGMENT.search(path)
        if match is None:
            return None
        return self.schema.sets.get(match.group(1))

    def v1(self, type_name: str, entity: dict, where: str) -> None:  # type: ignore[type-arg]
        if self.openapi is None or type_name not in V1:
            return
        schema = self.openapi["components"]["schemas"][V1[type_name]]["properties"]
        for key, value in entity.items():
            spec = schema.get(key)
            if key.startswith("@") or key in RETYPED or spec is None or value is None:
                continue
            kind = spec.get("type")
            if kind == "string" and not isinstance(value, str):
                self.violations.append(f"{where}.{key}: v1.0 says string, got {value!r}")
            elif kind == "string" and spec.get("maxLength") and len(value) > spec["maxLength"]:
                self.violations.append(f"{where}.{key}: longer than v1.0's maxLength {spec['maxLength']}")
            elif kind == "number" and not isinstance(value, Decimal | int):
                self.violations.append(f"{where}.{key}: v1.0 says number, got {value!r}")
            elif kind == "boolean" and not isinstance(value, bool):
                self.violations.append(f"{where}.{key}: v1.0 says boolean, got {value!r}")
            elif spec.get("format") == "uuid" and not re.fullmatch(r"[0-9a-f-]{36}", str(value)):
                self.violations.append(f"{where}.{key}: v1.0 says uuid, got {value!r}")

    def __call__(self, path: str, query: dict[str, str], status: int, body: bytes) -> None:
        type_name = self.type_of(path)
        if type_name is None or status != 200:
            return
        answer = json.loads(body, parse_float=Decimal)
        if not str(answer.get("@odata.context", "")).startswith("https://"):
            self.violations.append(f"{path}: no @odata.context")
        entities = answer.get("value", [answer])
        self.checked[type_name] = self.checked.get(type_name, 0) + len(entities)
        for index, entity in enumerate(entities):
            where = f"{path}[{index}]"
            self.violations += self.schema.violations(type_name, entity, where)
            self.v1(type_name, entity, where)


def _sync_all(harness: ContractHarness, sandbox: BusinessCentralSandbox) -> None:
    connection = harness.connection
    assert connection is not None
    for index, ref in enumerate(sandbox.company_refs()):
        years = harness.run(harness.app.fiscal_years(harness.admin, connection.id, ref))
        for mode, since, granularity in ((SyncMode.REPLACE, None, Granularity.TRANSACTIONS),
                                         (SyncMode.SINCE, years[-1].start, Granularity.TRIAL_BALANCE)):
            dossier = harness.app.create_dossier(harness.admin, f"{index}-{mode.value}-{granularity.value}")
            harness.run(harness.app.link(harness.admin, dossier.id, connection.id, ref, mode=mode, since=since,
                                         granularity=granularity))
            assert harness.sync(dossier).status == "ok"
            sandbox.add_entry(ref)
            sandbox.delete_entry(ref)
            assert harness.sync(dossier).status == "ok"
        harness.call_hook("sfsync_fetch_company_details", company=Company(ref=ref), previous=None)


@pytest.mark.parametrize("kind", [BusinessCentralSandbox, BoCountSandbox])
def test_every_answer_conforms_to_the_served_metadata_and_the_v1_contract(tmp_path, openapi_v1, kind):
    sandbox = kind(clock=FakeClock())
    metadata = (bocount_get(sandbox, "$metadata") if kind is BoCountSandbox else api_get(sandbox, "$metadata")).content
    checker = Checker(metadata, openapi_v1)
    sandbox.observers.append(checker)
    harness = ContractHarness.create(sandbox.connector, tmp_path, sandbox=sandbox)
    harness.connect()
    _sync_all(harness, sandbox)
    harness.close()
    assert checker.violations == [], "\n".join(checker.violations[:20])
    used = {"company", "companyInformation", "accountingPeriod", "account", "generalLedgerEntry", "trialBalance",
            "generalLedgerSetup"}
    assert set(checker.checked) == used, checker.checked
    assert sum(checker.checked.values()) > 1000


def test_the_metadata_declares_every_entity_it_serves():
    sandbox = BusinessCentralSandbox(clock=FakeClock())
    response = api_get(sandbox, "$metadata")
    assert response.status_code == 200 and response.headers["content-type"] == "application/xml"
    assert response.headers["odata-version"] == "4.0"
    schema = CsdlSchema(response.content)
    assert schema.namespace == "Microsoft.NAV"
    assert set(schema.sets) == {"companies", "companyInformation", "accountingPeriods", "accounts",
                                "generalLedgerEntries", "trialBalances", "generalLedgerSetup"}
    assert set(schema.navigation["company"]) == set(schema.sets) - {"companies"}
    assert "Cost_x0020_of_x0020_Goods_x0020_Sold" in schema.enums["glAccountCategory"]
    assert "vatRegistrationNumber" not in schema.types["company"]
    assert "vatRegistrationNumber" in CsdlSchema(bocount_get(BoCountSandbox(clock=FakeClock()), "$metadata").content).types["company"]


def test_the_checker_catches_what_the_metadata_and_contract_refuse(openapi_v1):
    """The check can fail: a string amount, an invented field, a bad enum, a date-time for a date,
    a name over v1.0's maxLength, a non-GUID id."""
    sandbox = BusinessCentralSandbox(clock=FakeClock())
    checker = Checker(api_get(sandbox, "$metadata").content, openapi_v1)
    entry = {"id": "7", "entryNumber": 1, "postingDate": "2026-01-31T00:00:00Z", "debitAmount": "12.50",
             "documentType": "Invoic", "currency": "USD", "description": "x" * 101}
    checker("/v2.0/t/Production/api/v2.0/companies(x)/generalLedgerEntries", {}, 200,
            json.dumps({"@odata.context": "https://x/$metadata#x", "value": [entry]}).encode())
    text = "\n".join(checker.violations)
    for expected in ("'12.50' is not a valid Edm.Decimal", "'currency' is not a property", "'Invoic' is not a valid",
                     "is not a valid Edm.Date", "'7' is not a valid Edm.Guid", "MaxLength 100",
                     "v1.0 says number", "longer than v1.0's maxLength 100"):
        assert expected in text, (expected, text)
