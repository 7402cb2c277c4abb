"""SAF-T fiscal years: from the header where it names one; a partial extract (periods 10 of 12)
is widened to its book year with a warning, never a short year of its own, and two extracts of one
book year fill one fiscal year in a dossier."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sfsync.testing.harness import ContractHarness
from sfsync_onprem.readers import read_export, source_for
from sfsync_onprem.sandbox import OnpremSandbox, sample_path

SAMPLE = "ExampleFile_SAF-T_Financial_999999999_20161125213512.xml"
FULL_YEAR = "<n1:PeriodStart>1</n1:PeriodStart>"
FULL_END = "<n1:PeriodEnd>12</n1:PeriodEnd>"


def _extract(tmp_path: Path, name: str, first: int, last: int, *, month: int = 10) -> Path:
    """The sample (whose two entries lie in period 10 of 2015) as an extract of periods first..last,
    its entries moved to ``month`` (and given other ids, as another extract's would be)."""
    text = sample_path(SAMPLE).read_text(encoding="utf-8")
    assert FULL_YEAR in text and FULL_END in text
    text = text.replace(FULL_YEAR, f"<n1:PeriodStart>{first}</n1:PeriodStart>")
    text = text.replace(FULL_END, f"<n1:PeriodEnd>{last}</n1:PeriodEnd>")
    if month != 10:
        text = text.replace("2015-10-31", f"2015-{month:02d}-28").replace("2015-10-", f"2015-{month:02d}-").replace("<n1:Period>10</n1:Period>",
                                                                       f"<n1:Period>{month}</n1:Period>")
        text = text.replace("<n1:TransactionID>", f"<n1:TransactionID>{month}-")
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_saft_a_partial_extract_is_widened_to_its_book_year_with_a_warning(tmp_path: Path) -> None:
    summary = source_for(_extract(tmp_path, "q4.xml", 10, 10)).summarize()  # type: ignore[union-attr]
    [year] = summary.fiscal_years
    assert (year.start, year.end, len(year.periods)) == (dt.date(2015, 1, 1), dt.date(2015, 12, 31), 12)
    assert summary.covers == (dt.date(2015, 10, 1), dt.date(2015, 10, 31))
    assert any("part of the book year" in w and "2015-01-01 – 2015-12-31" in w for w in summary.warnings)
    whole = source_for(sample_path(SAMPLE)).summarize()  # type: ignore[union-attr]
    assert whole.covers is None and not any("part of the book year" in w for w in whole.warnings)


def test_saft_a_header_that_names_the_fiscal_year_defines_it(tmp_path: Path) -> None:
    text = sample_path(SAMPLE).read_text(encoding="utf-8").replace(
        "<n1:DefaultCurrencyCode>",
        "<n1:FiscalYear>2015</n1:FiscalYear><n1:StartDate>2014-11-01</n1:StartDate>"
        "<n1:EndDate>2015-10-31</n1:EndDate><n1:DefaultCurrencyCode>", 1)
    path = tmp_path / "declared.xml"
    path.write_text(text, encoding="utf-8")
    result = read_export(path)
    assert result is not None
    [year] = result.fiscal_years
    assert (year.start, year.end, year.label) == (dt.date(2014, 11, 1), dt.date(2015, 10, 31), "2015")
    assert not any("part of the book year" in w for w in result.warnings)


@pytest.fixture
def harness(tmp_path: Path):
    h = ContractHarness.create("onprem", tmp_path, sandbox=OnpremSandbox())
    h.connect()
    yield h
    h.close()


def test_saft_two_extracts_of_one_book_year_fill_one_fiscal_year(harness: ContractHarness, tmp_path: Path) -> None:
    dossier = harness.app.create_dossier(harness.admin, "extracts")
    october = harness.app.import_file(harness.admin, dossier.id, _extract(tmp_path, "p10.xml", 1, 10))
    assert any("part of the book year" in w for w in october.warnings)
    november = harness.app.import_file(harness.admin, dossier.id, _extract(tmp_path, "p11.xml", 11, 12, month=11))
    assert any("part of the book year" in w for w in november.warnings)
    store = harness.app.store
    assert [(y.start, y.end) for y in store.fiscal_years(dossier.id)] == [(dt.date(2015, 1, 1), dt.date(2015, 12, 31))]
    months = sorted({line.date.month for line in store.ledger_lines(dossier.id)})
    assert months == [10, 11]  # the second extract replaced only the days it selects
    assert store.count_ledger_lines(dossier.id) == 10
