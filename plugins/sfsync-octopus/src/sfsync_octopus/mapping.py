"""Octopus's JSON as sfsync's models: dossiers, bookyears, accounts, booking lines, account amounts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sfsync.errors import MalformedResponse
from sfsync.models import Account, AccountKind, Company, CompanyDetails, FiscalYear, Period

from sfsync_octopus.assumed import LEGAL_FORMS
from sfsync_octopus.facts import STAMP_FORMAT

__all__ = [
    "bookyear_id",
    "kind_of",
    "line_records",
    "parse_date",
    "parse_stamp",
    "to_account",
    "to_company",
    "to_details",
    "to_fiscal_year",
]


def parse_date(value: object) -> dt.date:
    """``2024-04-01`` (a .NET ``DateTime`` with a time part is accepted too)."""
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError as exc:
        raise MalformedResponse(f"Octopus sent {value!r} where a date belongs") from exc


def parse_stamp(value: object) -> dt.datetime:
    """A ``modifiedTimeStamp`` (``yyyy-MM-dd HH:mm:ss.fff``, taken as UTC)."""
    try:
        return dt.datetime.strptime(str(value), STAMP_FORMAT).replace(tzinfo=dt.UTC)
    except ValueError as exc:
        raise MalformedResponse(f"Octopus sent {value!r} where a modifiedTimeStamp belongs") from exc


def _key(item: dict[str, Any], name: str) -> int:
    try:
        return int(item[name]["id"])
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedResponse(f"an Octopus item has no {name}.id") from exc


def bookyear_id(item: dict[str, Any]) -> int:
    return _key(item, "bookyearKey")


def kind_of(account: str) -> AccountKind:
    """Belgian PCMN: classes 1 to 5 are the balance sheet, 6 and 7 profit and loss."""
    first = account[:1]
    if first in {"1", "2", "3", "4", "5"}:
        return AccountKind.BALANCE_SHEET
    if first in {"6", "7"}:
        return AccountKind.PROFIT_LOSS
    return AccountKind.UNKNOWN


def to_company(item: dict[str, Any]) -> Company:
    number = str(_key(item, "dossierKey"))
    return Company(ref=number, code=number, name=str(item.get("dossierDescription") or number),
                   vat_number=item.get("vatNr") or None, country=item.get("country") or None, currency="EUR")


def to_details(item: dict[str, Any]) -> CompanyDetails:
    form = item.get("corporationTypeKey")
    form_id = form.get("id") if isinstance(form, dict) else None
    return CompanyDetails(
        name=str(item.get("dossierDescription") or _key(item, "dossierKey")),
        legal_form=LEGAL_FORMS.get(form_id) if isinstance(form_id, int) else None,
        vat_number=item.get("vatNr") or None, street=item.get("streetAndNr") or None,
        postal_code=item.get("postalCode") or None, city=item.get("city") or None,
        country=item.get("country") or None, email=item.get("email") or None,
    )


def to_fiscal_year(item: dict[str, Any]) -> FiscalYear:
    periods = tuple(
        Period(number=int(p["bookyearPeriod"]), start=parse_date(p["startDate"]), end=parse_date(p["endDate"]))
        for p in item.get("periods") or ()
    )
    start = parse_date(item["startDate"])
    return FiscalYear(start=start, end=parse_date(item["endDate"]), closed=bool(item.get("closed")), periods=periods,
                      label=str(item.get("bookyearDescription") or start.year))


def to_account(item: dict[str, Any]) -> Account:
    code = str(item["accountKey"])
    return Account(code=code, name=str(item.get("description1") or ""), kind=kind_of(code))


def line_records(booking: dict[str, Any], fiscal_year: str) -> tuple[str, list[dict[str, Any]]]:
    """A booking's entry id and its lines as ledger records (ids ``bookyear-journal-doc-line``)."""
    try:
        entry = f"{bookyear_id(booking)}-{booking['journalKey']}-{int(booking['documentSequenceNr'])}"
        period = int(str(booking["bookyearPeriodeNr"])[-2:])
        day = parse_date(booking["documentDate"]).isoformat()
    except (KeyError, ValueError) as exc:
        raise MalformedResponse(f"an Octopus booking lacks its key, period or date ({exc})") from exc
    currency = str(booking.get("currencyCode") or "EUR")
    modified = parse_stamp(booking["modifiedTimeStamp"]) if booking.get("modifiedTimeStamp") else None
    records = []
    for line in booking.get("bookingLines") or ():
        foreign = line.get("currencyAmount")
        records.append({
            "id": f"{entry}-{int(line['lineSequenceNr'])}", "entry": entry, "journal": str(booking["journalKey"]),
            "date": day, "period": period, "fiscal_year": fiscal_year, "account": str(line["accountKey"]),
            "description": str(line.get("comment") or booking.get("comment") or ""),
            "amount": Decimal(line["amount"]) if not isinstance(line["amount"], Decimal) else line["amount"],
            "currency": currency if currency != "EUR" else None,
            "foreign_amount": foreign if currency != "EUR" else None,
            "modified": modified,
        })
    return entry, records
