"""The set-based reads of the nightly planner and the status pages give exactly what the
per-dossier reads gave.

One store (SQLite, and PostgreSQL when configured) with several firms, every connection level,
details links, running, failed, partly applied, waiting and never-run dossiers and connections
that need re-consent. The due dossiers found set-based (:meth:`Sfsync.due_rows`,
:meth:`PlanningRows.nightly_rows`) are compared with the rule as it was written before, one
dossier at a time, and with the dossiers this scenario must give; the plan built from the rows
equals the plan that reads each link. A firm's status lines (:meth:`Sfsync.status`) and its Syncs
page (:meth:`Sfsync.connection_states`) are compared the same way, for every kind of user.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sfsync.api import NIGHTLY_INTERVAL, REFUSED, DossierStatus, Sfsync
from sfsync.errors import NotFound
from sfsync.models import Granularity, SyncMode
from sfsync.partial_runs import PARTIAL, incomplete
from sfsync.secrets import SecretBox, generate_key
from sfsync.store.base import ConnectionRecord, LinkRecord, RunRecord, User
from sfsync.store.planning_rows import PlansNights

NOW = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


def _next_due_one_by_one(store: Any, dossier_id: str) -> tuple[Any, Any, Any, dt.datetime | None]:
    """A dossier's chosen link, connection, last run and next due, read as before: five reads."""
    link = store.get_link(dossier_id)
    admin = store.get_admin_link(dossier_id)
    chosen = link or admin
    connection = store.get_connection(chosen.connection_id) if chosen else None
    last = store.last_run(dossier_id)
    next_due = None
    if chosen is not None and last is not None and not chosen.needs_full_sync:
        refused = last.status == "failed" and last.error_kind in REFUSED
        if refused and connection is not None and connection.status == "ok":
            next_due = None
        elif last.status == "waiting" and last.resume_at is not None:
            next_due = last.resume_at
        else:
            next_due = last.started_at + NIGHTLY_INTERVAL
    return chosen, connection, last, next_due


def _due_one_by_one(store: Any, now: dt.datetime) -> list[str]:
    """The due check as ``Sfsync.due_dossiers`` did it before it was set-based: five reads a dossier."""
    due = []
    for dossier in store.list_dossiers():
        chosen, connection, _, next_due = _next_due_one_by_one(store, dossier.id)
        if chosen is None or (connection is not None and connection.status == "needs_reconsent"):
            continue
        if next_due is None or next_due <= now:
            due.append(dossier.id)
    return due


def _status_one_by_one(store: Any, firm_id: str) -> list[DossierStatus]:
    """``Sfsync.status`` as it was before it was set-based: every record of every dossier read alone."""
    lines = []
    for dossier in store.list_dossiers(firm_id):
        _, connection, last, next_due = _next_due_one_by_one(store, dossier.id)
        partly = last is not None and last.status not in ("ok", "warning") and incomplete(
            store.list_runs(dossier.id, limit=20))
        lines.append(DossierStatus(
            dossier=dossier, link=store.get_link(dossier.id), connector=connection.connector if connection else None,
            connection_status=connection.status if connection else None, last_run=last, next_due=next_due,
            incomplete=partly, admin_link=store.get_admin_link(dossier.id)))
    return lines


def _waiting_one_by_one(store: Any, records: list[ConnectionRecord]) -> dict[str, int]:
    """The Syncs page's waiting counts as they were read before: each dossier's links and last run."""
    waiting = {r.id: 0 for r in records}
    for firm_id in {r.firm_id for r in records}:
        for dossier in store.list_dossiers(firm_id):
            links = (store.get_link(dossier.id), store.get_admin_link(dossier.id))
            linked = {link.connection_id for link in links if link is not None} & set(waiting)
            last = store.last_run(dossier.id)
            if linked and last is not None and last.status == "failed" and last.error_kind in REFUSED:
                for connection_id in linked:
                    waiting[connection_id] += 1
    return waiting


