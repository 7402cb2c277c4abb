"""A PostgreSQL ledger batch seen from a sync: a batch that fails on the server
(a refused row, a killed backend) leaves neither its lines nor its checkpoint, the run fails
naming dossier, connector and cause, and the next run resumes to the same dossier."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sfsync.echo import EchoSandbox
from sfsync.testing.harness import ContractHarness
from sfsync.testing.figures import snapshot

sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib puts nothing on sys.path
from conftest_stores import drop_store, make_store  # noqa: E402

pytestmark = pytest.mark.postgres

_FAILURES = {
    "refused": "RAISE EXCEPTION USING ERRCODE = 'check_violation', MESSAGE = 'line refused by the test'",
    "killed": "PERFORM pg_terminate_backend(pg_backend_pid())",
}


@pytest.mark.parametrize("failure", sorted(_FAILURES))
@pytest.mark.parametrize("position", [45, -1], ids=["middle", "last"])
def test_a_batch_failing_on_the_server_fails_the_run_and_keeps_nothing_of_it(
    tmp_path: Path, failure: str, position: int
) -> None:
    """A batch is refused in the middle of the ledger, or as its last one (which PostgreSQL
    confirms after its call returned: the run must fail in the ledger stage all the same)."""
    store = make_store("postgres", tmp_path)
    sandbox = EchoSandbox(lines_per_company=90, page_size=10)
    harness = ContractHarness.create("echo", tmp_path, sandbox=sandbox, store=store)
    try:
        reference = harness.new_dossier()
        reference_run = harness.sync(reference)
        assert reference_run.status in ("ok", "warning") and reference_run.counts["batches"] >= 5
        # One line is refused by the server, for any dossier synced from now on: the 46th fetched
        # (in the fifth batch of nine) or the last.
        fetched_at = {line.id: line.modified for company in sandbox.companies.values() for line in company.lines}
        victim = sorted((line.id for line in store.ledger_lines(reference.id)), key=fetched_at.__getitem__)[position]
        db = store._db  # noqa: SLF001 - the test reaches into the store's own session to install the fault
        db.execute(
            "CREATE FUNCTION refuse_line() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
            f" IF NEW.id = '{victim}' AND NEW.set_id NOT IN (SELECT id FROM ledger_sets WHERE dossier_id = '{reference.id}')"
            f" THEN {_FAILURES[failure]}; END IF; RETURN NEW; END $$"
        )
        db.execute("CREATE TRIGGER refuse_line BEFORE INSERT ON ledger_lines FOR EACH ROW EXECUTE FUNCTION refuse_line()")

        dossier = harness.new_dossier()
        run = harness.sync(dossier)

        assert run.status == "failed", run
        assert run.stage == "ledger", run
        assert dossier.name in run.error and "echo" in run.error, run.error
        cause = "line refused by the test" if failure == "refused" else "terminat"
        assert cause in run.error, run.error
        building = store.building_generation(dossier.id)
        assert building is not None
        stored = sorted(line.id for line in store.ledger_lines(dossier.id, building))
        # The batches before it, whole; nothing of the failed batch (its lines nor its checkpoint).
        assert victim not in stored and len(stored) % 10 == 0 and len(stored) < reference_run.counts["lines_fetched"], stored
        checkpoint = store.get_checkpoint(dossier.id, building, "ledger")
        assert (checkpoint is None) == (not stored), checkpoint

        # The fault gone, the next run resumes after the second batch and ends as the reference.
        store._db.execute("DROP TRIGGER refuse_line ON ledger_lines")  # noqa: SLF001
        resumed = harness.sync(dossier)
        assert resumed.status in ("ok", "warning"), resumed
        # Echo declares no look-back: what came after the checkpoint is read again, the failed batch too.
        assert resumed.counts["lines_fetched"] == reference_run.counts["lines_fetched"] - len(stored), (checkpoint, resumed.counts)
        assert snapshot(harness, dossier.id) == snapshot(harness, reference.id)
    finally:
        harness.close()
        drop_store(store)
