"""Business Central API v2.0 and BoCount: the wire facts the connectors and their sandbox share.

Sources (copies in ``shared/reference/specs/business-central/``, MicrosoftDocs
dynamics365smb-devitpro-pb @5dc00b6a, CC-BY-4.0):

* ``api-endpoint-structure.md`` / ``endpoints-apis-for-dynamics.md``: the base
  ``https://api.businesscentral.dynamics.com/v2.0/{tenant}/{environment}/api/v2.0`` and
  ``/companies({id})/{entity}``.
* ``automation-apis-using-s2s-authentication.md``: client credentials at
  ``https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token`` with scope
  ``https://api.businesscentral.dynamics.com/.default``.
* ``operational-limits-online.md`` and ``dynamics-rate-limits.md``: per user 6,000 OData
  requests in any 5-minute window (429), 5 at a time with the rest queued (queued too long:
  503), an operation timeout of 8 minutes (408), pages of at most 20,000 entities (413).
* ``Server-Driven-Paging-in-OData-Web-Services.md``: ``Prefer: odata.maxpagesize``, ``@odata.nextLink``.
* The Admin Center API (learn.microsoft.com, administration-center-api_environments, found by
  search): ``GET /admin/v2.21/applications/BusinessCentral/environments`` lists a tenant's
  environments as ``{"value": [{"name", "type", "countryCode", "aadTenantId", "status", …}]}``.

UNVERIFIED (the most plausible reading, kept here so it is easy to correct, and repeated in the
connectors' ``known_limits``):

* token lifetimes: Entra's defaults, an access token of about an hour (``ACCESS_TOKEN_SECONDS``)
  and a refresh token that lives 90 days unused and rotates on use, the old one still working;
* whether a 429 carries ``Retry-After`` (the sandbox sends it on some and not on others);
* whether ``$count=true`` is honoured on ``generalLedgerEntries`` (the deletion check uses it);
* how long a queued request waits before the 503 (``QUEUE_SECONDS``) and how long a queue may be;
* that a user who is not a tenant admin can list environments through the Admin Center API:
  a firm can name them in the connection instead (``environments``).
"""

from __future__ import annotations

__all__ = [
    "ACCESS_TOKEN_SECONDS",
    "ADMIN_ENVIRONMENTS_PATH",
    "API_HOST",
    "API_ROOT",
    "AUTHORIZE_URL",
    "CONCURRENT",
    "LOGIN_HOST",
    "OPERATION_SECONDS",
    "PAGE_DEFAULT",
    "PAGE_MAX",
    "PAGE_SIZE",
    "QUEUE_LENGTH",
    "QUEUE_SECONDS",
    "REFRESH_TOKEN_SECONDS",
    "SCOPES",
    "TOKEN_URL",
    "WINDOW_REQUESTS",
    "WINDOW_SECONDS",
    "api_base",
    "tenant_token_url",
]

API_HOST = "https://api.businesscentral.dynamics.com"
API_ROOT = f"{API_HOST}/v2.0"
LOGIN_HOST = "https://login.microsoftonline.com"
AUTHORIZE_URL = f"{LOGIN_HOST}/organizations/oauth2/v2.0/authorize"
TOKEN_URL = f"{LOGIN_HOST}/organizations/oauth2/v2.0/token"
"""The multi-tenant (``organizations``) endpoints: a firm's user signs in with their work account
and the token is for their own tenant, named by the ``tid`` claim of the ``id_token``."""

SCOPES = ("https://api.businesscentral.dynamics.com/.default", "offline_access", "openid", "profile")
ADMIN_ENVIRONMENTS_PATH = "/admin/v2.21/applications/BusinessCentral/environments"

ACCESS_TOKEN_SECONDS = 3600
REFRESH_TOKEN_SECONDS = 90 * 86_400

WINDOW_REQUESTS = 6000
WINDOW_SECONDS = 300.0
CONCURRENT = 5
QUEUE_LENGTH = 95
"""Requests a user may have waiting beyond the 5 in flight ("100 connections, queue 95")."""
QUEUE_SECONDS = 480.0
"""A queued request that waits this long gets 503 (the 8 minutes of the docs' queue timeout)."""
OPERATION_SECONDS = 480.0
"""A request that runs longer is cancelled with 408."""

PAGE_MAX = 20_000
PAGE_DEFAULT = 20_000
"""Without ``Prefer`` the service pages at its maximum page size (ODataServicesMaxPageSize)."""
PAGE_SIZE = 5_000
"""What the connectors ask for: well under the cap, so one page stays small in memory."""


def api_base(tenant: str, environment: str) -> str:
    """The API v2.0 root of one environment of a tenant."""
    return f"{API_ROOT}/{tenant}/{environment}/api/v2.0"


def tenant_token_url(tenant: str) -> str:
    """A tenant's own token endpoint (client credentials)."""
    return f"{LOGIN_HOST}/{tenant}/oauth2/v2.0/token"
