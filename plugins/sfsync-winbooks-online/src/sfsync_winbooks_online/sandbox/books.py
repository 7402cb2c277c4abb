"""The WinBooks on Web sandbox's seeded licence: three folders of Belgian bookkeeping.

Deterministic, relative to the clock's today:

* DEKORENAAR (Bakkerij De Korenaar BV, Gent): calendar bookyears;
* ANKER (Brasserie Het Anker NV, Mechelen): April–March bookyears;
* DELTA (Delta Trading CommV, Antwerpen): October–September bookyears.

Three bookyears each, the oldest closed; a sale (VEN) and a purchase (ACH) a month, a licence
paid in USD (BNK), an accrual dated in the current year but booked in the last period of the one
before (OD), and from the second year on an opening booking in period 0 carrying the previous
year's balances (its result on 140000), as WinBooks books them when a year is closed.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from sfsync.clock import Clock
from sfsync.models import CompanyDetails
from sfsync.truth import PackageTruth, TruthBuilder

from sfsync_winbooks_online.assumed import RESULT_ACCOUNT

__all__ = ["CHART", "Books", "Folder", "Header", "Trans", "Year"]

CENT = Decimal("0.01")
CHART = {
    "100000": "Geplaatst kapitaal", "140000": "Overgedragen resultaat", "400000": "Handelsvorderingen",
    "411000": "Terug te vorderen btw", "440000": "Leveranciers", "451000": "Te betalen btw",
    "550000": "Bank", "604000": "Aankopen handelsgoederen", "613000": "Software", "700000": "Omzet",
}
_NS = uuid.UUID("6f1f3a52-9d1c-4c7e-a1b2-0c0ffee00000")


def guid(*parts: object) -> str:
    return str(uuid.uuid5(_NS, "/".join(map(str, parts))))


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    return dt.date(day.year + month // 12, month % 12 + 1, 1)


@dataclass
class Year:
    id: str
    code: str
    start: dt.date
    closed: bool

    @property
    def end(self) -> dt.date:
        return _add_months(self.start, 12) - dt.timedelta(days=1)

    def periods(self) -> list[tuple[int, dt.date, dt.date]]:
        """(number, first day, last day); 0 is the opening period, on the first day."""
        months = [(n, _add_months(self.start, n - 1), _add_months(self.start, n) - dt.timedelta(days=1)) for n in range(1, 13)]
        return [(0, self.start, self.start), *months]

    def period_id(self, number: int) -> str:
        return guid(self.id, "period", number)

    def period_of(self, day: dt.date) -> int:
        return next(n for n, s, e in self.periods() if n and s <= day <= e)


@dataclass
class Trans:
    id: str
    order: int
    account: str
    amount: Decimal
    foreign: Decimal | None
    comment: str


@dataclass
class Header:
    id: str
    year: Year
    period: int
    journal: str
    number: int
    day: dt.date
    modified: dt.datetime
    lines: list[Trans]
    currency: str = "EUR"
    rate: Decimal | None = None


@dataclass
class Folder:
    code: str
    name: str
    vat: str
    street: str
    zip: str
    city: str
    email: str
    years: list[Year]
    headers: dict[str, Header] = field(default_factory=dict)
    next_number: dict[tuple[str, str], int] = field(default_factory=dict)

    def details(self) -> CompanyDetails:
        return CompanyDetails(name=self.name, vat_number=self.vat, street=self.street, postal_code=self.zip,
                              city=self.city, country="BE", email=self.email)

    def truth(self) -> PackageTruth:
        books = TruthBuilder()
        openings: dict[dt.date, dict[str, Decimal]] = {y.start: {} for y in self.years}
        for header in self.headers.values():
            for line in header.lines:
                if header.period:  # the opening booking is the opening balances, not a movement
                    books.add(line.account, header.year.start, header.period, line.amount, line_id=line.id)
                else:
                    opening = openings[header.year.start]
                    opening[line.account] = opening.get(line.account, Decimal(0)) + line.amount
        return books.build(opening_balances=openings, company_details=self.details(), result_account=RESULT_ACCOUNT)


class Books:
    """Every folder of the licence, stamped on the sandbox's clock."""

    def __init__(self, clock: Clock, *, per_month: int = 1) -> None:
        self.clock = clock
        self.per_month = per_month
        """Sales and purchases a month (tests of paging and the benchmark seed more)."""
        self._stamp_at = clock.now().astimezone(dt.UTC).replace(microsecond=0) - dt.timedelta(days=30)
        self.folders: dict[str, Folder] = {}
        rng, today = random.Random(20251001), clock.now().date()
        for code, name, vat, street, zipcode, city, first_month in (
            ("DEKORENAAR", "Bakkerij De Korenaar BV", "BE0123456749", "Veldstraat 12", "9000", "Gent", 1),
            ("ANKER", "Brasserie Het Anker NV", "BE0987654312", "Guido Gezellelaan 49", "2800", "Mechelen", 4),
            ("DELTA", "Delta Trading CommV", "BE0456123798", "Italiëlei 4", "2000", "Antwerpen", 10),
        ):
            start = dt.date(today.year if today.month >= first_month else today.year - 1, first_month, 1)
            years = []
            for back in (2, 1, 0):
                begin = dt.date(start.year - back, first_month, 1)
                years.append(Year(guid(code, begin), str(begin.year) if first_month == 1 else f"{begin.year}-{begin.year + 1}",
                                  begin, back == 2))
            folder = self.folders[code] = Folder(code, name, vat, street, zipcode, city, f"info@{code.lower()}.be", years)
            self._seed(folder, rng, today)

    def _seed(self, folder: Folder, rng: random.Random, today: dt.date) -> None:
        for index, year in enumerate(folder.years):
            if index:
                self._opening(folder, year, folder.years[index - 1])
            for _, p_start, _end in year.periods()[1:]:
                day = p_start + dt.timedelta(days=9)
                if day > today:
                    break
                for _ in range(self.per_month):
                    self.sale(folder, day, Decimal(rng.randint(20000, 250000)) / 100)
                    cost = Decimal(rng.randint(10000, 90000)) / 100
                    vat = (cost * Decimal("0.21")).quantize(CENT)
                    self.book(folder, day, "ACH", f"Aankoop {day:%m/%Y}",
                              [("440000", -(cost + vat)), ("604000", cost), ("411000", vat)])
            if index == 1:
                # Dated in the next year, booked in this year's last period.
                self.book(folder, folder.years[2].start + dt.timedelta(days=2), "OD", "Toe te rekenen kosten",
                          [("604000", Decimal("75.00")), ("440000", Decimal("-75.00"))], booked_in=(year, 12))
        self.book(folder, folder.years[2].start + dt.timedelta(days=20), "BNK", "Softwarelicentie (USD)",
                  [("550000", Decimal("-920.50")), ("613000", Decimal("920.50"))], rate=Decimal("1.0850"))

    def _opening(self, folder: Folder, year: Year, previous: Year) -> None:
        totals: dict[str, Decimal] = {}
        for header in folder.headers.values():
            if header.year is previous:
                for line in header.lines:
                    account = line.account if line.account[0] in "12345" else RESULT_ACCOUNT
                    totals[account] = totals.get(account, Decimal(0)) + line.amount
        rows = [(a, v) for a, v in sorted(totals.items()) if v]
        if rows:
            self.book(folder, year.start, "OUV", "Openingsbalans", rows, booked_in=(year, 0))

    def stamp(self) -> dt.datetime:
        """A modification stamp, always later than the previous one (milliseconds)."""
        now = self.clock.now().astimezone(dt.UTC)
        now = now.replace(microsecond=now.microsecond // 1000 * 1000)
        self._stamp_at = max(now, self._stamp_at + dt.timedelta(milliseconds=1))
        return self._stamp_at

    def sale(self, folder: Folder, day: dt.date, net: Decimal) -> list[str]:
        vat = (net * Decimal("0.21")).quantize(CENT)
        return self.book(folder, day, "VEN", f"Verkoop {day:%m/%Y}", [("400000", net + vat), ("700000", -net), ("451000", -vat)])

    def book(self, folder: Folder, day: dt.date, journal: str, text: str, rows: list[tuple[str, Decimal]],
             rate: Decimal | None = None, booked_in: tuple[Year, int] | None = None) -> list[str]:
        assert sum(amount for _, amount in rows) == 0, "sandbox bookings balance"
        year = booked_in[0] if booked_in else next(y for y in folder.years if y.start <= day <= y.end)
        number = folder.next_number.get((year.id, journal), 1)
        folder.next_number[year.id, journal] = number + 1
        header_id = guid(folder.code, year.id, journal, number, len(folder.headers))
        step = 1 if journal in ("VEN", "ACH") else 1000  # LineOrder: 0..N for sales and purchases, 1000s otherwise
        lines = [Trans(guid(header_id, i), i * step if step == 1 else (i + 1) * step, account, amount,
                       (amount * rate).quantize(CENT) if rate else None, text)
                 for i, (account, amount) in enumerate(rows)]
        folder.headers[header_id] = Header(header_id, year, booked_in[1] if booked_in else year.period_of(day), journal,
                                           number, day, self.stamp(), lines, "USD" if rate else "EUR", rate)
        return [line.id for line in lines]
