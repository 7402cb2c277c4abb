"""A JSON Schema of WinBooks on Web's answers, written from the facts (:mod:`sfsync_winbooks_online.facts`)
and the assumptions (:mod:`sfsync_winbooks_online.assumed`): WinBooks publishes no schema. Strict:
``$type`` on object models, ``/Date(ms)/`` dates, numbers as numbers, no field the sources lack."""

from __future__ import annotations

import re
from typing import Any

DATE = {"type": "string", "pattern": r"^/Date\(-?\d+\)/$"}
GUID = {"type": "string", "pattern": r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"}
TEXT = {"type": "string"}


def _object(required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"type": "object", "properties": {**required, **(optional or {})}, "required": sorted(required),
            "additionalProperties": False}


def _typed(model: str, required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    return _object({"$type": {"const": f"Winbooks.TORM.OM.{model}, Winbooks.TORM.OM"}, "Id": GUID, **required}, optional)


def _list(item: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": item}


TRANS = _typed("Accounting.GLTrans", {
    "GLTransHeader_Id": GUID, "LineOrder": {"type": "integer", "minimum": 0}, "BookPeriod_Id": GUID,
    "GLAccount_Id": GUID, "GLAccountCode": TEXT, "Currency_Id": GUID,
    "CurrencyCode": {"type": "string", "pattern": "^[A-Z]{3}$"}, "Amount": {"type": "number"},
}, {"CurrencyAmount": {"type": "number"}, "CurrencyRate": {"type": "number"}, "CommentBooking": TEXT})
HEADER = _typed("Accounting.GLTransHeader", {
    "BookPeriod_Id": GUID, "Journal_Id": GUID, "JournalCode": TEXT, "DocNumber": {"type": "integer"},
    "BookDate": DATE, "Modified": DATE,
}, {"GLTransactions": _list(TRANS)})

ANSWERS: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/OAuth20/Token"): _object({"access_token": TEXT, "refresh_token": TEXT, "token_type": {"const": "bearer"},
                                         "expires_in": {"type": "string", "pattern": r"^\d+$"}}),
    ("GET", "/app/Folders"): _list(_object({"Code": TEXT, "Name": TEXT}, {
        "VatNumber": TEXT, "Address": TEXT, "ZipCode": TEXT, "City": TEXT,
        "CountryCode": {"type": "string", "pattern": "^[A-Z]{2}$"}, "Email": TEXT})),
    ("GET", "/app/BookYears/Folder/{folder}"): _list(_typed("Accounting.BookYear", {"Code": TEXT, "IsClosed": {"type": "boolean"}})),
    ("GET", "/app/BookPeriods/Folder/{folder}"): _list(_typed("Accounting.BookPeriod", {
        "BookYear_Id": GUID, "Number": {"type": "integer", "minimum": 0}, "RelatedYear": {"type": "integer"},
        "RelatedMonth": {"type": "integer", "minimum": 1, "maximum": 12}})),
    ("GET", "/app/GLAccounts/Folder/{folder}"): _list(_typed("Accounting.GLAccount", {"Code": TEXT}, {"Name": TEXT})),
    ("POST", "/app/GLTransHeaders/Folder/{folder}/ExecuteCriteria"): {"anyOf": [
        _list(HEADER), _list({"type": "array", "items": GUID, "minItems": 1, "maxItems": 1}),
        {"type": "array", "maxItems": 1, "items": {"type": "array", "items": {"type": "integer", "minimum": 0},
                                                   "minItems": 1, "maxItems": 1}}]},
}
ERROR = {"anyOf": [_object({"Message": TEXT}), _object({"error": TEXT})]}


def endpoint(path: str) -> str:
    return re.sub(r"/Folder/[^/]+", "/Folder/{folder}", path)
