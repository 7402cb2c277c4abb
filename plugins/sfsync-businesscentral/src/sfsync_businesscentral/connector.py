"""The ``businesscentral`` and ``bocount`` connectors: Dynamics 365 Business Central API v2.0
(OData v4), signed in through Microsoft Entra ID, and BoCount's per-firm endpoint of the same
engine with Basic web-service credentials.

An admin connects once at firm level. For Business Central the token is for the admin's
tenant (:mod:`sfsync_businesscentral.auth`); the tenant has environments (the Admin Center API
lists them, or the connection names them in ``environments``) and each environment companies:
they are listed together, with the environment in their name and ref
(``Production/8f3c…``). ``businesscentral-s2s`` reaches the same with an app's client
credentials in the client's tenant instead of a user's sign-in. For BoCount a firm's companies are named by their VAT number.
Everything after that is the shared engine (:mod:`sfsync_businesscentral.engine`); what is
assumed about BoCount is in :mod:`sfsync_businesscentral.bocount_names`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import weakref
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sfsync.auth import FormSpec
from sfsync.context import ConnectorContext
from sfsync.errors import ConfigurationError, MalformedResponse, NotFound
from sfsync.hookspecs import hookimpl
from sfsync.metadata import ConnectorInfo
from sfsync.models import Company, CompanyDetails, FiscalYear, Granularity
from sfsync.odata import ODataQuery, literal
from sfsync.sandbox import Sandbox

from sfsync_businesscentral import bocount_names
from sfsync_businesscentral.auth import (
    ClientCredentialsAuth,
    EntraOAuth2Spec,
    app_form_spec,
    bocount_form_spec,
    entra_oauth_spec,
)
from sfsync_businesscentral.client import ODataClient
from sfsync_businesscentral.engine import ODataEngine
from sfsync_businesscentral.facts import ADMIN_ENVIRONMENTS_PATH, API_HOST, API_ROOT, PAGE_SIZE
from sfsync_businesscentral.ledger import Scope
from sfsync_businesscentral.ratelimits import bc_rate_limits

__all__ = [
    "BoCountConnector",
    "BusinessCentralAppConnector",
    "BusinessCentralConnector",
    "bocount",
    "businesscentral",
    "businesscentral_s2s",
]

T = TypeVar("T")

APP_TOKEN = "app_token"
"""Where service to service keeps its last client-credentials token in the connection's (sealed) state."""

COMPANY_IDS = "company_ids"
"""Where BoCount keeps, in the connection's state, the company id of each VAT number."""

API_VERSION = "v2.0"
DOCS_URL = "https://learn.microsoft.com/dynamics365/business-central/dev-itpro/api-reference/v2.0/"
# accounting periods, accounts, one look at the changes, the entry count
NIGHT = {Granularity.TRANSACTIONS: 4, Granularity.TRIAL_BALANCE: 4}

SHARED_LIMITS = (
    "Business Central's API has no record of deleted G/L entries: each night sfsync compares the "
    "number of entries with the dossier's, and only when it differs reads the trial balance per year "
    "and per period to find the periods to read again; an unchanged night costs four requests.",
    "Lines are booked in the accounting period of their posting date: Business Central has no separate "
    "booking period, and closing entries on a closing date arrive on the year's last day.",
    "G/L entries carry amounts in the local currency and in the company's additional reporting currency "
    "only: where a company keeps one, its amounts are synced as the foreign amount in that currency; the "
    "currency a document was made in is not in the general ledger.",
    "Limits are Business Central's per user: 6,000 requests in any 5 minutes and 5 at a time; sfsync keeps "
    "to them and waits out 429 (with or without Retry-After), 408 and 503 answers.",
    "UNVERIFIED: that $count=true is honoured on generalLedgerEntries (the deletion check relies on it) and "
    "that 429 answers carry Retry-After.",
)


