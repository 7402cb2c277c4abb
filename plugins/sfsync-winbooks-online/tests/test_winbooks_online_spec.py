"""Every answer the sandbox serves in a round of syncs, held against the schema written from the
facts (``winbooks_wire_schema``): tokens, folders, Get All chunks, criteria pages and projections."""

from __future__ import annotations

import json
from collections import Counter

import jsonschema
from sfsync.models import Company, SyncMode

from .winbooks_wire_schema import ANSWERS, ERROR, endpoint


class Checker:
    def __init__(self) -> None:
        self.violations: list[str] = []
        self.checked: Counter[str] = Counter()

    def __call__(self, method: str, path: str, status: int, body: bytes) -> None:
        name = endpoint(path)
        schema = ANSWERS.get((method, name)) if status == 200 else ERROR
        if schema is None:
            self.violations.append(f"{method} {name} is not in the schema")
            return
        self.checked[f"{method} {name} {status}"] += 1
        for problem in jsonschema.Draft202012Validator(schema).iter_errors(json.loads(body)):
            self.violations.append(f"{method} {name}: {problem.message} at {list(problem.absolute_path)}")


def test_every_answer_the_connector_gets_conforms_to_the_schema(harness, sandbox, clock):
    checker = Checker()
    sandbox.observers.append(checker)
    sandbox.chunk = 7
    for ref in sandbox.company_refs():
        years = harness.run(harness.app.fiscal_years(harness.admin, harness.connection.id, ref))
        for mode, since in ((SyncMode.REPLACE, None), (SyncMode.SINCE, years[1].start)):
            dossier = harness.new_dossier(mode=mode, since=since, company_ref=ref)
            assert harness.sync(dossier).status == "ok"
            sandbox.add_entry(ref)
            sandbox.delete_entry(ref)
            assert harness.sync(dossier).status == "ok"
        assert harness.call_hook("sfsync_fetch_company_details", company=Company(ref=ref), previous=None).name
    run, _ = harness.sync_until(harness.new_dossier(company_ref=sandbox.company_refs()[0]), 1, action=sandbox.expire_tokens)
    assert run is not None and run.status == "ok"
    assert checker.violations == [], "\n".join(sorted(set(checker.violations))[:20])
    assert {f"{m} {p} 200" for m, p in ANSWERS} <= set(checker.checked), checker.checked
    assert any(key.endswith(" 401") for key in checker.checked), checker.checked


def test_the_checker_catches_what_the_schema_refuses():
    checker = Checker()
    header = {"$type": "Winbooks.TORM.OM.Accounting.GLTransHeader, Winbooks.TORM.OM", "Id": "not-a-guid",
              "BookDate": "2025-01-10", "Extra": 1}
    checker("POST", "/app/GLTransHeaders/Folder/X/ExecuteCriteria", 200, json.dumps([header]).encode())
    checker("POST", "/OAuth20/Token", 200, json.dumps({"access_token": "a", "refresh_token": "b", "token_type": "bearer",
                                                       "expires_in": 900}).encode())
    text = "\n".join(checker.violations)
    assert "is not valid under any of the given schemas" in text and "900 is not of type 'string'" in text, text
