"""The sandbox's seeded Yuki data: two domains (NL, BE), four administrations, their charts and entries.

Deterministic: the same data on every run (random.Random seeded per administration). Dates are
fixed (2022-07 to SEED_END) so that a fake clock and the real clock see the same books.
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
import uuid
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

__all__ = ["SEED_END", "Account", "Administration", "Domain", "Entry", "Line", "seed"]

SEED_END = dt.date(2026, 1, 10)
CENT = Decimal("0.01")


def money(value: Decimal | float | int | str) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Domain:
    id: str
    name: str
    url: str


@dataclass(frozen=True)
class Account:
    code: str
    type: int  # undocumented in Yuki; here 1 assets, 2 equity and liabilities, 3 revenue, 4 costs
    subtype: int
    nl: str
    fr: str
    en: str
    balance_sheet: bool
    vat: bool = False
    enabled: bool = True


@dataclass
class Contact:
    id: str
    hid: int
    code: str
    name: str
    country: str
    zipcode: str
    vat_number: str = ""
    coc_number: str = ""


@dataclass
class Line:
    id: str
    hid: int
    date: dt.date
    description: str
    amount: Decimal  # signed, debit positive, in EUR
    account: str
    contact: Contact | None = None
    currency: str = "EUR"
    amount_fc: Decimal | None = None
    rate: Decimal = Decimal(1)
    vat_description: str = ""
    project: tuple[str, str] | None = None


@dataclass
class Entry:
    document_id: str
    hid: int
    reference: str
    doc_type: str
    folder: str
    folder_tab: str
    created: dt.datetime
    modified: dt.datetime
    lines: list[Line] = field(default_factory=list)

    @property
    def date(self) -> dt.date:
        return self.lines[0].date


@dataclass
class Administration:
    id: str
    name: str
    domain_id: str
    country: str
    address: str
    postcode: str
    city: str
    coc_number: str
    vat_number: str
    start_date: dt.date
    fy_start_month: int
    language: str
    result_account: str
    chart: dict[str, Account]
    entries: dict[str, Entry] = field(default_factory=dict)
    year_modified: dict[int, dt.datetime] = field(default_factory=dict)
    active: bool = True

    def year_id_of(self, day: dt.date) -> int:
        """Yuki's yearID of the fiscal year holding ``day``: here the calendar year it starts in."""
        return day.year if day.month >= self.fy_start_month else day.year - 1

    def year_bounds(self, year_id: int) -> tuple[dt.date, dt.date]:
        start = dt.date(year_id, self.fy_start_month, 1)
        if self.fy_start_month == 1:
            return start, dt.date(year_id, 12, 31)
        return start, dt.date(year_id + 1, self.fy_start_month, 1) - dt.timedelta(days=1)

    def lines(self) -> list[Line]:
        out = [line for entry in self.entries.values() for line in entry.lines]
        out.sort(key=lambda line: (line.date, line.hid))
        return out

    def description(self, account: Account) -> str:
        return account.fr if self.language == "fr" else account.nl


def _acc(code: str, type_: int, nl: str, fr: str, en: str, bs: bool, subtype: int = 0, vat: bool = False) -> Account:
    return Account(code, type_, subtype, nl, fr, en, bs, vat)


