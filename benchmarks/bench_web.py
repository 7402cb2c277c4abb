"""Benchmark of sfsync web: how long each page takes to answer on the demo's data, cold and warm.

Fills a host with the demo (every installed package through its sandbox, dossiers linked and
synced, as ``sfsync demo --web`` does) and signs the demo's admin in. Then, for each page, it
starts a **fresh host** on that store, as ``sfsync web`` does after the demo (a new store
connection, nothing kept from an earlier request; the app built, which compiles the templates
before it listens) and asks the page: that first answer is the **cold** figure. It asks the same
page ``--rounds`` times more for the **warm** median and 95th percentile. Requests go in-process
(httpx on the ASGI app), so the figures are the host's own time, not a network's. The goal is
under 100 ms for every page, cold and warm; the machine's load average is printed beside the
figures, since a shared machine's load slows every page alike.

    .venv/bin/python benchmarks/bench_web.py [--rounds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from sfsync.web import WebSettings, build_app, create_host
from sfsync.web.cli import settle_heap
from sfsync.web.demo import DEMO_PASSWORD, seed_demo
from sfsync.web.host import Host

GOAL_MS = 100.0


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


async def _ms(client: httpx.AsyncClient, url: str) -> tuple[float, float]:
    """The answer's wall-clock and CPU milliseconds (CPU: this process's own work, which other
    processes on a busy machine do not stretch)."""
    begin, cpu = time.perf_counter(), time.process_time()
    answer = await client.get(url)
    took, used = (time.perf_counter() - begin) * 1000, (time.process_time() - cpu) * 1000
    assert answer.status_code == 200, (url, answer.status_code)
    return took, used


async def main(rounds: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="sfsync-bench-web-"))
    started = time.perf_counter()
    settings = WebSettings(db=folder / "web.sqlite3", session_secret="b" * 48, sandbox=True, base_url="http://bench")
    seeded = create_host(settings)
    people, rows = await seed_demo(seeded, folder / "scratch", say=lambda text: None)
    await seeded.progress.wait()
    print(f"demo seeded: {len(rows)} dossiers in {time.perf_counter() - started:.1f} s")
    store = seeded.app.store
    admin = store.find_user(store.list_firms()[0].id, people.admin)
    assert admin is not None
    statuses = sorted(seeded.app.status(admin), key=lambda s: store.count_ledger_lines(s.dossier.id))
    biggest = statuses[-1].dossier
    figures = seeded.app.figures(admin, biggest.id)
    year = figures.year()
    assert year is not None
    account = max(seeded.app.trial_balance(admin, biggest.id, start=year.start, end=year.end),
                  key=lambda row: row.debit + row.credit).account
    lines = store.count_ledger_lines(biggest.id)
    at = f"/dossiers/{biggest.id}"
    pages = {
        "dossiers": "/dossiers",
        "syncs": "/syncs",
        "add a sync": "/syncs/new",
        "new dossier": "/dossiers/new",
        "dossier": at,
        "run history": f"{at}/history",
        "sync settings": f"{at}/settings",
        "trial balance (year)": f"{at}/figures?year={year.start}",
        "trial balance (period 1)": f"{at}/figures?year={year.start}&period=1",
        "drill-down (lines)": f"{at}/figures/lines/{account}?year={year.start}&period=1",
        "CSV download": f"{at}/figures/download.csv?year={year.start}",
        "XLSX download": f"{at}/figures/download.xlsx?year={year.start}",
    }

    def fresh() -> tuple[Host, httpx.AsyncClient]:
        host = create_host(settings, sandboxes=seeded.sandboxes)
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=build_app(host)), base_url="http://bench")
        return host, client

    settle_heap()  # as `sfsync web` does before it listens
    host, client = fresh()
    async with client:
        page = await client.get("/sign-in")
        token = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert token is not None
        await client.post("/sign-in", data={"csrf": token.group(1), "email": people.admin,
                                            "password": DEMO_PASSWORD, "next": "/"})
        cookies = client.cookies
    host.app.store.close()

    print(f"{len(statuses)} dossiers; the pages of {biggest.name} ({lines} lines) and the firm's lists, "
          f"{rounds} warm rounds each; {_load()}")
    print(f"{'':26} {'cold':>15} {'warm median':>15} {'warm p95':>15}")
    print(f"{'page':26} {'ms (cpu ms)':>15} {'ms (cpu ms)':>15} {'ms (cpu ms)':>15}  goal <{GOAL_MS:.0f} ms")
    slow = 0
    for name, url in pages.items():
        host, client = fresh()
        client.cookies = cookies
        async with client:
            cold = await _ms(client, url)
            warm = [await _ms(client, url) for _ in range(rounds)]
        host.app.store.close()
        walls, cpus = sorted(w for w, _ in warm), sorted(c for _, c in warm)
        at95 = min(len(warm) - 1, int(len(warm) * 0.95))
        verdict = "ok" if max(cold[0], walls[at95]) < GOAL_MS else "SLOW"
        slow += verdict == "SLOW"
        figures = [cold, (statistics.median(walls), statistics.median(cpus)), (walls[at95], cpus[at95])]
        print(f"{name:26} " + " ".join(f"{w:7.1f} ({c:5.1f})" for w, c in figures) + f"  {verdict}")
    print(f"{len(pages) - slow} of {len(pages)} pages under {GOAL_MS:.0f} ms cold and warm; {_load()}")
    store.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    asyncio.run(main(parser.parse_args().rounds))
