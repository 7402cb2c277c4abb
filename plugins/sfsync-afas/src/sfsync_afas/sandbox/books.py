"""The sandbox's environment 12345: three administrations of Dutch and Belgian bookkeeping.

* 1 ``JANSEN`` Bakkerij Jansen B.V. (Amersfoort): calendar years; a January invoice booked in
  December of the year before (its booking period differs from its date).
* 2 ``VDAMME`` Van Damme Logistics BV (Gent): fiscal years July–June; export invoices in US dollars
  (Profit_Transactions carries no currency: the line is in euro, the dollar amount in its text).
* 3 ``DESMET`` De Smet Consultancy BV (Leuven): calendar years, few entries.

Each has three fiscal years up to today, the first one closed (every period blocked), an opening
entry in the first period of the first year, and in its history an edited line and a deleted entry.
Everything is drawn from a seeded ``random.Random``: the same seed gives the same books.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

__all__ = ["CHART", "JOURNALS", "Administration", "Line", "Year", "seed_administrations"]

CENT = Decimal("0.01")

# Account number: (description, Type: 1 Activa, 2 Passiva, 3 Opbrengsten, 4 Kosten, role)
CHART: dict[str, tuple[str, str, str]] = {
    "0200": ("Inventaris", "1", "equipment"),
    "0500": ("Aandelenkapitaal", "2", "capital"),
    "0610": ("Onverdeelde winst", "2", "retained"),
    "0800": ("Lening o/g", "2", "loan"),
    "1100": ("Bank", "1", "bank"),
    "1300": ("Debiteuren", "1", "debtors"),
    "1500": ("Te vorderen btw", "1", "vat_in"),
    "1510": ("Af te dragen btw", "2", "vat_out"),
    "1600": ("Crediteuren", "2", "creditors"),
    "4100": ("Huisvestingskosten", "4", "rent"),
    "4500": ("Telefoon en internet", "4", "telecom"),
    "7000": ("Inkoopwaarde van de omzet", "4", "purchases"),
    "8000": ("Omzet", "3", "sales"),
    "8900": ("Koersverschillen", "3", "fx"),
}
ROLES = {role: code for code, (_, _, role) in CHART.items()}
RESULT_ACCOUNT = ROLES["retained"]
JOURNALS: dict[str, tuple[str, str]] = {
    "10": ("Bank", "B"), "60": ("Verkoopboek", "V"), "70": ("Inkoopboek", "I"), "90": ("Memoriaal", "M"),
}
"""Journal code: (description, JournalType code)."""

# (id, code, name, first month of the fiscal year, entries a month, VAT rate, city, dollars)
PLANS = [
    (1, "JANSEN", "Bakkerij Jansen B.V.", 1, 6, Decimal("0.09"), "Amersfoort", False),
    (2, "VDAMME", "Van Damme Logistics BV", 7, 4, Decimal("0.21"), "Gent", True),
    (3, "DESMET", "De Smet Consultancy BV", 1, 2, Decimal("0.21"), "Leuven", False),
]
CUSTOMERS = ["Albert Heijn Hoogland", "Hotel De Witte Bergen", "Colruyt Gent", "Lunchroom 't Hoekje", "Delhaize Leuven"]
SUPPLIERS = [("purchases", "Meelfabriek Meneba", 40_000, 300_000), ("rent", "Vastgoed Amersfoort", 150_000, 150_001),
             ("telecom", "KPN Zakelijk", 5_000, 9_000)]


@dataclass
class Line:
    """One row of Profit_Transactions: one account's side of one journal entry."""

    unit: int
    year: int
    period: int
    entry: int
    seq: int
    journal: str
    account: str
    debit: Decimal
    credit: Decimal
    entry_date: dt.date
    voucher_no: str
    description: str
    created: dt.datetime
    modified: dt.datetime
    invoice: str | None = None
    vat_code: str | None = None
    vat_amount: Decimal | None = None

    @property
    def id(self) -> str:
        """The id the connector stores the line under: year, entry and sequence number."""
        return f"{self.year}-{self.entry}-{self.seq}"