NL_CHART = [
    _acc("020000", 1, "Inventaris", "Mobilier", "Furniture and fittings", True),
    _acc("100000", 2, "Geplaatst kapitaal", "Capital souscrit", "Share capital", True),
    _acc("105000", 2, "Onverdeelde winst", "Bénéfice non distribué", "Retained earnings", True, 16),
    _acc("110000", 1, "ING Bank", "Banque ING", "ING bank account", True),
    _acc("130000", 1, "Debiteuren", "Clients", "Accounts receivable", True),
    _acc("160000", 2, "Crediteuren", "Fournisseurs", "Accounts payable", True),
    _acc("180000", 2, "Af te dragen btw", "TVA à payer", "VAT payable", True),
    _acc("181000", 1, "Te vorderen btw", "TVA à récupérer", "VAT receivable", True),
    _acc("185000", 2, "Af te dragen loonheffing", "Précompte à payer", "Payroll tax payable", True),
    _acc("400000", 4, "Lonen en salarissen", "Salaires", "Wages and salaries", False),
    _acc("410000", 4, "Huisvestingskosten", "Frais de locaux", "Housing costs", False, vat=True),
    _acc("450000", 4, "Algemene kosten", "Frais généraux", "General expenses", False, vat=True),
    _acc("490000", 4, "Koersverschillen", "Différences de change", "Exchange differences", False),
    _acc("700000", 4, "Inkoopwaarde van de omzet", "Coût des ventes", "Cost of sales", False, vat=True),
    _acc("800000", 3, "Omzet hoog tarief", "Chiffre d'affaires taux normal", "Revenue standard rate", False, vat=True),
    _acc("810000", 3, "Omzet export", "Chiffre d'affaires export", "Revenue export", False),
]
BE_CHART = [
    _acc("100000", 2, "Geplaatst kapitaal", "Capital souscrit", "Share capital", True),
    _acc("140000", 2, "Overgedragen winst", "Bénéfice reporté", "Profit carried forward", True, 16),
    _acc("240000", 1, "Meubilair en rollend materieel", "Mobilier et matériel roulant", "Furniture and vehicles", True),
    _acc("400000", 1, "Handelsdebiteuren", "Clients", "Trade debtors", True),
    _acc("411000", 1, "Terug te vorderen btw", "TVA à récupérer", "VAT receivable", True),
    _acc("440000", 2, "Leveranciers", "Fournisseurs", "Suppliers", True),
    _acc("451000", 2, "Te betalen btw", "TVA à payer", "VAT payable", True),
    _acc("453000", 2, "Ingehouden voorheffingen", "Précomptes retenus", "Withholding taxes", True),
    _acc("550000", 1, "KBC Bank", "Banque KBC", "KBC bank account", True),
    _acc("600000", 4, "Aankopen handelsgoederen", "Achats de marchandises", "Purchases of goods", False, vat=True),
    _acc("610000", 4, "Diensten en diverse goederen", "Services et biens divers", "Services and sundry goods", False, vat=True),
    _acc("620000", 4, "Bezoldigingen", "Rémunérations", "Remunerations", False),
    _acc("654000", 4, "Wisselkoersverschillen", "Différences de change", "Exchange differences", False),
    _acc("700000", 3, "Omzet", "Chiffre d'affaires", "Turnover", False, vat=True),
]

# Roles of accounts per chart: bank, debtors, creditors, vat_out, vat_in, payroll tax, wages,
# costs, purchases, revenue, capital.
NL_ROLES = dict(bank="110000", debtors="130000", creditors="160000", vat_out="180000", vat_in="181000",
                payroll="185000", wages="400000", costs=("410000", "450000"), purchases="700000",
                revenue="800000", capital="100000", fx="490000")
BE_ROLES = dict(bank="550000", debtors="400000", creditors="440000", vat_out="451000", vat_in="411000",
                payroll="453000", wages="620000", costs=("610000",), purchases="600000",
                revenue="700000", capital="100000", fx="654000")


@dataclass
class _Spec:
    id: str
    name: str
    domain: str
    country: str
    address: str
    postcode: str
    city: str
    coc: str
    vat: str
    start: dt.date
    fy_month: int
    language: str
    foreign: str | None
    customers: list[tuple[str, str, str]]  # name, country, zipcode
    suppliers: list[tuple[str, str, str]]


DOMAIN_NL = Domain("6f1c3d2e-7a8b-4c9d-8e0f-1a2b3c4d5e60", "Administratiekantoor Jansen", "jansen.yukiworks.nl")
DOMAIN_BE = Domain("9d1e2f3a-4b5c-4d6e-8f70-112233445566", "Fiduciaire Dupont & Peeters", "dupont.yukiworks.be")

