"""The nightly planner's set-based read gives exactly what the per-dossier reads gave.

One store (SQLite, and PostgreSQL when configured) with several firms, every connection level,
details links, failed, waiting and never-run dossiers and connections that need re-consent. The
due dossiers found set-based (:meth:`Sfsync.due_rows`, :meth:`PlanningRows.nightly_rows`) are
compared with the rule as it was written before, one dossier at a time, and with the dossiers
this scenario must give; the plan built from the rows equals the plan that reads each link.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sfsync.api import NIGHTLY_INTERVAL, REFUSED, Sfsync
from sfsync.models import Granularity, SyncMode
from sfsync.secrets import SecretBox, generate_key
from sfsync.store.base import ConnectionRecord, LinkRecord, RunRecord
from sfsync.store.planning_rows import PlansNights

NOW = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


def _due_one_by_one(store: Any, now: dt.datetime) -> list[str]:
    """The due check as ``Sfsync.due_dossiers`` did it before it was set-based: five reads a dossier."""
    due = []
    for dossier in store.list_dossiers():
        link = store.get_link(dossier.id)
        admin = store.get_admin_link(dossier.id)
        chosen = link or admin
        connection = store.get_connection(chosen.connection_id) if chosen else None
        last = store.last_run(dossier.id)
        next_due = None
        if chosen is not None and last is not None and not chosen.needs_full_sync:
            refused = last.status == "failed" and last.error_kind in REFUSED
            if refused and connection is not None and connection.status == "ok":
                next_due = None
            elif last.status == "waiting" and last.resume_at is not None:
                next_due = last.resume_at
            else:
                next_due = last.started_at + NIGHTLY_INTERVAL
        if chosen is None or (connection is not None and connection.status == "needs_reconsent"):
            continue
        if next_due is None or next_due <= now:
            due.append(dossier.id)
    return due


class _World:
    """Firms, connections, dossiers, links and runs, named for what each one tests."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.ids: dict[str, str] = {}
        self.runs = 0

    def connection(self, name: str, firm_id: str, level: str, *, status: str = "ok", owner: str | None = None) -> str:
        record = ConnectionRecord(
            id=f"conn_{name}", firm_id=firm_id, connector="echo" if level != "agent" else "other",
            label=name, level=level, config={"n": name}, sealed=b"sealed", status=status,  # type: ignore[arg-type]
            owner_dossier_id=self.ids.get(owner) if owner else None,
        )
        self.store.add_connection(record)
        return record.id

    def dossier(self, name: str, firm_id: str, *, link: str | None = None, admin: str | None = None,
                full: bool = False, key: str | None = None) -> str:
        dossier = self.store.add_dossier(firm_id, name)
        self.ids[key or name] = dossier.id
        if link:
            self.store.save_link(LinkRecord(dossier.id, link, f"co-{name}", name, SyncMode.REPLACE,
                                            Granularity.TRANSACTIONS, needs_full_sync=full))
        if admin:
            self.store.save_admin_link(LinkRecord(dossier.id, admin, f"adm-{name}", name, SyncMode.REPLACE,
                                                  Granularity.DETAILS))
        return dossier.id

    def ran(self, name: str, ago: dt.timedelta, status: str, *, kind: str | None = None,
            resume_in: dt.timedelta | None = None, run_id: str | None = None) -> None:
        self.runs += 1
        self.store.start_run(RunRecord(
            id=run_id or f"run_{self.runs:04d}", dossier_id=self.ids[name], started_at=NOW - ago,
            finished_at=NOW - ago + dt.timedelta(minutes=1), status=status,  # type: ignore[arg-type]
            error_kind=kind, error="refused" if kind else None,
            resume_at=NOW + resume_in if resume_in is not None else None,
        ))


