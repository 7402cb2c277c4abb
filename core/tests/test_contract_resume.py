"""The resume check's own proof: a kill at every batch boundary of a small dossier, in-process
and by a real SIGKILL of a process running the sync, resumes from its checkpoint."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sfsync.echo import EchoSandbox
from sfsync.models import Granularity
from sfsync.secrets import generate_key
from sfsync.testing.checks_sync import resume_after_kill
from sfsync.testing.figures import snapshot
from sfsync.testing.harness import ContractHarness


@pytest.mark.parametrize("granularity", [Granularity.TRANSACTIONS, Granularity.TRIAL_BALANCE])
def test_a_kill_at_every_batch_boundary_resumes_after_its_checkpoint(tmp_path: Path, granularity: Granularity) -> None:
    harness = ContractHarness.create("echo", tmp_path, sandbox=EchoSandbox(lines_per_company=90, page_size=10))
    harness.granularity_override = granularity
    try:
        reference = harness.new_dossier()
        reference_run = harness.sync(reference)
        batches = reference_run.counts["batches"]
        assert batches >= 3, "the dossier is too small to have boundaries worth killing at"
        for boundary in range(1, batches + 1):
            outcome = resume_after_kill(harness, reference, reference_run, boundary)
            assert outcome.equal, f"killed after batch {boundary}: the resumed dossier differs"
            assert outcome.reread <= outcome.allowed, (boundary, outcome)
            if granularity is Granularity.TRANSACTIONS:
                # Echo declares no look-back: exactly what came after the checkpoint is read again.
                assert outcome.reread == reference_run.counts["lines_fetched"] - outcome.committed, (boundary, outcome)
    finally:
        harness.close()


_CHILD = textwrap.dedent('''
    import asyncio, sys, time
    from pathlib import Path
    from sfsync.api import Sfsync
    from sfsync.echo import EchoSandbox
    from sfsync.secrets import SecretBox
    from sfsync.store.sqlite import SQLiteStore

    store_path, key, dossier_id, stop_at = sys.argv[1], sys.argv[2].encode(), sys.argv[3], int(sys.argv[4])
    sandbox = EchoSandbox(lines_per_company=90, page_size=10)

    class Stop:
        def stage(self, dossier, stage): pass
        def progress(self, dossier, what, count):
            if what == "lines": self.lines = count
        def batch_committed(self, dossier, batches):
            if batches == stop_at:
                print(f"committed {batches} {self.lines}", flush=True)
                time.sleep(600)  # the parent kills the process here, between two batches

    app = Sfsync(SQLiteStore(store_path), SecretBox(key), transports=sandbox.transports())
    asyncio.run(app.sync(dossier_id, observer=Stop()))
''')


@pytest.mark.postgres
def test_a_kill_at_every_batch_boundary_resumes_on_postgres(tmp_path: Path) -> None:
    """The same on PostgreSQL, whose ledger batches go by COPY (straight into their set, or
    through the staging table and the merge once a line is met again)."""
    sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib puts nothing on sys.path
    from conftest_stores import drop_store, make_store

    store = make_store("postgres", tmp_path)  # skips, saying why, without a server
    harness = ContractHarness.create("echo", tmp_path, sandbox=EchoSandbox(lines_per_company=90, page_size=10),
                                     store=store)
    try:
        reference = harness.new_dossier()
        reference_run = harness.sync(reference)
        for boundary in range(1, reference_run.counts["batches"] + 1):
            outcome = resume_after_kill(harness, reference, reference_run, boundary)
            assert outcome.equal, f"killed after batch {boundary}: the resumed dossier differs"
            assert outcome.reread == reference_run.counts["lines_fetched"] - outcome.committed, (boundary, outcome)
    finally:
        harness.close()
        drop_store(store)


def test_a_sync_killed_by_sigkill_resumes_from_its_checkpoint(tmp_path: Path) -> None:
    key = generate_key()
    harness = ContractHarness.create("echo", tmp_path, sandbox=EchoSandbox(lines_per_company=90, page_size=10),
                                     secret_key=key)
    try:
        reference = harness.new_dossier()
        reference_run = harness.sync(reference)
        dossier = harness.new_dossier()
        store_path = str(tmp_path / "sfsync.sqlite3")
        env = {**os.environ, "SFSYNC_LOAD_PLUGINS": "echo"}
        with subprocess.Popen([sys.executable, "-c", _CHILD, store_path, key, dossier.id, "3"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) as child:
            try:
                assert child.stdout is not None and child.stderr is not None
                line = child.stdout.readline()
                assert line.startswith("committed 3"), line + child.stderr.read()
                committed = int(line.split()[2])
            finally:
                child.send_signal(signal.SIGKILL)
                child.wait(timeout=30)
        assert child.returncode == -signal.SIGKILL
        assert harness.app.store.last_run(dossier.id).status == "running"  # type: ignore[union-attr]  # nothing closed it
        resumed = harness.sync(dossier)
        assert resumed.status == "ok", resumed.error
        assert resumed.counts["lines_fetched"] == reference_run.counts["lines_fetched"] - committed
        assert snapshot(harness, dossier.id) == snapshot(harness, reference.id)
        interrupted = harness.app.store.list_runs(dossier.id)[-1]
        assert interrupted.status == "failed" and interrupted.error_kind == "Interrupted"
    finally:
        harness.close()
