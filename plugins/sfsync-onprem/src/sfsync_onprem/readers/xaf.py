"""XAF, the Dutch XML Auditfile Financieel: 3.0, 3.1, 3.2, 3.2.1 and 4.0, streamed.

The version is told by the root namespace. The file is read with ``iterparse`` on end events of the
few elements that matter, and every processed element is released, so a file of a million lines
reads in flat memory. A first full pass (:meth:`XafSource.summarize`) checks the declared totals
against the computed ones and the balance of every transaction (differences are warnings, not
crashes); the ledger pass streams the lines.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from lxml import etree  # type: ignore[import-untyped,unused-ignore]
from sfsync.models import (
    Account,
    AccountKind,
    Company,
    FiscalYear,
    OpeningBalance,
    Period,
)

from sfsync_onprem.readers.base import (
    Aggregator,
    Source,
    Summary,
    UnreadableFile,
    fmt,
    implausible,
    monthly_periods,
    to_date,
    to_decimal,
)
from sfsync_onprem.readers.xmlsafe import (
    EncodingMismatch,
    child_text,
    iterparse,
    localname,
    release,
)

NAMESPACES = {
    "http://www.auditfiles.nl/XAF/3.0": "3.0",
    "http://www.auditfiles.nl/XAF/3.1": "3.1",
    "http://www.auditfiles.nl/XAF/3.2": "3.2",
    "http://www.odb.belastingdienst.nl/Belastingdienst/BCPP/1.0/structures/XmlAuditfileFinancieel3.2.1": "3.2.1",
    "http://www.odb.belastingdienst.nl/Belastingdienst/BCPP/1.1/structures/XmlauditfileXAF_4.0": "4.0",
}

MAX_LISTED = 20

_TAGS = (
    "header", "companyIdent", "companyName", "taxRegIdent", "taxRegistrationCountry",
    "Commercenr", "customerSupplier", "ledgerAccount", "period", "obLine", "linesCount",
    "totalDebit", "totalCredit", "opBalDate", "trLine", "transaction",
)  # fmt: skip


def xaf_version(namespace: str) -> str | None:
    if namespace in NAMESPACES:
        return NAMESPACES[namespace]
    low = namespace.lower()
    if "xaf_4" in low or "xaf4" in low:
        return "4.0"
    if "auditfilefinancieel3.2.1" in low:
        return "3.2.1"
    if low.startswith("http://www.auditfiles.nl/xaf/"):
        return low.rsplit("/", 1)[1]
    return None


class _Warnings:
    def __init__(self, summary: Summary) -> None:
        self.summary = summary
        self.counts: dict[str, int] = {}

    def add(self, kind: str, message: str) -> None:
        n = self.counts.get(kind, 0) + 1
        self.counts[kind] = n
        if n <= MAX_LISTED:
            self.summary.warnings.append(message)

    def close(self) -> None:
        for kind, n in self.counts.items():
            if n > MAX_LISTED:
                self.summary.warnings.append(f"{n - MAX_LISTED} more warnings of the kind {kind!r}")


class XafSource(Source):
    """One auditfile (``.xaf`` / ``.xml``)."""

    def __init__(self, path: Path, namespace: str) -> None:
        super().__init__([path], path.name)
        self.path = path
        self.ns = "{" + namespace + "}" if namespace else ""
        self.version = xaf_version(namespace) or "3.x"
        self._names: dict[str, str] = {}

    def peek(self) -> tuple[str, str]:
        name = ""
        ns = self.ns
        for elem in iterparse(self.path, [ns + "companyName", ns + "transactions"]):
            if localname(elem.tag) == "companyName":
                name = (elem.text or "").strip()
            break
        return f"XAF {self.version}", name

    # -- the two passes ------------------------------------------------------------------------

    def summarize(self) -> Summary:
        try:
            return self._summarize(None)
        except EncodingMismatch:
            summary = self._summarize("cp1252")
            summary.warnings.insert(
                0,
                f"{self.name}: the bytes do not match the declared encoding; read as cp1252 "
                "(Windows-1252), as Dutch packages often write it",
            )
            return summary

    def _summarize(self, encoding: str | None) -> Summary:
        summary = Summary(format=f"XAF {self.version}", encoding=encoding)
        agg = Aggregator()
        for line in self._walk(summary, encoding, collect=True):
            agg.add(line)
        self._finish(summary, agg)
        return summary

    def line_records(self, summary: Summary) -> Iterator[dict[str, Any]]:
        # Plain values, validated a batch at a time by ``batches``/``lines``.
        return self._walk(Summary(format=summary.format), summary.encoding, collect=False)

    # -- the walk ------------------------------------------------------------------------------

    def records(self, summary: Summary) -> Iterator[dict[str, Any]]:
        # The sync service sends plain values (the connector validates them, a batch at a time).
        for values in self._walk(Summary(format=summary.format), summary.encoding, collect=False):
            yield {k: v for k, v in values.items() if v is not None}

    def _walk(self, summary: Summary, encoding: str | None, *, collect: bool) -> Iterator[Any]:
        ns = self.ns
        name = self.name
        warn = _Warnings(summary)
        self._warn = warn
        tags = [ns + t for t in _TAGS]
        header: dict[str, str] = {}
        company: dict[str, str] = {}
        accounts: dict[str, Account] = {}
        periods: list[Period] = []
        openings: list[OpeningBalance] = []
        ob_date: dt.date | None = None
        fy_label = ""
        home_currency = ""
        tr_elem: etree._Element | None = None
        jrn_elem: etree._Element | None = None
        jrn_id = ""
        entry = ""
        tr_date: dt.date | None = None
        tr_period: int | None = None
        tr_desc = ""
        tr_balance = Decimal(0)
        tr_lines = 0
        seen_entries: set[str] = set()
        transactions = 0
        line_no = 0
        fy_range: tuple[dt.date, dt.date] | None = None

        names = self._names
        for elem in iterparse(self.path, tags, encoding=encoding):
            tag = names.get(elem.tag) or names.setdefault(elem.tag, localname(elem.tag))
            if tag == "trLine":
                tr = elem.getparent()
                if tr is not tr_elem:
                    tr_elem = tr
                    jrn = tr.getparent() if tr is not None else None
                    if jrn is not jrn_elem and jrn is not None:
                        jrn_elem = jrn
                        jrn_id = child_text(jrn, ns, "jrnID")
                    nr = child_text(tr, ns, "nr")
                    entry = f"{fy_label}:{jrn_id}:{nr}"
                    if entry in seen_entries:
                        k = 2
                        while f"{entry}#{k}" in seen_entries:
                            k += 1
                        entry = f"{entry}#{k}"
                    seen_entries.add(entry)
                    raw_date = child_text(tr, ns, "trDt")
                    tr_date = to_date(raw_date, where=f"{name} transaction {nr}") if raw_date else None
                    raw_period = child_text(tr, ns, "periodNumber")
                    tr_period = int(raw_period) if raw_period.isdigit() else None
                    tr_desc = child_text(tr, ns, "desc")
                    tr_balance = Decimal(0)
                    tr_lines = 0
                    tr_ids: set[str] = set()
                    transactions += 1
                line_no += 1
                tr_lines += 1
                values = self._line(elem, entry, jrn_id, tr_date, tr_period, tr_desc, fy_label,
                                    home_currency, tr_lines, line_no)
                if values["id"] in tr_ids:  # line numbers repeat within a transaction (Banana)
                    values["id"] = f"{values['id']}#{tr_lines}"
                tr_ids.add(values["id"])
                # The summary pass only adds up: a light record; the ledger pass yields the
                # plain values, validated a batch at a time (LedgerColumns).
                tr_balance += values["debit"] - values["credit"]
                if collect:
                    line = _Light(values)
                    if fy_range and not (fy_range[0] <= line.date <= fy_range[1]):
                        warn.add("outside", f"{name}: line {line.id} is dated {line.date}, outside "
                                 f"the fiscal year {fy_range[0]} – {fy_range[1]}")
                    yield line
                else:
                    yield values
                release(elem)
                continue
            parent = elem.getparent()
            ptag = localname(parent.tag) if parent is not None else ""
            if tag == "transaction":
                if collect and tr_lines and tr_balance != 0:
                    warn.add("unbalanced", f"{name}: entry {entry} does not balance "
                             f"(debit − credit = {fmt(tr_balance)})")
                tr_elem = None
                tr_lines = 0
                release(elem)
            elif tag in ("linesCount", "totalDebit", "totalCredit"):
                if ptag in ("transactions", "openingBalance"):
                    summary.declared[f"{ptag}.{tag}"] = (elem.text or "").strip()
            elif tag == "header":
                for child in elem:
                    if isinstance(child.tag, str):
                        header[localname(child.tag)] = (child.text or "").strip()
                fy_label = header.get("fiscalYear", "")
                home_currency = header.get("curCode", "")
                try:
                    fy_range = (to_date(header.get("startDate"), where=f"{name} header"),
                                to_date(header.get("endDate"), where=f"{name} header"))
                except UnreadableFile:
                    fy_range = None
            elif tag in ("companyIdent", "companyName", "taxRegIdent", "taxRegistrationCountry",
                         "Commercenr"):
                if ptag == "company":
                    company[tag] = (elem.text or "").strip()
            elif tag == "customerSupplier":
                release(elem)
            elif tag == "ledgerAccount":
                code = child_text(elem, ns, "accID")
                if code:
                    tp = child_text(elem, ns, "accTp").upper()
                    kind = {"B": AccountKind.BALANCE_SHEET, "P": AccountKind.PROFIT_LOSS}.get(
                        tp, AccountKind.UNKNOWN
                    )
                    if code in accounts:
                        warn.add("dupacc", f"{name}: account {code} is declared twice")
                    accounts[code] = Account(code=code, name=child_text(elem, ns, "accDesc"), kind=kind)
                release(elem)
            elif tag == "period":
                if ptag == "periods":
                    num = child_text(elem, ns, "periodNumber")
                    start = child_text(elem, ns, "startDatePeriod")
                    end = child_text(elem, ns, "endDatePeriod")
                    if num.isdigit() and start and end:
                        try:
                            periods.append(Period(number=int(num), start=to_date(start, where=name),
                                                  end=to_date(end, where=name)))
                        except (ValueError, UnreadableFile):
                            warn.add("period", f"{name}: period {num} has unusable dates")
                release(elem)
            elif tag == "opBalDate":
                if ptag == "openingBalance" and elem.text:
                    ob_date = to_date(elem.text, where=f"{name} openingBalance")
            elif tag == "obLine":
                acc = child_text(elem, ns, "accID")
                amount = to_decimal(child_text(elem, ns, "amnt"), where=f"{name} opening balance (file line {elem.sourceline})")
                side = child_text(elem, ns, "amntTp").upper()
                signed = amount if side != "C" else -amount
                when = ob_date or (fy_range[0] if fy_range else None)
                if acc and when:
                    openings.append(OpeningBalance(account=acc, date=when, amount=signed))
                release(elem)

        if not collect:
            return
        warn.close()
        summary.transaction_count = transactions
        summary.extra["header"] = "1" if header else ""
        if not header:
            raise UnreadableFile(f"{name}: no auditfile header; is this an XAF file?")
        summary.company = Company(
            ref=company.get("companyIdent") or company.get("Commercenr") or company.get("companyName") or name,
            code=company.get("companyIdent") or company.get("Commercenr", ""),
            name=company.get("companyName", ""),
            vat_number=company.get("taxRegIdent") or None,
            currency=home_currency or None,
            country=company.get("taxRegistrationCountry") or None,
        )
        if fy_range:
            good = [p for p in periods if fy_range[0] <= p.start and p.end <= fy_range[1]]
            if len(good) != len(periods):
                summary.warnings.append(
                    f"{name}: {len(periods) - len(good)} period(s) lie outside the fiscal year; "
                    "months are used instead"
                )
                good = list(monthly_periods(*fy_range))
            summary.fiscal_years = [
                FiscalYear(start=fy_range[0], end=fy_range[1], label=fy_label or str(fy_range[0].year),
                           periods=tuple(sorted(good, key=lambda p: p.number)))
            ]
        summary.accounts = list(accounts.values())
        summary.opening_balances = openings

    def _line(self, elem: etree._Element, entry: str, jrn_id: str, tr_date: dt.date | None,
              tr_period: int | None, tr_desc: str, fy_label: str, home: str, ordinal: int,
              line_no: int) -> dict[str, Any]:
        ns = self.ns
        where = _Where(self.name, line_no)
        fields: dict[str, str] = {}
        currency_code = ""
        currency_amount = ""
        vat_code = ""
        names = self._names
        for child in elem:
            ctag = child.tag
            tag = names.get(ctag)
            if tag is None:
                if not isinstance(ctag, str):
                    continue
                tag = names.setdefault(ctag, localname(ctag))
            if tag == "currency":
                currency_code = child_text(child, ns, "curCode")
                currency_amount = child_text(child, ns, "curAmnt")
            elif tag == "vat":
                vat_code = vat_code or child_text(child, ns, "vatID")
            else:
                fields[tag] = (child.text or "").strip()
        side = fields.get("amntTp", "").upper()
        if "amnt" in fields:
            try:
                amount = Decimal(fields["amnt"])
                if implausible(amount) or "e" in fields["amnt"] or "E" in fields["amnt"]:
                    raise ValueError
            except (ArithmeticError, ValueError):  # to_decimal says what is wrong with it, or accepts it
                amount = to_decimal(fields["amnt"], where=str(where))
            debit, credit = (amount, Decimal(0)) if side != "C" else (Decimal(0), amount)
        else:  # older dialects with separate debit/credit amounts
            debit = to_decimal(fields.get("debitAmnt") or fields.get("amntDeb"), where=str(where))
            credit = to_decimal(fields.get("creditAmnt") or fields.get("amntCred"), where=str(where))
        if debit < 0:  # a negative amount on one side is booked on the other
            debit, credit = Decimal(0), credit - debit
        if credit < 0:
            debit, credit = debit - credit, Decimal(0)
        raw_date = fields.get("effDate", "")
        date = tr_date or (to_date(raw_date, where=str(where)) if raw_date else None)
        if date is None:
            raise UnreadableFile(f"{where}: neither the transaction nor the line has a date")
        account = fields.get("accID", "")
        if not account:
            raise UnreadableFile(f"{where}: line without an account (accID)")
        nr = fields.get("nr") or str(ordinal)
        foreign = None
        if currency_code and currency_amount and currency_code != home:
            value = to_decimal(currency_amount, where=str(where))
            foreign = value if side != "C" else -value
        return {
            "id": f"{entry}:{nr}" if fields.get("nr") else f"{entry}:#{ordinal}",
            "entry": entry,
            "journal": jrn_id or None,
            "date": date,
            "period": tr_period,
            "fiscal_year": fy_label or None,
            "account": account,
            "description": fields.get("desc") or tr_desc,
            "debit": debit,
            "credit": credit,
            "currency": currency_code if foreign is not None else None,
            "foreign_amount": foreign,
            "counterparty": fields.get("custSupID") or None,
            "vat_code": vat_code or None,
        }

    def _finish(self, summary: Summary, agg: Aggregator) -> None:
        name = self.name
        summary.line_count = agg.line_count
        summary.total_debit = agg.total_debit
        summary.total_credit = agg.total_credit
        summary.first_date = agg.first
        summary.last_date = agg.last
        compare_declared(summary, name, "transactions", agg.line_count, agg.total_debit,
                         agg.total_credit, count_word="lines")
        if agg.total_debit != agg.total_credit:
            summary.warnings.append(
                f"{name}: the lines do not balance over the file: debit {fmt(agg.total_debit)}, "
                f"credit {fmt(agg.total_credit)}"
            )
        ob_debit = sum((o.amount for o in summary.opening_balances if o.amount > 0), Decimal(0))
        ob_credit = -sum((o.amount for o in summary.opening_balances if o.amount < 0), Decimal(0))
        if summary.opening_balances or any(k.startswith("openingBalance") for k in summary.declared):
            compare_declared(summary, name, "openingBalance", len(summary.opening_balances),
                             ob_debit, ob_credit, count_word="opening lines")
            if ob_debit != ob_credit:
                summary.warnings.append(
                    f"{name}: the opening balance does not sum to zero (debit {fmt(ob_debit)}, "
                    f"credit {fmt(ob_credit)})"
                )
        add_missing_accounts(summary, agg.accounts_used | {o.account for o in summary.opening_balances}, name)
        summary.trial_balance = agg.trial_balance(summary.fiscal_years, summary.opening_balances)


class _Light:
    """What the summary pass needs of a line (building the pydantic model costs half the time).

    The values are checked as the model would (account and date present, amounts non-negative
    Decimals), so a file that summarises cleanly also streams cleanly."""

    __slots__ = ("account", "credit", "date", "debit", "fiscal_year", "id", "period")

    def __init__(self, values: dict[str, Any]) -> None:
        self.id = values["id"]
        self.date = values["date"]
        self.period = values["period"]
        self.fiscal_year = values["fiscal_year"]
        self.account = values["account"]
        self.debit = values["debit"]
        self.credit = values["credit"]


class _Where:
    """Where a line sits, formatted only when an error needs it (the hot path stays cheap)."""

    __slots__ = ("line", "name")

    def __init__(self, name: str, line: int) -> None:
        self.name, self.line = name, line

    def __str__(self) -> str:
        return f"{self.name} line {self.line}"

    def __format__(self, spec: str) -> str:
        return str(self)


def compare_declared(summary: Summary, name: str, block: str, count: int, debit: Decimal,
                     credit: Decimal, *, count_word: str, declared_keys: tuple[str, str, str] | None = None,
                     transactions: int | None = None) -> None:
    keys = declared_keys or (f"{block}.linesCount", f"{block}.totalDebit", f"{block}.totalCredit")
    raw_count, raw_debit, raw_credit = (summary.declared.get(k) for k in keys)
    tx = summary.transaction_count if transactions is None else transactions
    if raw_count:
        try:
            declared_count = int(raw_count)
        except ValueError:
            declared_count = None
        if declared_count is not None and declared_count != count:
            hint = ""
            if declared_count == tx and block == "transactions":
                hint = " (it holds the number of transactions, not lines)"
            summary.warnings.append(
                f"{name}: declared {keys[0].split('.')[-1]} {declared_count} differs from the "
                f"{count} {count_word} read{hint}"
            )
    for label, raw, computed in (("totalDebit", raw_debit, debit), ("totalCredit", raw_credit, credit)):
        if raw:
            declared_amount = to_decimal(raw, where=name)
            if declared_amount != computed:
                summary.warnings.append(
                    f"{name}: declared {block} {label} {fmt(declared_amount)} differs from the "
                    f"computed {fmt(computed)}"
                )


def add_missing_accounts(summary: Summary, used: set[str], name: str) -> None:
    known = {a.code for a in summary.accounts}
    missing = sorted(used - known)
    for code in missing:
        summary.accounts.append(Account(code=code, name=f"(not in the chart of {name})"))
    if missing:
        shown = ", ".join(missing[:10]) + ("…" if len(missing) > 10 else "")
        summary.warnings.append(
            f"{name}: {len(missing)} account(s) used by lines are missing from the chart and were "
            f"added with a placeholder name: {shown}"
        )
