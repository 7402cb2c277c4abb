"""The books behind the Twinfield sandbox: offices, period tables, dimensions and transactions.

Seeded deterministically around the clock's today: three offices (one with a July-June book
year), a Dutch chart of accounts (BAS and PNL dimensions, customers and suppliers), monthly
sales, purchases, bank statements and salaries, an opening balance in period 0 of every year
after the first, and a purchase in USD. Every transaction balances, in euros and in its own
currency.
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

CENT = Decimal("0.01")
STAMP = "%Y%m%d%H%M%S"

CHART = (
    ("0200", "Inventaris", "BAS"),
    ("0500", "Aandelenkapitaal", "BAS"),
    ("0590", "Onverdeelde winst", "BAS"),
    ("1000", "Kas", "BAS"),
    ("1100", "ING Bank", "BAS"),
    ("1300", "Debiteuren", "BAS"),
    ("1510", "Te vorderen btw", "BAS"),
    ("1520", "Af te dragen btw", "BAS"),
    ("1600", "Crediteuren", "BAS"),
    ("4000", "Lonen en salarissen", "PNL"),
    ("4300", "Huur bedrijfsruimte", "PNL"),
    ("4900", "Algemene kosten", "PNL"),
    ("7000", "Inkoopwaarde van de omzet", "PNL"),
    ("8000", "Omzet hoog tarief", "PNL"),
    ("8100", "Omzet laag tarief", "PNL"),
)
CUSTOMERS = (
    ("1001", "Lunchroom De Molen"),
    ("1002", "Hotel Zeezicht"),
    ("1003", "Gemeente Utrecht"),
)
SUPPLIERS = (
    ("2001", "Meelfabriek Noord BV"),
    ("2002", "Energie Direct"),
    ("2003", "Software Inc."),
)
MONTHS = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    return dt.date(day.year + month // 12, month % 12 + 1, 1)


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


@dataclass
class BookYear:
    number: int
    start: dt.date
    periods: list[tuple[int, dt.date, bool]]  # number, end date, open

    @property
    def end(self) -> dt.date:
        return self.periods[-1][1]

    def period_of(self, day: dt.date) -> int:
        for number, end, _ in self.periods:
            if day <= end:
                return number
        raise ValueError(f"{day} is after book year {self.number}")


@dataclass
class Dimension:
    code: str
    name: str
    type: str
    modified: dt.datetime


@dataclass
class TxnLine:
    line: int
    dim1: str
    value: Decimal  # transaction currency, signed (credit negative)
    base: Decimal  # euros, signed
    description: str
    dim2: str = ""
    vatcode: str = ""


@dataclass
class Transaction:
    code: str
    number: str
    date: dt.date
    year: int
    period: int
    currency: str
    modified: dt.datetime
    lines: list[TxnLine]
    status: str = "normal"


@dataclass
class Deletion:
    daybook: str
    number: str
    date: dt.date
    deleted_at: dt.datetime
    user: str
    reason: str


@dataclass
class Office:
    code: str
    name: str
    shortname: str
    years: list[BookYear]
    dimensions: dict[tuple[str, str], Dimension] = field(default_factory=dict)
    transactions: dict[tuple[str, str], Transaction] = field(default_factory=dict)
    deletions: list[Deletion] = field(default_factory=list)
    counters: dict[tuple[str, int], int] = field(default_factory=dict)

    def year_of(self, day: dt.date) -> BookYear:
        for year in self.years:
            if year.start <= day <= year.end:
                return year
        raise ValueError(f"{day} is in no book year of office {self.code}")

    def dimension_name(self, code: str) -> str:
        for (kind, dim_code), dim in self.dimensions.items():
            if dim_code == code and kind in ("BAS", "PNL"):
                return dim.name
        return ""

    def dimension_type(self, code: str) -> str:
        return next((k for (k, c) in self.dimensions if c == code and k in ("BAS", "PNL")), "")


class Books:
    """Every office of the sandbox's organisation, and the stamp clock they share."""

    def __init__(self, today: dt.date, now: dt.datetime, *, scale: int = 1) -> None:
        self._last = now.replace(microsecond=0, tzinfo=None) - dt.timedelta(days=40)
        self.offices: dict[str, Office] = {}
        self.today = today
        for code, name, short, first_month, history, seed in (
            ("001", "Bakkerij Voorbeeld BV", "Bakkerij", 1, 3, 1),
            ("010", "Voorbeeld Holding BV", "Holding", 7, 3, 2),
            ("020", "Installatiebedrijf Jansen BV", "Jansen", 1, 1, 3),
        ):
            office = Office(code, name, short, self._years(first_month, history))
            self.offices[code] = office
            self._seed(office, random.Random(seed), scale if code == "001" else 1)

    # --- stamps ---------------------------------------------------------------------------------

    def stamp(self, now: dt.datetime) -> dt.datetime:
        """A modified stamp (whole seconds, UTC): now, but always after the previous one."""
        current = now.replace(microsecond=0, tzinfo=None)
        self._last = max(current, self._last + dt.timedelta(seconds=1))
        return self._last

    def _seed_stamp(self) -> dt.datetime:
        self._last += dt.timedelta(seconds=1)
        return self._last

    # --- seeding --------------------------------------------------------------------------------

    def _years(self, first_month: int, history: int) -> list[BookYear]:
        today = self.today
        current = dt.date(
            today.year if today.month >= first_month else today.year - 1, first_month, 1
        )
        years = []
        for back in range(history - 1, -1, -1):
            start = dt.date(current.year - back, first_month, 1)
            periods = []
            for index in range(12):
                end = month_end(add_months(start, index))
                periods.append(
                    (index + 1, end, back == 0 or (back == 1 and end >= add_months(today, -3)))
                )
            # A book year is numbered by the calendar year it ends in.
            years.append(BookYear(periods[-1][1].year, start, periods))
        return years

    def _seed(self, office: Office, rng: random.Random, scale: int) -> None:
        for code, name, kind in CHART:
            office.dimensions[(kind, code)] = Dimension(code, name, kind, self._seed_stamp())
        for code, name in CUSTOMERS:
            office.dimensions[("DEB", code)] = Dimension(code, name, "DEB", self._seed_stamp())
        for code, name in SUPPLIERS:
            office.dimensions[("CRD", code)] = Dimension(code, name, "CRD", self._seed_stamp())
        first = office.years[0]
        self.book(
            office,
            first.start,
            "MEMO",
            [
                ("1100", Decimal("18000.00"), "Storting aandelenkapitaal", ""),
                ("0500", Decimal("-18000.00"), "Storting aandelenkapitaal", ""),
            ],
            stamp=self._seed_stamp(),
        )
        for year in office.years:
            if year is not first:
                self._late_invoice(office, year)
                self._opening(office, year)
            for month in range(12):
                day = add_months(year.start, month)
                if day > self.today:
                    break
                label = f"{MONTHS[day.month - 1]} {day.year}"
                received = Decimal(0)
                for _ in range(scale):
                    customer = rng.choice(CUSTOMERS)[0]
                    net = Decimal(rng.randint(40000, 400000)) / 100
                    received += self.sale(
                        office, day + dt.timedelta(days=4), customer, net, "21", label
                    )
                if month % 2 == 0:
                    net = Decimal(rng.randint(10000, 90000)) / 100
                    self.sale(office, day + dt.timedelta(days=11), CUSTOMERS[0][0], net, "9", label)
                cost = Decimal(rng.randint(20000, 150000)) / 100
                vat = (cost * Decimal("0.21")).quantize(CENT)
                supplier = SUPPLIERS[0][0]
                self.book(
                    office,
                    day + dt.timedelta(days=7),
                    "INK",
                    [
                        ("7000", cost, f"Meel en grondstoffen {label}", ""),
                        ("1510", vat, f"Btw inkoop {label}", ""),
                        ("1600", -(cost + vat), f"Meelfabriek {label}", supplier),
                    ],
                    stamp=self._seed_stamp(),
                )
                rent = Decimal("1850.00")
                statement = month_end(day)
                self.book(
                    office,
                    statement,
                    "BNK",
                    [
                        ("1100", received, f"Ontvangsten {label}", ""),
                        ("1300", -received, f"Ontvangsten {label}", CUSTOMERS[0][0]),
                        ("1600", cost + vat, f"Betaling meelfabriek {label}", supplier),
                        ("1100", -(cost + vat), f"Betaling meelfabriek {label}", ""),
                        ("4300", rent, f"Huur {label}", ""),
                        ("1100", -rent, f"Huur {label}", ""),
                    ],
                    stamp=self._seed_stamp(),
                )
                wages = Decimal(rng.randint(300000, 450000)) / 100
                self.book(
                    office,
                    statement,
                    "MEMO",
                    [
                        ("4000", wages, f"Salarissen {label}", ""),
                        ("1100", -wages, f"Salarissen {label}", ""),
                    ],
                    stamp=self._seed_stamp(),
                )
        # One purchase in dollars: the transaction balances in USD and in euros.
        latest = office.years[-1]
        day = min(latest.start + dt.timedelta(days=20), self.today)
        self.book(
            office,
            day,
            "INK",
            [
                ("4900", Decimal("920.50"), "Softwarelicentie (USD)", "", Decimal("848.39")),
                ("1600", Decimal("-920.50"), "Software Inc.", SUPPLIERS[2][0], Decimal("-848.39")),
            ],
            stamp=self._seed_stamp(),
            currency="USD",
        )

    def _late_invoice(self, office: Office, year: BookYear) -> None:
        """An invoice dated in the first days of ``year`` but booked in period 12 of the year
        before (Twinfield books by period, not by date): its period lies in another year."""
        previous = office.years[office.years.index(year) - 1]
        self.book(
            office,
            year.start + dt.timedelta(days=2),
            "VRK",
            [
                ("1300", Decimal("726.00"), "Factuur december (laat)", CUSTOMERS[1][0]),
                ("8000", Decimal("-600.00"), "Omzet december (laat)", ""),
                ("1520", Decimal("-126.00"), "Btw 21% december (laat)", ""),
            ],
            stamp=self._seed_stamp(),
            vatcode="VH",
            year=previous,
            period=previous.periods[-1][0],
        )

    def _opening(self, office: Office, year: BookYear) -> None:
        """Period 0: the balance-sheet accounts carried forward, the result to equity."""
        balances: dict[str, Decimal] = {}
        result = Decimal(0)
        # The previous year's period 0 already carries everything before it.
        previous = [t for t in office.transactions.values() if t.year == year.number - 1]
        for txn in previous:
            for line in txn.lines:
                if office.dimension_type(line.dim1) == "BAS":
                    balances[line.dim1] = balances.get(line.dim1, Decimal(0)) + line.base
                else:
                    result += line.base
        if result:
            balances["0590"] = balances.get("0590", Decimal(0)) + result
        rows = [
            (code, amount, "Beginbalans", "") for code, amount in sorted(balances.items()) if amount
        ]
        if rows:
            self.book(office, year.start, "BEGIN", rows, stamp=self._seed_stamp(), period=0)

    # --- booking --------------------------------------------------------------------------------

    def sale(
        self, office: Office, day: dt.date, customer: str, net: Decimal, rate: str, label: str
    ) -> Decimal:
        vat = (net * Decimal(rate) / 100).quantize(CENT)
        revenue = "8000" if rate == "21" else "8100"
        self.book(
            office,
            day,
            "VRK",
            [
                ("1300", net + vat, f"Factuur {label}", customer),
                (revenue, -net, f"Omzet {label}", ""),
                ("1520", -vat, f"Btw {rate}% {label}", ""),
            ],
            stamp=self._seed_stamp(),
            vatcode="VH" if rate == "21" else "VL",
        )
        return net + vat

    def book(
        self,
        office: Office,
        day: dt.date,
        daybook: str,
        rows: Sequence[tuple[Any, ...]],  # (account, value, text, dim2[, base in euros])
        *,
        stamp: dt.datetime,
        currency: str = "EUR",
        period: int | None = None,
        vatcode: str = "",
        year: BookYear | None = None,
    ) -> Transaction:
        year = year or office.year_of(day)
        key = (daybook, year.number)
        office.counters[key] = office.counters.get(key, 0) + 1
        number = f"{year.number}{office.counters[key]:05d}"
        lines = []
        for index, row in enumerate(rows, start=1):
            code, value, text, dim2 = row[:4]
            base = row[4] if len(row) > 4 else value
            lines.append(
                TxnLine(
                    index,
                    code,
                    value,
                    base,
                    text,
                    dim2,
                    vatcode if code in ("8000", "8100") else "",
                )
            )
        if sum(line.base for line in lines) != 0 or sum(line.value for line in lines) != 0:
            raise AssertionError(f"sandbox transaction {daybook} {number} does not balance")
        txn = Transaction(
            daybook,
            number,
            day,
            year.number,
            year.period_of(day) if period is None else period,
            currency,
            stamp,
            lines,
        )
        office.transactions[(daybook, number)] = txn
        return txn

    def richest(self) -> list[str]:
        return sorted(
            self.offices,
            key=lambda code: -sum(len(t.lines) for t in self.offices[code].transactions.values()),
        )
