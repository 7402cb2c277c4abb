"""Winbooks (desktop, Belgium) native dossier folders: ``<CODE>_ACF.DBF``, ``_ACT.DBF``, ``_PARAM``…

What is known of the tables comes from the research note (§2.1): ``ACT.BOOKYEAR`` is one base-36
character indexing ``PARAM.BOOKYEARn``; ``PERIOD`` is two digits with ``00`` the opening and ``99``
the closing; ``AMOUNTEUR`` is the signed home-currency amount; an entry is the lines sharing
(``DBKCODE``, ``DBKTYPE``, ``DOCNUMBER``, ``BOOKYEAR``, ``PERIOD``); only open book years are read by
default (closed ones may be incomplete). ``PERDATE`` is read as the start dates of periods 00..N
followed by the last day of the year (periods + 2 dates, as documented).

The tables are read by :mod:`sfsync_onprem.dbf` (streamed; numbers as exact Decimal, never float;
a damaged or truncated table is an ``UnreadableFile`` naming the file, record and field).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from sfsync.models import Account, AccountKind, Company, FiscalYear, Period

from sfsync_onprem import dbf
from sfsync_onprem.readers.base import (
    Aggregator,
    Source,
    Summary,
    UnreadableFile,
    column_batches,
    fmt,
    kind_from_code,
    plausible_amount,
)
from sfsync_onprem.readers.xaf import add_missing_accounts

SKIPPED_DOCNUMBER = "99999999"


def find_tables(folder: Path) -> dict[str, Path]:
    """Table name (``ACT``) → file, case-insensitively, for the dossier whose ACF/ACT are here."""
    tables: dict[str, Path] = {}
    for path in folder.iterdir():
        match = re.fullmatch(r"(.+?)_?([A-Za-z]+)\.dbf", path.name, re.I)
        if match and path.is_file():
            tables[match.group(2).upper()] = path
    return tables


def is_winbooks(folder: Path) -> bool:
    tables = find_tables(folder)
    return "ACF" in tables and "ACT" in tables


def _records(path: Path) -> Iterator[dict[str, Any]]:
    """The live records of a table, keyed by upper-case field name (``UnreadableFile`` if damaged)."""
    yield from dbf.read_dbf(path, encoding="cp1252")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return str(int(value)) if value == value.to_integral_value() else str(value)
    return str(value).strip()


class WinbooksSource(Source):
    """A Winbooks dossier folder (the DBF tables of one company)."""

    def __init__(self, folder: Path, *, include_closed: bool = False) -> None:
        self.tables = find_tables(folder)
        super().__init__(sorted(self.tables.values()), f"{folder.name} (Winbooks DBF)")
        self.folder = folder
        self.include_closed = include_closed

    def peek(self) -> tuple[str, str]:
        return "Winbooks DBF", ""

    def _param(self) -> dict[str, str]:
        path = self.tables.get("PARAM")
        if path is None:
            raise UnreadableFile(f"{self.folder.name}: the Winbooks PARAM table is missing; "
                                 "copy the whole dossier folder")
        values: dict[str, str] = {}
        for rec in _records(path):
            key = _text(rec.get("ID"))
            if key:
                values[key.upper()] = _text(rec.get("VALUE")) + _text(rec.get("VALUEEXT"))
        return values

    def book_years(self) -> dict[int, FiscalYear]:
        param = self._param()
        try:
            count = int(param.get("BOOKYEARCOUNT", "0"))
        except ValueError as exc:
            raise UnreadableFile(f"{self.folder.name}: PARAM BOOKYEARCOUNT is not a number") from exc
        years: dict[int, FiscalYear] = {}
        for n in range(1, count + 1):
            raw = param.get(f"BOOKYEAR{n}.PERDATE", "")
            if len(raw) < 24 or len(raw) % 8:
                continue
            try:
                dates = [dt.datetime.strptime(raw[i : i + 8], "%d%m%Y").date() for i in range(0, len(raw), 8)]
            except ValueError as exc:
                raise UnreadableFile(f"{self.folder.name}: BOOKYEAR{n}.PERDATE {raw!r} is not "
                                     "a list of ddMMyyyy dates") from exc
            start, end = dates[0], dates[-1]
            starts = dates[1:-1]
            periods = [Period(number=0, start=start, end=start)]
            for i, pstart in enumerate(starts, start=1):
                pend = starts[i] - dt.timedelta(days=1) if i < len(starts) else end
                periods.append(Period(number=i, start=pstart, end=pend))
            periods.append(Period(number=99, start=end, end=end))
            status = param.get(f"BOOKYEAR{n}.STATUS", "").lower()
            label = param.get(f"BOOKYEAR{n}.LONGLABEL") or param.get(f"BOOKYEAR{n}.SHORTLABEL") or str(end.year)
            years[n] = FiscalYear(start=start, end=end, label=label, closed=status not in ("open", ""),
                                  periods=tuple(periods))
        if not years:
            raise UnreadableFile(f"{self.folder.name}: PARAM describes no book year (BOOKYEARn.PERDATE)")
        return years

    def summarize(self) -> Summary:
        name = self.folder.name
        summary = Summary(format="Winbooks DBF", kind="ledger", encoding="cp1252")
        years = self.book_years()
        summary.fiscal_years = sorted(years.values(), key=lambda fy: fy.start)
        param = self._param()
        summary.company = Company(ref=name, code=name, name=param.get("COMPANYNAME", "") or name,
                                  vat_number=param.get("VATNUMBER") or None, currency="EUR", country="BE")
        accounts: dict[str, Account] = {}
        for rec in _records(self.tables["ACF"]):
            code = _text(rec.get("NUMBER"))
            if not code or _text(rec.get("TYPE")) == "9":  # 9 = a title/heading, not an account
                continue
            accounts[code] = Account(code=code, name=_text(rec.get("NAME11")) or _text(rec.get("NAME12")),
                                     kind=kind_from_code(code))
        summary.accounts = list(accounts.values())
        agg = Aggregator()
        entries: dict[str, Decimal] = defaultdict(Decimal)
        for columns in column_batches(self._lines(years, summary, collect=True)):
            agg.add_columns(columns)
            for entry, debit, credit in zip(columns.column("entry"), columns.column("debit"),
                                            columns.column("credit"), strict=True):
                entries[entry] += debit - credit
        summary.line_count = agg.line_count
        summary.transaction_count = len(entries)
        summary.total_debit, summary.total_credit = agg.total_debit, agg.total_credit
        summary.first_date, summary.last_date = agg.first, agg.last
        bad = [e for e, v in entries.items() if v]
        for entry in bad[:20]:
            summary.warnings.append(f"{name}: entry {entry} does not balance "
                                    f"(debit − credit = {fmt(entries[entry])})")
        if len(bad) > 20:
            summary.warnings.append(f"{name}: {len(bad) - 20} more entries do not balance")
        add_missing_accounts(summary, agg.accounts_used, name)
        for n, fy in years.items():
            archive = param.get(f"BOOKYEAR{n}.PATHARCH", "")
            if archive:
                summary.warnings.append(
                    f"{name}: book year {fy.label} is archived in another folder ({archive}); it is "
                    "not read: copy that folder's tables here to bring it"
                )
        read = [fy for fy in summary.fiscal_years if self.include_closed or not fy.closed]
        if read:  # a re-read replaces the years it reads, not the closed ones it leaves alone
            summary.covered = (min(fy.start for fy in read), max(fy.end for fy in read))
        summary.trial_balance = agg.trial_balance(read, [])
        return summary

    def line_records(self, summary: Summary) -> Iterator[dict[str, Any]]:
        return self._lines(self.book_years(), Summary(format=summary.format), collect=False)

    def _lines(self, years: dict[int, FiscalYear], summary: Summary, *,
               collect: bool) -> Iterator[dict[str, Any]]:
        """The ACT lines as records (a signed ``amount``, as ``LedgerLine.from_signed`` takes)."""
        name = self.folder.name
        skipped_closed = skipped_99 = dropped = 0
        ordinals: dict[str, int] = defaultdict(int)
        for n, rec in enumerate(_records(self.tables["ACT"]), start=1):
            by_char = _text(rec.get("BOOKYEAR"))
            period_raw = _text(rec.get("PERIOD"))
            if not by_char or not period_raw:
                dropped += 1
                continue
            try:
                fy = years[int(by_char, 36)]
            except (ValueError, KeyError):
                raise UnreadableFile(f"{name}: ACT record {n} has book year {by_char!r}, which PARAM "
                                     "does not describe") from None
            if fy.closed and not self.include_closed:
                skipped_closed += 1
                continue
            docnumber = _text(rec.get("DOCNUMBER"))
            if docnumber == SKIPPED_DOCNUMBER:
                skipped_99 += 1
                continue
            period = int(period_raw) if period_raw.isdigit() else None
            date = rec.get("DATE") or rec.get("DATEDOC")
            if not isinstance(date, dt.date):
                match = next((p for p in fy.periods if p.number == period), None)
                date = match.start if match else fy.start
            field = "AMOUNTEUR" if rec.get("AMOUNTEUR") is not None else "AMOUNT"
            amount = plausible_amount(rec.get(field) or Decimal(0), raw=rec.get(field),
                                      where=f"{name}: ACT record {n} field {field}")
            dbk = _text(rec.get("DBKCODE"))
            entry = f"{fy.label}:{dbk}:{_text(rec.get('DBKTYPE'))}:{docnumber}:{period_raw}"
            order = _text(rec.get("DOCORDER")) or "BAL"
            ordinals[f"{entry}:{order}"] += 1
            account = _text(rec.get("ACCOUNTGL"))
            if not account:
                raise UnreadableFile(f"{name}: ACT record {n} has no ACCOUNTGL")
            currency = _text(rec.get("CURRCODE")) or None
            foreign = rec.get("CURRAMOUNT") if currency and currency != "EUR" else None
            if foreign is not None:
                foreign = plausible_amount(foreign, raw=foreign, where=f"{name}: ACT record {n} field CURRAMOUNT")
            yield {
                "amount": amount,
                "id": f"{entry}:{order}:{ordinals[f'{entry}:{order}']}",
                "entry": entry,
                "journal": dbk or None,
                "date": date,
                "period": period,
                "fiscal_year": fy.label,
                "account": account,
                "description": _text(rec.get("COMMENT")),
                "currency": currency if foreign is not None else None,
                "foreign_amount": foreign,
                "counterparty": _text(rec.get("ACCOUNTRP")) or None,
                "vat_code": _text(rec.get("VATCODE")) or None,
            }
        if collect:
            if skipped_closed:
                summary.warnings.append(f"{name}: {skipped_closed} lines of closed book years were not "
                                        "read (closed years may be incomplete)")
            if skipped_99:
                summary.warnings.append(f"{name}: {skipped_99} lines with document number 99999999 were skipped")
            if dropped:
                summary.warnings.append(f"{name}: {dropped} lines without book year or period were skipped")


__all__ = ["AccountKind", "WinbooksSource", "find_tables", "is_winbooks"]
