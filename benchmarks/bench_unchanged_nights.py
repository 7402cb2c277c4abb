"""What an unchanged night costs, per connector: requests per stream and lines read again.

    python benchmarks/bench_unchanged_nights.py [--connector exact-be ...] [--markdown]

For every installed connector that ships a sandbox (the ``sfsync_sandbox`` hook the contract
suite uses: a new plugin is measured without editing this file), in each granularity it offers,
and for ``details`` where the connector declares an unchanged details night (an administrative
link, as AdminPulse's): a dossier is linked and synced through the contract harness (the real
flows, in-process), then synced again with nothing changed in the package. A details night is
measured with the details due (they are checked on a schedule, not every night), as the contract
suite's details checks do. The second sync is the night that counts: its requests are
recorded by the stage of the run they were made in (fiscal years, accounts, ledger or trial
balance; the ledger stage holds up to three streams: the company's details, the lines and the
deletions) and by path, with the lines it read again. The target (issue 28) is at most
one request per stream and no line read again wherever the package offers a change signal;
``declared`` is what the connector's ``ConnectorInfo.unchanged_night_requests`` promises (the
contract suite holds it to that number).

One JSON object per connector and granularity; ``--markdown`` prints the table of the docs'
performance page instead.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from sfsync.metadata import ConnectorInfo
from sfsync.models import Granularity
from sfsync.plugins import get_registry
from sfsync.testing.figures import fetched
from sfsync.testing.harness import ContractHarness


class _Stages:
    """A run observer that knows the stage a run is in."""

    def __init__(self) -> None:
        self.current = "start"

    def stage(self, dossier: str, stage: str) -> None:
        self.current = stage

    def progress(self, dossier: str, what: str, count: int) -> None:
        pass

    def batch_committed(self, dossier: str, batches: int) -> None:
        pass


class _Counting(httpx.AsyncBaseTransport):
    """A transport that records the stage and path of every request it passes on."""

    def __init__(self, inner: httpx.AsyncBaseTransport, stages: _Stages, seen: list[tuple[str, str]]) -> None:
        self.inner, self.stages, self.seen = inner, stages, seen

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append((self.stages.current, f"{request.method} {request.url.path}"))
        return await self.inner.handle_async_request(request)


def night(connector: str, granularity: Granularity) -> dict[str, Any]:
    """Sync one dossier twice; the figures of the second, unchanged, night."""
    with tempfile.TemporaryDirectory() as folder:
        harness = ContractHarness.create(connector, Path(folder))
        harness.granularity_override = granularity
        dossier = harness.new_dossier(granularity=granularity)
        first = harness.sync(dossier)
        if first.status not in ("ok", "warning"):
            raise SystemExit(f"{connector}: the first sync failed: {first.error}")
        stages, seen = _Stages(), []
        for url, transport in list(harness.app.transports.items()):
            harness.app.transports[url] = _Counting(transport, stages, seen)
        if granularity is Granularity.DETAILS:
            harness.app.runner.details_interval = dt.timedelta(0)  # due now: the night that checks them
        second = harness.run(harness.app.sync(dossier.id, observer=stages))
        info = harness.app.registry.connector(connector).info
        by_stage = Counter(stage for stage, _ in seen)
        return {
            "connector": connector, "granularity": granularity.value, "status": second.status,
            "requests": second.requests, "declared": info.unchanged_night_requests.get(granularity),
            "stages": len(by_stage), "requests_by_stage": dict(by_stage),
            "most_in_one_stage": max(by_stage.values(), default=0),
            "lines_read_again": fetched(second, granularity), "paths": [f"{stage}: {path}" for stage, path in seen],
        }


def granularities(info: ConnectorInfo) -> list[Granularity]:
    """What a connector's nights are measured in: its granularities, and details where it
    declares what an unchanged details night costs."""
    wanted = list(info.granularities)
    if Granularity.DETAILS in info.unchanged_night_requests and Granularity.DETAILS not in wanted:
        wanted.append(Granularity.DETAILS)
    return wanted


def nights(connectors: list[str] | None = None) -> list[tuple[str, Granularity]]:
    """Every (connector, granularity) measured: of ``connectors``, or of every installed
    connector whose plugin serves a sandbox."""
    registry = get_registry()
    names = connectors or [n for n in sorted(registry.connectors) if registry.supports(n, "sfsync_sandbox")]
    return [(name, granularity) for name in names for granularity in granularities(registry.connector(name).info)]


def main(connectors: list[str], markdown: bool) -> None:
    rows = []
    for name, granularity in nights(connectors):
        rows.append(night(name, granularity))
        if not markdown:
            print(json.dumps(rows[-1]))
    if markdown:
        print("| Connector | Granularity | Requests | By stage | Lines read again | Declared |")
        print("|---|---|---:|---|---:|---:|")
        for r in rows:
            stages = ", ".join(f"{stage} {n}" for stage, n in r["requests_by_stage"].items())
            print(f"| `{r['connector']}` | {r['granularity']} | {r['requests']} | {stages} | "
                  f"{r['lines_read_again']} | {r['declared']} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connector", action="append", default=[], help="only these (repeat); default: all")
    parser.add_argument("--markdown", action="store_true", help="print the docs' table")
    args = parser.parse_args()
    main(args.connector, args.markdown)
