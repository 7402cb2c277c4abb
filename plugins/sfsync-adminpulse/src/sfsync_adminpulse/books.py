"""The AdminPulse sandbox's seeded books: companies, fiscal years and balanced entries.

Deterministic: two companies, a Belgian chart, three fiscal years around the clock's today (the
first company's start on 1 April), a sale and a purchase a month, one entry in USD. Lines are
kept as the API sends them, so the sandbox's handlers only choose and page.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sfsync.clock import Clock
from sfsync.models import CompanyDetails
from sfsync.truth import PackageTruth, TruthBuilder

CENT = Decimal("0.01")
CHART = {  # code: (name, kind)
    "100000": ("Geplaatst kapitaal", "balance_sheet"), "400000": ("Handelsdebiteuren", "balance_sheet"),
    "411000": ("Terug te vorderen btw", "balance_sheet"), "440000": ("Leveranciers", "balance_sheet"),
    "451000": ("Te betalen btw", "balance_sheet"), "550000": ("KBC zichtrekening", "balance_sheet"),
    "600000": ("Aankopen grondstoffen", "profit_loss"), "610000": ("Huur", "profit_loss"),
    "700000": ("Omzet", "profit_loss"), "140000": ("Overgedragen resultaat", "balance_sheet"),
}
RESULT_ACCOUNT = "140000"
"""Where a closed year's profit or loss is carried to."""


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    return dt.date(day.year + month // 12, month % 12 + 1, 1)


@dataclass
class Year:
    label: str
    start: dt.date
    closed: bool

    @property
    def end(self) -> dt.date:
        return _add_months(self.start, 12) - dt.timedelta(days=1)

    def periods(self) -> list[tuple[int, dt.date, dt.date]]:
        return [(n, _add_months(self.start, n - 1), _add_months(self.start, n) - dt.timedelta(days=1)) for n in range(1, 13)]

    def to_json(self) -> dict[str, Any]:
        return {"label": self.label, "start": self.start.isoformat(), "end": self.end.isoformat(), "closed": self.closed,
                "periods": [{"number": n, "start": s.isoformat(), "end": e.isoformat()} for n, s, e in self.periods()]}


@dataclass
class Company:
    ref: str
    code: str
    name: str
    vat_number: str
    city: str
    years: list[Year]
    lines: dict[str, dict[str, Any]] = field(default_factory=dict)  # id: the line as the API sends it
    deletions: list[tuple[str, str]] = field(default_factory=list)  # (deleted_at, line id)
    entries: int = 0

    def booked_year(self, line: dict[str, Any]) -> Year:
        """The fiscal year a line is booked in (not always the year of its date)."""
        return next(y for y in self.years if y.label == line["fiscal_year"])

    def balances_at(self, at: dt.date) -> dict[str, Decimal]:
        """Every balance-sheet account's balance at the start of ``at``: lines booked in a year that
        ended before it (their profit or loss in the result account), and balance-sheet lines of
        the year it is in dated before it."""
        totals: dict[str, Decimal] = {}
        for line in self.lines.values():
            year, balance_sheet = self.booked_year(line), CHART[line["account"]][1] == "balance_sheet"
            if year.end < at or (balance_sheet and year.start <= at and line["date"] < at.isoformat()):
                account = line["account"] if balance_sheet else RESULT_ACCOUNT
                totals[account] = totals.get(account, Decimal(0)) + Decimal(line["amount"])
        return totals

    def details(self) -> CompanyDetails:
        """The company's master data, as the package keeps it."""
        return CompanyDetails(name=self.name, vat_number=self.vat_number, city=self.city, country="BE",
                              legal_form=self.name.rsplit(" ", 1)[-1])

    def truth(self) -> PackageTruth:
        """The package's own figures, added up from the seeded lines (see ``sfsync.truth``)."""
        books = TruthBuilder()
        for line in self.lines.values():
            books.add(line["account"], self.booked_year(line).start, line["period"], Decimal(line["amount"]),
                      line_id=line["id"])
        return books.build(opening_balances={year.start: self.balances_at(year.start) for year in self.years},
                           company_details=self.details(), result_account=RESULT_ACCOUNT)


class Books:
    """Every company's books, stamped on the sandbox's clock."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._stamp_at = clock.now().replace(microsecond=0) - dt.timedelta(days=30)
        self.companies: dict[str, Company] = {}
        rng, today = random.Random(20240401), clock.now().date()
        for ref, code, name, vat, city, first_month in (
            ("1001", "KOR", "Bakkerij De Korenaar BV", "BE0123456749", "Gent", 4),
            ("1002", "HLD", "Voorbeeld Holding NV", "BE0987654312", "Antwerpen", 1),
        ):
            start = dt.date(today.year if today.month >= first_month else today.year - 1, first_month, 1)
            years = [Year("", dt.date(start.year - back, first_month, 1), back == 2) for back in (2, 1, 0)]
            for year in years:
                year.label = str(year.end.year)
            company = self.companies[ref] = Company(ref, code, name, vat, city, years)
            for year in years:
                for number, p_start, _ in year.periods():
                    day = p_start + dt.timedelta(days=9)
                    if day > today:
                        break
                    self.sale(company, day, Decimal(rng.randint(20000, 250000)) / 100)
                    cost = Decimal(rng.randint(10000, 90000)) / 100
                    vat_in = (cost * Decimal("0.21")).quantize(CENT)
                    self.book(company, day, "AAN", f"Aankoop {year.label}-{number:02d}",
                              [("600000", cost), ("411000", vat_in), ("440000", -(cost + vat_in))])
            self.book(company, years[-1].start + dt.timedelta(days=20), "AAN", "Software licence (USD)",
                      [("610000", Decimal("920.50")), ("550000", Decimal("-920.50"))], rate=Decimal("1.0850"))
            # An accrual dated in the first days of the year, booked in the last period of the year
            # before: reports place it by its booking, not its date.
            self.book(company, years[-1].start + dt.timedelta(days=2), "MEM", "Kosten vorig boekjaar",
                      [("600000", Decimal("75.00")), ("440000", Decimal("-75.00"))], booked_in=(years[-2], 12))

    def stamp(self) -> str:
        """A modification stamp: now, but always later than the previous one (whole seconds)."""
        self._stamp_at = max(self.clock.now().replace(microsecond=0), self._stamp_at + dt.timedelta(seconds=1))
        return self._stamp_at.isoformat()

    def sale(self, company: Company, day: dt.date, net: Decimal) -> list[str]:
        vat = (net * Decimal("0.21")).quantize(CENT)
        return self.book(company, day, "VRK", f"Factuur {day:%Y-%m}", [("400000", net + vat), ("700000", -net), ("451000", -vat)])

    def book(self, company: Company, day: dt.date, journal: str, text: str, rows: list[tuple[str, Decimal]],
             rate: Decimal | None = None, booked_in: tuple[Year, int] | None = None) -> list[str]:
        """Book a balanced entry (``rate``: in USD at that rate; ``booked_in``: the year and period
        when not those of its date); return its line ids."""
        assert sum(amount for _, amount in rows) == 0, "sandbox entries balance"
        year = booked_in[0] if booked_in else next(y for y in company.years if y.start <= day <= y.end)
        company.entries += 1
        entry, stamp = f"{journal}{company.entries:06d}", self.stamp()
        for number, (account, amount) in enumerate(rows, start=1):
            company.lines[f"{entry}-{number}"] = {
                "id": f"{entry}-{number}", "entry": entry, "journal": journal, "date": day.isoformat(),
                "period": booked_in[1] if booked_in else next(n for n, s, e in year.periods() if s <= day <= e),
                "fiscal_year": year.label,
                "account": account, "description": text, "amount": str(amount), "modified": stamp,
                "currency": "USD" if rate else None, "foreign_amount": str((amount * rate).quantize(CENT)) if rate else None,
            }
        return [f"{entry}-{n}" for n in range(1, len(rows) + 1)]
