"""The Octopus sandbox's seeded dossiers: Belgian bookkeeping over three bookyears each.

Deterministic, relative to the clock's today:

* 1001 Bakkerij De Korenaar BV (Gent): calendar bookyears;
* 1002 Brasserie Het Anker NV (Mechelen): April–March bookyears;
* 1003 Delta Trading CommV (Antwerpen): July–June bookyears, purchases in USD.

The oldest bookyear of each is closed. Every month has a sale (journal V1) and a purchase (A1);
each dossier has a software licence paid in USD (F1) and an accrual dated in the first days of
its current bookyear but booked in the last period of the one before (D1). Amounts follow the
Belgian PCMN chart (classes 1–5 balance sheet, 6–7 profit and loss). Bookings are kept whole, as
Octopus keeps them (journal, document number, lines); the wire shapes are in
:mod:`sfsync_octopus.sandbox.wire`.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

from sfsync.clock import Clock
from sfsync.models import CompanyDetails
from sfsync.truth import PackageTruth, TruthBuilder

from sfsync_octopus.assumed import LEGAL_FORMS
from sfsync_octopus.assumed import RESULT_ACCOUNT as ASSUMED_RESULT_ACCOUNT

__all__ = ["CHART", "RESULT_ACCOUNT", "Booking", "Books", "Bookyear", "Dossier", "Line"]

CENT = Decimal("0.01")
CHART: dict[int, str] = {
    100000: "Geplaatst kapitaal", 140000: "Overgedragen resultaat", 400000: "Handelsvorderingen",
    411000: "Terug te vorderen btw", 440000: "Leveranciers", 451000: "Te betalen btw",
    550000: "KBC zichtrekening", 604000: "Aankopen handelsgoederen", 613000: "Software en licenties",
    700000: "Omzet",
}
RESULT_ACCOUNT = int(ASSUMED_RESULT_ACCOUNT)
"""Where a closed year's profit or loss is carried in the next year's opening balances."""


def balance_sheet(account: int) -> bool:
    """PCMN classes 1 to 5 are balance-sheet accounts, 6 and 7 profit and loss."""
    return str(account)[0] in "12345"


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    return dt.date(day.year + month // 12, month % 12 + 1, 1)


@dataclass
class Bookyear:
    id: int
    start: dt.date
    closed: bool

    @property
    def end(self) -> dt.date:
        return _add_months(self.start, 12) - dt.timedelta(days=1)

    @property
    def description(self) -> str:
        return str(self.start.year) if self.start.month == 1 else f"{self.start.year}-{self.end.year}"

    def periods(self) -> list[tuple[int, dt.date, dt.date]]:
        return [(n, _add_months(self.start, n - 1), _add_months(self.start, n) - dt.timedelta(days=1)) for n in range(1, 13)]

    def period_of(self, day: dt.date) -> int:
        return next(n for n, start, end in self.periods() if start <= day <= end)


@dataclass
class Line:
    seq: int
    account: int
    amount: Decimal
    """In EUR, debit positive."""
    foreign: Decimal | None = None
    comment: str = ""


@dataclass
class Booking:
    year: Bookyear
    journal: str
    number: int
    period: int
    day: dt.date
    comment: str
    lines: list[Line]
    modified: dt.datetime
    currency: str = "EUR"
    rate: Decimal | None = None
    deleted: bool = False

    @property
    def key(self) -> str:
        return f"{self.year.id}-{self.journal}-{self.number}"

    def line_id(self, line: Line) -> str:
        return f"{self.key}-{line.seq}"


@dataclass
class Dossier:
    id: int
    description: str
    corporation_type: int
    vat: str
    street: str
    postal_code: str
    city: str
    email: str
    years: list[Bookyear]
    bookings: dict[str, Booking] = field(default_factory=dict)
    amount_stamps: dict[tuple[int, int, int], dt.datetime] = field(default_factory=dict)
    """When the totals of (bookyear, account, period) last changed: the modified-amounts feed."""
    next_number: dict[tuple[int, str], int] = field(default_factory=dict)
    """The next document number per (bookyear, journal)."""

    def live(self) -> list[Booking]:
        return [b for b in self.bookings.values() if not b.deleted]

    def year(self, year_id: int) -> Bookyear | None:
        return next((y for y in self.years if y.id == year_id), None)

    def totals(self) -> dict[tuple[int, int, int], tuple[Decimal, Decimal]]:
        """Debit and credit per (bookyear, account, period), as the package adds them up."""
        out: dict[tuple[int, int, int], tuple[Decimal, Decimal]] = {}
        for booking in self.live():
            for line in booking.lines:
                key = (booking.year.id, line.account, booking.period)
                debit, credit = out.get(key, (Decimal(0), Decimal(0)))
                out[key] = (debit + max(line.amount, Decimal(0)), credit + max(-line.amount, Decimal(0)))
        return out

    def balances_at(self, at: dt.date) -> dict[int, Decimal]:
        """Every balance-sheet account's balance at the start of bookyear ``at``: the years ended
        before it, their profit or loss carried to the result account."""
        totals: dict[int, Decimal] = {}
        for booking in self.live():
            if booking.year.end < at:
                for line in booking.lines:
                    account = line.account if balance_sheet(line.account) else RESULT_ACCOUNT
                    totals[account] = totals.get(account, Decimal(0)) + line.amount
        return {a: v for a, v in totals.items() if v != 0}

    def details(self) -> CompanyDetails:
        return CompanyDetails(
            name=self.description, legal_form=LEGAL_FORMS[self.corporation_type], vat_number=self.vat,
            street=self.street, postal_code=self.postal_code, city=self.city, country="BE", email=self.email,
        )

    def truth(self) -> PackageTruth:
        """The package's own figures, added up from the seeded bookings (see ``sfsync.truth``)."""
        books = TruthBuilder()
        for booking in self.live():
            for line in booking.lines:
                books.add(str(line.account), booking.year.start, booking.period, line.amount, line_id=booking.line_id(line))
        openings = {y.start: {str(a): v for a, v in self.balances_at(y.start).items()} for y in self.years}
        return books.build(opening_balances=openings, company_details=self.details(), result_account=str(RESULT_ACCOUNT))


