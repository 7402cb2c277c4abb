"""The sandbox office's relations: Belgian clients of an accounting office, as AdminPulse holds them.

Seeded deterministically: five companies with valid KBO/BCE enterprise numbers (the last two
digits are 97 minus the first eight modulo 97) and the matching BE VAT numbers, the legal forms
BV, NV, VZW and CommV and a sole proprietor without one, Dutch and French addresses, a
non-calendar fiscal year (06-30 and 03-31), contacts; beside them a private person and a
prospect, which are relations but no one's company. ``extra`` adds generated companies (for
benchmarks).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from sfsync_adminpulse.facts import RELATION_TYPES, STATUS

__all__ = [
    "Address",
    "Contact",
    "Relation",
    "enterprise_number",
    "seed_relations",
    "valid_enterprise_number",
]

CUSTOMER, PROSPECT, OWN_COMPANY = STATUS["customer"], STATUS["prospect"], STATUS["own_company"]
COMPANY, SOLE_PROPRIETOR, PERSON = (RELATION_TYPES[t] for t in ("company", "sole_proprietor", "person"))


def enterprise_number(first_eight: str) -> str:
    """The ten-digit Belgian enterprise number whose first eight digits are given."""
    if len(first_eight) != 8 or not first_eight.isdigit() or first_eight[0] not in "01":
        raise ValueError(f"an enterprise number starts with eight digits, the first 0 or 1: {first_eight!r}")
    return f"{first_eight}{97 - int(first_eight) % 97:02d}"


def valid_enterprise_number(number: str) -> bool:
    """Whether ten digits (dots and a BE prefix allowed) carry a valid check number."""
    digits = number.upper().removeprefix("BE").replace(".", "").replace(" ", "")
    return len(digits) == 10 and digits.isdigit() and enterprise_number(digits[:8]) == digits


def dotted(number: str) -> str:
    """``0412345678`` as KBO prints it: ``0412.345.678``."""
    return f"{number[:4]}.{number[4:7]}.{number[7:]}"


@dataclass
class Address:
    street: str
    number: str
    postal_code: str
    city: str
    box: str | None = None
    country: str = "BE"


@dataclass
class Contact:
    first_name: str
    last_name: str
    function: str | None = None
    email: str | None = None
    phone: str | None = None


@dataclass
class Relation:
    """One relation of the office."""

    id: str
    code: str
    customer_code: str
    name: str
    legal_form: str | None
    number: str | None
    """The ten-digit enterprise number (``None`` for a private person)."""
    address: Address
    language: str
    fiscal_year_end: str | None
    """``dd/MM`` as the relation file shows it."""
    founded: dt.date | None
    modified: dt.datetime
    email: str | None = None
    phone: str | None = None
    contacts: list[Contact] = field(default_factory=list)
    status: int = CUSTOMER
    type: int = COMPANY
    vat_liable: bool = True

    @property
    def is_company(self) -> bool:
        """Whether a dossier can be this relation's: a client company or sole proprietor."""
        return self.type in (COMPANY, SOLE_PROPRIETOR) and self.status in (CUSTOMER, OWN_COMPANY)

    @property
    def vat_number(self) -> str | None:
        return f"BE{self.number}" if self.number and self.vat_liable else None


def _id(seed: int, n: int) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"sfsync-adminpulse:{seed}:{n}"))


def seed_relations(now: dt.datetime, seed: int = 25, extra: int = 0) -> list[Relation]:
    """The office's relations, the richest company first."""
    stamp = now.replace(microsecond=0) - dt.timedelta(days=3)
    rows = [
        Relation(_id(seed, 1), "APR0001", "PEETERS", "Bakkerij Peeters", "BV", enterprise_number("04623187"),
                 Address("Veldstraat", "12", "9000", "Gent"), "nl", "31/12", dt.date(2011, 3, 1),
                 stamp, email="info@bakkerijpeeters.be", phone="+32 9 223 45 67",
                 contacts=[Contact("An", "Peeters", "zaakvoerder", "an@bakkerijpeeters.be", "+32 475 12 34 56"),
                           Contact("Tom", "Peeters", "bestuurder")]),
        Relation(_id(seed, 2), "APR0002", "LAMBERT", "Transports Lambert", "NV", enterprise_number("04419865"),
                 Address("Rue de la Station", "45", "4000", "Liège"), "fr", "30/06", dt.date(1998, 7, 1),
                 stamp - dt.timedelta(days=40), email="compta@transports-lambert.be", phone="+32 4 342 11 00",
                 contacts=[Contact("Marc", "Lambert", "administrateur délégué", "marc@transports-lambert.be")]),
        Relation(_id(seed, 3), "APR0003", "DELEEUW", "Sportclub De Leeuw", "VZW", enterprise_number("04107562"),
                 Address("Tiensesteenweg", "150", "3000", "Leuven", box="2"), "nl", "31/12", dt.date(1986, 9, 15),
                 stamp - dt.timedelta(days=200), email="secretariaat@deleeuw.be",
                 contacts=[Contact("Els", "Wouters", "voorzitter", "els.wouters@deleeuw.be")], vat_liable=False),
        Relation(_id(seed, 4), "APR0004", "DEWITTE", "Dewitte & Co", "CommV", enterprise_number("07123458"),
                 Address("Markt", "3", "8000", "Brugge"), "nl", "31/03", dt.date(2019, 4, 1),
                 stamp - dt.timedelta(days=12), phone="+32 50 33 44 55",
                 contacts=[Contact("Lien", "Dewitte", "beherend vennoot")]),
        Relation(_id(seed, 5), "APR0005", "HENRARD", "Boulangerie Henrard", None, enterprise_number("08765432"),
                 Address("Chaussée de Namur", "77", "5000", "Namur"), "fr", "31/12", dt.date(2015, 2, 2),
                 stamp - dt.timedelta(days=90), email="henrard@skynet.be", type=SOLE_PROPRIETOR),
        Relation(_id(seed, 6), "APR0006", "JANSSENS", "Jan Janssens", None, None,
                 Address("Kerkstraat", "5", "2000", "Antwerpen"), "nl", None, None,
                 stamp - dt.timedelta(days=30), type=PERSON),
        Relation(_id(seed, 7), "APR0007", "MAES", "Garage Maes", "BV", enterprise_number("07891234"),
                 Address("Brusselsesteenweg", "210", "1500", "Halle"), "nl", "31/12", dt.date(2021, 1, 4),
                 stamp - dt.timedelta(days=5), status=PROSPECT),
    ]
    for n in range(extra):
        rows.append(Relation(
            _id(seed, 100 + n), f"APR{1000 + n:04d}", f"GEN{n:04d}", f"Handelszaak {n + 1:04d}", "BV",
            enterprise_number(f"05{n:06d}"), Address("Industrieweg", str(n % 200 + 1), "9030", "Mariakerke"),
            "nl", "31/12", dt.date(2020, 1, 1), stamp - dt.timedelta(minutes=n),
        ))
    return rows
