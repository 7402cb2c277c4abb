"""ASSUMED, TO CONFIRM WITH THE VENDOR: every Octopus behaviour sfsync relies on without a source.

Octopus publishes its REST API as a swagger page hosted by Inaras
(``https://service.inaras.be/octopus-rest-api/swagger/``), which no machine here can reach and of
which no public copy was found. What the manual and open-source clients show is in
:mod:`sfsync_octopus.facts`, each fact with its source. Everything below is the most plausible
behaviour where they are silent; the connector and the sandbox both read it from here, so one
edit corrects both once Octopus confirms or corrects it. ``known_limits`` and the docs page list
each item.
"""

from __future__ import annotations

__all__ = [
    "ACCOUNT_AMOUNT_FIELDS",
    "BOOKING_DELETED_FIELD",
    "BOOKING_LINE_FIELDS",
    "CONCURRENT_CONNECTIONS",
    "DAILY_CALLS_PER_ENDPOINT",
    "DATE_FORMAT",
    "ERROR_DAILY_QUOTA",
    "ERROR_TOKEN_EXPIRED",
    "LEGAL_FORMS",
    "LIST",
    "RESULT_ACCOUNT",
    "STATUS_TOO_MANY_CONNECTIONS",
]

DATE_FORMAT = "%Y-%m-%d"
"""Dates (``startDate``, ``documentDate``…) as ``2024-04-01``. The clients read them as .NET
``DateTime``, which would also accept a time part; the connector accepts both."""

LIST = "bare JSON array"
"""Lists (dossiers, bookyears, accounts, bookings) are bare JSON arrays, not wrapped in an object
(the C# client reads ``List<…>`` straight from the body), and are not paged: no paging parameter
appears in any client."""

BOOKING_LINE_FIELDS = ("lineSequenceNr", "accountKey", "amount", "currencyAmount", "comment")
"""A general-ledger booking's lines (``bookingLines``) as returned by
``GET /dossiers/{id}/bookyears/{bookyearId}/bookings/modified``: ``accountKey`` is a fact (booking
lines of the buy/sell feed carry it); ``lineSequenceNr`` is the key field of a booking line in
the balancing requests (fact). ``amount`` (in EUR, debit positive) and ``currencyAmount`` (in the
booking's ``currencyCode``, absent for EUR) are assumed: the buy/sell feed's lines carry
``baseAmount``/``vatAmount`` of an invoice, which is not a ledger line."""

BOOKING_DELETED_FIELD = "deleted"
"""A booking deleted since the ``modifiedTimeStamp`` comes back in the modified feed with
``"deleted": true`` and no lines. No client shows how Octopus reports deletions."""

ACCOUNT_AMOUNT_FIELDS = ("bookyearKey", "accountKey", "bookyearPeriod", "debitAmount", "creditAmount", "modifiedTimeStamp")
"""One row of ``GET /dossiers/{id}/accounts/amounts/modified``: the totals of one account in one
period of one bookyear, with the time they last changed. The endpoint is a fact (Ruby client,
return code ERR_GET_MODIFIED_ACCOUNT_AMOUNTS −77); its fields are assumed."""

ERROR_TOKEN_EXPIRED = 401
"""An expired or unknown token (``Token`` or ``dossierToken``) is answered HTTP 401 with the
ErrorResult body (the Ruby client reads 401 as "token expired or invalid"); the ``errorCode`` in
it is assumed to be −1 for the login token and −2 for the dossier token."""

STATUS_TOO_MANY_CONNECTIONS = 503
"""Too many simultaneous connections of one user (return code ERR_TO_MANY_CONNECTIONS, −51, a
fact of the SOAP service) is answered HTTP 503 with ``errorCode: -51``; the status is assumed."""

CONCURRENT_CONNECTIONS = 4
"""How many requests one Octopus user may have in flight before −51: assumed."""

ERROR_DAILY_QUOTA = -52
"""The ``errorCode`` of a spent daily quota, answered HTTP 429 with ``Retry-After`` until
midnight UTC: assumed (per-endpoint daily quotas exist, per a third-party connector's quota
tool; their code, status and reset time are not published)."""

DAILY_CALLS_PER_ENDPOINT = 500
"""Calls a day per endpoint and dossier. The only figure seen is a C# client's comment of
"max 48 calls a day" on ``buysellbookings/modified``, which sfsync does not call; the figure for
the endpoints it does call is assumed."""

LEGAL_FORMS = {1: "BV", 2: "NV", 3: "CommV", 4: "CV", 5: "VOF", 6: "VZW", 7: "Eenmanszaak"}
"""``corporationTypeKey.id`` of a dossier as a legal form: the key is a fact (C# client model),
its values are assumed."""

RESULT_ACCOUNT = "140000"
"""The account a closed bookyear's profit or loss is carried to in the next year's opening
balances (PCMN 14, *overgedragen resultaat*). Octopus books it when a bookyear is closed into the
next (``POST …/bookyears/book``, a fact); which account it uses per dossier is not shown by any
client, so the connector assumes this one."""