class BusinessCentralConnector(ODataEngine):
    """Dynamics 365 Business Central online, API v2.0."""

    def __init__(self, *, per_window: int | None = None, window_seconds: float = 300.0, page_size: int = PAGE_SIZE) -> None:
        """``per_window`` requests per ``window_seconds`` per user (defaults: Business Central's)."""
        super().__init__()
        self.per_window, self.window_seconds, self.page_size = per_window, window_seconds, page_size

    def __repr__(self) -> str:
        return "BusinessCentralConnector()"

    async def tenant(self, ctx: ConnectorContext) -> str:
        """The tenant the connection's tokens are for (or the one the connection names)."""
        named = str(ctx.config.get("tenant") or ctx.state.get("tenant") or "")
        if named:
            return named
        tokens = await ctx.vault.load() if ctx.vault is not None else None
        tenant = tokens.extra.get("tenant") if tokens is not None else None
        if not tenant:
            raise MalformedResponse("Entra's answer did not say which tenant the user belongs to (no tid claim)")
        return tenant

    async def user(self, ctx: ConnectorContext) -> str:
        """Whose limits the requests count against."""
        tokens = await ctx.vault.load() if ctx.vault is not None else None
        return (tokens.extra.get("user") if tokens is not None else None) or ctx.connection_id

    async def client(self, ctx: ConnectorContext, environment: str) -> ODataClient:
        """The API v2.0 client of one environment."""
        root = f"{ctx.config.get('api_root') or API_ROOT}/{await self.tenant(ctx)}/{environment}/api/v2.0"
        return ODataClient(ctx, root, user=await self.user(ctx), page_size=self.page_size)

    async def environments(self, ctx: ConnectorContext) -> list[str]:
        """The tenant's environments: those the connection names, else the Admin Center's list."""
        named = [e.strip() for e in str(ctx.config.get("environments") or "").split(",") if e.strip()]
        if named:
            return named
        body = await (await self.admin_client(ctx)).get(ADMIN_ENVIRONMENTS_PATH)
        rows = body.get("value") if isinstance(body, dict) else None
        if not isinstance(rows, list):
            raise MalformedResponse("the Admin Center's environment list has no value array")
        return [str(r["name"]) for r in rows if r.get("applicationFamily", "BusinessCentral") == "BusinessCentral"
                and r.get("status", "Active") == "Active" and r.get("name")]

    async def admin_client(self, ctx: ConnectorContext) -> ODataClient:
        """The Admin Center API's client."""
        return ODataClient(ctx, API_HOST, user=await self.user(ctx))

    async def make_scope(self, ctx: ConnectorContext, company: Company) -> Scope:
        environment, sep, ident = company.ref.rpartition("/")
        if not sep or not environment or not ident:
            raise ConfigurationError(f"{company.ref!r} is not a Business Central company ref (environment/company id)")
        return Scope(await self.client(ctx, environment), f"companies({ident})", dict(self.sets))

    @hookimpl
    def sfsync_connector_info(self) -> ConnectorInfo:
        return ConnectorInfo(
            name="businesscentral",
            title="Microsoft Dynamics 365 Business Central",
            package="Business Central",
            description=(
                f"Business Central online through its standard API {API_VERSION} (OData v4), signed in with "
                "Microsoft Entra ID: every company of every environment of the firm's tenant, fiscal years from "
                "the accounting periods, the chart of accounts, G/L entries (incremental by lastModifiedDateTime, "
                "deletions found by entry count and per-period totals), trial balances per period, opening "
                "balances and company information."
            ),
            granularities=(Granularity.TRANSACTIONS, Granularity.TRIAL_BALANCE),
            default_granularity=Granularity.TRANSACTIONS,
            rate_limits=bc_rate_limits(self.per_window or 6000, self.window_seconds),
            known_limits=(
                "An admin signs in once with a work account of the firm's Microsoft Entra tenant; the companies "
                "of that tenant's environments are listed (a tenant the account is a guest in is not).",
                "Environments are read from the Admin Center API, which needs a tenant admin: otherwise name "
                "them in the connection (environments=Production,…).",
                "UNVERIFIED: access tokens live about an hour and refresh tokens 90 days unused (Entra's "
                "defaults); a connection no dossier syncs for 90 days must be connected again.",
                *SHARED_LIMITS,
            ),
            docs_url=DOCS_URL,
            lookback_days=0,
            unchanged_night_requests=NIGHT,
            extra={"api_version": API_VERSION},
        )

    @hookimpl
    def sfsync_auth(self) -> EntraOAuth2Spec:
        return entra_oauth_spec()

    @hookimpl
    async def sfsync_check_connection(self, ctx: ConnectorContext) -> None:
        tenant = await self.tenant(ctx)
        ctx.state["tenant"] = tenant
        environments = await self.environments(ctx)
        if not environments:
            raise NotFound(f"the tenant {tenant} has no active Business Central environment")
        await (await self.client(ctx, environments[0])).get("companies", ODataQuery(top=1, select=("id",)).params())

    @hookimpl
    async def sfsync_list_companies(self, ctx: ConnectorContext) -> list[Company]:
        companies = []
        for environment in await self.environments(ctx):
            client = await self.client(ctx, environment)
            for row in await client.all("companies", ODataQuery(select=("id", "name", "displayName"))):
                name = str(row.get("displayName") or row.get("name") or row["id"])
                companies.append(Company(ref=f"{environment}/{row['id']}", code=str(row.get("name") or ""),
                                         name=f"{name} ({environment})", extra={"environment": environment}))
        return sorted(companies, key=lambda c: (c.name.lower(), c.ref))

    @hookimpl
    def sfsync_sandbox(self) -> Sandbox:
        from sfsync_businesscentral.sandbox import BusinessCentralSandbox

        return BusinessCentralSandbox()


