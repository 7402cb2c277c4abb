"""Balance and ledger exports in CSV/TXT/XLSX: header finder, profiles, number formats."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from sfsync_onprem.readers import UnreadableFile, read_export, source_for
from sfsync_onprem.readers.tabular import parse_amount


@pytest.mark.parametrize(
    ("raw", "sep", "value"),
    [("1.234,56", ",", "1234.56"), ("1,234.56", ".", "1234.56"), ("-12,5", ",", "-12.5"),
     ("(100.00)", ".", "-100.00"), ("100,00-", ",", "-100.00"), ("1 234,56", ",", "1234.56"), ("", ".", "0")],
)
def test_onprem_amounts_with_either_separator(raw: str, sep: str, value: str) -> None:
    assert parse_amount(raw, sep) == Decimal(value)


def test_onprem_generic_dutch_balance_with_title_rows_and_comma_decimals(tmp_path: Path) -> None:
    path = tmp_path / "proefbalans.csv"
    path.write_text(
        "Proef- en saldibalans\nBoekjaar 2024\n\nRekening;Omschrijving;Debet;Credit\n"
        "100000;Kapitaal;0,00;10.000,00\n550000;Bank;12.500,50;2.500,50\n600000;Aankopen;0,00;0,00\n"
        "700000;Omzet;0,00;0,00\nTotaal;;12.500,50;12.500,50\n",
        encoding="cp1252",
    )
    result = read_export(path)
    assert result is not None and result.format.startswith("generic trial balance")
    by = {t.account: t for t in result.trial_balance}
    assert by["550000"].closing == Decimal("10000.00") and by["100000"].closing == Decimal("-10000.00")
    assert "600000" not in by  # no movement, no line
    assert result.fiscal_years[0].start.isoformat() == "2024-01-01"
    assert any("2024-01-01" in w for w in result.warnings)


def test_onprem_xlsx_with_float_artefacts(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Société Démo"])
    sheet.append(["Exercice 2023"])
    sheet.append(["Compte", "Libellé", "Débit", "Crédit", "Solde"])
    sheet.append(["400000", "Clients", 80580.1999999999, 45120.19, 35460.0099999999])
    sheet.append(["700000", "Ventes", 0, 35460.01, -35460.01])
    path = tmp_path / "balance.xlsx"
    book.save(path)
    result = read_export(path)
    assert result is not None
    by = {t.account: t for t in result.trial_balance}
    assert by["400000"].debit == Decimal("80580.20") and by["400000"].closing == Decimal("35460.01")
    assert all(isinstance(t.closing, Decimal) for t in result.trial_balance)
    assert any("float artefacts" in w for w in result.warnings)
    assert result.company is not None and result.company.name == "Société Démo"


def test_onprem_firm_profile(tmp_path: Path) -> None:
    (tmp_path / "sfsync-profile.json").write_text(json.dumps({
        "columns": {"account": "Cpt", "name": "Lib", "balance": "Sld"}, "decimal": ",",
        "fiscal_year": {"start": "2024-07-01", "end": "2025-06-30", "label": "2024-2025"}}))
    path = tmp_path / "export.txt"
    path.write_text("Cpt\tLib\tSld\n550000\tBank\t1.000,10\n100000\tKapitaal\t-1.000,10\n", encoding="utf-8")
    result = read_export(path)
    assert result is not None and result.format.startswith("firm profile trial balance")
    assert result.fiscal_years[0].label == "2024-2025"
    assert {t.account: t.closing for t in result.trial_balance} == {"550000": Decimal("1000.10"),
                                                                  "100000": Decimal("-1000.10")}


def test_onprem_ledger_csv(tmp_path: Path) -> None:
    path = tmp_path / "grootboek.csv"
    path.write_text(
        "Datum,Boekstuk,Rekening,Omschrijving,Debet,Credit\n"
        "2024-03-01,M1,4000,Huur,1000.00,\n2024-03-01,M1,1100,Huur,,1000.00\n"
        "05/04/2024,M2,1100,Ontvangst,250.00,\n05/04/2024,M2,1300,Ontvangst,,250.00\n",
        encoding="utf-8",
    )
    result = read_export(path)
    assert result is not None and "ledger" in result.format
    lines = list(result.ledger_lines())
    assert len(lines) == 4 and lines[2].date.isoformat() == "2024-04-05"
    assert sum(ln.debit for ln in lines) == sum(ln.credit for ln in lines) == Decimal("1250.00")
    assert {ln.entry for ln in lines} == {"grootboek:M1", "grootboek:M2"}


def test_onprem_table_without_header_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text("just,some\nwords,here\n", encoding="utf-8")
    source = source_for(path)
    assert source is not None
    with pytest.raises(UnreadableFile, match="no header row"):
        source.summarize()


def test_onprem_damaged_xls_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "balance.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)  # an OLE2 header, cut short
    source = source_for(path)
    assert source is not None
    with pytest.raises(UnreadableFile, match=r"balance\.xls cannot be opened"):
        source.summarize()


def test_onprem_real_xls_balance_is_read_like_the_xlsx() -> None:
    path = Path(__file__).with_name("data") / "balance-2023.xls"
    result = read_export(path)
    assert result is not None
    by = {t.account: t for t in result.trial_balance}
    assert by["400000"].debit == Decimal("80580.20") and by["400000"].closing == Decimal("35460.01")
    assert by["700000"].credit == Decimal("35460.01")
    assert any("float artefacts" in w for w in result.warnings)
    assert result.company is not None and result.company.name == "Société Démo"
