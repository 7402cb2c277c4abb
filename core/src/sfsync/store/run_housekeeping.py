"""A run's housekeeping in as few store transactions as the store can make it.

A run opens by taking its dossier's run lock and recording itself as started, and closes by
recording its final state and releasing the lock. As four separate calls that is four commits;
on PostgreSQL, four synchronous ones, which on a busy server cost more than a short incremental
run's own work. A store that offers ``begin_run(run, ttl=…)`` and ``end_run(run)`` (both SQL
stores do) does each pair in one transaction; any other :class:`~sfsync.store.Store` gets the
four calls as before, so a third-party store need not change.

What each pair must guarantee, whatever the store:

* ``begin_run`` either takes the lock *and* records the run as ``running``, or does neither and
  answers ``False`` (another run holds the dossier);
* ``end_run`` records the final state and lets go of the lock together: no reader ever sees a
  finished run whose lock is still held, or a free dossier whose last run still says ``running``;
  the generation a full run built is swapped in, and the link's flags saved, in the same
  transaction, so a run says ``ok`` exactly when its figures are the dossier's.
"""

from __future__ import annotations

from typing import Any

from sfsync.store.base import LinkRecord, RunRecord

__all__ = ["begin_run", "end_run"]


def begin_run(store: Any, run: RunRecord, *, ttl: float) -> bool:
    """Take ``run``'s dossier lock for ``ttl`` seconds and record the run as started; ``False``,
    with nothing written, when another run holds the dossier."""
    combined = getattr(store, "begin_run", None)
    if combined is not None:
        return bool(combined(run, ttl=ttl))
    if not store.try_lock(run.dossier_id, run.id, ttl=ttl):
        return False
    store.start_run(run)
    return True


def end_run(store: Any, run: RunRecord, *, swap: int | None = None, link: LinkRecord | None = None) -> None:
    """Record ``run``'s final state and release its dossier lock; with ``swap``, first swap in the
    generation the run built, and with ``link``, save what the run changed in its dossier's link
    (no full sync needed any more…), all in one transaction where the store offers it."""
    combined = getattr(store, "end_run", None)
    if combined is not None:
        combined(run, swap=swap, link=link)
        return
    if swap is not None:
        store.swap_generation(run.dossier_id, swap)
    if link is not None:
        store.save_link(link)
    store.finish_run(run)
    store.release_lock(run.dossier_id, run.id)