class BusinessCentralAppConnector(BusinessCentralConnector):
    """Business Central service to service: an app registered in the client's own tenant, with
    Entra's client credentials (automation-apis-using-s2s-authentication.md)."""

    def __init__(self, **kwargs: Any) -> None:
        """As :class:`BusinessCentralConnector`."""
        super().__init__(**kwargs)
        self._auths: weakref.WeakKeyDictionary[ConnectorContext, ClientCredentialsAuth] = weakref.WeakKeyDictionary()

    def __repr__(self) -> str:
        return "BusinessCentralAppConnector()"

    async def tenant(self, ctx: ConnectorContext) -> str:
        tenant = str(ctx.config.get("tenant") or "").strip()
        if not tenant:
            raise ConfigurationError("a service-to-service connection names its tenant (id or domain)")
        return tenant

    async def user(self, ctx: ConnectorContext) -> str:
        return f"app:{ctx.config.get('client_id')}"

    async def auth(self, ctx: ConnectorContext) -> ClientCredentialsAuth:
        """The run's client-credentials flow. Its token is kept (sealed) in the connection's
        state, so the tenant's other dossiers, and later runs, use it while it lives (about an
        hour) instead of asking Entra again."""
        flow = self._auths.get(ctx)
        if flow is None:
            client_id = str(ctx.config.get("client_id") or "")

            async def keep(token: str, expires: dt.datetime) -> None:
                entry = {"client_id": client_id, "token": token, "expires": expires.isoformat()}
                await ctx.update_state(lambda state: state.__setitem__(APP_TOKEN, entry))

            flow = self._auths[ctx] = ClientCredentialsAuth(
                await self.tenant(ctx), client_id, ctx.secrets.get("client_secret") or "", clock=ctx.clock,
                token=_kept_token(ctx.state.get(APP_TOKEN), client_id), on_token=keep)
        return flow

    async def client(self, ctx: ConnectorContext, environment: str) -> ODataClient:
        root = f"{ctx.config.get('api_root') or API_ROOT}/{await self.tenant(ctx)}/{environment}/api/v2.0"
        return ODataClient(ctx, root, user=await self.user(ctx), auth=await self.auth(ctx), page_size=self.page_size)

    async def admin_client(self, ctx: ConnectorContext) -> ODataClient:
        return ODataClient(ctx, API_HOST, user=await self.user(ctx), auth=await self.auth(ctx))

    @hookimpl
    def sfsync_connector_info(self) -> ConnectorInfo:
        info = super().sfsync_connector_info()
        return dataclasses.replace(
            info, name="businesscentral-s2s", title="Microsoft Dynamics 365 Business Central (service to service)",
            description=info.description.replace("signed in with Microsoft Entra ID",
                                                 "with an app's client credentials in the client's Entra tenant"),
            known_limits=(
                "The app is registered in the client's own tenant with the API.ReadWrite.All application permission "
                "and added on Business Central's Microsoft Entra Applications page; one connection per tenant.",
                "Client credentials give no refresh token: a token is fetched when the one kept (sealed) with the "
                "connection is within five minutes of its end (Entra's live about an hour). A tenant's first "
                "dossier of a night costs five requests, its others four while that token lives.",
                "A removed client secret stops the connection until an admin enters a current one.",
                *SHARED_LIMITS,
            ),
            unchanged_night_requests={g: n + 1 for g, n in NIGHT.items()},
        )

    @hookimpl
    def sfsync_auth(self) -> FormSpec:  # type: ignore[override]
        return app_form_spec()

    @hookimpl
    def sfsync_sandbox(self) -> Sandbox:
        from sfsync_businesscentral.sandbox import BusinessCentralAppSandbox

        return BusinessCentralAppSandbox()


