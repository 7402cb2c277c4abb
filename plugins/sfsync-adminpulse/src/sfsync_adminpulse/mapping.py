"""AdminPulse relation JSON → sfsync's :class:`~sfsync.models.Company` and
:class:`~sfsync.models.CompanyDetails` (field names from :mod:`sfsync_adminpulse.facts`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import ValidationError
from sfsync.errors import MalformedResponse
from sfsync.models import Company, CompanyDetails, Person

from sfsync_adminpulse.facts import (
    ADDRESS,
    CONTACT,
    FIELDS,
    FISCAL_YEAR_END_FORMAT,
    OFFICIAL_ADDRESS,
    RELATION_TYPES,
    STATUS,
)

__all__ = ["is_client_company", "modified", "to_company", "to_details"]

_COMPANY_TYPES = {RELATION_TYPES["company"], RELATION_TYPES["sole_proprietor"]}
_CLIENT_STATUSES = {STATUS["customer"], STATUS["own_company"]}


def _text(row: dict[str, Any], key: str) -> str | None:
    value = row.get(key)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def is_client_company(row: dict[str, Any]) -> bool:
    """A relation a dossier can be of: a company or sole proprietor that is a client (or the
    office's own company); private persons, prospects and mere contacts are not."""
    return row.get(FIELDS["type"]) in _COMPANY_TYPES and row.get(FIELDS["status"]) in _CLIENT_STATUSES


def to_company(row: dict[str, Any]) -> Company:
    """A relation as a company the firm can link: its id, its AdminPulse code, its name."""
    ident, name = _text(row, FIELDS["id"]), _text(row, FIELDS["name"])
    if ident is None or name is None:
        raise MalformedResponse("AdminPulse sent a relation without id or name")
    return Company(ref=ident, code=_text(row, FIELDS["code"]) or ident, name=name)


def modified(row: dict[str, Any]) -> dt.datetime | None:
    """The relation's last change (UTC), where AdminPulse gives it."""
    raw = _text(row, FIELDS["modified"])
    if raw is None:
        return None
    try:
        stamp = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise MalformedResponse(f"AdminPulse sent a modification stamp that is no date-time: {raw[:40]!r}") from exc
    return (stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)


def _fiscal_year_end(raw: str | None) -> str | None:
    if raw is None:
        return None
    try:
        day = dt.datetime.strptime(f"{raw}/2000", f"{FISCAL_YEAR_END_FORMAT}/%Y")  # 2000: 29/02 is a day
    except ValueError as exc:
        raise MalformedResponse(f"AdminPulse sent a fiscal-year end that is no day/month: {raw[:20]!r}") from exc
    return day.strftime("%m-%d")


def _vat(raw: str | None) -> str | None:
    # Stored as typed in AdminPulse: "BE 0462.318.770" and "be0462318770" are one number.
    if raw is None:
        return None
    compact = "".join(ch for ch in raw.upper() if ch.isalnum())
    return compact if compact[:2].isalpha() else f"BE{compact}"


def _official_address(row: dict[str, Any]) -> dict[str, Any]:
    addresses = row.get(FIELDS["address"]) or []
    if not isinstance(addresses, list):
        raise MalformedResponse("AdminPulse sent addresses that are not a list")
    official = [a for a in addresses if isinstance(a, dict) and a.get(ADDRESS["type"]) == OFFICIAL_ADDRESS]
    return (official or [a for a in addresses if isinstance(a, dict)] or [{}])[0]


def _street(address: dict[str, Any]) -> str | None:
    parts = [_text(address, ADDRESS["street"]), _text(address, ADDRESS["number"])]
    street = " ".join(p for p in parts if p) or None
    box = _text(address, ADDRESS["box"])
    return f"{street} bus {box}" if street and box else street


def _people(row: dict[str, Any]) -> tuple[Person, ...]:
    people = []
    for contact in row.get(FIELDS["contacts"]) or []:
        if not isinstance(contact, dict):
            continue
        name = " ".join(p for p in (_text(contact, CONTACT["first_name"]), _text(contact, CONTACT["last_name"])) if p)
        if name:
            people.append(Person(name=name, role=_text(contact, CONTACT["function"]),
                                 email=_text(contact, CONTACT["email"]), phone=_text(contact, CONTACT["phone"])))
    return tuple(people)


def to_details(row: dict[str, Any]) -> CompanyDetails:
    """The relation's master data as company details."""
    address = _official_address(row)
    founded = _text(row, FIELDS["founded"])
    try:
        return CompanyDetails(
            name=to_company(row).name, legal_form=_text(row, FIELDS["legal_form"]),
            vat_number=_vat(_text(row, FIELDS["vat"])), enterprise_number=_text(row, FIELDS["enterprise"]),
            street=_street(address), postal_code=_text(address, ADDRESS["postal_code"]),
            city=_text(address, ADDRESS["city"]), country=_text(address, ADDRESS["country"]),
            email=_text(row, FIELDS["email"]), phone=_text(row, FIELDS["phone"]),
            fiscal_year_end=_fiscal_year_end(_text(row, FIELDS["fiscal_year_end"])),
            start_date=dt.date.fromisoformat(founded[:10]) if founded else None,
            people=_people(row), modified=modified(row),
        )
    except (ValidationError, ValueError) as exc:
        raise MalformedResponse(f"AdminPulse sent a relation sfsync cannot read: {str(exc).splitlines()[0]}") from exc
