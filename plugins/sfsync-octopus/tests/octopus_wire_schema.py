"""A JSON Schema of Octopus's answers, written from the facts (:mod:`sfsync_octopus.facts`) and the
assumptions (:mod:`sfsync_octopus.assumed`): Octopus's own swagger is not public. Strict on
purpose: no field the sources do not name, numbers as numbers, dates and stamps in their formats.
"""

from __future__ import annotations

import re
from typing import Any

DATE = {"type": "string", "pattern": r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"}
STAMP = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$"}
KEY = {"type": "object", "properties": {"id": {"type": "integer"}}, "required": ["id"], "additionalProperties": False}


def _object(required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"type": "object", "properties": {**required, **(optional or {})}, "required": sorted(required),
            "additionalProperties": False}


def _list(item: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": item}


ERROR = _object({"errorCode": {"type": "integer"}, "errorMessage": {"type": "string"}},
                {"technicalInfo": {"type": "string"}})

DOSSIER = _object({"dossierKey": KEY, "dossierDescription": {"type": "string"}}, {
    "vatNr": {"type": "string"}, "streetAndNr": {"type": "string"}, "postalCode": {"type": "string"},
    "city": {"type": "string"}, "country": {"type": "string", "pattern": "^[A-Z]{2}$"}, "email": {"type": "string"},
    "url": {"type": "string"}, "corporationTypeKey": KEY, "languageCode": {"type": "string"},
})
BOOKYEAR = _object({
    "bookyearKey": KEY, "startDate": DATE, "endDate": DATE, "closed": {"type": "boolean"},
    "periods": _list(_object({"bookyearPeriod": {"type": "integer", "minimum": 0}, "startDate": DATE, "endDate": DATE})),
}, {"bookyearDescription": {"type": "string"}})
ACCOUNT = _object({"bookyearKey": KEY, "accountKey": {"type": "integer"}}, {"description1": {"type": "string"}})
LINE = _object({"lineSequenceNr": {"type": "integer", "minimum": 1}, "accountKey": {"type": "integer"},
                "amount": {"type": "number"}},
               {"currencyAmount": {"type": "number"}, "comment": {"type": "string"}})
BOOKING = _object({
    "bookyearKey": KEY, "journalKey": {"type": "string"}, "documentSequenceNr": {"type": "integer"},
    "bookyearPeriodeNr": {"type": "string", "pattern": r"^\d{4}(0\d|1[0-3])$"}, "documentDate": DATE,
    "currencyCode": {"type": "string", "pattern": "^[A-Z]{3}$"}, "bookingLines": _list(LINE),
    "modifiedTimeStamp": STAMP,
}, {"exchangeRate": {"type": "number"}, "comment": {"type": "string"}, "reference": {"type": "string"},
    "amount": {"type": "number"}, "deleted": {"type": "boolean"}})
AMOUNT = _object({"bookyearKey": KEY, "accountKey": {"type": "integer"}, "bookyearPeriod": {"type": "integer"},
                  "debitAmount": {"type": "number", "minimum": 0}, "creditAmount": {"type": "number", "minimum": 0},
                  "modifiedTimeStamp": STAMP})

ANSWERS: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/authentication"): _object({"token": {"type": "string", "minLength": 16}}),
    ("GET", "/dossiers"): _list(DOSSIER),
    ("POST", "/dossiers"): _object({"Dossiertoken": {"type": "string", "minLength": 16}}, {"validUntil": {"type": "string"}}),
    ("GET", "/dossiers/{id}/bookyears"): _list(BOOKYEAR),
    ("GET", "/dossiers/{id}/accounts/modified"): _list(ACCOUNT),
    ("GET", "/dossiers/{id}/accounts/amounts/modified"): _list(AMOUNT),
    ("GET", "/dossiers/{id}/bookyears/{id}/bookings/modified"): _list(BOOKING),
}
"""The schema of each endpoint's 200 answer; any other status answers an ErrorResult."""


def endpoint(path: str) -> str:
    return re.sub(r"/\d+(?=/|$)", "/{id}", path.split("/v1", 1)[-1])
