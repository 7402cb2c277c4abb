"""Runs that failed after saving some of their batches into the dossier's live data.

An incremental run writes each batch, with its cursor, straight into the active generation (a
*replace* or first sync builds a new one, swapped in only when complete). When such a run fails
after some batches, what was saved stays — nothing is lost or doubled, and the next run resumes
from that checkpoint — but until a run finishes the dossier is *partly updated*: a year re-read in
several batches may hold only its first part. That must never look like a finished sync, so the
run says so in its error and its counts, and :func:`incomplete` tells a status page.
"""

from __future__ import annotations

from collections.abc import Sequence

from sfsync.store.base import RunRecord

__all__ = ["PARTIAL", "incomplete", "mark_partial"]

PARTIAL = "batches_saved_before_failing"
"""The count a partly applied run carries: how many of its batches are in the live data."""


def mark_partial(run: RunRecord, *, into_live_data: bool) -> None:
    """Mark a run that did not finish but saved batches into the live data (``into_live_data``:
    it wrote into the active generation, not one being built)."""
    saved = run.counts.get("batches", 0)
    if not into_live_data or saved == 0 or PARTIAL in run.counts:
        return
    run.counts[PARTIAL] = saved
    batches = "batch" if saved == 1 else "batches"
    run.error = (f"{run.error or 'the run did not finish'}; {saved} {batches} of changes had been saved, so the "
                 "dossier is partly updated until a run finishes (the next one resumes from that checkpoint)")


def incomplete(runs: Sequence[RunRecord]) -> bool:
    """Whether a dossier is partly updated, from its runs newest first: a run saved part of its
    changes and no run has finished since."""
    for run in runs:
        if run.status in ("ok", "warning"):
            return False
        if run.counts.get(PARTIAL):
            return True
    return False
