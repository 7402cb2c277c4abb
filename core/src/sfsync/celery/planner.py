"""The nightly plan: which dossier syncs when, on which queue.

Due dossiers (:meth:`sfsync.api.Sfsync.due_dossiers`) are grouped by connector and each group is
spread evenly over the night window, so every package sees a steady trickle instead of a burst at
the start of the night, and a package with few dossiers is not queued behind one with many.

Within a connector the dossiers take turns by connection (one of the firm's first connection,
one of its second, …, then the next of the first): a package that limits calls per connection
(per organisation, per domain, per credential) then sees every connection's budget spent side by
side, rather than the workers queuing on one connection's budget while the others sit idle.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sfsync.celery.app import queue_for
from sfsync.errors import NotFound

if TYPE_CHECKING:
    from sfsync.store.planning_rows import NightlyRow

Route = tuple[str, str]
"""(connector, connection id) of a dossier's accounting link."""

__all__ = ["Planned", "connector_of", "plan", "routes_of"]


@dataclass(frozen=True)
class Planned:
    """One sync to enqueue: ``countdown`` seconds from now, on ``queue``."""

    dossier_id: str
    connector: str
    queue: str
    countdown: float


def connector_of(store: Any, dossier_id: str) -> str | None:
    """The connector a dossier syncs from, or ``None`` when it is not linked."""
    found = _connection_of(store, dossier_id, {})
    return found[0] if found else None


def routes_of(rows: Sequence[NightlyRow]) -> dict[str, Route | None]:
    """The route of each dossier of ``rows`` (:meth:`sfsync.api.Sfsync.due_rows`), from what
    was read there: ``None`` for one without an accounting link (a details-only dossier is not
    planned) or whose connection is gone."""
    return {row.dossier.id: (row.connection.connector, row.link.connection_id)
            if row.link is not None and row.connection is not None else None for row in rows}


def _connection_of(store: Any, dossier_id: str, seen: dict[str, str | None]) -> Route | None:
    """(connector, connection id) of a dossier's link; ``seen`` caches connectors by connection."""
    link = store.get_link(dossier_id)
    if link is None:
        return None
    if link.connection_id not in seen:
        try:
            seen[link.connection_id] = str(store.get_connection(link.connection_id).connector)
        except NotFound:
            seen[link.connection_id] = None
    connector = seen[link.connection_id]
    return (connector, link.connection_id) if connector is not None else None


def _taking_turns(by_connection: dict[str, list[str]]) -> list[str]:
    """One dossier of each connection in turn (connections in order of first appearance)."""
    queues = list(by_connection.values())
    ordered: list[str] = []
    for turn in range(max((len(q) for q in queues), default=0)):
        ordered.extend(q[turn] for q in queues if turn < len(q))
    return ordered


def plan(
    store: Any,
    due: Sequence[str],
    *,
    window: float,
    already_planned: Callable[[str], bool] = lambda _dossier: False,
    routes: Mapping[str, Route | None] | None = None,
) -> list[Planned]:
    """Spread ``due`` dossiers over ``window`` seconds, per connector, taking turns by connection.

    ``already_planned(dossier_id)`` returns True for a dossier an earlier plan of the same night
    already queued (the planner ran twice): it is left out. ``routes`` (:func:`routes_of`) gives
    each dossier's connector and connection as the due check read them; without it (or for a
    dossier it does not name) they are read from the store, one dossier at a time.
    """
    groups: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    seen: dict[str, str | None] = {}
    for dossier_id in due:
        found = routes[dossier_id] if routes is not None and dossier_id in routes else _connection_of(
            store, dossier_id, seen)
        if found is not None:
            groups[found[0]][found[1]].append(dossier_id)
    planned: list[Planned] = []
    for connector in sorted(groups):
        ids = _taking_turns(groups[connector])
        step = window / len(ids) if ids else 0.0
        for index, dossier_id in enumerate(ids):
            if already_planned(dossier_id):
                continue
            planned.append(Planned(dossier_id, connector, queue_for(connector), round(index * step, 3)))
    return planned
