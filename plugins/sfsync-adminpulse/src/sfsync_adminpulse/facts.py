"""AdminPulse's API: the wire facts the connector and its sandbox share, each with its source.

AdminPulse publishes a Postman collection (developer.adminpulse.be, collection ``TzJsgdv7``) of
which only the header is public reading; open-source scripts that call the real API fill in some
of the rest. What is still a guess is marked **ASSUMED** and kept in :data:`ASSUMED` below (one
sentence each, repeated in ``known_limits`` and on the docs page as "assumed, to confirm with
the vendor"), so that correcting it is one edit here.

Verified, with sources:

* ``API_BASE`` ``https://api.adminpulse.be`` for every call except authentication; status codes
  200, 400 (invalid data), 401 (invalid or missing token), 404, 429 (above 480 calls a minute;
  ``documents/add`` 50 a minute), 500 (Postman collection header, developer.adminpulse.be/view/
  metadata/TzJsgdv7).
* Two ways in: OAuth with a callback URL (client id and secret issued by support@adminpulse.eu
  to integrators serving several accounting offices) or an API key the office creates
  (adminpulse.zendesk.com/hc/articles/8331100368924); either goes in ``Authorization: Bearer …``
  (same header).
* ``GET /relations`` lists the office's relations, paged with ``page`` (0-based) and
  ``pageSize`` (at most 400), answering ``{"results": [...], "pageCount": n}``; ``vatNumber``
  filters it (digits only); a relation has ``id``, ``name`` and ``uniqueIdentifier`` (its code)
  (open-source clients found by code search: a Python task counter with ``PAGINAGROOTTE = 400 #
  maximum van de API``, an aiohttp requester with ``pageSize=400`` and ``pageCount``, a Vercel
  function calling ``/relations?vatNumber=…&pageSize=1`` and reading ``results[0].id``,
  ``.name``, ``.uniqueIdentifier``; an Angular service listing ``/relations`` with ``page`` and
  ``pageSize``).
* API keys carry scopes (``tasks.read`` is named in a client's error message for a 401).
* A relation file holds: status (prospect, customer, own company, other), type (company, sole
  proprietor, person), a unique ID code assigned by AdminPulse, a customer code, a short name,
  language, end date and the accounting number (adminpulse.zendesk.com, "The relation file:
  Identification section"); the relations screen searches by name, company number and
  customer code (zendesk, "Overview: working with the Relations screen").
"""

from __future__ import annotations

__all__ = [
    "ADDRESS",
    "API_BASE",
    "ASSUMED",
    "CONTACT",
    "DOCS_URL",
    "FIELDS",
    "FISCAL_YEAR_END_FORMAT",
    "MINUTE_LIMIT",
    "OFFICIAL_ADDRESS",
    "PAGE_MAX",
    "RELATION_TYPES",
    "STATUS",
]

API_BASE = "https://api.adminpulse.be"
DOCS_URL = "https://developer.adminpulse.be/"

MINUTE_LIMIT = 480
"""Calls a minute (Postman collection header). Per what (key, office, app) it is counted is not
said: sfsync counts it per connection (one key or grant = one office)."""

PAGE_MAX = 400
"""``pageSize`` ceiling of list endpoints (clients' code)."""

# --- ASSUMED: the one place to correct once the vendor confirms -----------------------------------

FIELDS = {
    "id": "id",
    "code": "uniqueIdentifier",
    "name": "name",
    "vat": "vatNumber",
    "status": "status",
    "type": "relationType",
    "legal_form": "legalForm",
    "enterprise": "companyNumber",
    "address": "addresses",
    "email": "email",
    "phone": "phone",
    "contacts": "contacts",
    "fiscal_year_end": "fiscalYearEnd",
    "founded": "startDate",
    "modified": "lastModified",
}
"""Relation field names: ``id``, ``uniqueIdentifier``, ``name`` and ``vatNumber`` are verified
(above); the others are ASSUMED, in AdminPulse's camelCase."""

ADDRESS = {"type": "type", "street": "street", "number": "number", "box": "box",
           "postal_code": "postalCode", "city": "city", "country": "country"}
"""ASSUMED: one entry of ``addresses``; the registered one has ``type`` :data:`OFFICIAL_ADDRESS`."""
OFFICIAL_ADDRESS = "official"

CONTACT = {"first_name": "firstName", "last_name": "lastName", "function": "function",
           "email": "email", "phone": "phone"}
"""ASSUMED: one entry of ``contacts`` (the people linked to the relation)."""

STATUS = {"prospect": 0, "customer": 1, "own_company": 2, "other": 3}
"""ASSUMED: ``status`` codes in the documented order (prospect, customer, own company, other)."""

RELATION_TYPES = {"company": 0, "sole_proprietor": 1, "person": 2}
"""``relationType`` codes: the three types are documented (zendesk), the numbers are ASSUMED in
the documented order (the task statuses 0/1/2 of the same API are ordered the same way)."""

FISCAL_YEAR_END_FORMAT = "%d/%m"
"""ASSUMED: ``fiscalYearEnd`` as the relation file shows it, ``31/12``."""

ASSUMED: tuple[str, ...] = (
    "Field names of a relation other than id, name, uniqueIdentifier and vatNumber (legalForm, "
    "companyNumber, addresses, contacts, fiscalYearEnd, lastModified…) are assumed, as is "
    "GET /relations/{id} for one relation.",
    "The relation's lastModified stamp is assumed to change with every edit of its master data: "
    "an unchanged relation costs one request a night and stores nothing new.",
    "The numbers of a relation's status (0 prospect, 1 customer, 2 own company, 3 other) and type "
    "(0 company, 1 sole proprietor, 2 person) are assumed in the order AdminPulse's help lists them; "
    "they decide which relations are listed as companies.",
    "The formats of fiscalYearEnd (31/12), startDate and lastModified (ISO 8601) are assumed.",
    "A 429 is assumed to carry Retry-After (honoured); without it sfsync backs off and retries, and "
    "its own limiter keeps to 480 calls in any minute.",
    "The 480 calls a minute are assumed to count per API key (per office).",
    "OAuth's authorize and token addresses are not published: sfsync connects with the office's "
    "API key (also sent as Bearer); OAuth for multi-office integrators is not offered yet.",
)
"""Every assumption, in words a firm reads: ``known_limits`` and the docs page list them."""
