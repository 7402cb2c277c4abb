"""Live progress of the syncs the host started: what the runner reports, kept per dossier for the
page (server-sent events, or the page's refresh without JavaScript).

A sync a person starts (saving the settings, the sync arrows, a re-consent that resumes dossiers)
runs as a task of the host's event loop; the page follows it through :class:`Progress`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sfsync.errors import SfsyncError
from sfsync.runner import RunObserver
from sfsync.store.base import RunRecord

__all__ = ["Progress", "SyncState"]


@dataclass
class SyncState:
    """Where one dossier's sync is."""

    running: bool = True
    stage: str = "starting"
    counts: dict[str, int] = field(default_factory=dict)
    status: str = ""
    error: str = ""
    started: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def as_json(self) -> dict[str, Any]:
        """What the page's script reads."""
        return {"running": self.running, "stage": self.stage, "counts": self.counts,
                "status": self.status, "error": self.error}


class _Follower:
    """The runner's observer for one run: what it reports goes to that dossier's state (the
    runner names the dossier by its name, so the follower is bound to the state instead)."""

    def __init__(self, state: SyncState) -> None:
        self.state = state

    def stage(self, dossier: str, stage: str) -> None:
        self.state.stage = stage

    def progress(self, dossier: str, what: str, count: int) -> None:
        self.state.counts[what] = count

    def batch_committed(self, dossier: str, batches: int) -> None:
        self.state.counts["batches"] = batches


class Progress:
    """The syncs the host runs, and where each one is."""

    def __init__(self) -> None:
        self.states: dict[str, SyncState] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def running(self, dossier_id: str) -> bool:
        """Whether the host is syncing the dossier now."""
        state = self.states.get(dossier_id)
        return state is not None and state.running

    def start(self, dossier_id: str, run: Callable[[RunObserver], Awaitable[RunRecord]]) -> bool:
        """Run ``run`` (given the run's observer) in the background for the dossier; ``False``
        when one already runs."""
        if self.running(dossier_id):
            return False
        state = self.states[dossier_id] = SyncState()

        async def go() -> None:
            try:
                record = await run(_Follower(state))
                state.status, state.error = record.status, record.error or ""
            except SfsyncError as exc:
                state.status, state.error = "failed", str(exc)
            except Exception as exc:  # shown on the page; the run record has the details
                state.status, state.error = "failed", f"{type(exc).__name__}: {exc}"
            finally:
                state.running = False
                state.stage = "done"

        task = asyncio.get_running_loop().create_task(go())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    async def wait(self) -> None:
        """Wait for every running sync (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
