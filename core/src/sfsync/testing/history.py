"""A since link's opening balances after an edit dated before its date (issue 16), for plugin tests.

Each connector proves with :func:`sync_after_history_edit` that an edit of a line dated before a
*since* link's date reaches the stored opening balances on the next run (through its ledger
stream or its ``sfsync_history_stamp``), or pins the limit it states in ``known_limits``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from sfsync.models import SyncMode
from sfsync.sandbox.base import Sandbox
from sfsync.store.base import RunRecord
from sfsync.testing.harness import ContractHarness

__all__ = ["HistoryEditOutcome", "sync_after_history_edit"]

HistoryEdit = Callable[[Sandbox, str, dt.date], None]
"""Changes, in the sandbox as the package would, the amount of a line dated before the date
(and its partner, so the entry stays balanced): ``edit(sandbox, company_ref, before)``."""

PackageBalances = Callable[[Sandbox, str, dt.date], dict[str, Decimal]]
"""The package's own balances at a day, for a sandbox whose truth gives none."""


def _truth_balances(sandbox: Sandbox, ref: str, at: dt.date) -> dict[str, Decimal]:
    return dict(sandbox.truth(ref).opening_balances[at])


@dataclasses.dataclass
class HistoryEditOutcome:
    """What a since link holds after an edit dated before its date.

    Attributes:
        since: The link's date (a fiscal-year start the sandbox's truth knows).
        before: The package's opening balances at ``since`` before the edit (non-zero only).
        after: The package's opening balances at ``since`` after it.
        stored: What the dossier stores at ``since`` after the next run.
        quiet: The run between the first sync and the edit (nothing changed).
        run: The run after the edit.
    """

    since: dt.date
    before: dict[str, Decimal]
    after: dict[str, Decimal]
    stored: dict[str, Decimal]
    quiet: RunRecord
    run: RunRecord


def _non_zero(balances: dict[str, Decimal]) -> dict[str, Decimal]:
    return {a: v for a, v in balances.items() if v != 0}


def sync_after_history_edit(
    connector: str,
    folder: Path,
    edit: HistoryEdit,
    *,
    sandbox: Sandbox | None = None,
    start: int = 1,
    since: dt.date | None = None,
    package_balances: PackageBalances = _truth_balances,
) -> HistoryEditOutcome:
    """Link a since dossier, sync, sync again unchanged, ``edit`` the package before the date and
    sync once more; return what the package and the store say at the date.

    The date is ``since`` or else the ``start``-th fiscal-year start the sandbox's truth knows
    (from 0): the second by default, or a later one where the first years hold no lines to edit.
    The package's balances come from its truth unless ``package_balances`` computes them."""
    harness = ContractHarness.create(connector, folder, sandbox=sandbox)
    try:
        ref = harness.sandbox.company_refs()[0]
        if since is None:
            starts = sorted(harness.sandbox.truth(ref).opening_balances)
            assert len(starts) > start >= 1, f"the {connector} sandbox's truth has no fiscal-year start number {start}"
            since = starts[start]
        dossier = harness.new_dossier(mode=SyncMode.SINCE, since=since)
        first = harness.sync(dossier)
        assert first.status in ("ok", "warning"), first.error
        quiet = harness.sync(dossier)
        assert quiet.status in ("ok", "warning"), quiet.error
        before = _non_zero(package_balances(harness.sandbox, ref, since))
        edit(harness.sandbox, ref, since)
        after = _non_zero(package_balances(harness.sandbox, ref, since))
        assert after != before, "the edit did not change the package's opening balances at the date"
        run = harness.sync(dossier)
        assert run.status in ("ok", "warning"), run.error
        stored = _non_zero({b.account: b.amount for b in harness.app.store.opening_balances(dossier.id) if b.date == since})
        return HistoryEditOutcome(since, before, after, stored, quiet, run)
    finally:
        harness.close()
