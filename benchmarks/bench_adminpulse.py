"""Benchmark of the AdminPulse connector (administrative: company details) against its sandbox.

Prints, for an office of many client companies: the requests to list them (pages of 400), the
dossiers a second of the first sync of their master data, and what an unchanged night costs per
dossier (target: one request, no new version), then a night on which a few relations changed.

Time in the sandbox and the limiter runs on a FakeClock, so AdminPulse's 480 calls a minute are
honoured without really waiting; the simulated minutes spent waiting are printed too.

    .venv/bin/python benchmarks/bench_adminpulse.py [--dossiers 500] [--edited 25]
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

from sfsync.clock import FakeClock
from sfsync.testing.harness import ContractHarness
from sfsync_adminpulse.sandbox import AdminPulseSandbox


def _night(harness: ContractHarness, dossiers: list, label: str) -> None:
    began, cpu = time.perf_counter(), time.process_time()
    simulated = harness.clock.now()
    runs = [harness.sync(d) for d in dossiers]
    elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
    assert all(r.status == "ok" for r in runs), next(r.error for r in runs if r.status != "ok")
    requests = sum(r.requests for r in runs)
    changed = sum(r.counts.get("details_changed", 0) for r in runs)
    waited = (harness.clock.now() - simulated).total_seconds() / 60
    refused, harness.sandbox.limits.refusals = harness.sandbox.limits.refusals, 0  # type: ignore[union-attr]
    print(f"{label}: {len(runs)} dossiers in {elapsed:.2f} s = {len(runs) / elapsed:,.0f} dossiers/s "
          f"(CPU {cpu:.2f} s); {requests} requests = {requests / len(runs):.2f} per dossier; "
          f"{changed} new versions; {waited:.1f} simulated minutes incl. waits for the 480/min limit; "
          f"{refused} 429s (each waited out)")


def main(count: int, edited: int) -> None:
    clock = FakeClock()
    sandbox = AdminPulseSandbox(clock=clock, extra=count)
    refs = sandbox.company_refs()
    with tempfile.TemporaryDirectory() as folder:
        harness = ContractHarness.create("adminpulse", Path(folder), sandbox=sandbox)
        harness.app.runner.details_interval = dt.timedelta(0)  # every night checks the details
        harness.connect()
        assert harness.connection is not None
        began = time.perf_counter()
        listed = harness.run(harness.app.list_companies(harness.admin, harness.connection.id))
        print(f"list companies: {len(listed)} client companies of {len(sandbox.relations)} relations in "
              f"{time.perf_counter() - began:.2f} s ({-(-len(sandbox.relations) // 400)} pages of 400)")
        # Linking looks the company up (one listing each): that is the host's cost, not a night's.
        dossiers = [harness.new_dossier(company_ref=ref) for ref in refs]
        _night(harness, dossiers, "first sync")
        _night(harness, dossiers, "unchanged night")
        for ref in refs[:edited]:
            sandbox.edit_company_details(ref)
        _night(harness, dossiers, f"night after {edited} relations changed")
        harness.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=500)
    parser.add_argument("--edited", type=int, default=25)
    arguments = parser.parse_args()
    main(arguments.dossiers, arguments.edited)
