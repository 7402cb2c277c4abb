"""The unchanged-nights benchmark covers every installed connector that serves a sandbox, and
details nights where a connector declares one; it runs end to end on two connectors (its figures
are the benchmark's to print, not checked here beyond what the table means)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

from sfsync.models import Granularity
from sfsync.plugins import get_registry

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_unchanged_nights.py"


def _module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_unchanged_nights", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_connector_with_a_sandbox_is_measured_in_each_granularity() -> None:
    registry = get_registry()
    measured = set(_module().nights())
    for name in registry.connectors:
        if not registry.supports(name, "sfsync_sandbox"):
            continue
        info = registry.connector(name).info
        for granularity in info.granularities:
            assert (name, granularity) in measured, f"{name} {granularity.value} is not measured"
        if Granularity.DETAILS in info.unchanged_night_requests:
            assert (name, Granularity.DETAILS) in measured, f"{name}'s details night is not measured"
    assert ("echo", Granularity.DETAILS) in measured


def test_it_prints_one_row_per_night() -> None:
    done = subprocess.run([sys.executable, str(BENCH), "--connector", "echo"], capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    rows = {(r["connector"], r["granularity"]): r for r in map(json.loads, done.stdout.splitlines())}
    assert set(rows) == {("echo", "transactions"), ("echo", "trial_balance"), ("echo", "details")}
    for row in rows.values():
        assert row["requests"] <= row["declared"] and row["lines_read_again"] == 0
        assert row["most_in_one_stage"] <= 2  # lines and deletions share the ledger stage
    assert rows["echo", "details"]["requests_by_stage"] == {"details": 1}
