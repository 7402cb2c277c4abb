"""WinBooks on Web's JSON as the sandbox serves it: object models with ``$type``, ``<Property>_Id``
foreign keys and ``<Property>Code`` friendly codes, ``/Date(ms)/`` dates, decimal amounts
(:mod:`sfsync_winbooks_online.facts`; the rest per :mod:`sfsync_winbooks_online.assumed`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sfsync_winbooks_online.assumed import BOOKYEAR_CLOSED_FIELD, MODIFIED_FIELD, PERIOD_YEAR_FIELD
from sfsync_winbooks_online.facts import TYPE_GL_TRANS_HEADER
from sfsync_winbooks_online.sandbox.books import CHART, Folder, Header, Year, guid

__all__ = ["account", "bookyear", "date", "folder", "header", "periods"]

OM = "Winbooks.TORM.OM"


def date(value: dt.date | dt.datetime) -> str:
    """``/Date(1520491871000)/``: Unix milliseconds (a date at midnight UTC)."""
    moment = value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time(), dt.UTC)
    return f"/Date({int(moment.timestamp() * 1000)})/"


def folder(f: Folder) -> dict[str, Any]:
    return {"Code": f.code, "Name": f.name, "VatNumber": f.vat, "Address": f.street, "ZipCode": f.zip,
            "City": f.city, "CountryCode": "BE", "Email": f.email}


def bookyear(y: Year) -> dict[str, Any]:
    return {"$type": f"{OM}.Accounting.BookYear, {OM}", "Id": y.id, "Code": y.code, BOOKYEAR_CLOSED_FIELD: y.closed}


def periods(y: Year) -> list[dict[str, Any]]:
    return [{"$type": f"{OM}.Accounting.BookPeriod, {OM}", "Id": y.period_id(n), PERIOD_YEAR_FIELD: y.id, "Number": n,
             "RelatedYear": start.year, "RelatedMonth": start.month} for n, start, _ in y.periods()]


def account(code: str) -> dict[str, Any]:
    return {"$type": f"{OM}.Accounting.GLAccount, {OM}", "Id": guid("account", code), "Code": code, "Name": CHART[code]}


def header(h: Header, max_level: int) -> dict[str, Any]:
    out: dict[str, Any] = {
        "$type": TYPE_GL_TRANS_HEADER, "Id": h.id, "BookPeriod_Id": h.year.period_id(h.period),
        "Journal_Id": guid("journal", h.journal), "JournalCode": h.journal, "DocNumber": h.number,
        "BookDate": date(h.day), MODIFIED_FIELD: date(h.modified),
    }
    if max_level >= 2:  # nested objects one level down: the header's transactions
        out["GLTransactions"] = [{
            "$type": f"{OM}.Accounting.GLTrans, {OM}", "Id": t.id, "GLTransHeader_Id": h.id, "LineOrder": t.order,
            "BookPeriod_Id": h.year.period_id(h.period), "GLAccount_Id": guid("account", t.account),
            "GLAccountCode": t.account, "Currency_Id": guid("currency", h.currency), "CurrencyCode": h.currency,
            "Amount": t.amount, "CommentBooking": t.comment,
            **({"CurrencyAmount": t.foreign, "CurrencyRate": h.rate} if t.foreign is not None else {}),
        } for t in h.lines]
    return out