class _World:
    """Firms, connections, dossiers, links and runs, named for what each one tests."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.ids: dict[str, str] = {}
        self.firms: dict[str, str] = {}
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
            resume_in: dt.timedelta | None = None, run_id: str | None = None, partial: int = 0) -> None:
        self.runs += 1
        self.store.start_run(RunRecord(
            id=run_id or f"run_{self.runs:04d}", dossier_id=self.ids[name], started_at=NOW - ago,
            finished_at=None if status == "running" else NOW - ago + dt.timedelta(minutes=1),
            status=status,  # type: ignore[arg-type]
            error_kind=kind, error="refused" if kind else None, counts={PARTIAL: partial} if partial else {},
            resume_at=NOW + resume_in if resume_in is not None else None,
        ))


@pytest.fixture
def world(store: Any) -> _World:
    w = _World(store)
    a, b, c = (store.create_firm(f"Firm {x}").id for x in "ABC")
    w.firms = {"A": a, "B": b, "C": c}
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
    w.dossier("a-running", a, link=firm)
    w.ran("a-running", 30 * HOUR, "ok")
    w.ran("a-running", HOUR / 2, "running")
    w.dossier("a-partly-updated", a, link=firm)  # a failed run saved batches: incomplete
    w.ran("a-partly-updated", 50 * HOUR, "ok")
    w.ran("a-partly-updated", 25 * HOUR, "failed", kind="NetworkError", partial=3)
    w.dossier("a-failed-after-partial", a, link=firm)  # incomplete, read beyond the last run
    w.ran("a-failed-after-partial", 5 * HOUR, "failed", kind="NetworkError", partial=1)
    w.ran("a-failed-after-partial", 2 * HOUR, "failed", kind="NetworkError")
    w.dossier("a-finished-since-partial", a, link=firm)  # a run finished since: complete
    w.ran("a-finished-since-partial", 40 * HOUR, "failed", kind="NetworkError", partial=2)
    w.ran("a-finished-since-partial", 3 * HOUR, "warning")
    w.dossier("a-unlinked", a)
    w.ran("a-unlinked", 30 * HOUR, "ok")  # an import, or a sync before it was unlinked
    w.dossier("a-dossier-level-refused", a)
    own = w.connection("dossier_refused", a, "dossier", status="needs_reconsent", owner="a-dossier-level-refused")
    store.save_link(LinkRecord(w.ids["a-dossier-level-refused"], own, "co-x", "X", SyncMode.REPLACE,
                               Granularity.TRIAL_BALANCE))
    w.ran("a-dossier-level-refused", 4 * HOUR, "failed", kind="NeedsReconsent")  # waits for its own login

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
    w.ran("b-details-refused", 2 * HOUR, "failed", kind="AuthError")  # waits, through its details link
    # the same name in two firms: every firm is planned
    w.dossier("a-ok-yesterday", b, link=support, key="b-same-name")

    w.dossier("c-dossier-level", c)
    mine = w.connection("dossier_ok", c, "dossier", owner="c-dossier-level")
    store.save_link(LinkRecord(w.ids["c-dossier-level"], mine, "co-c", "C", SyncMode.REPLACE,
                               Granularity.TRANSACTIONS, needs_full_sync=False))
    w.ran("c-dossier-level", 21 * HOUR, "warning")
    return w


EXPECTED_DUE = {
    "a-never-run", "a-ok-yesterday", "a-failed-long-ago", "a-waiting-back", "a-full-sync-asked", "a-partly-updated",
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


def _users(store: Any, world: _World) -> dict[str, User]:
    firms = world.firms
    return {"admin A": store.add_user(firms["A"], "admin@a.test", "admin"),
            "member A": store.add_user(firms["A"], "member@a.test", "member"),
            "admin B": store.add_user(firms["B"], "admin@b.test", "admin"),
            "member C": store.add_user(firms["C"], "member@c.test", "member"),
            "support": store.add_support_user("help@host.test")}


def test_set_based_status_equals_the_per_dossier_reads(world: _World, registry: Any) -> None:
    store = world.store
    app = Sfsync(store, SecretBox(generate_key()), registry=registry)
    names = {v: k for k, v in world.ids.items()}
    users = _users(store, world)
    for who, user in users.items():
        assert app.status(user) == _status_one_by_one(store, user.firm_id), who
    assert app.status(users["support"]) == []  # support staff see no firm's dossiers

    lines = {names[s.dossier.id]: s for s in app.status(users["admin A"])}
    assert {n for n, s in lines.items() if s.incomplete} == {"a-partly-updated", "a-failed-after-partial"}
    assert lines["a-running"].last_run is not None and lines["a-running"].last_run.status == "running"
    assert lines["a-unlinked"].granularity == "manual" and lines["a-unlinked"].connector is None
    assert lines["a-dossier-level-refused"].connection_status == "needs_reconsent"
    assert lines["a-ok-recently"].next_due == NOW - 2 * HOUR + NIGHTLY_INTERVAL
    assert set(lines) == {n for n in world.ids if n.startswith("a-")}  # no other firm's dossier
    details = {names[s.dossier.id]: s for s in app.status(users["admin B"])}
    assert details["b-details-only"].granularity == "details"
    assert details["b-both-links"].admin_link is not None and details["b-both-links"].granularity == "transactions"


def test_set_based_syncs_page_equals_the_per_dossier_reads(world: _World, registry: Any) -> None:
    store = world.store
    app = Sfsync(store, SecretBox(generate_key()), registry=registry)
    users = _users(store, world)
    for who, user in users.items():
        firm_ids = list(world.firms.values()) if user.role == "support" else [user.firm_id]
        for firm_id in firm_ids:
            asked = {"firm_id": firm_id} if user.role == "support" else {}
            for logins in (False, True):
                states = app.connection_states(user, dossier_logins=logins, **asked)
                records = [s.connection for s in states]
                assert {s.connection.id: s.waiting for s in states} == _waiting_one_by_one(store, records), who
                for state in states:
                    assert app.connection_state(user, state.connection.id) == state

    waiting = {s.connection.id: s.waiting for s in app.connection_states(users["admin A"], dossier_logins=True)}
    assert waiting == {"conn_firm_ok": 0, "conn_dossier_refused": 1}
    waiting = {s.connection.id: s.waiting for s in app.connection_states(users["admin B"])}
    assert waiting == {"conn_support_ok": 1, "conn_agent_refused": 2}
    # support staff reach only the support-level connections, of the firm they name
    shown = app.connection_states(users["support"], firm_id=world.firms["B"], dossier_logins=True)
    assert [s.connection.id for s in shown] == ["conn_support_ok"]


def test_status_and_syncs_page_read_nothing_per_dossier(world: _World, registry: Any,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    store = world.store
    app = Sfsync(store, SecretBox(generate_key()), registry=registry)
    users = _users(store, world)
    before = (app.status(users["admin A"]), app.connection_states(users["admin A"], dossier_logins=True))

    def per_dossier(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("read one dossier at a time")

    for method in ("get_link", "get_admin_link", "get_connection", "last_run", "list_runs", "get_dossier"):
        monkeypatch.setattr(store, method, per_dossier)
    assert (app.status(users["admin A"]), app.connection_states(users["admin A"], dossier_logins=True)) == before


def test_recent_runs_equal_list_runs_in_chunks(world: _World, monkeypatch: pytest.MonkeyPatch) -> None:
    from sfsync.store import planning_rows

    store = world.store
    monkeypatch.setattr(planning_rows, "_IDS_PER_STATEMENT", 2)  # several statements, each in order
    ids = [d.id for d in store.list_dossiers()] + ["dos_gone"]
    for limit in (1, 2, 20):
        found = store.recent_runs(ids, limit=limit)
        assert found == {d: (store.list_runs(d, limit=limit) if d != "dos_gone" else []) for d in ids}
    assert store.recent_runs([]) == {}


def test_nightly_rows_of_one_firm_are_those_rows_of_every_firm(world: _World) -> None:
    store = world.store
    every = store.nightly_rows()
    for firm_id in world.firms.values():
        assert store.nightly_rows(firm_id) == [r for r in every if r.dossier.firm_id == firm_id]
    assert store.nightly_rows("firm_unknown") == []


class _PerDossierStore:
    """The store without its set-based reads, as a store of another kind would be."""

    def __init__(self, store: Any) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Any:
        if name in ("nightly_rows", "recent_runs"):
            raise AttributeError(name)
        return getattr(self._store, name)


def test_a_store_without_the_set_based_reads_gives_the_same_answers(world: _World, registry: Any) -> None:
    store = world.store
    box = SecretBox(generate_key())
    fast, plain = Sfsync(store, box, registry=registry), Sfsync(_PerDossierStore(store), box, registry=registry)
    assert not isinstance(plain.store, PlansNights)
    for who, user in _users(store, world).items():
        assert plain.status(user) == fast.status(user), who
        asked = {"firm_id": world.firms["B"]} if user.role == "support" else {}
        assert plain.connection_states(user, dossier_logins=True, **asked) == fast.connection_states(
            user, dossier_logins=True, **asked), who
    assert plain.due_dossiers(NOW) == fast.due_dossiers(NOW)


def test_one_dossiers_status_is_its_line_of_the_firms_status(world: _World, registry: Any) -> None:
    store = world.store
    app = Sfsync(store, SecretBox(generate_key()), registry=registry)
    users = _users(store, world)
    for who, user in users.items():
        if user.role == "support":
            continue
        for line in app.status(user):
            assert app.dossier_status(user, line.dossier.id) == line, (who, line.dossier.name)
            assert app.dossier_status(user, line.dossier.name) == line, (who, line.dossier.name)
    others = [d for d in store.list_dossiers() if d.firm_id != users["admin A"].firm_id]
    with pytest.raises(NotFound):  # another firm's dossier is not found, whatever its id
        app.dossier_status(users["admin A"], others[0].id)


def test_the_firms_run_history_equals_the_per_dossier_reads(world: _World, registry: Any,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    store = world.store
    app = Sfsync(store, SecretBox(generate_key()), registry=registry)
    users = _users(store, world)
    for who, user in users.items():
        for limit in (1, 3, 20):
            every = [r for d in store.list_dossiers(user.firm_id) for r in store.list_runs(d.id, limit=limit)]
            assert app.runs(user, limit=limit) == sorted(every, key=lambda r: r.started_at, reverse=True)[:limit], who

    def per_dossier(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("read one dossier at a time")

    expected = app.runs(users["admin A"])
    assert expected  # the scenario has runs, so the check below compares something
    monkeypatch.setattr(store, "list_runs", per_dossier)
    assert app.runs(users["admin A"]) == expected
