"""Octopus's JSON, as the sandbox serves it: field names and casing per :mod:`sfsync_octopus.facts`,
the rest per :mod:`sfsync_octopus.assumed`.

Amounts are JSON numbers (the C# client reads ``decimal``); they are written from ``Decimal``
without passing through a float. Absent values are left out rather than sent as ``null``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sfsync_octopus.assumed import DATE_FORMAT
from sfsync_octopus.facts import STAMP_FORMAT
from sfsync_octopus.sandbox.books import CHART, Booking, Bookyear, Dossier

__all__ = ["account", "account_amount", "booking", "bookyear", "dossier", "error", "stamp_text"]


def _date(day: dt.date) -> str:
    return day.strftime(DATE_FORMAT)


def stamp_text(stamp: dt.datetime) -> str:
    """``yyyy-MM-dd HH:mm:ss.fff``."""
    return stamp.strftime(STAMP_FORMAT)[:-3]


def error(code: int, message: str, technical: str = "") -> dict[str, Any]:
    """Octopus's ErrorResult."""
    return {"errorCode": code, "errorMessage": message, **({"technicalInfo": technical} if technical else {})}


def dossier(d: Dossier) -> dict[str, Any]:
    return {
        "dossierKey": {"id": d.id}, "dossierDescription": d.description, "vatNr": d.vat,
        "streetAndNr": d.street, "postalCode": d.postal_code, "city": d.city, "country": "BE",
        "email": d.email, "corporationTypeKey": {"id": d.corporation_type}, "languageCode": "NL",
    }


def bookyear(y: Bookyear) -> dict[str, Any]:
    return {
        "bookyearKey": {"id": y.id}, "bookyearDescription": y.description,
        "startDate": _date(y.start), "endDate": _date(y.end), "closed": y.closed,
        "periods": [{"bookyearPeriod": n, "startDate": _date(s), "endDate": _date(e)} for n, s, e in y.periods()],
    }


def account(y: Bookyear, key: int) -> dict[str, Any]:
    return {"bookyearKey": {"id": y.id}, "accountKey": key, "description1": CHART[key]}


def booking(b: Booking) -> dict[str, Any]:
    out: dict[str, Any] = {
        "bookyearKey": {"id": b.year.id}, "journalKey": b.journal, "documentSequenceNr": b.number,
        # yyyyPP: the year the bookyear starts in and the period (a Laravel client cuts the
        # first four characters as the year).
        "bookyearPeriodeNr": f"{b.year.start.year}{b.period:02d}",
        "documentDate": _date(b.day), "currencyCode": b.currency, "comment": b.comment,
        "modifiedTimeStamp": stamp_text(b.modified),
    }
    if b.rate is not None:
        out["exchangeRate"] = b.rate
    if b.deleted:
        out["deleted"] = True
        out["bookingLines"] = []
        return out
    out["amount"] = sum((line.amount for line in b.lines if line.amount > 0), Decimal(0))
    out["bookingLines"] = [
        {"lineSequenceNr": line.seq, "accountKey": line.account, "amount": line.amount, "comment": line.comment,
         **({"currencyAmount": line.foreign} if line.foreign is not None else {})}
        for line in b.lines
    ]
    return out


def account_amount(year_id: int, key: int, period: int, debit: Decimal, credit: Decimal, stamp: dt.datetime) -> dict[str, Any]:
    return {
        "bookyearKey": {"id": year_id}, "accountKey": key, "bookyearPeriod": period,
        "debitAmount": debit, "creditAmount": credit, "modifiedTimeStamp": stamp_text(stamp),
    }