def _kept_token(kept: object, client_id: str) -> tuple[str, dt.datetime] | None:
    """A token an earlier run kept for this app, if it reads as one."""
    if not isinstance(kept, dict) or kept.get("client_id") != client_id or not kept.get("token"):
        return None
    try:
        return str(kept["token"]), dt.datetime.fromisoformat(str(kept["expires"]))
    except (KeyError, ValueError):
        return None


class BoCountConnector(ODataEngine):
    """BoCount: Business Central with the BoCount extension at a firm's own endpoint."""

    sets = dict(bocount_names.ENTITY_SETS)

    def __init__(self, *, page_size: int = PAGE_SIZE) -> None:
        """Pages of ``page_size`` entities."""
        super().__init__()
        self.page_size = page_size

    def __repr__(self) -> str:
        return "BoCountConnector()"

    def client(self, ctx: ConnectorContext) -> ODataClient:
        """The firm's service."""
        base = str(ctx.config.get("base_url") or "").rstrip("/")
        if not base.startswith("https://"):
            raise ConfigurationError(f"BoCount's base URL must be an https:// address, not {base!r}")
        root = base if base.endswith(bocount_names.API_PATH) else base + bocount_names.API_PATH
        user = str(ctx.config.get("username") or "")
        return ODataClient(ctx, root, user=f"bocount:{user}", basic=(user, ctx.secrets.get("password") or ""),
                           package="BoCount", page_size=self.page_size)

    async def make_scope(self, ctx: ConnectorContext, company: Company) -> Scope:
        # The company id a VAT number was found at is kept in the connection's state: a night
        # does not look the company up again (its id does not change; see _fresh_id_on_404).
        client = self.client(ctx)
        ident = ctx.state.get(COMPANY_IDS, {}).get(company.ref) or await self._look_up(ctx, client, company)
        return Scope(client, f"{self.sets['companies']}({ident})", dict(self.sets))

    async def _look_up(self, ctx: ConnectorContext, client: ODataClient, company: Company) -> str:
        vat = bocount_names.COMPANY_VAT
        rows = await client.all(self.sets["companies"], ODataQuery(filter=f"{vat} eq {literal(company.ref)}", select=("id", vat)))
        if not rows:
            raise NotFound(f"BoCount has no company with VAT number {company.ref}")
        ident = str(rows[0]["id"])
        await ctx.update_state(lambda state: state.setdefault(COMPANY_IDS, {}).__setitem__(company.ref, ident))
        return ident

    async def _fresh_id_on_404(self, ctx: ConnectorContext, company: Company, call: Callable[[], Awaitable[T]]) -> T:
        """``call``, and once more with the company looked up again when the kept id is one
        BoCount no longer knows (a company deleted and made again under the same VAT number)."""
        try:
            return await call()
        except NotFound:
            if company.ref not in ctx.state.get(COMPANY_IDS, {}):
                raise
            await ctx.update_state(lambda state: state.get(COMPANY_IDS, {}).pop(company.ref, None))
            self._scopes.get(ctx, {}).pop(company.ref, None)
            return await call()

    # The first calls of a run, where a kept id that went stale shows.
    @hookimpl
    async def sfsync_fetch_fiscal_years(self, ctx: ConnectorContext, company: Company) -> list[FiscalYear]:
        return await self._fresh_id_on_404(ctx, company, lambda: ODataEngine.sfsync_fetch_fiscal_years(self, ctx, company))

    @hookimpl
    async def sfsync_fetch_company_details(
        self, ctx: ConnectorContext, company: Company, previous: CompanyDetails | None = None
    ) -> CompanyDetails:
        return await self._fresh_id_on_404(
            ctx, company, lambda: ODataEngine.sfsync_fetch_company_details(self, ctx, company, previous))

    @hookimpl
    def sfsync_connector_info(self) -> ConnectorInfo:
        return ConnectorInfo(
            name="bocount",
            title="BoCount (Business Central with the BoCount extension)",
            package="Business Central",
            description=(
                "BoCount's OData V4 endpoint of Business Central, at the firm's own base URL with a web-service "
                "user and access key: the firm's companies by VAT number, then the same fiscal years, chart, "
                "G/L entries, trial balances, opening balances and company information as Business Central."
            ),
            granularities=(Granularity.TRANSACTIONS, Granularity.TRIAL_BALANCE),
            default_granularity=Granularity.TRANSACTIONS,
            rate_limits=bc_rate_limits(),
            known_limits=(
                "UNVERIFIED: the BoCount extension's API path, entity names and the company's VAT number field "
                f"are not published; sfsync assumes {bocount_names.API_PATH} with Business Central's standard "
                f"entity names and {bocount_names.COMPANY_VAT} (one module, bocount_names, to correct).",
                "A company is found by its VAT number once; its id is kept in the connection (looked up "
                "again if BoCount stops knowing it): an unchanged night costs four requests.",
                "A new web-service access key must be entered in the connection (reconnect); the old one stops at once.",
                *SHARED_LIMITS,
            ),
            docs_url="https://help.billtobox.com/hc/fr-be/articles/13773845767580",
            lookback_days=0,
            unchanged_night_requests=NIGHT,
            extra={"api_version": API_VERSION, "api_path": bocount_names.API_PATH},
        )

    @hookimpl
    def sfsync_auth(self) -> FormSpec:
        return bocount_form_spec()

    @hookimpl
    async def sfsync_check_connection(self, ctx: ConnectorContext) -> None:
        await self.client(ctx).get(self.sets["companies"], ODataQuery(top=1, select=("id",)).params())

    @hookimpl
    async def sfsync_list_companies(self, ctx: ConnectorContext) -> list[Company]:
        vat = bocount_names.COMPANY_VAT
        rows = await self.client(ctx).all(self.sets["companies"], ODataQuery(select=("id", "name", "displayName", vat)))
        companies = [Company(ref=str(r[vat]), code=str(r[vat]), name=str(r.get("displayName") or r.get("name") or r[vat]),
                             vat_number=str(r[vat])) for r in rows if r.get(vat)]
        return sorted(companies, key=lambda c: (c.name.lower(), c.ref))

    @hookimpl
    def sfsync_sandbox(self) -> Sandbox:
        from sfsync_businesscentral.sandbox import BoCountSandbox

        return BoCountSandbox()


businesscentral = BusinessCentralConnector()
"""The connector object the ``businesscentral`` entry point names."""
businesscentral_s2s = BusinessCentralAppConnector()
"""The connector object the ``businesscentral-s2s`` entry point names."""
bocount = BoCountConnector()
"""The connector object the ``bocount`` entry point names."""