SPECS = [
    _Spec("0b7e7c0e-2f43-4a55-8d1a-3c4f5e6a7b8c", "Bakkerij De Gouden Korst B.V.", DOMAIN_NL.id, "NL",
          "Dorpsstraat 1", "3511 AB", "Utrecht", "12345678", "NL001234567B01", dt.date(2023, 1, 1), 1, "nl",
          None, [("Hotel De Wijk", "NL", "3512 CD"), ("Café Het Plein", "NL", "3511 EF"), ("Gemeente Utrecht", "NL", "3500 GG")],
          [("Meelfabriek Holland", "NL", "1012 AB"), ("Energie Direct", "NL", "2511 CV")]),
    _Spec("3c9a1f20-5b6d-4e7f-9a0b-1c2d3e4f5a6b", "Van Dijk Installatietechniek B.V.", DOMAIN_NL.id, "NL",
          "Industrieweg 42", "5652 AG", "Eindhoven", "87654321", "NL009876543B01", dt.date(2022, 7, 1), 7, "nl",
          "USD", [("Woningstichting Thuis", "NL", "5611 AA"), ("Bouwcombinatie Zuid", "NL", "5623 BB")],
          [("Technische Unie", "NL", "1183 AT"), ("Carrier Corp.", "US", "33418")]),
    _Spec("5e2d8c41-9f3a-4b6c-8d7e-0f1a2b3c4d5e", "Boulangerie Lemaire SRL", DOMAIN_BE.id, "BE",
          "Rue de la Station 12", "5000", "Namur", "0456.789.123", "BE0456789123", dt.date(2023, 1, 1), 1, "fr",
          "GBP", [("Hôtel du Parc", "BE", "5000"), ("Restaurant Le Moulin", "BE", "5100")],
          [("Moulins de Statte", "BE", "4500"), ("Flour Mills Ltd", "GB", "M1 1AA")]),
    _Spec("7a4b2c19-3d5e-4f6a-9b8c-7d6e5f4a3b2c", "Bouwbedrijf Peeters BV", DOMAIN_BE.id, "BE",
          "Kerkstraat 8", "2000", "Antwerpen", "0712.345.678", "BE0712345678", dt.date(2023, 4, 1), 4, "nl",
          None, [("Stad Antwerpen", "BE", "2000"), ("Immo Schelde NV", "BE", "2030")],
          [("Gyproc Benelux", "BE", "9100"), ("Brico Pro", "BE", "1000")]),
]


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


class _Builder:
    def __init__(self, admin: Administration, rng: random.Random, roles: dict[str, Any], foreign: str | None) -> None:
        self.admin = admin
        self.rng = rng
        self.roles = roles
        self.foreign = foreign
        self.hid = 1000
        self.doc_no = 0
        self.open_sales: list[tuple[Contact, Decimal]] = []
        self.open_purchases: list[tuple[Contact, Decimal]] = []

    def next_hid(self) -> int:
        self.hid += 1
        return self.hid

    def entry(self, day: dt.date, doc_type: str, folder: str, prefix: str,
              lines: list[tuple[Any, Decimal, str, Contact | None, dict[str, Any]]]) -> Entry:
        self.doc_no += 1
        stamp = dt.datetime.combine(day, dt.time(17, 30))
        entry = Entry(_uuid(self.rng), self.next_hid(), f"{prefix}{day.year}-{self.doc_no:04d}", doc_type,
                      folder, "", stamp, stamp)
        for account, amount, description, contact, extra in lines:
            entry.lines.append(Line(_uuid(self.rng), self.next_hid(), day, description, money(amount), account,
                                    contact, **extra))
        assert sum(line.amount for line in entry.lines) == 0, entry
        self.admin.entries[entry.document_id] = entry
        return entry


