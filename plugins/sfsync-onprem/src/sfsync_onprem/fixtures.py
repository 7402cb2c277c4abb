"""Generated dossiers: a Winbooks DBF folder reproducing PARFILUX's real balance, and auditfiles.

No public Winbooks DBF exists, so the PARFILUX tables are *built* from the real general balance
export (``PARFILUX_Balance_periodique_generale.csv``): the carried-forward amounts become the
opening entry (period 00, with the previous result on 149999), and every account's remaining debit
and credit are split into pieces and paired into balanced entries spread over the twelve periods.
Read back, every account's debit, credit and balance equal the export's.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

from sfsync_onprem.dbf import DbfField, write_dbf
from sfsync_onprem.readers.base import CENT, month_end
from sfsync_onprem.readers.tabular import TabularSource

ACF_FIELDS = [
    DbfField("NUMBER", "C", 8), DbfField("TYPE", "C", 1), DbfField("NAME11", "C", 40),
    DbfField("NAME12", "C", 40), DbfField("CATEGORY", "C", 1), DbfField("CENTRALID", "C", 3),
    DbfField("CURRENCY", "C", 3), DbfField("VATCODE", "C", 6), DbfField("ISLOCKED", "L", 1),
    DbfField("DEBCREDFLT", "C", 1), DbfField("TOTDEB1", "N", 17, 2), DbfField("TOTCRE1", "N", 17, 2),
    DbfField("TOTDEB2", "N", 17, 2), DbfField("TOTCRE2", "N", 17, 2), DbfField("ISINBY1", "L", 1),
    DbfField("ISINBY2", "L", 1), DbfField("MEMOTYPE", "C", 1),
]  # fmt: skip
ACT_FIELDS = [
    DbfField("DBKCODE", "C", 6), DbfField("DBKTYPE", "N", 1), DbfField("DOCNUMBER", "C", 8),
    DbfField("DOCORDER", "C", 3), DbfField("DOCTYPE", "N", 1), DbfField("BOOKYEAR", "C", 1),
    DbfField("PERIOD", "C", 2), DbfField("DATE", "D", 8), DbfField("DATEDOC", "D", 8),
    DbfField("DUEDATE", "D", 8), DbfField("ACCOUNTGL", "C", 8), DbfField("ACCOUNTRP", "C", 10),
    DbfField("AMOUNT", "N", 17, 2), DbfField("AMOUNTEUR", "N", 17, 2),
    DbfField("CURRAMOUNT", "N", 17, 2), DbfField("CURRCODE", "C", 3), DbfField("CURRATE", "N", 12, 6),
    DbfField("VATBASE", "N", 17, 2), DbfField("VATCODE", "C", 6), DbfField("COMMENT", "C", 40),
    DbfField("MATCHNO", "C", 8), DbfField("ISMATCHED", "L", 1), DbfField("ISLOCKED", "L", 1),
    DbfField("ISIMPORTED", "L", 1), DbfField("ISTEMP", "L", 1), DbfField("DOCSTATUS", "C", 1),
]  # fmt: skip
PARAM_FIELDS = [DbfField("ID", "C", 40), DbfField("VALUE", "C", 200), DbfField("VALUEEXT", "C", 200)]
DBK_FIELDS = [DbfField("DBKID", "C", 6), DbfField("DBKTYPE", "N", 1), DbfField("DBKDESC", "C", 30),
              DbfField("DBKOPT", "C", 10)]
CSF_FIELDS = [
    DbfField("NUMBER", "C", 10), DbfField("TYPE", "C", 1), DbfField("NAME1", "C", 40),
    DbfField("NAME2", "C", 40), DbfField("ZIPCODE", "C", 10), DbfField("CITY", "C", 40),
    DbfField("COUNTRY", "C", 2), DbfField("VATNUMBER", "C", 14), DbfField("CENTRAL", "C", 8),
    DbfField("CURRENCY", "C", 3), DbfField("ISLOCKED", "L", 1),
]  # fmt: skip

JOURNALS = {"OUV": (5, "Ouverture"), "VEN": (2, "Ventes"), "ACH": (0, "Achats"),
            "BNK": (4, "Banque"), "DIV": (5, "Opérations diverses")}


def _perdate(year: int) -> str:
    dates = [dt.date(year, 1, 1)] + [dt.date(year, m, 1) for m in range(1, 13)] + [dt.date(year, 12, 31)]
    return "".join(d.strftime("%d%m%Y") for d in dates)


def _split(amount: Decimal, rng: random.Random) -> list[Decimal]:
    if amount <= 0:
        return []
    n = min(1 + int(amount / 4000), 8)
    weights = [rng.randint(1, 9) for _ in range(n)]
    total = sum(weights)
    pieces = [(amount * w / total).quantize(CENT) for w in weights[:-1]]
    pieces.append(amount - sum(pieces))
    return [p for p in pieces if p > 0]


def build_winbooks_parfilux(folder: Path, balance_csv: Path, *, code: str = "PARFILUX") -> dict[str, Decimal]:
    """Write ``<code>_ACF/ACT/PARAM/DBK/CSF.DBF`` into ``folder``; return the opening imbalance."""
    folder.mkdir(parents=True, exist_ok=True)
    source = TabularSource(balance_csv)
    table = source.table()
    rows = []
    for row in table.rows:
        acc = table.cell(row, "account")
        if not acc:
            continue
        rows.append((acc, table.cell(row, "name"), table.amount(row, "opening"),
                     table.amount(row, "cum_debit"), table.amount(row, "cum_credit")))
    customers = [r[0] for r in _subledger(balance_csv, "clients")]
    suppliers = [r[0] for r in _subledger(balance_csv, "fournisseurs")]
    rng = random.Random(2017)
    opening_lines: list[tuple[str, Decimal]] = []
    debit_rest: dict[str, Decimal] = {}
    credit_rest: dict[str, Decimal] = {}
    for acc, _name, rep, deb, cre in rows:
        if rep:
            opening_lines.append((acc, rep))
        debit_rest[acc] = deb - max(rep, Decimal(0))
        credit_rest[acc] = cre - max(-rep, Decimal(0))
    carried = sum((amt for _a, amt in opening_lines), Decimal(0))
    if carried:  # the previous year's result, carried on 149999 (as the export shows)
        opening_lines.append(("149999", -carried))
        credit_rest["149999"] = credit_rest.get("149999", Decimal(0)) - carried
    if any(v < 0 for v in list(debit_rest.values()) + list(credit_rest.values())):
        raise ValueError("the balance export cannot be rebuilt as entries")
    debits = [(a, p) for a, v in debit_rest.items() for p in _split(v, rng)]
    credits = [(a, p) for a, v in credit_rest.items() for p in _split(v, rng)]
    rng.shuffle(debits)
    rng.shuffle(credits)
    entries: list[list[tuple[str, Decimal]]] = []
    ci = 0
    c_left = credits[0][1] if credits else Decimal(0)
    for acc, amount in debits:
        lines = [(acc, amount)]
        need = amount
        while need > 0:
            cacc = credits[ci][0]
            take = min(need, c_left)
            lines.append((cacc, -take))
            need -= take
            c_left -= take
            if c_left == 0 and ci + 1 < len(credits):
                ci += 1
                c_left = credits[ci][1]
        entries.append(lines)
    act: list[dict[str, object]] = []
    year_char = "A"  # book year 10 (base 36): Ex. 2017
    _act_entry(act, "OUV", 1, "00", dt.date(2017, 1, 1), year_char, opening_lines, "Report à nouveau",
               customers, suppliers, 0)
    seq: dict[str, int] = {}
    for i, lines in enumerate(entries):
        accs = {a for a, _ in lines}
        dbk = ("VEN" if any(a.startswith("400") for a in accs) else
               "ACH" if any(a.startswith("440") for a in accs) else
               "BNK" if any(a.startswith("55") for a in accs) else "DIV")
        seq[dbk] = seq.get(dbk, 0) + 1
        period = 1 + i % 12
        date = dt.date(2017, period, 1 + (i * 5) % 28)
        _act_entry(act, dbk, seq[dbk], f"{period:02d}", date, year_char, lines,
                   f"{JOURNALS[dbk][1]} {seq[dbk]}", customers, suppliers, i)
    # A closed book year (Ex. 2016): read only on request.
    for n, (a, b, amt) in enumerate([("610000", "550000", "125.40"), ("550000", "700000", "980.00")], 1):
        _act_entry(act, "DIV", n, "06", dt.date(2016, 6, 10 + n), "9",
                   [(a, Decimal(amt)), (b, -Decimal(amt))], "Ex. 2016", customers, suppliers, n)
    write_dbf(folder / f"{code}_ACT.DBF", ACT_FIELDS, act)
    write_dbf(folder / f"{code}_ACF.DBF", ACF_FIELDS, [
        {"NUMBER": acc, "TYPE": "3", "NAME11": name, "CENTRALID": "C1" if acc == "400000" else
         "S1" if acc == "440000" else "", "CURRENCY": "EUR", "ISINBY1": True}
        for acc, name, *_ in rows])
    params = [{"ID": "BOOKYEARCOUNT", "VALUE": "10"}, {"ID": "AccountPicture", "VALUE": "LENGEN=6"}]
    for n, year in enumerate(range(2008, 2018), start=1):
        params += [
            {"ID": f"BOOKYEAR{n}.LONGLABEL", "VALUE": f"Ex. {year}"},
            {"ID": f"BOOKYEAR{n}.SHORTLABEL", "VALUE": str(year)},
            {"ID": f"BOOKYEAR{n}.PERDATE", "VALUE": _perdate(year)},
            {"ID": f"BOOKYEAR{n}.STATUS", "VALUE": "Open" if year == 2017 else "Closed"},
        ]
    write_dbf(folder / f"{code}_PARAM.DBF", PARAM_FIELDS, params)
    write_dbf(folder / f"{code}_DBK.DBF", DBK_FIELDS,
              [{"DBKID": k, "DBKTYPE": t, "DBKDESC": d} for k, (t, d) in JOURNALS.items()])
    csf = [{"NUMBER": c, "TYPE": "1", "NAME1": n, "CENTRAL": "400000", "COUNTRY": "BE"}
           for c, n, _b in _subledger(balance_csv, "clients")]
    csf += [{"NUMBER": c, "TYPE": "2", "NAME1": n, "CENTRAL": "440000", "COUNTRY": "BE"}
            for c, n, _b in _subledger(balance_csv, "fournisseurs")]
    write_dbf(folder / f"{code}_CSF.DBF", CSF_FIELDS, csf)
    return {"carried": carried}


def _subledger(balance_csv: Path, which: str) -> list[tuple[str, str, Decimal]]:
    path = balance_csv.with_name(f"PARFILUX_Balance_courante_{which}.csv")
    if not path.exists():
        return []
    return TabularSource(path).summarize().subledger


def _act_entry(act: list[dict[str, object]], dbk: str, number: int, period: str, date: dt.date,
               year_char: str, lines: list[tuple[str, Decimal]], comment: str,
               customers: list[str], suppliers: list[str], i: int) -> None:
    dbktype = JOURNALS[dbk][0]
    for order, (acc, amount) in enumerate(lines, start=1):
        doctype, rp = 3, ""
        if acc == "400000" and customers:
            doctype, rp = 1, customers[(i + order) % len(customers)]
        elif acc == "440000" and suppliers:
            doctype, rp = 2, suppliers[(i + order) % len(suppliers)]
        foreign = dbk == "ACH" and acc == "440000" and i % 5 == 0
        act.append({
            "DBKCODE": dbk, "DBKTYPE": dbktype, "DOCNUMBER": f"{number:08d}", "DOCORDER": f"{order:03d}",
            "DOCTYPE": doctype, "BOOKYEAR": year_char, "PERIOD": period, "DATE": date, "DATEDOC": date,
            "ACCOUNTGL": acc, "ACCOUNTRP": rp, "AMOUNT": amount, "AMOUNTEUR": amount,
            "CURRAMOUNT": (amount * Decimal("1.0823")).quantize(CENT) if foreign else None,
            "CURRCODE": "USD" if foreign else "", "CURRATE": Decimal("1.0823") if foreign else None,
            "COMMENT": comment,
        })


# --- auditfiles ---------------------------------------------------------------------------------

XAF32_NS = "http://www.auditfiles.nl/XAF/3.2"

DEMO_ACCOUNTS = [
    ("0100", "Inventaris", "B"), ("0500", "Eigen vermogen", "B"), ("1000", "Kas", "B"),
    ("1100", "Bank", "B"), ("1300", "Debiteuren", "B"), ("1600", "Crediteuren", "B"),
    ("1800", "Te betalen btw", "B"), ("1810", "Te vorderen btw", "B"), ("4000", "Lonen en salarissen", "P"),
    ("4100", "Huur", "P"), ("4200", "Kantoorkosten", "P"), ("8000", "Omzet binnenland", "P"),
    ("8100", "Omzet export", "P"),
]  # fmt: skip


@dataclass
class XafLine:
    account: str
    amount: Decimal  # signed, debit positive
    desc: str = ""
    currency: str = ""
    cur_amount: Decimal | None = None
    custsup: str = ""


@dataclass
class XafEntry:
    journal: str
    nr: str
    date: dt.date
    period: int
    desc: str
    lines: list[XafLine] = field(default_factory=list)


@dataclass
class XafBook:
    """One fiscal year of a generated company, written as an XAF 3.2 auditfile."""

    company: str
    ident: str
    label: str
    start: dt.date
    end: dt.date
    entries: list[XafEntry] = field(default_factory=list)
    opening: list[tuple[str, Decimal]] = field(default_factory=list)

    def period_of(self, day: dt.date) -> int:
        return (day.year - self.start.year) * 12 + day.month - self.start.month + 1

    def write(self, path: Path) -> None:
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            for chunk in self.chunks():
                fh.write(chunk)

    def chunks(self) -> Iterator[str]:
        n_lines = sum(len(e.lines) for e in self.entries)
        tot_d = sum((ln.amount for e in self.entries for ln in e.lines if ln.amount > 0), Decimal(0))
        tot_c = -sum((ln.amount for e in self.entries for ln in e.lines if ln.amount < 0), Decimal(0))
        yield from xaf_head(self.company, self.ident, self.label, self.start, self.end, self.opening)
        yield (f"<transactions><linesCount>{n_lines}</linesCount><totalDebit>{tot_d:.2f}</totalDebit>"
               f"<totalCredit>{tot_c:.2f}</totalCredit>\n")
        for jrn, (desc, tp) in {"MEM": ("Memoriaal", "M"), "VK": ("Verkoop", "S"),
                                "IK": ("Inkoop", "P"), "BNK": ("Bank", "B")}.items():
            yield f"<journal><jrnID>{jrn}</jrnID><desc>{desc}</desc><jrnTp>{tp}</jrnTp>\n"
            for e in self.entries:
                if e.journal == jrn:
                    yield xaf_transaction(e)
            yield "</journal>\n"
        yield "</transactions></company></auditfile>\n"


def xaf_head(company: str, ident: str, label: str, start: dt.date, end: dt.date,
             opening: list[tuple[str, Decimal]]) -> Iterator[str]:
    yield '<?xml version="1.0" encoding="UTF-8"?>\n'
    yield f'<auditfile xmlns="{XAF32_NS}">\n'
    yield (f"<header><fiscalYear>{label}</fiscalYear><startDate>{start}</startDate><endDate>{end}</endDate>"
           f"<curCode>EUR</curCode><dateCreated>{end}</dateCreated><softwareDesc>sfsync sandbox</softwareDesc>"
           "<softwareVersion>1</softwareVersion></header>\n")
    yield (f"<company><companyIdent>{escape(ident)}</companyIdent><companyName>{escape(company)}</companyName>"
           "<taxRegistrationCountry>NL</taxRegistrationCountry><taxRegIdent>NL001234567B01</taxRegIdent>"
           "<streetAddress><city>Utrecht</city><country>NL</country></streetAddress>\n")
    yield "<customersSuppliers><customerSupplier><custSupID>D100</custSupID><custSupName>Klant Één BV</custSupName><custSupTp>C</custSupTp></customerSupplier>"
    yield "<customerSupplier><custSupID>C200</custSupID><custSupName>Leverancier &amp; Zn</custSupName><custSupTp>S</custSupTp></customerSupplier></customersSuppliers>\n"
    yield "<generalLedger>"
    for code, name, tp in DEMO_ACCOUNTS:
        yield f"<ledgerAccount><accID>{code}</accID><accDesc>{escape(name)}</accDesc><accTp>{tp}</accTp></ledgerAccount>\n"
    yield "</generalLedger><vatCodes><vatCode><vatID>H21</vatID><vatDesc>BTW 21%</vatDesc></vatCode></vatCodes>\n<periods>"
    cur, n = start, 1
    while cur <= end:
        pend = month_end(cur)
        yield (f"<period><periodNumber>{n}</periodNumber><startDatePeriod>{cur}</startDatePeriod>"
               f"<endDatePeriod>{pend}</endDatePeriod></period>")
        cur, n = pend + dt.timedelta(days=1), n + 1
    yield "</periods>\n"
    if opening:
        ob_d = sum((a for _c, a in opening if a > 0), Decimal(0))
        ob_c = -sum((a for _c, a in opening if a < 0), Decimal(0))
        yield (f"<openingBalance><opBalDate>{start}</opBalDate><linesCount>{len(opening)}</linesCount>"
               f"<totalDebit>{ob_d:.2f}</totalDebit><totalCredit>{ob_c:.2f}</totalCredit>")
        for i, (code, amt) in enumerate(opening, 1):
            yield (f"<obLine><nr>{i}</nr><accID>{code}</accID><amnt>{abs(amt):.2f}</amnt>"
                   f"<amntTp>{'D' if amt >= 0 else 'C'}</amntTp></obLine>")
        yield "</openingBalance>\n"


def xaf_transaction(e: XafEntry) -> str:
    parts = [f"<transaction><nr>{e.nr}</nr><desc>{escape(e.desc)}</desc><periodNumber>{e.period}</periodNumber>"
             f"<trDt>{e.date}</trDt>"]
    for i, ln in enumerate(e.lines, 1):
        parts.append(f"<trLine><nr>{i}</nr><accID>{ln.account}</accID><docRef>{e.nr}</docRef>"
                     f"<effDate>{e.date}</effDate><desc>{escape(ln.desc or e.desc)}</desc>"
                     f"<amnt>{abs(ln.amount):.2f}</amnt><amntTp>{'D' if ln.amount >= 0 else 'C'}</amntTp>")
        if ln.custsup:
            parts.append(f"<custSupID>{ln.custsup}</custSupID>")
        if ln.currency:
            parts.append(f"<currency><curCode>{ln.currency}</curCode><curAmnt>{abs(ln.cur_amount or 0):.2f}"
                         "</curAmnt></currency>")
        parts.append("</trLine>")
    parts.append("</transaction>\n")
    return "".join(parts)


def demo_book(label: str, start: dt.date, end: dt.date, *, until: dt.date, seed: int,
              opening: list[tuple[str, Decimal]] | None = None, late_invoice: bool = False) -> XafBook:
    """A realistic year of a small Dutch company: sales (some in USD), purchases, bank, wages.

    ``late_invoice``: one more sales invoice, dated three days after the year's end but booked in
    its last period (an invoice of the last month that arrived late), so its period lies in
    another fiscal year than its date."""
    rng = random.Random(seed)
    book = XafBook("Demo Handel B.V.", "DEMOBV", label, start, end, opening=list(opening or []))
    counters = {"VK": 0, "IK": 0, "BNK": 0, "MEM": 0}
    day = start
    i = 0
    last = min(end, until)
    while day <= last:
        kind = ("VK", "IK", "BNK", "MEM")[i % 4]
        counters[kind] += 1
        nr = f"{start.year % 100:02d}{kind}{counters[kind]:04d}"
        net = Decimal(rng.randint(5000, 400000)) / 100
        vat = (net * Decimal("0.21")).quantize(CENT)
        e = XafEntry(kind, nr, day, book.period_of(day), "")
        if kind == "VK":
            export = i % 8 == 0
            e.desc = f"Factuur {nr}"
            if export:
                e.lines = [XafLine("1300", net, custsup="D100", currency="USD",
                                   cur_amount=(net * Decimal("1.08")).quantize(CENT)),
                           XafLine("8100", -net, "Export")]
            else:
                e.lines = [XafLine("1300", net + vat, custsup="D100"), XafLine("8000", -net),
                           XafLine("1800", -vat, "btw")]
        elif kind == "IK":
            e.desc = f"Inkoopfactuur {nr}"
            e.lines = [XafLine("4200", net), XafLine("1810", vat, "btw"),
                       XafLine("1600", -(net + vat), custsup="C200")]
        elif kind == "BNK":
            e.desc = f"Bankafschrift {nr}"
            e.lines = [XafLine("1100", net, "Ontvangst"), XafLine("1300", -net, custsup="D100")]
        else:
            e.desc = "Salarissen" if i % 3 else "Huur"
            e.lines = [XafLine("4000" if i % 3 else "4100", net), XafLine("1100", -net)]
        book.entries.append(e)
        i += 1
        day += dt.timedelta(days=3 + i % 4)
    if late_invoice:
        late = XafEntry("VK", f"{start.year % 100:02d}VK9999", end + dt.timedelta(days=3), book.period_of(end),
                        "Factuur laatste maand (laat ontvangen)")
        late.lines = [XafLine("1300", Decimal("1210.00"), custsup="D100"), XafLine("8000", Decimal("-1000.00")),
                      XafLine("1800", Decimal("-210.00"), "btw")]
        book.entries.append(late)
    return book


def write_big_xaf(path: Path, lines: int, *, year: int = 2024) -> int:
    """Stream a ``lines``-line XAF 3.2 file to ``path`` (the benchmark's input); returns lines."""
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    per_entry = 4
    n_entries = lines // per_entry
    total = Decimal(0)
    amounts = [Decimal(100 + (k * 37) % 9000) + Decimal(k % 100) / 100 for k in range(997)]
    for k in range(n_entries):
        total += amounts[k % 997] * 2
    with open(path, "w", encoding="utf-8") as fh:
        for chunk in xaf_head("Groot Volume B.V.", "BIG", str(year), start, end, []):
            fh.write(chunk)
        fh.write(f"<transactions><linesCount>{n_entries * per_entry}</linesCount>"
                 f"<totalDebit>{total:.2f}</totalDebit><totalCredit>{total:.2f}</totalCredit>\n")
        fh.write("<journal><jrnID>MEM</jrnID><desc>Memoriaal</desc><jrnTp>M</jrnTp>\n")
        buf = []
        for k in range(n_entries):
            amt = amounts[k % 997]
            day = start + dt.timedelta(days=k * 366 // max(n_entries, 1))
            e = XafEntry("MEM", str(k + 1), day, day.month, f"Boeking {k + 1}", [
                XafLine("4200", amt), XafLine("4100", amt), XafLine("1100", -amt), XafLine("1000", -amt)])
            buf.append(xaf_transaction(e))
            if len(buf) >= 1000:
                fh.write("".join(buf))
                buf.clear()
        fh.write("".join(buf))
        fh.write("</journal></transactions></company></auditfile>\n")
    return n_entries * per_entry