@dataclass(frozen=True)
class Year:
    """A fiscal year: its number, first and last day, and whether its periods are blocked."""

    number: int
    start: dt.date
    end: dt.date
    closed: bool

    def periods(self) -> list[tuple[int, dt.date, dt.date]]:
        """(number, first day, last day) of its twelve monthly periods."""
        out = []
        for n in range(12):
            first = _add_months(self.start, n)
            out.append((n + 1, first, _add_months(first, 1) - dt.timedelta(days=1)))
        return out

    def period_of(self, day: dt.date) -> int:
        return (day.year - self.start.year) * 12 + day.month - self.start.month + 1


@dataclass
class Administration:
    """One administration of the environment: a company for sfsync."""

    id: int
    code: str
    name: str
    city: str
    years: list[Year]
    lines: dict[str, Line] = field(default_factory=dict)
    next_entry: dict[int, int] = field(default_factory=dict)

    def year_of(self, day: dt.date) -> Year:
        for year in self.years:
            if year.start <= day <= year.end:
                return year
        return self.years[-1] if day > self.years[-1].end else self.years[0]

    def year(self, number: int) -> Year:
        return next(y for y in self.years if y.number == number)

    def entry_number(self, year: int) -> int:
        self.next_entry[year] = self.next_entry.get(year, year * 10_000) + 1
        return self.next_entry[year]


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


class Booker:
    """Books balanced entries into an administration (the seed, and the sandbox's later changes)."""

    def __init__(self, admin: Administration, rng: random.Random, now: dt.datetime) -> None:
        self.admin, self.rng, self.now = admin, rng, now

    def stamp(self, day: dt.date) -> dt.datetime:
        moment = dt.datetime.combine(day, dt.time(8 + self.rng.randrange(10), self.rng.randrange(60), self.rng.randrange(60)))
        return min(moment, self.now - dt.timedelta(hours=2))

    def book(
        self, day: dt.date, journal: str, legs: list[tuple[str, Decimal, Decimal]], text: str, *,
        booked_in: tuple[int, int] | None = None, created: dt.datetime | None = None, invoice: str | None = None,
    ) -> list[Line]:
        year = self.admin.year_of(day)
        number, period = booked_in or (year.number, year.period_of(day))
        entry = self.admin.entry_number(number)
        stamp = created or self.stamp(day)
        lines = []
        for seq, (role, debit, credit) in enumerate(legs, 1):
            line = Line(
                unit=self.admin.id, year=number, period=period, entry=entry, seq=seq, journal=journal,
                account=ROLES[role], debit=debit.quantize(CENT), credit=credit.quantize(CENT), entry_date=day,
                voucher_no=f"{journal}{entry}", description=text, created=stamp, modified=stamp, invoice=invoice,
                vat_code="1" if role in ("vat_in", "vat_out") else None,
            )
            self.admin.lines[line.id] = line
            lines.append(line)
        return lines

    def sale(self, day: dt.date, net: Decimal, vat_rate: Decimal, customer: str, *, text: str | None = None,
             booked_in: tuple[int, int] | None = None, created: dt.datetime | None = None) -> list[Line]:
        vat = (net * vat_rate).quantize(CENT)
        invoice = f"F{self.rng.randrange(10_000, 99_999)}"
        legs = [("debtors", net + vat, Decimal(0)), ("sales", Decimal(0), net)]
        if vat:  # an export invoice carries no VAT line
            legs.append(("vat_out", Decimal(0), vat))
        return self.book(day, "60", legs,
                         text or f"Factuur {invoice} {customer}", booked_in=booked_in, created=created, invoice=invoice)

    def month(self, start: dt.date, last: dt.date, count: int, vat_rate: Decimal, dollars: bool) -> None:
        rng = self.rng
        for _ in range(count):
            day = min(start + dt.timedelta(days=rng.randrange(28)), last)
            net = Decimal(rng.randrange(5_000, 250_000)) / 100
            customer = rng.choice(CUSTOMERS)
            if dollars and rng.random() < 0.3:
                usd = (net * Decimal("1.0850")).quantize(CENT)
                self.sale(day, net, Decimal(0), "Acme Freight Inc.",
                          text=f"Export invoice Acme Freight Inc. USD {usd} @ 1.0850")
            else:
                self.sale(day, net, vat_rate, customer)
            if rng.random() < 0.7:
                gross = (net * (1 + vat_rate)).quantize(CENT)
                self.book(min(day + dt.timedelta(days=3), last), "10",
                          [("bank", gross, Decimal(0)), ("debtors", Decimal(0), gross)], f"Ontvangst {customer}")
        for role, supplier, low, high in SUPPLIERS:
            day = min(start + dt.timedelta(days=rng.randrange(20)), last)
            net = Decimal(rng.randrange(low, high)) / 100
            vat = (net * Decimal("0.21")).quantize(CENT)
            self.book(day, "70", [(role, net, Decimal(0)), ("vat_in", vat, Decimal(0)),
                                  ("creditors", Decimal(0), net + vat)], f"Factuur {supplier}")
            self.book(min(day + dt.timedelta(days=5), last), "10",
                      [("creditors", net + vat, Decimal(0)), ("bank", Decimal(0), net + vat)], f"Betaling {supplier}")


