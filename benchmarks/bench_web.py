"""Benchmark of sfsync web: how long each page takes to answer on the demo's data.

Fills a host with the demo (every installed package through its sandbox, dossiers linked and
synced, as ``sfsync demo --web`` does), signs the demo's admin in, then asks each page many times
in-process (httpx on the ASGI app, so the figures are the host's own time, not a network's) and
prints the first answer, the median and the 95th percentile per page. The goal is under 100 ms
for every page. A year's trial balance is added up once per run of the dossier and kept until
its next run, so the first answer of a figures page shows what that costs.

    .venv/bin/python benchmarks/bench_web.py [--rounds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from sfsync.web import WebSettings, build_app, create_host
from sfsync.web.demo import DEMO_PASSWORD, seed_demo

GOAL_MS = 100.0


async def main(rounds: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="sfsync-bench-web-"))
    started = time.perf_counter()
    host = create_host(WebSettings(db=folder / "web.sqlite3", session_secret="b" * 48, sandbox=True,
                                   base_url="http://bench"))
    people, rows = await seed_demo(host, folder / "scratch", say=lambda text: None)
    print(f"demo seeded: {len(rows)} dossiers in {time.perf_counter() - started:.1f} s")
    admin = host.app.store.find_user(host.app.store.list_firms()[0].id, people.admin)
    assert admin is not None
    statuses = sorted(host.app.status(admin), key=lambda s: host.app.store.count_ledger_lines(s.dossier.id))
    biggest = statuses[-1].dossier
    year = host.app.figures(admin, biggest.id).year()
    assert year is not None
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=build_app(host)), base_url="http://bench") as client:
        page = await client.get("/sign-in")
        token = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert token is not None
        await client.post("/sign-in", data={"csrf": token.group(1), "email": people.admin,
                                            "password": DEMO_PASSWORD, "next": "/"})
        pages = {
            "dossiers": "/dossiers",
            "syncs": "/syncs",
            "add a sync": "/syncs/new",
            "new dossier": "/dossiers/new",
            "dossier": f"/dossiers/{biggest.id}",
            "run history": f"/dossiers/{biggest.id}/history",
            "sync settings": f"/dossiers/{biggest.id}/settings",
            "trial balance (year)": f"/dossiers/{biggest.id}/figures?year={year.start}",
            "trial balance (period 1)": f"/dossiers/{biggest.id}/figures?year={year.start}&period=1",
            "CSV download": f"/dossiers/{biggest.id}/figures/download.csv?year={year.start}",
        }
        lines = host.app.store.count_ledger_lines(biggest.id)
        print(f"{len(statuses)} dossiers; the pages of {biggest.name} ({lines} lines) and the firm's lists, "
              f"{rounds} rounds each:")
        print(f"{'page':28} {'first ms':>9} {'median ms':>10} {'p95 ms':>8}  goal <{GOAL_MS:.0f} ms")
        for name, url in pages.items():
            begin = time.perf_counter()
            answer = await client.get(url)
            first = (time.perf_counter() - begin) * 1000
            assert answer.status_code == 200, (url, answer.status_code)
            times = []
            for _ in range(rounds):
                begin = time.perf_counter()
                await client.get(url)
                times.append((time.perf_counter() - begin) * 1000)
            times.sort()
            p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
            verdict = "ok" if p95 < GOAL_MS else "SLOW"
            print(f"{name:28} {first:9.1f} {statistics.median(times):10.1f} {p95:8.1f}  {verdict}")
    await host.progress.wait()
    host.app.store.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    asyncio.run(main(parser.parse_args().rounds))