def _month_days(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _contacts(rng: random.Random, items: list[tuple[str, str, str]], start_hid: int) -> list[Contact]:
    return [Contact(_uuid(rng), start_hid + i, f"{start_hid + i}", name, country, zipcode)
            for i, (name, country, zipcode) in enumerate(items)]


def _build_admin(spec: _Spec) -> Administration:
    rng = random.Random(spec.id)
    chart = NL_CHART if spec.country == "NL" else BE_CHART
    roles = NL_ROLES if spec.country == "NL" else BE_ROLES
    result = "105000" if spec.country == "NL" else "140000"
    admin = Administration(
        spec.id, spec.name, spec.domain, spec.country, spec.address, spec.postcode, spec.city, spec.coc,
        spec.vat, spec.start, spec.fy_month, spec.language, result, {a.code: a for a in chart},
    )
    b = _Builder(admin, rng, roles, spec.foreign)
    customers = _contacts(rng, spec.customers, 20000)
    suppliers = _contacts(rng, spec.suppliers, 30000)
    fr = spec.language == "fr"

    def t(nl: str, fr_: str) -> str:
        return fr_ if fr else nl

    b.entry(spec.start, t("Memoriaal", "Opération diverse"), t("Memoriaal", "Divers"), "MEM",
            [(roles["bank"], Decimal(18000), t("Storting kapitaal", "Apport en capital"), None, {}),
             (roles["capital"], Decimal(-18000), t("Storting kapitaal", "Apport en capital"), None, {})])
    day = spec.start
    month = dt.date(day.year, day.month, 1)
    while month <= SEED_END:
        last = _month_days(month.year, month.month)
        for _ in range(2):  # sales invoices
            d = month.replace(day=rng.randint(1, last))
            if d > SEED_END or d < spec.start:
                continue
            c = rng.choice(customers)
            net = money(rng.randint(40000, 450000) / 100)
            vat = money(net * Decimal("0.21"))
            desc = t(f"Factuur {c.name}", f"Facture {c.name}")
            b.entry(d, t("Verkoopfactuur", "Facture de vente"), t("Verkoop", "Ventes"), "VF",
                    [(roles["debtors"], net + vat, desc, c, {}),
                     (roles["revenue"], -net, desc, c, {"vat_description": t("Btw hoog 21%", "TVA 21%")}),
                     (roles["vat_out"], -vat, desc, c, {"vat_description": t("Btw hoog 21%", "TVA 21%")})])
            b.open_sales.append((c, net + vat))
        for _ in range(2):  # purchase invoices
            d = month.replace(day=rng.randint(1, last))
            if d > SEED_END or d < spec.start:
                continue
            s = suppliers[0] if rng.random() < 0.6 else suppliers[1]
            cost = rng.choice((roles["purchases"], *roles["costs"]))
            net = money(rng.randint(10000, 180000) / 100)
            if s.country not in ("NL", "BE") and spec.foreign:
                rate = Decimal(rng.choice(("0.9182", "0.9245", "1.1634", "1.1712")))
                fc = money(net / rate)
                desc = t(f"Inkoop {s.name} {spec.foreign}", f"Achat {s.name} {spec.foreign}")
                extra = {"currency": spec.foreign, "rate": rate}
                b.entry(d, t("Inkoopfactuur", "Facture d'achat"), t("Inkoop", "Achats"), "IF",
                        [(cost, net, desc, s, {**extra, "amount_fc": fc}),
                         (roles["creditors"], -net, desc, s, {**extra, "amount_fc": -fc})])
                b.open_purchases.append((s, net))
                continue
            vat = money(net * Decimal("0.21"))
            desc = t(f"Inkoop {s.name}", f"Achat {s.name}")
            b.entry(d, t("Inkoopfactuur", "Facture d'achat"), t("Inkoop", "Achats"), "IF",
                    [(cost, net, desc, s, {"vat_description": t("Btw hoog 21%", "TVA 21%")}),
                     (roles["vat_in"], vat, desc, s, {"vat_description": t("Btw hoog 21%", "TVA 21%")}),
                     (roles["creditors"], -(net + vat), desc, s, {})])
            b.open_purchases.append((s, net + vat))
        d = month.replace(day=min(25, last))
        if spec.start <= d <= SEED_END:
            gross = money(rng.randint(280000, 420000) / 100)
            tax = money(gross * Decimal("0.31"))
            desc = t(f"Salarissen {d:%m-%Y}", f"Salaires {d:%m-%Y}")
            b.entry(d, t("Memoriaal", "Opération diverse"), t("Salaris", "Salaires"), "SAL",
                    [(roles["wages"], gross, desc, None, {}), (roles["bank"], -(gross - tax), desc, None, {}),
                     (roles["payroll"], -tax, desc, None, {})])
            if b.open_sales:
                c, amount = b.open_sales.pop(0)
                desc = t(f"Ontvangst {c.name}", f"Paiement {c.name}")
                b.entry(d, t("Bankafschrift", "Extrait bancaire"), "Bank", "BNK",
                        [(roles["bank"], amount, desc, c, {}), (roles["debtors"], -amount, desc, c, {})])
            if b.open_purchases:
                s, amount = b.open_purchases.pop(0)
                desc = t(f"Betaling {s.name}", f"Paiement {s.name}")
                b.entry(d, t("Bankafschrift", "Extrait bancaire"), "Bank", "BNK",
                        [(roles["creditors"], amount, desc, s, {}), (roles["bank"], -amount, desc, s, {})])
        month = (month + dt.timedelta(days=32)).replace(day=1)
    # The last transaction of each year, a day later at 18:00, is when the year was last modified.
    for entry in admin.entries.values():
        year = admin.year_id_of(entry.date)
        stamp = dt.datetime.combine(entry.date + dt.timedelta(days=1), dt.time(18, 0), tzinfo=dt.UTC)
        if year not in admin.year_modified or admin.year_modified[year] < stamp:
            admin.year_modified[year] = stamp
    return admin


def seed() -> tuple[list[Domain], list[Administration]]:
    return [DOMAIN_NL, DOMAIN_BE], [_build_admin(spec) for spec in SPECS]
