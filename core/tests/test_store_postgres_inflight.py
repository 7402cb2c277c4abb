"""PostgreSQL's ledger batch in flight: a straight batch returns before the server has written
it (``sfsync.store.pg_inflight``). Whatever comes next sees it committed, or its failure: a clash
with a stored line goes through the merge, a vanished set is redone, any other failure leaves
nothing of the batch and is raised for its dossier, never for another's."""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys
from decimal import Decimal
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib puts nothing on sys.path
from conftest_stores import drop_store, make_store
from sfsync.models import LedgerBatch, LedgerLine

pytestmark = pytest.mark.postgres

psycopg = pytest.importorskip("psycopg")


@pytest.fixture
def store(tmp_path):
    made = make_store("postgres", tmp_path)
    yield made
    drop_store(made)


def _batch(first: int, count: int, cursor: str, *, description: str = "Invoice", **extra) -> LedgerBatch:
    lines = [
        LedgerLine(id=f"L{i}", entry=f"E{i // 2}", account="400000" if i % 2 else "700000",
                   date=dt.date(2024, 1, 1 + i % 28), description=f"{description}\t{i}\\x",
                   debit=Decimal("10.50") if i % 2 else Decimal("0"), credit=Decimal("0") if i % 2 else Decimal("10.50"))
        for i in range(first, first + count)
    ]
    return LedgerBatch(lines=lines, cursor=cursor, **extra)


def _begin(store):
    firm = store.create_firm("Fiduciaire Dupont")
    dossier = store.add_dossier(firm.id, "Dossier")
    return dossier.id, store.begin_generation(dossier.id, keep_before=None)


def _write(store, dossier_id, generation, batch):
    store.write_ledger_batch(dossier_id, generation, "c1", batch, stream="ledger")


def test_a_straight_batch_is_in_flight_and_a_read_right_after_it_sees_it(store):
    dossier_id, generation = _begin(store)
    _write(store, dossier_id, generation, _batch(0, 20, "p1"))  # waits: finds the set
    _write(store, dossier_id, generation, _batch(20, 20, "p2"))
    assert store._in_flight is not None  # the batch was sent, not waited for
    assert store.count_ledger_lines(dossier_id, generation) == 40
    assert store._in_flight is None
    assert store.get_checkpoint(dossier_id, generation, "ledger") == "p2"
    line = {ln.id: ln for ln in store.ledger_lines(dossier_id, generation)}["L21"]
    assert line.description == "Invoice\t21\\x" and line.debit == Decimal("10.50") and line.date == dt.date(2024, 1, 22)


def test_a_clash_found_when_the_batch_is_confirmed_goes_through_the_merge(store):
    dossier_id, generation = _begin(store)
    _write(store, dossier_id, generation, _batch(0, 20, "p1"))
    _write(store, dossier_id, generation, _batch(20, 20, "p2"))
    # L30..L39 are stored (or in flight) already, L40..L49 are new: the straight COPY meets them.
    _write(store, dossier_id, generation, _batch(30, 20, "p3", description="Edited"))
    assert store._in_flight is not None
    store.flush(dossier_id)
    lines = {ln.id: ln for ln in store.ledger_lines(dossier_id, generation)}
    assert sorted(lines) == sorted(f"L{i}" for i in range(50))
    assert lines["L35"].description == "Edited\t35\\x" and lines["L45"].description == "Edited\t45\\x"
    assert lines["L25"].description == "Invoice\t25\\x"
    assert store.get_checkpoint(dossier_id, generation, "ledger") == "p3"


