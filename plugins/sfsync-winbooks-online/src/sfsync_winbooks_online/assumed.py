"""ASSUMED, TO CONFIRM WITH THE VENDOR: every WinBooks on Web behaviour sfsync relies on without a source.

WinBooks documents its object model and query language (:mod:`sfsync_winbooks_online.facts`),
not a published schema, its limits, its error bodies or a modified-since filter. The connector
and the sandbox both read the points below from here, so one edit corrects both; the docs page
and ``known_limits`` list each one.
"""

from __future__ import annotations

__all__ = [
    "ACCESS_SECONDS",
    "BOOKYEAR_CLOSED_FIELD",
    "CHUNK",
    "FOLDERS_PATH",
    "FOLDER_FIELDS",
    "MODIFIED_FIELD",
    "PAGE_MAX",
    "PERIOD_YEAR_FIELD",
    "RESULT_ACCOUNT",
]

FOLDERS_PATH = "/app/Folders"
"""The folders (companies) of the licence the exchange token opens. The help pages say the token
opens every folder of the licence but show no call that lists them."""

FOLDER_FIELDS = ("Code", "Name", "VatNumber", "Address", "ZipCode", "City", "CountryCode", "Email")
"""A folder's fields in that list (used for the company and its details)."""

ACCESS_SECONDS = 900
"""The access token's life: the help page's example says ``expires_in: "900"`` while its text
says a day unless the app is trusted; sfsync reads ``expires_in`` and the sandbox uses 900."""

MODIFIED_FIELD = "Modified"
"""A GLTransHeader's last change, as ``/Date(ms)/``, usable in criteria (``Operator`` 5, greater
than). The PHP client orders by ``Created``; a modified stamp is not documented."""

PAGE_MAX = 100
"""``MaxResult`` per criteria page."""

CHUNK = 100
"""Objects per Get All chunk before ``ContinuePath`` (the chunk size is not published)."""

BOOKYEAR_CLOSED_FIELD = "IsClosed"
"""A BookYear's closed flag. BookYear's fields are not on the help pages."""

PERIOD_YEAR_FIELD = "BookYear_Id"
"""A BookPeriod's bookyear (the ``<Property>_Id`` convention applied to BookPeriod → BookYear)."""

RESULT_ACCOUNT = "140000"
"""Where the opening period of a year carries the previous year's result (PCMN 14)."""

# Deletions: a deleted booking disappears. sfsync finds them by asking for the Ids of every
# GLTransHeader (a projection query) and comparing with those it saw before.
