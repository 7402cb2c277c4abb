"""A Sage answer with wrongly typed fields is refused, never coerced (issue 15's fault matrix)."""

from __future__ import annotations

import pytest
from sfsync.clock import FakeClock
from sfsync.errors import MalformedResponse
from sfsync.sandbox.faults import WrongTypes
from sfsync.testing.figures import snapshot
from sfsync.testing.harness import ContractHarness
from sfsync_sage.ledger import _record
from sfsync_sage.sandbox import SageSandbox

ENTRY = {"id": "e-1", "date": "2026-01-02", "debit": 1, "credit": 0, "ledger_account": {"id": "acc"},
         "transaction": {"id": "t-1"}}


@pytest.fixture
def harness(tmp_path):
    made = ContractHarness.create("sage-accounting", tmp_path, sandbox=SageSandbox(clock=FakeClock()))
    yield made
    made.close()


@pytest.mark.parametrize("code", ["n/a", "411000", 4.5, True, 0, None])
def test_a_nominal_code_that_is_not_a_whole_number_is_refused(code):
    chart = {"acc": {"id": "acc", "nominal_code": code}}
    with pytest.raises(MalformedResponse, match=r"(nominal code .* of ledger account acc|acc has no nominal_code)"):
        _record(ENTRY, chart, [])


def test_an_integer_nominal_code_is_the_account():
    assert _record(ENTRY, {"acc": {"id": "acc", "nominal_code": 411000}}, [])["account"] == "411000"


def test_a_change_stamp_that_is_not_a_time_is_refused():
    chart = {"acc": {"id": "acc", "nominal_code": 411000}}
    with pytest.raises(MalformedResponse, match=r"updated_at of ledger entry e-1 'n/a'"):
        _record({**ENTRY, "updated_at": "n/a"}, chart, [])


def test_a_chart_with_wrongly_typed_codes_fails_the_run_and_keeps_the_lines(harness):
    # str() of the spoilt codes gave every line the account 'n/a' and the run finished ok.
    dossier = harness.new_dossier()
    assert harness.sync(dossier).status == "ok"
    before = snapshot(harness, dossier.id)
    harness.relink(dossier)
    fault = WrongTypes(fields=("nominal_code",), path_contains="/ledger_accounts", times=1)
    with harness.sandbox.faults.injected(fault):
        run = harness.sync(dossier)
    assert run.status == "failed"
    assert dossier.name in run.error and "sage-accounting" in run.error and "nominal code 'n/a'" in run.error
    assert snapshot(harness, dossier.id) == before
