"""SAF-T Financial, Norwegian 1.10 and 1.30 (``urn:StandardAuditFile-Taxation-Financial:NO``).

Same rules as XAF: streamed, declared totals (``NumberOfEntries`` = transactions, ``TotalDebit``,
``TotalCredit``) compared with computed ones as warnings, opening balances from the accounts'
``OpeningDebitBalance``/``OpeningCreditBalance`` and closing balances tied out.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from lxml import etree  # type: ignore[import-untyped,unused-ignore]
from sfsync.models import Account, AccountKind, Company, FiscalYear, OpeningBalance

from sfsync_onprem.readers.base import (
    Aggregator,
    Source,
    Summary,
    UnreadableFile,
    column_batches,
    fmt,
    month_end,
    monthly_periods,
    to_date,
    to_decimal,
)
from sfsync_onprem.readers.xaf import _Warnings, add_missing_accounts
from sfsync_onprem.readers.xmlsafe import (
    EncodingMismatch,
    child_text,
    iterparse,
    localname,
    release,
)

SAFT_NO = "urn:StandardAuditFile-Taxation-Financial:NO"

_TAGS = (
    "Header", "Account", "Customer", "Supplier", "NumberOfEntries", "TotalDebit", "TotalCredit",
    "Line", "Transaction",
)  # fmt: skip


def is_saft(namespace: str, root: str) -> bool:
    return root == "AuditFile" and "StandardAuditFile" in namespace


class SaftSource(Source):
    """One SAF-T Financial file."""

    def __init__(self, path: Path, namespace: str) -> None:
        super().__init__([path], path.name)
        self.path = path
        self.ns = "{" + namespace + "}"

    def peek(self) -> tuple[str, str]:
        ns = self.ns
        for elem in iterparse(self.path, [ns + "Header"]):
            comp = elem.find(f"{ns}Company")
            version = child_text(elem, ns, "AuditFileVersion")
            label = "1.30" if version.startswith(("1.3", "1.2")) else "1.10"
            return f"SAF-T NO {label}", child_text(comp, ns, "Name") if comp is not None else ""
        return "SAF-T NO", ""

    def summarize(self) -> Summary:
        try:
            return self._summarize(None)
        except EncodingMismatch:
            summary = self._summarize("cp1252")
            summary.warnings.insert(
                0, f"{self.name}: the bytes do not match the declared encoding; read as cp1252"
            )
            return summary

    def _summarize(self, encoding: str | None) -> Summary:
        summary = Summary(format="SAF-T NO", encoding=encoding)
        agg = Aggregator()
        for columns in column_batches(self._walk(summary, encoding, collect=True)):
            agg.add_columns(columns)
        self._finish(summary, agg)
        return summary

    def line_records(self, summary: Summary) -> Iterator[dict[str, Any]]:
        return self._walk(Summary(format=summary.format), summary.encoding, collect=False)

    def _walk(self, summary: Summary, encoding: str | None, *, collect: bool) -> Iterator[dict[str, Any]]:
        ns = self.ns
        name = self.name
        warn = _Warnings(summary)
        accounts: dict[str, Account] = {}
        self._balances: dict[str, tuple[Decimal, Decimal]] = {}
        tr_elem: etree._Element | None = None
        jrn_elem: etree._Element | None = None
        jrn_id = ""
        entry = ""
        tr_date: dt.date | None = None
        tr_period: int | None = None
        tr_year = ""
        tr_desc = ""
        tr_balance = Decimal(0)
        tr_lines = 0
        transactions = 0
        line_no = 0
        seen: set[str] = set()
        fy_label = ""
        for elem in iterparse(self.path, [ns + t for t in _TAGS], encoding=encoding):
            tag = localname(elem.tag)
            parent = elem.getparent()
            ptag = localname(parent.tag) if parent is not None else ""
            if tag == "Line" and ptag == "Transaction":
                tr = parent
                if tr is not tr_elem:
                    tr_elem = tr
                    jrn = tr.getparent()
                    if jrn is not jrn_elem and jrn is not None:
                        jrn_elem = jrn
                        jrn_id = child_text(jrn, ns, "JournalID")
                    nr = child_text(tr, ns, "TransactionID")
                    tr_year = child_text(tr, ns, "PeriodYear") or fy_label
                    entry = f"{tr_year}:{jrn_id}:{nr}"
                    if entry in seen:
                        k = 2
                        while f"{entry}#{k}" in seen:
                            k += 1
                        entry = f"{entry}#{k}"
                    seen.add(entry)
                    raw = child_text(tr, ns, "TransactionDate") or child_text(tr, ns, "GLPostingDate")
                    tr_date = to_date(raw, where=f"{name} transaction {nr}") if raw else None
                    raw_period = child_text(tr, ns, "Period")
                    tr_period = int(raw_period) if raw_period.isdigit() else None
                    tr_desc = child_text(tr, ns, "Description")
                    tr_balance = Decimal(0)
                    tr_lines = 0
                    tr_ids: set[str] = set()
                    transactions += 1
                line_no += 1
                tr_lines += 1
                record = self._record(elem, entry, jrn_id, tr_date, tr_period, tr_desc, tr_year, tr_lines,
                                      line_no)
                if record["id"] in tr_ids:
                    record["id"] = f"{record['id']}#{tr_lines}"
                tr_ids.add(record["id"])
                tr_balance += record["debit"] - record["credit"]
                yield record
                release(elem)
            elif tag == "Transaction":
                if collect and tr_lines and tr_balance != 0:
                    warn.add("unbalanced", f"{name}: entry {entry} does not balance "
                             f"(debit − credit = {fmt(tr_balance)})")
                tr_elem = None
                tr_lines = 0
                release(elem)
            elif tag in ("NumberOfEntries", "TotalDebit", "TotalCredit"):
                if ptag == "GeneralLedgerEntries":
                    summary.declared[tag] = (elem.text or "").strip()
            elif tag == "Header":
                self._header(elem, summary)
                fy_label = summary.fiscal_years[0].label if summary.fiscal_years else ""
            elif tag == "Account" and ptag == "GeneralLedgerAccounts":
                code = child_text(elem, ns, "AccountID")
                if code:
                    grouping = child_text(elem, ns, "GroupingCategory")
                    if grouping:
                        summary.extra["version"] = "1.30"
                    accounts[code] = Account(code=code, name=child_text(elem, ns, "AccountDescription"),
                                             kind=_kind(child_text(elem, ns, "StandardAccountID")
                                                        or child_text(elem, ns, "GroupingCode") or code))
                    vals = [to_decimal(child_text(elem, ns, t), where=f"{name} account {code}")
                            for t in ("OpeningDebitBalance", "OpeningCreditBalance",
                                      "ClosingDebitBalance", "ClosingCreditBalance")]
                    self._balances[code] = (vals[0] - vals[1], vals[2] - vals[3])
                release(elem)
            elif tag in ("Customer", "Supplier"):
                release(elem)
        if collect:
            warn.close()
            summary.accounts = list(accounts.values())
            summary.transaction_count = transactions

    def _header(self, elem: etree._Element, summary: Summary) -> None:
        ns = self.ns
        version = child_text(elem, ns, "AuditFileVersion")
        summary.extra["declared_version"] = version
        summary.extra.setdefault("version", "1.30" if version.startswith(("1.3", "1.2")) else "1.10")
        currency = child_text(elem, ns, "DefaultCurrencyCode")
        comp = elem.find(f"{ns}Company")
        cname = child_text(comp, ns, "Name") if comp is not None else ""
        regno = child_text(comp, ns, "RegistrationNumber") if comp is not None else ""
        summary.company = Company(ref=regno or cname or self.name, code=regno, name=cname,
                                  currency=currency or None, country="NO", vat_number=regno or None)
        selected = self._selection(elem.find(f"{ns}SelectionCriteria"))
        declared = self._declared_year(elem)
        if declared is not None:  # a header that names the fiscal year (SAF-T PT: FiscalYear, StartDate, EndDate)
            start, end, label = declared
        elif selected is not None:
            # SAF-T NO names only the selection: periods (or dates) of the book year, which may
            # be part of it. A partial extract must not define a short year: the year is widened
            # to the book years it lies in (calendar years: the file says no more).
            start, end = dt.date(selected[0].year, 1, 1), dt.date(selected[1].year, 12, 31)
            label = str(start.year) if start.year == end.year else f"{start.year}-{end.year}"
            if (start, end) != selected:
                summary.warnings.append(
                    f"{self.name} selects {selected[0]} – {selected[1]}, part of the book year: the fiscal "
                    f"year is taken as {start} – {end} (calendar book years; override the link's fiscal "
                    "years if the company's differ), and an import replaces only the selected dates"
                )
        else:
            return
        summary.fiscal_years = [FiscalYear(start=start, end=end, label=label, periods=monthly_periods(start, end))]
        if selected is not None and selected != (start, end):
            summary.covers = selected

    def _declared_year(self, header: etree._Element) -> tuple[dt.date, dt.date, str] | None:
        ns = self.ns
        start_text, end_text = child_text(header, ns, "StartDate"), child_text(header, ns, "EndDate")
        if not (start_text and end_text):
            return None
        start, end = to_date(start_text, where=self.name), to_date(end_text, where=self.name)
        if end < start:
            raise UnreadableFile(f"{self.name}: the header's fiscal year ends ({end}) before it starts ({start})")
        return start, end, child_text(header, ns, "FiscalYear") or str(end.year)

    def _selection(self, crit: etree._Element | None) -> tuple[dt.date, dt.date] | None:
        if crit is None:
            return None
        ns = self.ns
        start_date = child_text(crit, ns, "SelectionStartDate")
        end_date = child_text(crit, ns, "SelectionEndDate")
        if start_date and end_date:
            return to_date(start_date, where=self.name), to_date(end_date, where=self.name)
        try:
            sy, sp = int(child_text(crit, ns, "PeriodStartYear")), int(child_text(crit, ns, "PeriodStart"))
            ey, ep = int(child_text(crit, ns, "PeriodEndYear")), int(child_text(crit, ns, "PeriodEnd"))
        except ValueError as exc:
            raise UnreadableFile(f"{self.name}: SelectionCriteria has no usable period") from exc
        return dt.date(sy, max(1, min(sp, 12)), 1), month_end(dt.date(ey, max(1, min(ep, 12)), 1))

    def _record(self, elem: etree._Element, entry: str, jrn_id: str, tr_date: dt.date | None,
                tr_period: int | None, tr_desc: str, fy: str, ordinal: int, line_no: int) -> dict[str, Any]:
        ns = self.ns
        where = f"{self.name} line {line_no}"
        record = child_text(elem, ns, "RecordID") or f"#{ordinal}"
        account = child_text(elem, ns, "AccountID")
        if not account:
            raise UnreadableFile(f"{where}: line without an AccountID")
        debit = credit = Decimal(0)
        currency = None
        foreign = None
        for side in ("DebitAmount", "CreditAmount"):
            block = elem.find(f"{ns}{side}")
            if block is None:
                continue
            amount = to_decimal(child_text(block, ns, "Amount"), where=where)
            if side == "DebitAmount":
                debit += amount
            else:
                credit += amount
            code = child_text(block, ns, "CurrencyCode")
            cur_amount = child_text(block, ns, "CurrencyAmount")
            if code and cur_amount:
                value = to_decimal(cur_amount, where=where)
                currency, foreign = code, value if side == "DebitAmount" else -value
        if debit < 0:
            debit, credit = Decimal(0), credit - debit
        if credit < 0:
            debit, credit = debit - credit, Decimal(0)
        raw = child_text(elem, ns, "ValueDate")
        date = tr_date or (to_date(raw, where=where) if raw else None)
        if date is None:
            raise UnreadableFile(f"{where}: neither the transaction nor the line has a date")
        tax = elem.find(f"{ns}TaxInformation")
        return {
            "id": f"{entry}:{record}",
            "entry": entry,
            "journal": jrn_id or None,
            "date": date,
            "period": tr_period,
            "fiscal_year": fy or None,
            "account": account,
            "description": child_text(elem, ns, "Description") or tr_desc,
            "debit": debit,
            "credit": credit,
            "currency": currency,
            "foreign_amount": foreign,
            "counterparty": child_text(elem, ns, "CustomerID") or child_text(elem, ns, "SupplierID") or None,
            "vat_code": child_text(tax, ns, "TaxCode") or None if tax is not None else None,
        }

    def _finish(self, summary: Summary, agg: Aggregator) -> None:
        name = self.name
        summary.format = f"SAF-T NO {summary.extra.get('version', '1.10')}"
        summary.line_count = agg.line_count
        summary.total_debit = agg.total_debit
        summary.total_credit = agg.total_credit
        summary.first_date = agg.first
        summary.last_date = agg.last
        declared = summary.declared
        if declared.get("NumberOfEntries"):
            n = int(declared["NumberOfEntries"])
            if n != summary.transaction_count:
                summary.warnings.append(f"{name}: declared NumberOfEntries {n} differs from the "
                                        f"{summary.transaction_count} transactions read")
        for label, computed in (("TotalDebit", agg.total_debit), ("TotalCredit", agg.total_credit)):
            if declared.get(label):
                value = to_decimal(declared[label], where=name)
                if value != computed:
                    summary.warnings.append(f"{name}: declared {label} {fmt(value)} differs from "
                                            f"the computed {fmt(computed)}")
        if agg.total_debit != agg.total_credit:
            summary.warnings.append(f"{name}: the lines do not balance over the file: debit "
                                    f"{fmt(agg.total_debit)}, credit {fmt(agg.total_credit)}")
        start = summary.fiscal_years[0].start if summary.fiscal_years else agg.first
        movement: dict[str, Decimal] = defaultdict(Decimal)
        for (_fy, _p, account), (d, c) in agg.buckets.items():
            movement[account] += d - c
        opening_sum = Decimal(0)
        mismatched = []
        for code, (opening, closing) in self._balances.items():
            opening_sum += opening
            if opening and start:
                summary.opening_balances.append(OpeningBalance(account=code, date=start, amount=opening))
            if opening + movement.get(code, Decimal(0)) != closing:
                mismatched.append(code)
        if opening_sum:
            summary.warnings.append(f"{name}: the accounts' opening balances do not net to zero "
                                    f"({fmt(opening_sum)})")
        if mismatched:
            summary.warnings.append(
                f"{name}: {len(mismatched)} account(s) whose declared closing balance is not the "
                f"opening balance plus the lines: {', '.join(mismatched[:10])}"
            )
        add_missing_accounts(summary, agg.accounts_used, name)
        summary.trial_balance = agg.trial_balance(summary.fiscal_years, summary.opening_balances)


def _kind(code: str) -> AccountKind:
    # Norwegian standard chart (NS 4102): classes 1-2 balance sheet, 3-8 profit and loss.
    first = code[:1]
    if first in {"1", "2"}:
        return AccountKind.BALANCE_SHEET
    if first in {"3", "4", "5", "6", "7", "8"}:
        return AccountKind.PROFIT_LOSS
    return AccountKind.UNKNOWN
