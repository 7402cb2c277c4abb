"""Push synthetic ledger pages through the runner into SQLite; print lines/s and peak memory.

    python benchmarks/bench_runner.py [--lines 1000000] [--page 1000] [--models]

End to end from parsed pages (dicts, as a connector gets them from JSON) to committed rows: the
connector's mapping of each row into a record, the batch's validation (``LedgerColumns``), the
runner's checkpointed batch writes, the final balance check. Making up the synthetic pages is not
part of that: it is timed apart and left out of ``lines_per_second`` (printed as
``page_synthesis_seconds``; ``lines_per_second_with_synthesis`` includes it). ``--models``
measures the slower path of a connector that builds one ``LedgerLine`` model per line.
``unchanged_rerun_seconds`` is the next night's run, when nothing changed (it must cost almost
nothing, whatever the dossier's size).
Targets (issue 2): at least 50,000 lines/s, peak memory flat in the number of lines (1,000,000
lines within 200 MB). Peak memory is the process's max RSS, Python itself included.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import resource
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from pydantic import BaseModel, SecretStr
from sfsync.api import Sfsync
from sfsync.auth import FormSpec
from sfsync.hookspecs import hookimpl
from sfsync.metadata import ConnectorInfo
from sfsync.models import (
    Account,
    AccountKind,
    Company,
    FiscalYear,
    LedgerBatch,
    LedgerColumns,
    LedgerLine,
)
from sfsync.plugins import PluginRegistry
from sfsync.secrets import SecretBox, generate_key
from sfsync.store.sqlite import SQLiteStore


class Fields(BaseModel):
    key: SecretStr


class Synthetic:
    def __init__(self, lines: int, page: int, models: bool) -> None:
        self.lines, self.page, self.models = lines, page, models
        self.synthesis = 0.0  # seconds spent making up the input pages

    @hookimpl
    def sfsync_connector_info(self):
        return ConnectorInfo(name="synthetic", title="Synthetic pages")

    @hookimpl
    def sfsync_auth(self):
        return FormSpec(fields=Fields)

    @hookimpl
    async def sfsync_list_companies(self, ctx):
        return [Company(ref="S1", name="Synthetic")]

    @hookimpl
    async def sfsync_fetch_fiscal_years(self, ctx, company):
        return [FiscalYear(start=dt.date(2020 + i, 1, 1), end=dt.date(2020 + i, 12, 31), label=str(2020 + i)) for i in range(6)]

    @hookimpl
    async def sfsync_fetch_accounts(self, ctx, company):
        return [Account(code=str(c), name=f"Account {c}", kind=AccountKind.BALANCE_SHEET) for c in (400000, 700000, 451000)]

    @hookimpl
    def sfsync_fetch_ledger(self, ctx, company, cursor):
        return self._pages(int(cursor or 0))

    async def _pages(self, start: int):
        n = start
        while n < self.lines:
            began = time.perf_counter()
            rows = [_row(i) for i in range(n, min(n + self.page, self.lines))]  # a parsed JSON page
            self.synthesis += time.perf_counter() - began
            n += len(rows)
            if self.models:
                models = [
                    LedgerLine.from_signed(Decimal(r["Amount"]), id=r["ID"], entry=r["Entry"], journal=r["Journal"],
                                           date=dt.date.fromisoformat(r["Date"]), period=r["Period"],
                                           account=r["Account"], description=r["Description"])
                    for r in rows
                ]
                yield LedgerBatch(lines=models, cursor=str(n))
                continue
            lines = LedgerColumns.from_records(
                [{"id": r["ID"], "entry": r["Entry"], "journal": r["Journal"], "date": r["Date"], "period": r["Period"],
                  "account": r["Account"], "description": r["Description"], "amount": r["Amount"]} for r in rows]
            )
            yield LedgerBatch(lines=lines, cursor=str(n))


def _row(i: int) -> dict:
    entry, leg = divmod(i, 2)
    amount = f"{(entry % 9973) + 1}.{entry % 100:02d}"
    return {"ID": f"L{i}", "Entry": f"E{entry}", "Journal": "VKP", "Date": f"202{entry % 5}-{entry % 12 + 1:02d}-15",
            "Period": entry % 12 + 1, "Account": "400000" if leg == 0 else "700000",
            "Description": f"Invoice {entry}", "Amount": amount if leg == 0 else "-" + amount}


async def main(lines: int, page: int, models: bool) -> None:
    registry = PluginRegistry()
    connector = Synthetic(lines, page, models)
    registry.register(connector, "synthetic")
    with tempfile.TemporaryDirectory() as folder:
        app = Sfsync(SQLiteStore(Path(folder) / "bench.sqlite3"), SecretBox(generate_key()), registry=registry)
        firm = app.create_firm("Bench")
        admin = app.add_user(firm.id, "a@b.c", "admin")
        connection = await app.connect_form(admin, "synthetic", {"key": "k"})
        dossier = app.create_dossier(admin, "bench")
        await app.link(admin, dossier.id, connection.id, "S1", mode="replace")
        start = time.perf_counter()
        run = await app.sync(dossier.id)
        elapsed = time.perf_counter() - start
        assert run.status == "ok", run.error
        stored = app.store.count_ledger_lines(dossier.id)
        start = time.perf_counter()
        rerun = await app.sync(dossier.id)
        rerun_seconds = time.perf_counter() - start
        assert rerun.status == "ok" and rerun.counts["lines_fetched"] == 0, rerun
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"path": "LedgerLine models" if models else "LedgerColumns", "lines": stored, "page": page,
                      "seconds": round(elapsed - connector.synthesis, 2),
                      "lines_per_second": round(stored / (elapsed - connector.synthesis)),
                      "page_synthesis_seconds": round(connector.synthesis, 2),
                      "lines_per_second_with_synthesis": round(stored / elapsed),
                      "unchanged_rerun_seconds": round(rerun_seconds, 3), "peak_rss_mb": round(peak_mb, 1)}))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--page", type=int, default=1000)
    parser.add_argument("--models", action="store_true", help="build one LedgerLine model per line (slower path)")
    args = parser.parse_args()
    asyncio.run(main(args.lines, args.page, args.models))