class Books:
    """Every dossier's books, stamped on the sandbox's clock."""

    def __init__(self, clock: Clock, *, per_month: int = 1) -> None:
        self.clock = clock
        self.per_month = per_month
        """Sales and purchases a month (the benchmark seeds many)."""
        self._stamp_at = clock.now().astimezone(dt.UTC).replace(tzinfo=None, microsecond=0) - dt.timedelta(days=30)
        self.dossiers: dict[int, Dossier] = {}
        rng, today = random.Random(20250401), clock.now().date()
        seeds = (
            (1001, "Bakkerij De Korenaar BV", 1, "BE0123456749", "Veldstraat 12", "9000", "Gent", 1),
            (1002, "Brasserie Het Anker NV", 2, "BE0987654312", "Guido Gezellelaan 49", "2800", "Mechelen", 4),
            (1003, "Delta Trading CommV", 3, "BE0456123798", "Italiëlei 4", "2000", "Antwerpen", 7),
        )
        for number, name, form, vat, street, postal, city, first_month in seeds:
            start = dt.date(today.year if today.month >= first_month else today.year - 1, first_month, 1)
            years = [Bookyear(i + 1, dt.date(start.year - back, first_month, 1), back == 2) for i, back in enumerate((2, 1, 0))]
            dossier = self.dossiers[number] = Dossier(
                number, name, form, vat, street, postal, city, f"boekhouding@{name.split()[1].lower()}.be", years)
            self._seed(dossier, rng, today)

    def _seed(self, dossier: Dossier, rng: random.Random, today: dt.date) -> None:
        for year in dossier.years:
            for _, p_start, _ in year.periods():
                day = p_start + dt.timedelta(days=9)
                if day > today:
                    break
                for _ in range(self.per_month):
                    self.sale(dossier, day, Decimal(rng.randint(20000, 250000)) / 100)
                    cost = Decimal(rng.randint(10000, 90000)) / 100
                    vat = (cost * Decimal("0.21")).quantize(CENT)
                    self.book(dossier, day, "A1", f"Aankoop {day:%m/%Y}",
                              [(604000, cost), (411000, vat), (440000, -(cost + vat))])
        current, previous = dossier.years[-1], dossier.years[-2]
        # Paid in USD: the EUR amounts and the dollars at 1.0850.
        self.book(dossier, current.start + dt.timedelta(days=20), "F1", "Softwarelicentie (USD)",
                  [(613000, Decimal("920.50")), (550000, Decimal("-920.50"))], rate=Decimal("1.0850"))
        # Dated in the current bookyear, booked in the last period of the one before.
        self.book(dossier, current.start + dt.timedelta(days=2), "D1", "Toe te rekenen kosten vorig boekjaar",
                  [(604000, Decimal("75.00")), (440000, Decimal("-75.00"))], booked_in=(previous, 12))

    def stamp(self) -> dt.datetime:
        """A modification stamp: now, but always later than the previous one (milliseconds)."""
        now = self.clock.now().astimezone(dt.UTC).replace(tzinfo=None)
        now = now.replace(microsecond=now.microsecond // 1000 * 1000)
        self._stamp_at = max(now, self._stamp_at + dt.timedelta(milliseconds=1))
        return self._stamp_at

    def touch(self, dossier: Dossier, booking: Booking, stamp: dt.datetime) -> None:
        """The totals a booking adds to changed at ``stamp``."""
        for line in booking.lines:
            dossier.amount_stamps[booking.year.id, line.account, booking.period] = stamp

    def sale(self, dossier: Dossier, day: dt.date, net: Decimal) -> list[str]:
        vat = (net * Decimal("0.21")).quantize(CENT)
        return self.book(dossier, day, "V1", f"Verkoopfactuur {day:%m/%Y}",
                         [(400000, net + vat), (700000, -net), (451000, -vat)])

    def book(self, dossier: Dossier, day: dt.date, journal: str, text: str, rows: list[tuple[int, Decimal]],
             rate: Decimal | None = None, booked_in: tuple[Bookyear, int] | None = None) -> list[str]:
        """Book a balanced entry (``rate``: USD per EUR; ``booked_in``: the bookyear and period
        when not those of its date); return its line ids."""
        assert sum(amount for _, amount in rows) == 0, "sandbox bookings balance"
        year = booked_in[0] if booked_in else next(y for y in dossier.years if y.start <= day <= y.end)
        number = dossier.next_number.get((year.id, journal), 1)
        dossier.next_number[year.id, journal] = number + 1
        lines = [Line(seq, account, amount, (amount * rate).quantize(CENT) if rate else None, text)
                 for seq, (account, amount) in enumerate(rows, start=1)]
        stamp = self.stamp()
        booking = Booking(year, journal, number, booked_in[1] if booked_in else year.period_of(day), day, text, lines,
                          stamp, currency="USD" if rate else "EUR", rate=rate)
        dossier.bookings[booking.key] = booking
        self.touch(dossier, booking, stamp)
        return [booking.line_id(line) for line in lines]
