"""Benchmark of the onprem XAF reader: a generated 1,000,000-line auditfile, streamed.

Writes an XAF 3.2 file of ``--lines`` lines (entries of four lines) in a temporary folder, then
reads it in a fresh child process (so the figures are the reader's alone) twice: the summary pass
(declared totals, balances, chart, trial balance) and the ledger pass (the lines as validated
``LedgerColumns`` batches, what a batch consumer gets; ``--models`` instead builds every line as a
``LedgerLine``, what ``ReadResult.ledger`` gives a manual import).
Prints lines per second of each pass, the resident memory sampled along the ledger pass (it must
stay flat) and the child's peak resident memory (target: under 200 MB).

    .venv/bin/python benchmarks/bench_onprem_xaf.py [--lines 1000000] [--models]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def child(path: str, models: bool) -> None:
    from sfsync_onprem.readers import source_for

    source = source_for(Path(path))
    assert source is not None
    started, cpu = time.perf_counter(), time.process_time()
    summary = source.summarize()
    summary_s, summary_cpu = time.perf_counter() - started, time.process_time() - cpu
    samples = []
    count = 0
    started, cpu = time.perf_counter(), time.process_time()
    if models:
        for _line in source.lines(summary):
            count += 1
            if count % 100_000 == 0:
                samples.append(round(_rss_mb(), 1))
    else:
        for batch in source.batches(summary):
            before = count
            count += len(batch)
            if count // 100_000 > before // 100_000:
                samples.append(round(_rss_mb(), 1))
    lines_s, lines_cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    print(json.dumps({
        "lines": count, "summary_lines": summary.line_count, "summary_s": summary_s, "ledger_s": lines_s,
        "summary_cpu": summary_cpu, "ledger_cpu": lines_cpu, "load": os.getloadavg()[0],
        "rss_samples_mb": samples, "peak_mb": peak, "warnings": summary.warnings[:3],
        "debit": str(summary.total_debit), "credit": str(summary.total_credit),
    }))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--models", action="store_true", help="ledger pass: one LedgerLine per line")
    args = parser.parse_args()
    from sfsync_onprem.fixtures import write_big_xaf

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.xaf"
        started = time.perf_counter()
        written = write_big_xaf(path, args.lines)
        print(f"wrote {written:,} lines ({path.stat().st_size / 1e6:,.0f} MB) in "
              f"{time.perf_counter() - started:.1f} s")
        out = subprocess.run([sys.executable, __file__, "--child", str(path), "models" if args.models else "columns"],
                             check=True,
                             capture_output=True, text=True, timeout=1800)
        result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["lines"] == written == result["summary_lines"], result
    assert result["debit"] == result["credit"] and not result["warnings"], result
    for label, n, wall, cpu in (("summary pass", result["summary_lines"], result["summary_s"], result["summary_cpu"]),
                                ("ledger pass ", result["lines"], result["ledger_s"], result["ledger_cpu"])):
        if label.startswith("ledger"):
            label += "(LedgerLine per line)" if args.models else "(LedgerColumns batches)"
        print(f"{label}: {n:,} lines in {wall:.1f} s = {n / wall:,.0f} lines/s wall-clock, "
              f"{n / cpu:,.0f} lines per CPU-second")
    print(f"(load average while reading: {result['load']:.1f} on {os.cpu_count()} cores)")
    print(f"resident memory every 100,000 lines of the ledger pass (MB): {result['rss_samples_mb']}")
    verdict = "OK" if result["peak_mb"] < 200 else "OVER the 200 MB target"
    print(f"peak resident memory of the reading process: {result['peak_mb']:.0f} MB ({verdict})")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3] == "models")
    else:
        main()
