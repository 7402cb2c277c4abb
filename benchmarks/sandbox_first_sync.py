"""What the connector benchmarks on an in-process sandbox share (``bench_economic.py``,
``bench_quickbooks.py``): a first sync through the core's runner and store, timed and printed,
for each granularity, with the ``--volume`` option.

A benchmark gives its sandbox and what it does after the first sync (its nights)::

    def bench(granularity, volume, folder):
        sandbox = MySandbox(clock=clock, volume=volume)
        with first_synced("mypackage", sandbox, granularity, folder) as (harness, dossier):
            ...  # the nights

    run_granularities(__doc__, bench, volume_help="documents per month, as a factor")
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sfsync.models import Granularity
from sfsync.store.base import DossierRecord
from sfsync.testing.harness import ContractHarness


@contextmanager
def first_synced(connector: str, sandbox: Any, granularity: Granularity,
                 folder: Path) -> Iterator[tuple[ContractHarness, DossierRecord]]:
    """A harness on ``sandbox`` with one dossier after its first sync, whose lines per second
    and requests are printed; the harness is closed on leaving."""
    harness = ContractHarness.create(connector, folder / granularity.value, sandbox=sandbox)
    harness.granularity_override = granularity
    try:
        dossier = harness.new_dossier()
        wall = time.perf_counter()
        first = harness.sync(dossier)
        wall = time.perf_counter() - wall
        if granularity is Granularity.TRANSACTIONS:
            lines = harness.app.store.count_ledger_lines(dossier.id)
        else:
            lines = len(harness.app.store.trial_balance(dossier.id))
        print(f"{granularity.value:13} first sync : {lines} lines in {wall:.2f} s wall = {lines / wall:,.0f} lines/s; "
              f"{first.requests} requests ({first.status})")
        yield harness, dossier
    finally:
        harness.close()


def run_granularities(doc: str | None, bench: Callable[[Granularity, float, Path], None], *,
                      volume_help: str) -> None:
    """Parse ``--volume`` and run ``bench`` for transactions, then trial balance, in a temporary
    folder (``doc``: the benchmark's module docstring, whose first line describes it)."""
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    parser.add_argument("--volume", type=float, default=5.0, help=volume_help)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for granularity in (Granularity.TRANSACTIONS, Granularity.TRIAL_BALANCE):
            bench(granularity, args.volume, Path(folder))
