"""A dossier's history survives every change of source: a manual import adds its years, an unlink
keeps what was synced, another package keeps the years outside its range (opening balances too)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from sfsync.hookspecs import hookimpl
from sfsync.models import Account, AccountKind, FiscalYear, LedgerLine, OpeningBalance
from sfsync.readers import ReadResult


class YearReader:
    """Reads ``books-YYYY.fake``: one calendar year, two entries and an opening balance."""

    @hookimpl
    def sfsync_read_export(self, path: Path) -> ReadResult | None:
        if path.suffix != ".fake":
            return None
        year = int(path.stem.split("-")[1])
        start = dt.date(year, 1, 1)
        lines = []
        for n in (1, 2):
            day, entry = dt.date(year, 3 * n, 10), f"F{year}-{n}"
            lines += [
                LedgerLine(id=f"{entry}a", entry=entry, date=day, account="550000", debit=Decimal(n * 100)),
                LedgerLine(id=f"{entry}b", entry=entry, date=day, account="700000", credit=Decimal(n * 100)),
            ]
        return ReadResult(
            format="fake", fiscal_years=[FiscalYear(start=start, end=dt.date(year, 12, 31), label=f"F{year}")],
            accounts=[Account(code="550000", kind=AccountKind.BALANCE_SHEET), Account(code="700000")],
            ledger=iter(lines),
            opening_balances=[OpeningBalance(account="550000", date=start, amount=Decimal("42.00")),
                              OpeningBalance(account="100000", date=start, amount=Decimal("-42.00"))],
        )


def _with_reader(env):
    env.app.registry.register(YearReader(), "year-reader")


def _file(tmp_path, year):
    path = tmp_path / f"books-{year}.fake"
    path.write_text("x")
    return path


def _years(env, dossier):
    return [y.label for y in env.app.store.fiscal_years(dossier.id)]


def test_an_import_after_an_unlink_keeps_every_synced_year(env, tmp_path):
    _with_reader(env)
    dossier = env.dossier("d1", mode="since", since=dt.date(2025, 1, 1))
    assert env.sync(dossier).status == "ok"
    synced = env.lines(dossier)
    openings = env.app.store.opening_balances(dossier.id)
    assert synced and openings
    env.app.unlink(env.admin, dossier.id)
    run = env.app.import_file(env.admin, dossier.id, _file(tmp_path, 2018))
    assert run.status == "ok", run.error
    after = env.lines(dossier)
    assert set(synced) <= set(after)  # every synced year stays
    assert {i for i in after if i.startswith("F2018")} == {"F2018-1a", "F2018-1b", "F2018-2a", "F2018-2b"}
    assert set(openings) <= set(env.app.store.opening_balances(dossier.id))  # the link's opening balances too
    assert _years(env, dossier) == ["F2018", "FY2024", "FY2025", "FY2026"]


def test_an_import_replaces_only_the_years_the_file_covers(env, tmp_path):
    _with_reader(env)
    dossier = env.dossier("d1", mode="replace")
    assert env.sync(dossier).status == "ok"
    synced = env.lines(dossier)
    env.app.unlink(env.admin, dossier.id)
    env.app.import_file(env.admin, dossier.id, _file(tmp_path, 2025))
    after = env.lines(dossier)
    in_2025 = {line.id for line in env.app.store.ledger_lines(dossier.id, start=dt.date(2025, 1, 1),
                                                               end=dt.date(2025, 12, 31))}
    assert in_2025 == {"F2025-1a", "F2025-1b", "F2025-2a", "F2025-2b"}  # the package's 2025 is gone
    assert {i for i in synced if i not in in_2025} - set(after) == {
        i for i, line in synced.items() if line.date.year == 2025 and "E99999" not in i
    }
    assert {"C1-E99999-0", "C1-E99999-1"} <= set(after)  # dated 2025, booked in 2024: stays
    assert _years(env, dossier) == ["FY2024", "F2025", "FY2026"]
    balances = {(b.account, b.date): b.amount for b in env.app.store.opening_balances(dossier.id)}
    assert balances[("550000", dt.date(2025, 1, 1))] == Decimal("42.00")
    # --replace: the old behaviour, the file is the whole dossier
    env.app.import_file(env.admin, dossier.id, _file(tmp_path, 2018), replace=True)
    assert {line.date.year for line in env.lines(dossier).values()} == {2018}
    assert _years(env, dossier) == ["F2018"]


def test_a_replace_link_to_a_package_keeps_the_years_outside_its_range(env, tmp_path):
    _with_reader(env)
    dossier = env.app.create_dossier(env.admin, "d1")
    env.app.import_file(env.admin, dossier.id, _file(tmp_path, 2018))
    imported = env.lines(dossier)
    env.run(env.app.link(env.admin, dossier.id, env.connection.id, "C1", mode="replace"))
    run = env.sync(dossier)
    assert run.status == "ok", run.error
    after = env.lines(dossier)
    assert set(imported) <= set(after)
    assert {line.id for line in env.sandbox.companies["C1"].lines} <= set(after)
    balances = {(b.account, b.date) for b in env.app.store.opening_balances(dossier.id)}
    assert ("550000", dt.date(2018, 1, 1)) in balances  # the import's opening balance, kept
    assert _years(env, dossier) == ["F2018", "FY2024", "FY2025", "FY2026"]
    env.sync(dossier)  # an incremental run keeps the older years too
    assert _years(env, dossier) == ["F2018", "FY2024", "FY2025", "FY2026"]
