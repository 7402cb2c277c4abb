"""Trial balances and ledgers exported to CSV, TXT, XLS or XLSX (the "Excel or CSV" path).

There is no standard layout, so the reader finds the header row itself (title rows come first in
Winbooks' reports) and maps columns with a *profile*: Winbooks' reports (bilingual headers whose
codes sit in brackets, ``Débit(debN)``), a generic profile of usual header words in Dutch, French
and English, or a profile a firm writes as ``sfsync-profile.json`` next to the file::

    {"columns": {"account": "Rekening", "name": "Omschrijving", "debit": "Debet",
                 "credit": "Credit"}, "decimal": ",",
     "fiscal_year": {"start": "2024-07-01", "end": "2025-06-30", "label": "2024-2025"}}

Numbers are read with either decimal separator (decided per file from the values themselves);
unrounded float artefacts (``76499.6199999999``) are rounded to the cent with a warning.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sfsync.models import Account, Company, FiscalYear, TrialBalanceLine

from sfsync_onprem.readers.base import (
    CENT,
    Source,
    Summary,
    UnreadableFile,
    column_batches,
    fmt,
    kind_from_code,
    monthly_periods,
    plausible_amount,
)

TABULAR_SUFFIXES = {".csv", ".txt", ".xls", ".xlsx"}
PROFILE_FILE = "sfsync-profile.json"

# Winbooks' reports carry a code in brackets after the bilingual label: "Débit(debN)".
WINBOOKS_CODES = {
    "ref": "account", "name": "name", "amount": "opening", "report": "opening",
    "debn": "debit", "credn": "credit", "balancen": "balance",
    "deb1n": "cum_debit", "cre1n": "cum_credit", "solde1n": "cum_balance",
}  # fmt: skip

GENERIC_WORDS = {
    "account": ["account", "accountnumber", "accountcode", "rekening", "rekeningnummer",
                "grootboekrekening", "grootboek", "compte", "numero", "accid", "konto", "gl",
                "reference", "ref", "nr"],
    "name": ["name", "accountname", "description", "omschrijving", "naam", "libelle",
             "intitule", "nom", "desc"],
    "debit": ["debit", "debet", "debitamount", "soll"],
    "credit": ["credit", "creditamount", "haben"],
    "balance": ["balance", "saldo", "solde", "closing", "eindsaldo", "closingbalance"],
    "opening": ["opening", "openingbalance", "beginsaldo", "report", "reportanouveau"],
    "amount": ["amount", "bedrag", "montant", "value"],
    "date": ["date", "datum", "bookingdate", "boekdatum", "trdt"],
    "entry": ["entry", "entrynumber", "boekstuk", "boekstuknummer", "document", "docnumber",
              "piece", "journalentry"],
    "journal": ["journal", "dagboek", "dbk"],
    "period": ["period", "periode"],
}  # fmt: skip

SUBLEDGER_HINTS = {
    "customer": ("client", "customer", "klant", "debiteur"),
    "supplier": ("fournisseur", "supplier", "leverancier", "crediteur"),
}


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", text.lower())


@dataclass
class Table:
    """A tabular export after the header finder and the profile: what the columns mean."""

    path: Path
    profile: str
    kind: str  # balance | ledger | subledger-customer | subledger-supplier
    columns: dict[str, int]
    header_row: int
    rows: list[list[str]]
    titles: list[str]
    decimal: str
    warnings: list[str] = field(default_factory=list)
    fiscal_year: FiscalYear | None = None
    artefacts: int = 0
    artefact_example: str = ""

    def cell(self, row: list[str], name: str) -> str:
        idx = self.columns.get(name)
        if idx is None or idx >= len(row):
            return ""
        return row[idx].strip()

    def amount(self, row: list[str], name: str) -> Decimal:
        raw = self.cell(row, name)
        try:
            value = parse_amount(raw, self.decimal, where=f"{self.path.name} column {name}")
        except UnreadableFile as exc:  # only now is the row's line worth looking up
            line = next((self.header_row + 2 + i for i, r in enumerate(self.rows) if r is row), None)
            exc.message = exc.message.replace(f"{self.path.name} column", f"{self.path.name} line {line} column", 1)
            raise
        if value.as_tuple().exponent < -2:  # type: ignore[operator]
            rounded = value.quantize(CENT, ROUND_HALF_UP)
            if rounded != value:
                self.artefacts += 1
                self.artefact_example = self.artefact_example or raw
            return rounded
        return value


_PLAIN = {
    # digits grouped by three (1.234.567,89 / 1,234,567.89), or not grouped at all
    ",": re.compile(r"[+-]?(?:\d{1,3}(?:\.\d{3})+|\d*)(?:,\d+)?"),
    ".": re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d*)(?:\.\d+)?"),
}


def parse_amount(raw: str, decimal: str, *, where: str = "") -> Decimal:
    """An amount as an export writes it: grouped by thousands or not, the sign in front, behind or
    as parentheses. Anything else — ``12,34,56``, exponents (``1E+30``: a spreadsheet showing a
    number too wide for its column), words — is refused, and so is an implausible amount."""
    text = raw.strip().replace("\u00a0", "").replace(" ", "").replace("'", "").replace("€", "")
    if not text or text in {"-", "--"}:
        return Decimal(0)
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1]
    if text.endswith("-"):
        negative, text = True, text[:-1]
    if not _PLAIN[decimal].fullmatch(text) or not any(c.isdigit() for c in text):
        grouping = "1.234,56" if decimal == "," else "1,234.56"
        raise UnreadableFile(f"{where}: {raw!r} is not an amount (write it like {grouping} or 1234{decimal}56)")
    if decimal == ",":
        text = text.replace(".", "").replace(",", ".")
    else:
        text = text.replace(",", "")
    try:
        value = Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only decimal numbers
        raise UnreadableFile(f"{where}: {raw!r} is not an amount") from exc
    # Decimals: Table.amount rounds a spreadsheet's float artefacts to the cent, and says so.
    return plausible_amount(-value if negative else value, raw=raw, where=where, rounds_to_cents=True)


def _decimal_separator(values: list[str]) -> str:
    comma = dot = 0
    for v in values:
        v = v.strip().replace(" ", "")
        if re.fullmatch(r"-?[\d.]*\d,\d+-?", v) and (v.count(",") == 1):
            # "1.234,56" or "12,5": comma decimal, unless it looks like "1,089" (thousands)
            if re.fullmatch(r"-?\d{1,3}(,\d{3})", v):
                continue
            comma += 1
        elif re.fullmatch(r"-?[\d,]*\d\.\d+-?", v) and v.count(".") == 1:
            if re.fullmatch(r"-?\d{1,3}(\.\d{3})", v):
                continue
            dot += 1
    return "," if comma > dot else "."


# --- loading rows ---------------------------------------------------------------------------------


def load_rows(path: Path) -> list[list[str]]:
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return _xlsx_rows(path)
    if suffix == ".xls":
        return _xls_rows(path)
    raw = path.read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"):
        text = raw[3:].decode("utf-8")
    else:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("cp1252", errors="replace")
    sample = "\n".join(text.splitlines()[:50])
    delimiter = max("\t;,|", key=lambda d: sum(line.count(d) for line in sample.splitlines()))
    return [row for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        # Spreadsheets store binary floats: repr gives the shortest exact text, then Decimal.
        # Plain notation: repr writes 1e+16 or 1.5e-05, which is no way to write an amount.
        return repr(int(value)) if value.is_integer() else format(Decimal(repr(value)), "f")
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _xlsx_rows(path: Path) -> list[list[str]]:
    import openpyxl  # type: ignore[import-untyped,unused-ignore]

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise UnreadableFile(f"{path.name} cannot be opened as an Excel workbook: {exc}") from exc
    try:
        sheet = book.worksheets[0]
        return [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def _xls_rows(path: Path) -> list[list[str]]:
    import xlrd  # type: ignore[import-untyped,unused-ignore]

    try:
        book = xlrd.open_workbook(str(path), logfile=io.StringIO(), on_demand=True)
    except Exception as exc:
        raise UnreadableFile(f"{path.name} cannot be opened as an Excel 97-2003 workbook: {exc}") from exc
    try:
        sheet = book.sheet_by_index(0)
        rows = []
        for r in range(sheet.nrows):
            row = []
            for c in range(sheet.ncols):
                cell = sheet.cell(r, c)
                if cell.ctype == xlrd.XL_CELL_DATE:
                    row.append(xlrd.xldate.xldate_as_datetime(cell.value, book.datemode).date().isoformat())
                else:
                    row.append(_cell_text(cell.value))
            rows.append(row)
        return rows
    finally:
        book.release_resources()


# --- header finder and profiles ---------------------------------------------------------------------


def _winbooks_map(row: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for i, cell in enumerate(row):
        match = re.search(r"\(([A-Za-z0-9]+)\)\s*$", cell.strip())
        if match and match.group(1).lower() in WINBOOKS_CODES:
            found.setdefault(WINBOOKS_CODES[match.group(1).lower()], i)
        elif _norm(cell) == "report":
            found.setdefault("opening", i)
    return found


def _generic_map(row: list[str], custom: dict[str, str] | None = None) -> dict[str, int]:
    found: dict[str, int] = {}
    if custom:
        wanted = {_norm(v): k for k, v in custom.items()}
        for i, cell in enumerate(row):
            key = wanted.get(_norm(cell))
            if key:
                found.setdefault(key, i)
        return found
    for i, cell in enumerate(row):
        n = _norm(cell)
        if not n:
            continue
        for key, words in GENERIC_WORDS.items():
            if key not in found and n in words:
                found[key] = i
                break
    return found


def _usable(mapping: dict[str, int]) -> bool:
    return "account" in mapping and bool(
        {"debit", "credit", "balance", "amount", "cum_balance"} & set(mapping)
    )


def _header_row(rows: list[list[str]], custom: dict[str, str] | None) -> tuple[int, dict[str, int], str] | None:
    """The first row (of 40) that names an account column and amount columns, and its profile."""
    for idx, row in enumerate(rows[:40]):
        if custom:
            mapping, name = _generic_map(row, custom), "custom"
        else:
            mapping, name = _winbooks_map(row), "winbooks"
            if not _usable(mapping):
                mapping, name = _generic_map(row), "generic"
        if _usable(mapping):
            return idx, mapping, name
    return None


def find_table(path: Path, profile: dict[str, Any] | None = None) -> Table:
    rows = load_rows(path)
    found = _header_row(rows, (profile or {}).get("columns"))
    if found is None:
        raise UnreadableFile(
            f"{path.name}: no header row with an account column and amount columns was found in "
            f"the first 40 rows; add a {PROFILE_FILE} naming the columns"
        )
    idx, mapping, name = found
    titles = [next((c.strip() for c in r if c.strip()), "") for r in rows[:idx]]
    body = [r for r in rows[idx + 1 :] if any(c.strip() for c in r)]
    amount_cols = [mapping[k] for k in ("opening", "debit", "credit", "balance", "amount",
                                        "cum_debit", "cum_credit", "cum_balance") if k in mapping]
    values = [r[c] for r in body for c in amount_cols if c < len(r) and r[c].strip()]
    decimal = (profile or {}).get("decimal") or _decimal_separator(values)
    refs = [r[mapping["account"]].strip() for r in body if mapping["account"] < len(r)]
    refs = [r for r in refs if r]
    numeric = sum(1 for r in refs if re.fullmatch(r"[0-9.\- ]+", r))
    lower = path.name.lower()
    if "date" in mapping and ({"debit", "credit", "amount"} & set(mapping)):
        kind = "ledger"
    elif refs and numeric < len(refs) / 2:
        kind = "subledger-supplier" if any(h in lower for h in SUBLEDGER_HINTS["supplier"]) else "subledger-customer"
    elif any(h in lower for h in SUBLEDGER_HINTS["supplier"]):
        kind = "subledger-supplier"
    elif any(h in lower for h in SUBLEDGER_HINTS["customer"]) and "generale" not in lower:
        kind = "subledger-customer"
    else:
        kind = "balance"
    table = Table(path=path, profile=name, kind=kind, columns=mapping, header_row=idx, rows=body,
                  titles=titles, decimal=decimal)
    table.fiscal_year = _fiscal_year(table, profile)
    return table


def _fiscal_year(table: Table, profile: dict[str, Any] | None) -> FiscalYear | None:
    fy = (profile or {}).get("fiscal_year")
    if fy:
        start, end = dt.date.fromisoformat(fy["start"]), dt.date.fromisoformat(fy["end"])
        return FiscalYear(start=start, end=end, label=fy.get("label") or str(end.year),
                          periods=monthly_periods(start, end))
    for title in table.titles:
        match = re.search(r"\b(?:ex\.?|exercice|boekjaar|fiscal year|jaar|year)\s*(\d{4})\b", title, re.I)
        if match:
            year = int(match.group(1))
            start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
            table.warnings.append(
                f"{table.path.name}: the report names the book year {title!r} but not its dates; "
                f"{start} – {end} is assumed (set fiscal_year in {PROFILE_FILE} if it differs)"
            )
            return FiscalYear(start=start, end=end, label=title, periods=monthly_periods(start, end))
    return None


# --- the source -----------------------------------------------------------------------------------


class TabularSource(Source):
    """One CSV/TXT/XLS/XLSX export (trial balance, subledger balance or ledger)."""

    def __init__(self, path: Path, profile: dict[str, Any] | None = None) -> None:
        super().__init__([path], path.name)
        self.path = path
        self.profile = profile
        self._table: Table | None = None

    def table(self) -> Table:
        if self._table is None:
            self._table = find_table(self.path, self.profile)
        return self._table

    def peek(self) -> tuple[str, str]:
        summary = self.summarize()  # exports are small: the whole file is the cheap way
        return summary.format, summary.company.name if summary.company else ""

    def summarize(self) -> Summary:
        table = self.table()
        table.artefacts = 0
        label = {"winbooks": "Winbooks", "generic": "generic", "custom": "firm profile"}[table.profile]
        what = {"balance": "trial balance", "ledger": "ledger", "subledger-customer": "customer balance",
                "subledger-supplier": "supplier balance"}[table.kind]
        summary = Summary(format=f"{label} {what} ({self.path.suffix.lstrip('.').upper()})",
                          kind={"balance": "balance", "ledger": "ledger"}.get(table.kind, "subledger"))
        summary.warnings.extend(table.warnings)
        if table.titles and table.titles[0]:
            summary.company = Company(ref=table.titles[0], name=table.titles[0])
        if table.fiscal_year:
            summary.fiscal_years = [table.fiscal_year]
        if table.kind == "balance":
            self._balance(table, summary)
        elif table.kind == "ledger":
            self._ledger_summary(table, summary)
        else:
            for row in table.rows:
                ref = table.cell(row, "account")
                if not ref or _norm(ref).startswith(("total", "totaal")):
                    continue
                balance = table.amount(row, "cum_balance" if "cum_balance" in table.columns else "balance")
                summary.subledger.append((ref, table.cell(row, "name"), balance))
        if table.artefacts:
            summary.warnings.append(
                f"{self.name}: {table.artefacts} amount(s) carried unrounded float artefacts "
                f"(e.g. {table.artefact_example}) and were rounded to the cent"
            )
        return summary

    def _balance(self, table: Table, summary: Summary) -> None:
        fy = table.fiscal_year
        if fy is None:
            raise UnreadableFile(
                f"{self.name}: a trial balance without its book year; set fiscal_year in {PROFILE_FILE}"
            )
        cum = "cum_debit" in table.columns and "cum_credit" in table.columns
        dcol, ccol, bcol = ("cum_debit", "cum_credit", "cum_balance") if cum else ("debit", "credit", "balance")
        accounts: dict[str, Account] = {}
        total_d = total_c = Decimal(0)
        for row in table.rows:
            code = table.cell(row, "account")
            if not code or _norm(code).startswith(("total", "totaal")):
                continue
            accounts[code] = Account(code=code, name=table.cell(row, "name"), kind=kind_from_code(code))
            opening = table.amount(row, "opening") if "opening" in table.columns else Decimal(0)
            has_dc = dcol in table.columns or ccol in table.columns
            if has_dc:
                debit, credit = table.amount(row, dcol), table.amount(row, ccol)
            else:
                bal = table.amount(row, bcol if bcol in table.columns else "amount")
                debit, credit = max(bal, Decimal(0)), max(-bal, Decimal(0))
            closing = (table.amount(row, bcol) if bcol in table.columns and has_dc
                       else opening + debit - credit if has_dc else debit - credit)
            total_d += debit
            total_c += credit
            if not (opening or debit or credit or closing):
                continue
            if table.profile == "winbooks" and opening:
                # Winbooks' debit/credit columns include the carried-forward amount (period REP).
                mdebit, mcredit = debit - max(opening, Decimal(0)), credit - max(-opening, Decimal(0))
                if mdebit >= 0 and mcredit >= 0:
                    debit, credit = mdebit, mcredit
                else:
                    opening = Decimal(0)
            if opening + debit - credit != closing:
                summary.warnings.append(
                    f"{self.name}: account {code}: opening {fmt(opening)} + debit {fmt(debit)} − "
                    f"credit {fmt(credit)} is not the balance {fmt(closing)}; the balance is kept"
                )
                opening, debit, credit = Decimal(0), max(closing, Decimal(0)), max(-closing, Decimal(0))
            summary.trial_balance.append(TrialBalanceLine(
                account=code, period_start=fy.start, period_end=fy.end, fiscal_year=fy.label,
                opening=opening, debit=debit, credit=credit, closing=closing))
        summary.accounts = list(accounts.values())
        summary.total_debit, summary.total_credit = total_d, total_c
        if total_d != total_c:
            summary.warnings.append(f"{self.name}: the balance does not balance: debit {fmt(total_d)}, "
                                    f"credit {fmt(total_c)}")
        net = sum((t.closing for t in summary.trial_balance), Decimal(0))
        if net:
            summary.warnings.append(f"{self.name}: the balances do not sum to zero ({fmt(net)})")

    def _ledger_rows(self, table: Table) -> Iterator[dict[str, Any]]:
        """The rows as line records (a signed ``amount``, as ``LedgerLine.from_signed`` takes)."""
        fy = table.fiscal_year
        stem = self.path.stem
        for n, row in enumerate(table.rows, start=table.header_row + 2):
            code = table.cell(row, "account")
            if not code or _norm(code).startswith(("total", "totaal")):
                continue
            raw_date = table.cell(row, "date")
            try:
                date = _parse_date(raw_date)
            except ValueError as exc:
                raise UnreadableFile(f"{self.name} row {n}: {raw_date!r} is not a date") from exc
            if "amount" in table.columns and "debit" not in table.columns:
                signed = table.amount(row, "amount")
            else:
                signed = table.amount(row, "debit") - table.amount(row, "credit")
            entry = table.cell(row, "entry") or f"row{n}"
            period = table.cell(row, "period")
            yield {"amount": signed, "id": f"{stem}:{n}", "entry": f"{stem}:{entry}",
                   "journal": table.cell(row, "journal") or None, "date": date,
                   "period": int(period) if period.isdigit() else None,
                   "fiscal_year": fy.label if fy else None, "account": code, "description": table.cell(row, "name")}

    def _ledger_summary(self, table: Table, summary: Summary) -> None:
        from sfsync_onprem.readers.base import Aggregator

        agg = Aggregator()
        accounts: dict[str, Account] = {}
        entries: dict[str, Decimal] = {}
        for columns in column_batches(self._ledger_rows(table)):
            agg.add_columns(columns)
            for entry, account, debit, credit in zip(columns.column("entry"), columns.column("account"),
                                                     columns.column("debit"), columns.column("credit"),
                                                     strict=True):
                entries[entry] = entries.get(entry, Decimal(0)) + debit - credit
                if account not in accounts:
                    accounts[account] = Account(code=account, kind=kind_from_code(account))
        summary.accounts = list(accounts.values())
        summary.line_count = agg.line_count
        summary.transaction_count = len(entries)
        summary.total_debit, summary.total_credit = agg.total_debit, agg.total_credit
        summary.first_date, summary.last_date = agg.first, agg.last
        if not summary.fiscal_years and agg.first and agg.last:
            start = dt.date(agg.first.year, 1, 1)
            end = dt.date(agg.last.year, 12, 31)
            summary.fiscal_years = [FiscalYear(start=dt.date(y, 1, 1), end=dt.date(y, 12, 31), label=str(y),
                                               periods=monthly_periods(dt.date(y, 1, 1), dt.date(y, 12, 31)))
                                    for y in range(start.year, end.year + 1)]
        if agg.total_debit != agg.total_credit:
            summary.warnings.append(f"{self.name}: the amounts do not sum to zero (debit "
                                    f"{fmt(agg.total_debit)}, credit {fmt(agg.total_credit)})")
        bad = [e for e, v in entries.items() if v]
        if bad:
            summary.warnings.append(f"{self.name}: {len(bad)} entr(y/ies) do not balance: {', '.join(bad[:10])}")
        summary.trial_balance = agg.trial_balance(summary.fiscal_years, [])

    def line_records(self, summary: Summary) -> Iterator[dict[str, Any]]:
        table = self.table()
        if table.kind != "ledger":
            return iter(())
        return self._ledger_rows(table)


def _parse_date(raw: str) -> dt.date:
    raw = raw.strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y%m%d", "%d/%m/%y"):
        try:
            return dt.datetime.strptime(raw[:10] if pattern == "%Y-%m-%d" else raw, pattern).date()
        except ValueError:
            continue
    if re.fullmatch(r"\d{5}(\.0)?", raw):  # an Excel serial date
        return dt.date(1899, 12, 30) + dt.timedelta(days=int(float(raw)))
    raise ValueError(raw)


def load_profile(folder: Path) -> dict[str, Any] | None:
    path = folder / PROFILE_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise UnreadableFile(f"{PROFILE_FILE} in {folder.name} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise UnreadableFile(f"{PROFILE_FILE} in {folder.name} must hold a JSON object")
    return data