def seed_administrations(
    now: dt.datetime, seed: int, entries_per_month: int | None = None
) -> tuple[list[Administration], list[tuple[dt.date, dt.datetime]]]:
    """The three administrations with books up to ``now``, and the environment's changed entry
    dates (Profit_Fin_ChangedEntrydate) their history left."""
    today = now.date()
    administrations, changes = [], []
    for index, (ident, code, name, first_month, per_month, vat_rate, city, dollars) in enumerate(PLANS):
        rng = random.Random(f"{seed}:{index}")
        current = dt.date(today.year if today.month >= first_month else today.year - 1, first_month, 1)
        starts = [_add_months(current, -24), _add_months(current, -12), current]
        years = [Year(s.year, s, _add_months(s, 12) - dt.timedelta(days=1), closed=n == 0) for n, s in enumerate(starts)]
        admin = Administration(ident, code, name, city, years)
        booker = Booker(admin, rng, now)
        first = years[0].start
        booker.book(first, "90", [("bank", Decimal("24500.00"), Decimal(0)), ("equipment", Decimal("8200.00"), Decimal(0)),
                                  ("capital", Decimal(0), Decimal("18000.00")), ("loan", Decimal(0), Decimal("14700.00"))],
                    "Beginbalans", created=booker.stamp(first))
        month = first
        count = entries_per_month if (index == 0 and entries_per_month) else per_month
        while month <= today:
            booker.month(month, today, count, vat_rate, dollars)
            month = _add_months(month, 1)
        # A January invoice booked in December of the year before: its period is not its date's.
        late = years[1].start + dt.timedelta(days=1) if years[1].start <= today else None
        if late is not None:
            booker.sale(late, Decimal("412.50"), vat_rate, CUSTOMERS[0], booked_in=(years[0].number, 12),
                        text=f"Factuur {CUSTOMERS[0]} (december, nagekomen)")
        # History a first sync meets: an edited line and a deleted entry.
        ordered = sorted(admin.lines.values(), key=lambda x: (x.entry_date, x.entry, x.seq))
        edited = ordered[len(ordered) // 3]
        edited.description += " (gecorrigeerd)"
        edited.modified = min(edited.created + dt.timedelta(days=2), now - dt.timedelta(hours=1))
        changes.append((edited.entry_date, edited.modified))
        victim = ordered[len(ordered) // 2]
        gone = [key for key, x in admin.lines.items() if (x.year, x.entry) == (victim.year, victim.entry)]
        for key in gone:
            del admin.lines[key]
        changes.append((victim.entry_date, min(victim.created + dt.timedelta(days=1), now - dt.timedelta(hours=1))))
        changes.extend((x.entry_date, x.created) for x in admin.lines.values() if x.seq == 1)
        administrations.append(admin)
    return administrations, changes
