"""The ``adminpulse`` connector: AdminPulse, the practice-management software of Belgian
accounting offices, as an *administrative* source (granularity ``details``).

It brings no figures. An admin connects the office once (firm level) with the office's API key,
sent as ``Authorization: Bearer``; the connection lists the office's client companies (its
relations, :mod:`.client`), and a dossier's administrative link keeps that relation's master data
(name, legal form, VAT and enterprise number, registered address, contacts, fiscal-year end) in
step beside the dossier's accounting link (Exact, Yuki…). Wire facts and what is assumed:
:mod:`sfsync_adminpulse.facts`; the mapping: :mod:`.mapping`.
"""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr
from sfsync.auth import ConnectionLevel, FormSpec
from sfsync.context import ConnectorContext
from sfsync.errors import MalformedResponse
from sfsync.hookspecs import hookimpl
from sfsync.http import RateLimitPolicy, RateWindow
from sfsync.metadata import ConnectorInfo
from sfsync.models import Company, CompanyDetails, Granularity
from sfsync.sandbox import Sandbox

from sfsync_adminpulse import client
from sfsync_adminpulse.facts import ASSUMED, DOCS_URL, MINUTE_LIMIT
from sfsync_adminpulse.mapping import is_client_company, modified, to_company, to_details

__all__ = ["CONNECTOR", "AdminPulseConnector", "Credentials", "adminpulse"]

CONNECTOR = "adminpulse"


class Credentials(BaseModel):
    """What an admin of the office types to connect."""

    api_key: SecretStr = Field(description="An API key of the office, with read access to relations "
                                           "(AdminPulse help: adminpulse.zendesk.com/hc/articles/8331100368924)")


class AdminPulseConnector:
    """AdminPulse, as sfsync sees it. ``window_seconds`` shortens the minute, for tests."""

    def __init__(self, *, per_minute: int = MINUTE_LIMIT, window_seconds: float = 60.0) -> None:
        self.per_minute = per_minute
        self.window_seconds = window_seconds

    def __repr__(self) -> str:
        return f"AdminPulseConnector(per_minute={self.per_minute})"

    @hookimpl
    def sfsync_connector_info(self) -> ConnectorInfo:
        return ConnectorInfo(
            name=CONNECTOR,
            title="AdminPulse",
            package="AdminPulse",
            description=(
                "AdminPulse, the practice-management software of Belgian accounting offices, as the "
                "source of each client's master data: legal name and form, VAT and enterprise number, "
                "registered address, contacts and fiscal-year end. It brings no figures: a dossier "
                "links to it beside its accounting package."
            ),
            granularities=(Granularity.DETAILS,),
            default_granularity=Granularity.DETAILS,
            rate_limits=RateLimitPolicy(
                # Sliding: sfsync does not know when AdminPulse's minute turns, so it never sends
                # more than 480 in any 60 s; a 429's Retry-After pauses the key all the same.
                windows=(RateWindow("minute", self.per_minute, self.window_seconds),),
                notes=f"{self.per_minute} calls a minute per API key (AdminPulse's documented limit); "
                      "a 429's Retry-After is honoured.",
            ),
            known_limits=(
                "An administrative source only: no fiscal years, accounts or ledger lines.",
                "Only relations that are client companies or sole proprietors (status customer or own "
                "company) are listed; private persons, prospects and contacts are not.",
                *(f"Assumed, to confirm with the vendor: {fact}" for fact in ASSUMED),
            ),
            docs_url=DOCS_URL,
            # One GET of the relation; an unchanged one (same lastModified) stores nothing.
            unchanged_night_requests={Granularity.DETAILS: 1},
        )

    @hookimpl
    def sfsync_auth(self) -> FormSpec:
        return FormSpec(fields=Credentials, level=ConnectionLevel.FIRM)

    @hookimpl
    async def sfsync_check_connection(self, ctx: ConnectorContext) -> None:
        await client.get(ctx, "/relations", page=0, pageSize=1)

    @hookimpl
    async def sfsync_list_companies(self, ctx: ConnectorContext) -> list[Company]:
        companies = {c.ref: c for c in [to_company(row) async for row in client.relations(ctx) if is_client_company(row)]}
        return sorted(companies.values(), key=lambda c: (c.name.casefold(), c.ref))

    @hookimpl
    async def sfsync_fetch_company_details(
        self, ctx: ConnectorContext, company: Company, previous: CompanyDetails | None = None
    ) -> CompanyDetails | None:
        row = await client.get(ctx, f"/relations/{company.ref}")
        if not isinstance(row, dict):
            raise MalformedResponse(f"AdminPulse's relation {company.ref} is not an object")
        stamp = modified(row)
        if previous is not None and stamp is not None and previous.modified == stamp:
            return None  # unchanged since the version kept: nothing to map or store
        return to_details(row)

    @hookimpl
    def sfsync_sandbox(self) -> Sandbox:
        from sfsync_adminpulse.sandbox import AdminPulseSandbox

        return AdminPulseSandbox()


adminpulse = AdminPulseConnector()
"""The connector object the ``adminpulse`` entry point names."""
