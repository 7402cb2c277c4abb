"""e-conomic's wire facts the sandbox declares, each with its source, and every assumption in
one marked place.

Sources (``shared/reference/providers/e-conomic.md`` and the 2019 reference pages it names,
``specs/e-conomic/_*.md``; e-conomic's developer pages where said):

- Two headers on every call: ``X-AppSecretToken`` (the app's) and ``X-AgreementGrantToken`` (one
  agreement's, issued when a user of that agreement approves the app at the app's request URL)
  (e-conomic.com/developer/connect; ``_introduction.md``). A revoked grant answers 401
  (``_introduction.md``, status codes).
- The demo agreement: both headers ``demo`` (or ``?demo=true``), GET only (e-conomic/slate
  ``source/includes/_introduction.md``); the sandbox serves its first agreement that way.
- ``GET /self``: agreementNumber, company{name, addressLine1, zip, city, country, email,
  phoneNumber, vatNumber, companyIdentificationNumber}, settings.baseCurrency (``_self.md``).
- ``/accounting-years`` (6-18 months; fromDate, toDate, year, closed, links to periods, entries,
  totals), ``/accounting-years/:y/periods`` (periodNumber, fromDate, toDate, closed),
  ``…/entries`` and ``…/periods/:p/entries`` (entryNumber, date, account.accountNumber, amount,
  amountInBaseCurrency, currency, entryType, text, voucherNumber), ``…/totals`` and
  ``…/periods/:p/totals`` (account.accountNumber, fromDate, toDate, totalInBaseCurrency)
  (``_accounting-years.md``); ``/accounts`` (accountNumber, accountType, balance, debitCredit,
  name) (``_accounts.md``).
- A self link writes ``/`` as ``_6_`` (``_introduction.md``, custom self-link encoding): the
  accounting year ``2024/2025`` is ``/accounting-years/2024_6_2025``.
- Collections: 20 items by default, ``pagesize`` at most 1,000, ``skippages``; the envelope
  ``{collection, pagination{skipPages, pageSize, maxPageSizeAllowed, results,
  resultsWithoutFilter, firstPage, nextPage, lastPage}, self}`` (``_introduction.md``;
  @phasesdk/api-client-for-economic types; Airbyte's manifest follows ``pagination.nextPage``).
- Filters ``filter=a$eq:1$and:(b$gt:2$or:c$like:*x)`` with ``$eq $ne $gt $gte $lt $lte $like
  $and $or $in $nin``, ``$null:``, the escapes ``$$ $( $) $* $, $[ $]``, ``$in``/``$nin`` on
  numeric properties only and at most 200 values; a filter on a property that is not filterable is
  a 400 (``_introduction.md``).
- False booleans are left out of bodies (``_introduction.md``, implementation specifics).
- Error bodies ``{message, developerHint, errorCode, httpStatusCode, logId, logTime,
  errors{<field>: {errors: [{errorCode, message, …}]}}}`` (``_introduction.md``).
- Fair use: 50,000 calls per agreement in 24 hours (e-conomic.com/developer/fair-use-policy;
  techtalk.e-conomic.com/know-your-api-usage).
"""

from __future__ import annotations

REST_URL = "https://restapi.e-conomic.com"
SECURE_URL = "https://secure.e-conomic.com"
REQUEST_ACCESS_PATH = "/secure/api1/requestaccess.aspx"

DEMO_TOKEN = "demo"
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 1000
MAX_IN_VALUES = 200
FAIR_USE_PER_DAY = 50_000

# --- UNVERIFIED: the most plausible behaviour, kept here to be easy to correct --------------------

UNVERIFIED = (
    "The request URL's parameters are appPublicToken and redirectUrl, and the approval redirects to "
    "redirectUrl with the grant added as ?token= (or &token= when redirectUrl has a query).",
    "A grant token does not expire; it lives until the agreement's user revokes the app.",
    "Entry amounts are signed, debit positive; an entry's period is the period its date falls in.",
    "Entry numbers grow with every booking across the agreement, so a new entry has a higher "
    "number than every entry read before (the high-water mark).",
    "The year and period totals are the sums of amountInBaseCurrency of their entries per account.",
    "The earlier years' result is carried to the equity account named for it (Overgedragen "
    "resultaat / resultat): e-conomic's API does not name the result account.",
    "The token-bucket rate limit rolled out since December 2025: 20 calls a second refilling, "
    "bursts of 40, per agreement and app; a refusal is 429 with Retry-After and e-conomic's error "
    "body. Numbers and headers are not published.",
    "A pagesize above 1,000 is a 400 (not silently capped).",
    "The 401 errorCodes (E04010 for a missing or unknown app secret token, E04020 for a missing, "
    "unknown or revoked agreement grant token).",
    "The collection envelope carries no metaData key (its casing is not confirmed).",
    "The VAT number of a Belgian or Dutch agreement is in company.vatNumber (documented for "
    "Swedish agreements only).",
)
"""What the sandbox assumes; the connector's ``known_limits`` and its docs page repeat it."""

TOKEN_BUCKET_RATE = 20.0
"""Calls per second the bucket refills (UNVERIFIED)."""
TOKEN_BUCKET_BURST = 40
"""The bucket's size (UNVERIFIED)."""

APP_SECRET_ERROR = "E04010"
GRANT_ERROR = "E04020"
FILTER_ERROR = "E07010"
"""UNVERIFIED errorCode of a refused filter or paging parameter."""
RATE_ERROR = "E07090"
"""UNVERIFIED errorCode of a 429."""


def year_path(label: str) -> str:
    """The accounting year as its self link writes it (``2024/2025`` -> ``2024_6_2025``)."""
    return label.replace("_", "_8_").replace("/", "_6_")


def year_label(path: str) -> str:
    """The accounting year a self link names."""
    return path.replace("_6_", "/").replace("_8_", "_")
