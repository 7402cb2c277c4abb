"""How the sandbox writes a relation and an error on the wire (field names from :mod:`..facts`).

Dates are ISO 8601; ``startDate`` a midnight date-time and ``lastModified`` UTC with ``Z`` (as
the tasks' ``deadline`` the clients slice with ``[:10]``); absent values are ``null``, never
omitted (ASSUMED). Error bodies are ``{"message": …}`` (ASSUMED: the collection names the
statuses, not their bodies).
"""

from __future__ import annotations

from typing import Any

from sfsync.sandbox.responses import json_response
from starlette.responses import Response

from sfsync_adminpulse.facts import ADDRESS, CONTACT, FIELDS, OFFICIAL_ADDRESS
from sfsync_adminpulse.sandbox.relations import Relation, dotted

__all__ = ["error_response", "relation_json"]


def relation_json(relation: Relation) -> dict[str, Any]:
    """One relation as ``GET /relations`` and ``GET /relations/{id}`` serve it."""
    address = relation.address
    f = FIELDS
    return {
        f["id"]: relation.id,
        f["code"]: relation.code,
        "customerCode": relation.customer_code,
        f["name"]: relation.name,
        f["type"]: relation.type,
        f["status"]: relation.status,
        f["legal_form"]: relation.legal_form,
        f["vat"]: relation.vat_number,
        f["enterprise"]: dotted(relation.number) if relation.number else None,
        "language": relation.language,
        f["email"]: relation.email,
        f["phone"]: relation.phone,
        f["address"]: [{
            ADDRESS["type"]: OFFICIAL_ADDRESS, ADDRESS["street"]: address.street, ADDRESS["number"]: address.number,
            ADDRESS["box"]: address.box, ADDRESS["postal_code"]: address.postal_code, ADDRESS["city"]: address.city,
            ADDRESS["country"]: address.country,
        }],
        f["contacts"]: [{
            CONTACT["first_name"]: c.first_name, CONTACT["last_name"]: c.last_name, CONTACT["function"]: c.function,
            CONTACT["email"]: c.email, CONTACT["phone"]: c.phone,
        } for c in relation.contacts],
        f["fiscal_year_end"]: relation.fiscal_year_end,
        f["founded"]: f"{relation.founded.isoformat()}T00:00:00" if relation.founded else None,
        f["modified"]: relation.modified.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """An error as the sandbox answers it."""
    return json_response({"message": message}, status, headers or {})
