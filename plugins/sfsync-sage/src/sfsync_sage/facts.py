"""Sage Business Cloud Accounting API v3.1: the wire facts the connector and its sandbox share.

Every number here comes from ``shared/reference/providers/sage-accounting.md`` (sources named
there); those marked UNVERIFIED are the most plausible reading and are kept in this one place so
they are easy to correct. The connector's ``known_limits`` repeat them in words a firm reads.
"""

from __future__ import annotations

__all__ = [
    "ACCESS_TOKEN_SECONDS",
    "API_BASE",
    "API_HOST",
    "AUTHORIZE_HOST",
    "AUTHORIZE_URL",
    "CODE_SECONDS",
    "DAILY_LIMIT",
    "MINUTE_LIMIT",
    "PAGE_DEFAULT",
    "PAGE_MAX",
    "REFRESH_TOKEN_SECONDS",
    "SCOPES",
    "TOKEN_HOST",
    "TOKEN_URL",
    "TRIAL_BALANCE_PATH",
]

API_HOST = "https://api.accounting.sage.com"
API_BASE = f"{API_HOST}/v3.1"
"""Swagger ``host`` + ``basePath``."""

AUTHORIZE_HOST = "https://www.sageone.com"
AUTHORIZE_URL = f"{AUTHORIZE_HOST}/oauth2/auth/central?filter=apiv3.1"
TOKEN_HOST = "https://oauth.accounting.sage.com"
TOKEN_URL = f"{TOKEN_HOST}/token"
"""developer.sage.com/accounting/guides/authenticating/authentication."""

SCOPES = ("full_access",)
"""``readonly`` would do for reading, but Sage documents ``full_access`` as the usual scope and a
read-only grant cannot see every reporting endpoint (UNVERIFIED); sfsync only ever reads."""

CODE_SECONDS = 60
"""An authorization code lives 60 s and is single use (frequently_raised_errors)."""
ACCESS_TOKEN_SECONDS = 300
"""Access tokens live 5 minutes (authentication guide)."""
REFRESH_TOKEN_SECONDS = 31 * 86_400
"""Refresh tokens are single use, rotate on every refresh and die after 31 days: third-party
consensus, and ``refresh_token_expires_in: 2678400`` in the sample token answers quoted in several
Sage clients' code (found by code search; not yet on Sage's own page)."""

PAGE_DEFAULT = 20
PAGE_MAX = 200
"""``items_per_page``: default 20, maximum 200 (swagger)."""

MINUTE_LIMIT = 100
DAILY_LIMIT = 2500
"""Calls per business: about 100 a minute and 2,500 a day (knowledgelib.io; Sage's own v3.1
figures are UNVERIFIED, v3.0 documented 200 per 60 s). Configurable: SFSYNC_SAGE_PER_MINUTE and
SFSYNC_SAGE_PER_DAY, or the SageConnector arguments (ratelimits.py)."""

TRIAL_BALANCE_PATH = "/trial_balance"
"""The Reporting API's trial balance (announcement 2020-05-20). No public spec; that it is served
under the same ``/v3.1`` base as the Accounts API is UNVERIFIED."""