@pytest.fixture
def world(store: Any) -> _World:
    w = _World(store)
    a, b, c = (store.create_firm(f"Firm {x}").id for x in "ABC")
    firm = w.connection("firm_ok", a, "firm")
    w.dossier("a-never-run", a, link=firm, full=True)
    w.dossier("a-ok-recently", a, link=firm)
    w.ran("a-ok-recently", 2 * HOUR, "ok")
    w.dossier("a-ok-yesterday", a, link=firm)
    w.ran("a-ok-yesterday", 30 * HOUR, "ok")
    w.dossier("a-failed-recently", a, link=firm)
    w.ran("a-failed-recently", HOUR, "failed", kind="NetworkError")
    w.dossier("a-failed-long-ago", a, link=firm)
    w.ran("a-failed-long-ago", 25 * HOUR, "failed", kind="NetworkError")
    w.dossier("a-waiting-back", a, link=firm)
    w.ran("a-waiting-back", HOUR, "waiting", resume_in=-HOUR / 2)
    w.dossier("a-waiting-later", a, link=firm)
    w.ran("a-waiting-later", HOUR, "waiting", resume_in=HOUR)
    w.dossier("a-newest-run-counts", a, link=firm)
    w.ran("a-newest-run-counts", 40 * HOUR, "failed", kind="AuthError")
    w.ran("a-newest-run-counts", HOUR, "ok")
    w.ran("a-newest-run-counts", 50 * HOUR, "ok")
    w.dossier("a-same-start", a, link=firm)  # the same start: the higher run id is the last run
    w.ran("a-same-start", HOUR, "failed", kind="AuthError", run_id="run_same_1")
    w.ran("a-same-start", HOUR, "ok", run_id="run_same_2")
    w.dossier("a-full-sync-asked", a, link=firm, full=True)
    w.ran("a-full-sync-asked", HOUR, "ok")
    w.dossier("a-unlinked", a)
    w.ran("a-unlinked", 30 * HOUR, "ok")  # an import, or a sync before it was unlinked
    w.dossier("a-dossier-level-refused", a)
    own = w.connection("dossier_refused", a, "dossier", status="needs_reconsent", owner="a-dossier-level-refused")
    store.save_link(LinkRecord(w.ids["a-dossier-level-refused"], own, "co-x", "X", SyncMode.REPLACE,
                               Granularity.TRIAL_BALANCE))

    support = w.connection("support_ok", b, "support")
    agent = w.connection("agent_refused", b, "agent", status="needs_reconsent")
    w.dossier("b-reconsented", b, link=support)
    w.ran("b-reconsented", HOUR, "failed", kind="AuthError")
    w.dossier("b-still-refused", b, link=agent)
    w.ran("b-still-refused", HOUR, "failed", kind="NeedsReconsent")
    w.dossier("b-details-only", b, admin=support)
    w.dossier("b-details-ran", b, admin=support)
    w.ran("b-details-ran", 3 * HOUR, "ok")
    w.dossier("b-both-links", b, link=support, admin=agent)  # the accounting link's connection decides
    w.ran("b-both-links", 21 * HOUR, "ok")
    w.dossier("b-details-refused", b, admin=agent)
    # the same name in two firms: every firm is planned
    w.dossier("a-ok-yesterday", b, link=support, key="b-same-name")

    w.dossier("c-dossier-level", c)
    mine = w.connection("dossier_ok", c, "dossier", owner="c-dossier-level")
    store.save_link(LinkRecord(w.ids["c-dossier-level"], mine, "co-c", "C", SyncMode.REPLACE,
                               Granularity.TRANSACTIONS, needs_full_sync=False))
    w.ran("c-dossier-level", 21 * HOUR, "warning")
    return w


EXPECTED_DUE = {
    "a-never-run", "a-ok-yesterday", "a-failed-long-ago", "a-waiting-back", "a-full-sync-asked",
    "b-reconsented", "b-details-only", "b-both-links", "b-same-name", "c-dossier-level",
}


def test_set_based_due_equals_the_per_dossier_reads(world: _World, registry: Any) -> None:
    store = world.store
    assert isinstance(store, PlansNights)
    app = Sfsync(store, SecretBox(generate_key()), registry=registry)
    old = _due_one_by_one(store, NOW)
    names = {v: k for k, v in world.ids.items()}
    found = app.due_dossiers(NOW)
    assert found == old  # the same dossiers, in the same order
    assert [names[d] for d in found] == [names[d] for d in old]
    assert {names[d] for d in found} == EXPECTED_DUE

    for at in (NOW - 30 * HOUR, NOW + 19 * HOUR, NOW + 30 * HOUR):  # other nights, other answers
        assert app.due_dossiers(at) == _due_one_by_one(store, at)


def test_each_row_holds_the_records_the_per_dossier_methods_return(world: _World) -> None:
    store = world.store
    rows = store.nightly_rows()
    assert [r.dossier for r in rows] == store.list_dossiers()
    for row in rows:
        dossier_id = row.dossier.id
        assert row.link == store.get_link(dossier_id)
        assert row.admin_link == store.get_admin_link(dossier_id)
        assert row.last_run == store.last_run(dossier_id)
        chosen = row.link or row.admin_link
        assert row.connection == (store.get_connection(chosen.connection_id) if chosen else None)
        if chosen is not None:
            assert row.connection is not None and row.connection.config == store.get_connection(
                chosen.connection_id).config


def test_the_set_based_read_and_plan_read_nothing_per_dossier(world: _World, registry: Any,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("celery", reason="celery is not installed (pip install 'sfsync[celery]')")
    from sfsync.celery.planner import plan, routes_of

    store = world.store
    app = Sfsync(store, SecretBox(generate_key()), registry=registry)
    read_each = plan(store, app.due_dossiers(NOW), window=600.0)

    def per_dossier(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("read one dossier at a time")

    for method in ("get_link", "get_admin_link", "get_connection", "last_run", "list_runs", "get_dossier"):
        monkeypatch.setattr(store, method, per_dossier)
    rows = app.due_rows(NOW)
    from_rows = plan(store, [r.dossier.id for r in rows], window=600.0, routes=routes_of(rows))
    assert from_rows == read_each
    assert {p.connector for p in from_rows} == {"echo"}  # the details-only dossier is not queued
    assert len(from_rows) == len(EXPECTED_DUE) - 1  # every due dossier but "b-details-only"