def test_a_batch_refused_in_flight_leaves_nothing_and_fails_only_its_own_dossier(store):
    dossier_id, generation = _begin(store)
    other = store.add_dossier(store.get_dossier(dossier_id).firm_id, "Other").id
    _write(store, dossier_id, generation, _batch(0, 20, "p1"))
    store._db.execute(  # a fault installed in the store's own session
        "CREATE FUNCTION refuse_line() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        " IF NEW.id = 'L25' THEN RAISE EXCEPTION USING ERRCODE = 'check_violation', MESSAGE = 'refused by the test';"
        " END IF; RETURN NEW; END $$;"
        " CREATE TRIGGER refuse_line BEFORE INSERT ON ledger_lines FOR EACH ROW EXECUTE FUNCTION refuse_line()"
    )
    _write(store, dossier_id, generation, _batch(20, 20, "p2"))  # returns: the failure comes later
    # Another dossier's read neither fails nor swallows it.
    assert store.count_ledger_lines(other) == 0
    with pytest.raises(psycopg.errors.CheckViolation) as raised:
        store.flush(dossier_id)
    assert dossier_id in str(raised.value) and "ledger" in str(raised.value) and "'p2'" in str(raised.value)
    assert "refused by the test" in str(raised.value)
    assert store.count_ledger_lines(dossier_id, generation) == 20
    assert store.get_checkpoint(dossier_id, generation, "ledger") == "p1"
    store.flush(dossier_id)  # raised once; the store goes on
    store._db.execute("DROP TRIGGER refuse_line ON ledger_lines")
    _write(store, dossier_id, generation, _batch(20, 20, "p2"))
    store.flush()
    assert store.count_ledger_lines(dossier_id, generation) == 40


def test_a_failure_in_flight_is_raised_by_the_dossiers_next_write_and_its_swap(store):
    dossier_id, generation = _begin(store)
    small = "ALTER TABLE ledger_lines ADD CONSTRAINT small CHECK (debit < 5) NOT VALID"  # refuses every batch
    _write(store, dossier_id, generation, _batch(0, 20, "p1"))
    store._db.execute(small)
    _write(store, dossier_id, generation, _batch(20, 20, "p2"))
    with pytest.raises(psycopg.errors.CheckViolation, match="'p2'"):
        _write(store, dossier_id, generation, _batch(40, 20, "p3"))  # raised before p3 is sent
    store._db.execute("ALTER TABLE ledger_lines DROP CONSTRAINT small")
    assert store.count_ledger_lines(dossier_id, generation) == 20
    assert store.get_checkpoint(dossier_id, generation, "ledger") == "p1"
    _write(store, dossier_id, generation, _batch(20, 20, "p2"))
    store.flush()
    store._db.execute(small)
    _write(store, dossier_id, generation, _batch(40, 20, "p3"))
    with pytest.raises(psycopg.errors.CheckViolation, match="'p3'"):
        store.swap_generation(dossier_id, generation)
    assert store.active_generation(dossier_id) is None
    assert store.count_ledger_lines(dossier_id, generation) == 40


def test_a_failure_in_flight_stops_the_swap_at_a_runs_end(store):
    from sfsync.store.base import RunRecord

    dossier_id, generation = _begin(store)
    run = RunRecord(id="run-1", dossier_id=dossier_id, status="running",
                    started_at=dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC))
    assert store.begin_run(run, ttl=60)
    _write(store, dossier_id, generation, _batch(0, 20, "p1"))
    store._db.execute("ALTER TABLE ledger_lines ADD CONSTRAINT small CHECK (debit < 5) NOT VALID")
    _write(store, dossier_id, generation, _batch(20, 20, "p2"))  # in flight, refused
    done = dataclasses.replace(run, status="ok")
    with pytest.raises(psycopg.errors.CheckViolation, match="'p2'"):
        store.end_run(done, swap=generation)  # without the runner's flush first
    assert store.active_generation(dossier_id) is None  # nothing swapped in
    assert store.last_run(dossier_id).status == "running"  # and no outcome recorded


