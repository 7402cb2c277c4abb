"""The nightly plan: which dossier syncs when, on which queue.

Due dossiers (:meth:`sfsync.api.Sfsync.due_dossiers`) are grouped by connector and each group is
spread evenly over the night window, so every package sees a steady trickle instead of a burst at
the start of the night, and a package with few dossiers is not queued behind one with many.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sfsync.celery.app import queue_for
from sfsync.errors import NotFound

__all__ = ["Planned", "connector_of", "plan"]


@dataclass(frozen=True)
class Planned:
    """One sync to enqueue: ``countdown`` seconds from now, on ``queue``."""

    dossier_id: str
    connector: str
    queue: str
    countdown: float


def connector_of(store: Any, dossier_id: str) -> str | None:
    """The connector a dossier syncs from, or ``None`` when it is not linked."""
    link = store.get_link(dossier_id)
    if link is None:
        return None
    try:
        return str(store.get_connection(link.connection_id).connector)
    except NotFound:
        return None


def plan(
    store: Any,
    due: Sequence[str],
    *,
    window: float,
    already_planned: Callable[[str], bool] = lambda _dossier: False,
) -> list[Planned]:
    """Spread ``due`` dossiers over ``window`` seconds, per connector.

    ``already_planned(dossier_id)`` returns True for a dossier an earlier plan of the same night
    already queued (the planner ran twice): it is left out.
    """
    groups: dict[str, list[str]] = defaultdict(list)
    for dossier_id in due:
        connector = connector_of(store, dossier_id)
        if connector is not None:
            groups[connector].append(dossier_id)
    planned: list[Planned] = []
    for connector in sorted(groups):
        ids = groups[connector]
        step = window / len(ids) if ids else 0.0
        for index, dossier_id in enumerate(ids):
            if already_planned(dossier_id):
                continue
            planned.append(Planned(dossier_id, connector, queue_for(connector), round(index * step, 3)))
    return planned
