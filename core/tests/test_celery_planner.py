"""The nightly plan's order: per connector, the dossiers take turns by connection."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

pytest.importorskip("celery", reason="celery is not installed (pip install 'sfsync[celery]')")

from sfsync.celery.planner import plan
from sfsync.errors import NotFound


@dataclass
class _Link:
    connection_id: str


@dataclass
class _Connection:
    connector: str


class _Store:
    """What the planner reads: each dossier's link and each connection's connector."""

    def __init__(self, links: dict[str, str], connections: dict[str, str]) -> None:
        self.links, self.connections = links, connections
        self.connection_reads = 0

    def get_link(self, dossier_id: str) -> _Link | None:
        connection = self.links.get(dossier_id)
        return _Link(connection) if connection else None

    def get_connection(self, connection_id: str) -> _Connection:
        self.connection_reads += 1
        if connection_id not in self.connections:
            raise NotFound(f"no connection {connection_id}")
        return _Connection(self.connections[connection_id])


def test_dossiers_of_one_connector_take_turns_by_connection():
    # As a firm's dossiers are usually listed: all of one connection, then the next.
    links = {"a1": "A", "a2": "A", "a3": "A", "b1": "B", "b2": "B", "c1": "C", "y1": "Y", "y2": "Y"}
    store = _Store(links, {"A": "exact", "B": "exact", "C": "exact", "Y": "yuki"})
    planned = plan(store, list(links), window=800)
    exact = [p for p in planned if p.connector == "exact"]
    assert [p.dossier_id for p in exact] == ["a1", "b1", "c1", "a2", "b2", "a3"]
    assert [p.countdown for p in exact] == [0.0, 133.333, 266.667, 400.0, 533.333, 666.667]
    assert [p.dossier_id for p in planned if p.connector == "yuki"] == ["y1", "y2"]
    assert store.connection_reads == 4  # each connection read once, not once per dossier


def test_unlinked_dossiers_and_vanished_connections_are_left_out():
    store = _Store({"a1": "A", "gone1": "GONE"}, {"A": "exact"})
    assert [p.dossier_id for p in plan(store, ["a1", "gone1", "never_linked"], window=60)] == ["a1"]


def test_a_dossier_already_planned_keeps_its_turn_out_of_the_plan():
    store = _Store({"a1": "A", "a2": "A", "b1": "B"}, {"A": "exact", "B": "exact"})
    planned = plan(store, ["a1", "a2", "b1"], window=30, already_planned=lambda d: d == "b1")
    assert [(p.dossier_id, p.countdown) for p in planned] == [("a1", 0.0), ("a2", 20.0)]