def test_a_cached_set_dropped_meanwhile_is_found_and_the_batch_written_in_full(store, tmp_path):
    dossier_id, generation = _begin(store)
    _write(store, dossier_id, generation, _batch(0, 20, "p1"))
    # Another session drops the set (as a discard by another worker would) and a new one is made.
    store._db.execute("DELETE FROM ledger_lines; DELETE FROM ledger_sets")
    store._db.execute(
        "INSERT INTO ledger_sets (dossier_id, generation, source) VALUES (%s, %s, 'c1')", (dossier_id, generation)
    )
    _write(store, dossier_id, generation, _batch(20, 20, "p2"))
    store.flush(dossier_id)
    assert sorted(ln.id for ln in store.ledger_lines(dossier_id, generation)) == sorted(f"L{i}" for i in range(20, 40))
    assert store._db.execute("SELECT count(*) FROM ledger_lines").fetchone()[0] == 20


def test_a_backend_killed_in_flight_leaves_nothing_and_the_store_reconnects(store):
    dossier_id, generation = _begin(store)
    _write(store, dossier_id, generation, _batch(0, 20, "p1"))
    store._db.execute(
        "CREATE FUNCTION kill_line() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        " IF NEW.id = 'L25' THEN PERFORM pg_terminate_backend(pg_backend_pid()); END IF; RETURN NEW; END $$;"
        " CREATE TRIGGER kill_line BEFORE INSERT ON ledger_lines FOR EACH ROW EXECUTE FUNCTION kill_line()"
    )
    _write(store, dossier_id, generation, _batch(20, 20, "p2"))
    with pytest.raises(psycopg.OperationalError, match="'p2'"):
        store.flush(dossier_id)
    assert store.count_ledger_lines(dossier_id, generation) == 20
    assert store.get_checkpoint(dossier_id, generation, "ledger") == "p1"
    store._db.execute("DROP TRIGGER kill_line ON ledger_lines")


def test_an_interrupt_while_a_batch_is_confirmed_leaves_lines_and_checkpoint_together(store, monkeypatch):
    from sfsync.store import pg_inflight

    dossier_id, generation = _begin(store)
    _write(store, dossier_id, generation, _batch(0, 20, "p1"))
    _write(store, dossier_id, generation, _batch(20, 20, "p2"))

    def interrupted(pgconn):
        raise KeyboardInterrupt

    monkeypatch.setattr(pg_inflight, "_next_result", interrupted)
    with pytest.raises(KeyboardInterrupt):
        store.flush(dossier_id)
    monkeypatch.undo()
    # The session is dropped; the next call connects again and finds the batch whole or absent.
    count = store.count_ledger_lines(dossier_id, generation)
    assert (count, store.get_checkpoint(dossier_id, generation, "ledger")) in ((20, "p1"), (40, "p2"))
    _write(store, dossier_id, generation, _batch(40, 20, "p3"))
    store.flush()
    assert store.count_ledger_lines(dossier_id, generation) == count + 20


def test_lines_keep_their_accents_whatever_client_encoding_the_dsn_asks(tmp_path):
    # The COPY text of a batch in flight is UTF-8: a session in another encoding (asked by the DSN
    # or PGCLIENTENCODING) writes its batches the waiting way, which psycopg encodes.
    from conftest_stores import postgres_dsn
    from sfsync.store.postgres import PostgresStore

    dsn = postgres_dsn()
    latin1 = f"{dsn}{'&' if '?' in dsn else '?'}client_encoding=latin1"
    store = PostgresStore(latin1, schema=f"sfsync_t_enc_{tmp_path.name[-8:].lower()}")
    try:
        dossier_id, generation = _begin(store)
        _write(store, dossier_id, generation, _batch(0, 4, "p1", description="Café"))
        _write(store, dossier_id, generation, _batch(4, 4, "p2", description="Crème brûlée"))  # in flight
        lines = {ln.id: ln.description for ln in store.ledger_lines(dossier_id, generation)}
        assert lines["L1"] == "Café\t1\\x" and lines["L5"] == "Crème brûlée\t5\\x"
    finally:
        store.close()
        with psycopg.connect(dsn, autocommit=True) as db:
            db.execute(f"DROP SCHEMA IF EXISTS sfsync_t_enc_{tmp_path.name[-8:].lower()} CASCADE")
