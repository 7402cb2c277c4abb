"""The Winbooks DBF reader, on fixtures rebuilt from PARFILUX's real general balance export."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from sfsync_onprem.fixtures import build_winbooks_parfilux
from sfsync_onprem.readers import UnreadableFile
from sfsync_onprem.readers.tabular import TabularSource
from sfsync_onprem.readers.winbooks import WinbooksSource, find_tables
from sfsync_onprem.sandbox import sample_path

BALANCE = "PARFILUX_Balance_periodique_generale.csv"


@pytest.fixture(scope="module")
def parfilux(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("wb") / "PARFILUX"
    build_winbooks_parfilux(folder, sample_path(BALANCE))
    return folder


def _export() -> dict[str, tuple[Decimal, Decimal, Decimal]]:
    table = TabularSource(sample_path(BALANCE)).table()
    return {table.cell(r, "account"): (table.amount(r, "cum_debit"), table.amount(r, "cum_credit"),
                                       table.amount(r, "cum_balance")) for r in table.rows}


def test_onprem_winbooks_tables_are_found_case_insensitively(parfilux: Path) -> None:
    (parfilux / "PARFILUX_DBK.DBF").rename(parfilux / "parfilux_dbk.dbf")
    assert {"ACF", "ACT", "PARAM", "DBK", "CSF"} <= set(find_tables(parfilux))


def test_onprem_winbooks_reproduces_the_real_balance(parfilux: Path) -> None:
    source = WinbooksSource(parfilux)
    summary = source.summarize()
    assert summary.format == "Winbooks DBF"
    totals: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for line in source.lines(summary):
        totals[line.account][0] += line.debit
        totals[line.account][1] += line.credit
    expected = _export()
    assert len(summary.accounts) == len(expected) == 432
    for account, (debit, credit, balance) in expected.items():
        got = totals.get(account, [Decimal(0), Decimal(0)])
        assert (got[0], got[1], got[0] - got[1]) == (debit, credit, balance), account
    assert summary.total_debit == summary.total_credit == Decimal("2299061.83")


def test_onprem_winbooks_entries_periods_and_book_years(parfilux: Path) -> None:
    source = WinbooksSource(parfilux)
    summary = source.summarize()
    lines = list(source.lines(summary))
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for line in lines:
        sums[line.entry] += line.debit - line.credit
    assert not {e: s for e, s in sums.items() if s}, "every (DBKCODE, DBKTYPE, DOCNUMBER, BOOKYEAR, PERIOD) balances"
    # BOOKYEAR "A" is base 36 for 10: PARAM's BOOKYEAR10, "Ex. 2017".
    assert {line.fiscal_year for line in lines} == {"Ex. 2017"}
    opening = [line for line in lines if line.period == 0]
    assert opening and all(line.date.isoformat() == "2017-01-01" for line in opening)
    assert sum(line.debit - line.credit for line in opening) == 0
    assert {line.period for line in lines} == set(range(0, 13))
    assert any(line.currency == "USD" and line.foreign_amount for line in lines)
    assert any(line.counterparty for line in lines if line.account == "400000")
    years = {fy.label: fy for fy in summary.fiscal_years}
    assert len(years) == 10 and years["Ex. 2017"].closed is False and years["Ex. 2016"].closed is True
    periods = {p.number: p for p in years["Ex. 2017"].periods}
    assert periods[0].start.isoformat() == "2017-01-01" and periods[99].end.isoformat() == "2017-12-31"
    assert periods[2].start.isoformat() == "2017-02-01" and periods[2].end.isoformat() == "2017-02-28"
    assert any("closed book years were not read" in w for w in summary.warnings)
    assert summary.clear_range == (years["Ex. 2017"].start, years["Ex. 2017"].end)  # closed years stay


def test_onprem_winbooks_closed_years_on_request(parfilux: Path) -> None:
    source = WinbooksSource(parfilux, include_closed=True)
    summary = source.summarize()
    labels = {line.fiscal_year for line in source.lines(summary)}
    assert labels == {"Ex. 2016", "Ex. 2017"}


def test_onprem_winbooks_trial_balance_from_lines(parfilux: Path) -> None:
    summary = WinbooksSource(parfilux).summarize()
    closing: dict[str, Decimal] = {}
    for total in sorted(summary.trial_balance, key=lambda t: t.period_end):
        closing[total.account] = total.closing
    assert closing["400000"] == Decimal("35460.01")
    assert closing["440000"] == Decimal("-96344.28")
    assert sum(closing.values()) == 0


def test_onprem_winbooks_truncated_table_is_a_clear_error(parfilux: Path, tmp_path: Path) -> None:
    broken = tmp_path / "PARFILUX"
    broken.mkdir()
    for path in parfilux.iterdir():
        data = path.read_bytes()
        (broken / path.name).write_bytes(data[: len(data) // 3] if "ACT" in path.name.upper() else data)
    source = WinbooksSource(broken)
    with pytest.raises(UnreadableFile, match="ACT"):
        source.summarize()


def test_onprem_winbooks_folder_through_the_import_hook(parfilux: Path) -> None:
    from sfsync_onprem.readers import read_export

    result = read_export(next(parfilux.glob("*_ACT.DBF")))
    assert result is not None and result.format == "Winbooks DBF"
    assert sum(1 for _ in result.ledger_lines()) == 500
