"""Every answer the sandbox serves in a full round of syncs, held against the schema written from
the facts (``octopus_wire_schema``): lists, logins, errors, in both granularities and a since link."""

from __future__ import annotations

import json
from collections import Counter

import jsonschema
from sfsync.models import Company, Granularity, SyncMode

from .octopus_wire_schema import ANSWERS, ERROR, endpoint


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


def test_every_answer_the_connector_gets_conforms_to_the_schema(harness, sandbox):
    checker = Checker()
    sandbox.observers.append(checker)
    for ref in sandbox.company_refs():
        years = harness.run(harness.app.fiscal_years(harness.admin, harness.connection.id, ref))
        for mode, since, granularity in ((SyncMode.REPLACE, None, Granularity.TRANSACTIONS),
                                         (SyncMode.SINCE, years[-1].start, Granularity.TRIAL_BALANCE),
                                         (SyncMode.SINCE, years[1].start, Granularity.TRANSACTIONS)):
            dossier = harness.new_dossier(mode=mode, since=since, company_ref=ref, granularity=granularity)
            assert harness.sync(dossier).status == "ok"
            sandbox.add_entry(ref)
            sandbox.delete_entry(ref)
            assert harness.sync(dossier).status == "ok"
        assert harness.call_hook("sfsync_fetch_company_details", company=Company(ref=ref), previous=None).name
    # Tokens dropped mid-run: their 401s are answered too.
    run, _ = harness.sync_until(harness.new_dossier(company_ref=sandbox.company_refs()[0]), 1, action=sandbox.expire_tokens)
    assert run is not None and run.status == "ok"
    assert checker.violations == [], "\n".join(sorted(set(checker.violations))[:20])
    assert {f"{m} {p} 200" for m, p in ANSWERS} <= set(checker.checked), checker.checked
    assert any(key.endswith(" 401") for key in checker.checked), checker.checked


def test_the_checker_catches_what_the_schema_refuses():
    """The check can fail: a string amount, an invented field, a wrapped list, a bad stamp."""
    checker = Checker()
    booking = {"bookyearKey": {"id": 1}, "journalKey": "V1", "documentSequenceNr": 1, "bookyearPeriodeNr": "202501",
               "documentDate": "2025-01-10", "currencyCode": "EUR", "modifiedTimeStamp": "2025-01-10T10:00:00",
               "bookingLines": [{"lineSequenceNr": 1, "accountKey": 700000, "amount": "-100.00", "vat": 1}]}
    checker("GET", "/octopus-rest-api/v1/dossiers/1/bookyears/1/bookings/modified", 200, json.dumps([booking]).encode())
    checker("GET", "/octopus-rest-api/v1/dossiers", 200, json.dumps({"dossiers": []}).encode())
    text = "\n".join(checker.violations)
    for expected in ("'-100.00' is not of type 'number'", "'vat' was unexpected", "does not match",
                     "is not of type 'array'"):
        assert expected in text, (expected, text)
