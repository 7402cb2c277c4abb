"""WinBooks on Web's REST API: the wire facts sfsync uses, each with its source.

Sources (read through the project's search corpus; no live access):

* [H] help.winbooks.be, space DEV: "Grant an access to your license", "Use the Exchange Token",
  "Use the Rest API", "1. Query Data", "Examples using the Rest API with accounting
  transactions" and the accounting object-model page (pageId 64455499);
* [W] whitecube/winbooks-on-web-php-client @d91df059 (MIT): ``src/Winbooks.php``, ``src/Query.php``,
  ``src/Query/Operator.php``, ``src/ObjectModel.php``, ``README.md``.

What no source settles is in :mod:`sfsync_winbooks_online.assumed`, not here.
"""

from __future__ import annotations

__all__ = [
    "API_BASE",
    "CONTINUE_HEADER",
    "OPENING_PERIOD",
    "OPERATOR_COUNT",
    "OPERATOR_EQ",
    "OPERATOR_GT",
    "OPERATOR_IN",
    "OPERATOR_SELECT",
    "TOKEN_PATH",
    "TYPE_GL_TRANS_HEADER",
]

API_BASE = "https://rapi.winbooksonweb.be"
"""[H] The REST API's host (``/app/{OM}/{Code}/Folder/{FolderCode}``, ``/app/{OMs}/Folder/{FolderCode}``).
[W] names a newer host, ``https://prd.winbooksapis.be/wow/v2/``: the connection's ``base_url``
may point there."""

TOKEN_PATH = "/OAuth20/Token"
"""[H][W] ``POST`` with ``Authorization: Basic base64(email)`` and the form
``grant_type=exchange_token&code=<exchange token>`` (or ``grant_type=refresh_token&code=<refresh
token>``) answers ``access_token``, ``refresh_token`` and ``expires_in`` (a *string*, "900" in the
example) [H]. The licence administrator grants an external application access and WinBooks mails
the exchange token; it opens every folder of the licence within the user's rights [H]. The refresh
token does not expire [H]; [W] keeps the refresh token each refresh answers."""

CONTINUE_HEADER = "ContinuePath"
"""[W][H "Chunking data"] A Get All answer that was cut carries this header; the same request
sent again with it as a request header brings the next chunk. Get All is chunked, not paged."""

TYPE_GL_TRANS_HEADER = "Winbooks.TORM.OM.Accounting.GLTransHeader, Winbooks.TORM.OM"
"""[W][H] ``ExecuteCriteria`` names its entity by the object model's full type (``$type``)."""

OPERATOR_EQ, OPERATOR_GT, OPERATOR_IN, OPERATOR_SELECT, OPERATOR_COUNT = 0, 5, 7, 22, 26
"""[W] ``src/Query/Operator.php``: the operator codes of criteria conditions and projections
(``{"Operator", "PropertyName", "OtherPropertyName", "Values"}`` [H])."""

OPENING_PERIOD = 0
"""[H] ``BookPeriod.Number`` 0 is a bookyear's opening period; the closing period is the highest."""

# More facts the connector relies on:
# - Criteria: POST /app/{OMs}/Folder/{folder}/ExecuteCriteria?maxLevel=N with {EntityType,
#   Conditions, Orders, FirstResult, MaxResult, ProjectionsList}; MaxResult works only with
#   FirstResult [W Query.php]; Orders are {PropertyName, Alias, Projections, Ascending} [H].
# - maxLevel says how deep nested objects are sent [H "1. Query Data"][W].
# - Objects carry "$type" [W]; foreign keys are "<Property>_Id", friendly codes "<Property>Code" [H].
# - GLTransHeader: BookPeriod, Journal (JournalCode), DocNumber, BookDate, GLTransactions [H].
# - GLTrans: LineOrder (0..N for sales and purchases, 1000-steps for bank and misc.), GLAccount
#   (GLAccountCode), BookPeriod, Currency (CurrencyCode, never empty), Amount, CurrencyAmount,
#   CurrencyRate, CommentBooking [H].
# - BookPeriod: RelatedYear, RelatedMonth, Number [H].
# - Dates are "/Date(1520491871000)/" (Unix milliseconds); the decimal separator is a point [H].
