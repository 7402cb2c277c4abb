"""The echo connector: a form-connected connector for the echo sandbox's JSON API."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field, SecretStr

from sfsync.auth import ConnectionLevel, FormSpec
from sfsync.context import ConnectorContext
from sfsync.errors import MalformedResponse, NeedsReconsent, NotFound
from sfsync.hookspecs import hookimpl
from sfsync.http.ratelimit import RateLimitPolicy, RateWindow
from sfsync.metadata import ConnectorInfo
from sfsync.models import (
    Account,
    AccountKind,
    Company,
    CompanyDetails,
    FiscalYear,
    Granularity,
    LedgerBatch,
    LedgerColumns,
    OpeningBalance,
    TrialBalanceBatch,
    TrialBalanceLine,
)
from sfsync.trial_balance_gate import TrialBalanceGate, TrialBalancePlan

if TYPE_CHECKING:
    from sfsync.sandbox.base import Sandbox

__all__ = ["BASE_URL", "EchoConnector", "EchoFields", "connector"]

BASE_URL = "https://api.echo.sandbox"


class EchoFields(BaseModel):
    """What a person types to connect echo."""

    base_url: str = Field(default=BASE_URL, description="Address of the echo API")
    api_key: SecretStr = Field(description="The API key")


class EchoConnector:
    """Hook implementations for the echo sandbox."""

    @hookimpl
    def sfsync_connector_info(self) -> ConnectorInfo:
        return ConnectorInfo(
            name="echo",
            title="Echo (built-in test package)",
            package="Echo",
            description="A fake package served by the built-in sandbox, for tests, demos and docs.",
            granularities=(Granularity.TRANSACTIONS, Granularity.TRIAL_BALANCE),
            rate_limits=RateLimitPolicy(windows=(RateWindow("minutely", 600, 60),), notes="600 calls a minute per key."),
            known_limits=("It only knows the data its sandbox seeds.",),
            # Transactions: fiscal years, accounts, one page of lines, one of deletions. Trial
            # balance: years and accounts, then one line and one deletion asked after the last
            # pass (echo has no report endpoint: only a change reads the open years' lines).
            # Details (an administrative link to echo): one look at the company's details.
            unchanged_night_requests={Granularity.TRANSACTIONS: 4, Granularity.TRIAL_BALANCE: 4, Granularity.DETAILS: 1},
        )

    @hookimpl
    def sfsync_auth(self) -> FormSpec:
        return FormSpec(fields=EchoFields, level=ConnectionLevel.FIRM)

    @hookimpl
    def sfsync_sandbox(self) -> Sandbox:
        # Imported here: the sandbox needs the toolkit's extra (sfsync[sandbox]); the connector not.
        from sfsync.echo.sandbox import EchoSandbox

        return EchoSandbox()

    @staticmethod
    async def _get(ctx: ConnectorContext, path: str, **params: Any) -> Any:
        client = ctx.http(str(ctx.config.get("base_url", BASE_URL)), headers={"X-Api-Key": ctx.secrets["api_key"]})
        response = await client.get(path, params={k: v for k, v in params.items() if v is not None})
        if response.status_code == 401:
            # The key was wrong or regenerated in the package: only a person can give the new one.
            raise NeedsReconsent("echo refused the API key; enter the current key to connect again", response=response)
        if response.status_code == 404:
            raise NotFound(f"echo does not know {path}", response=response)
        if response.status_code != 200:
            raise MalformedResponse(f"echo answered {response.status_code}", response=response)
        try:
            return json.loads(response.content, parse_float=Decimal)
        except ValueError as exc:
            raise MalformedResponse("echo sent something that is not JSON", response=response) from exc

    @hookimpl
    async def sfsync_list_companies(self, ctx: ConnectorContext) -> list[Company]:
        rows = await self._get(ctx, "/companies")
        return [Company(ref=r["ref"], code=r["code"], name=r["name"]) for r in rows]

    @hookimpl
    async def sfsync_fetch_company_details(self, ctx: ConnectorContext, company: Company) -> CompanyDetails:
        return CompanyDetails.model_validate(await self._get(ctx, f"/companies/{company.ref}/details"))

    @hookimpl
    async def sfsync_fetch_fiscal_years(self, ctx: ConnectorContext, company: Company) -> list[FiscalYear]:
        rows = await self._get(ctx, f"/companies/{company.ref}/years")
        return [FiscalYear.model_validate(r) for r in rows]

    @hookimpl
    async def sfsync_fetch_accounts(self, ctx: ConnectorContext, company: Company) -> list[Account]:
        rows = await self._get(ctx, f"/companies/{company.ref}/accounts")
        kinds = {"bs": AccountKind.BALANCE_SHEET, "pl": AccountKind.PROFIT_LOSS}
        return [Account(code=r["code"], name=r["name"], kind=kinds.get(r["kind"], AccountKind.UNKNOWN)) for r in rows]

    @hookimpl
    async def sfsync_fetch_opening_balances(self, ctx: ConnectorContext, company: Company, at: dt.date) -> list[OpeningBalance]:
        rows = await self._get(ctx, f"/companies/{company.ref}/balances", at=at.isoformat())
        return [OpeningBalance(account=r["account"], date=at, amount=Decimal(r["amount"])) for r in rows]

    @hookimpl
    async def sfsync_history_stamp(self, ctx: ConnectorContext, company: Company, before: dt.date) -> str:
        # Echo has no modified stamp per year: a digest of the balances at the day is one small
        # request and changes with any amount dated before it.
        rows = await self._get(ctx, f"/companies/{company.ref}/balances", at=before.isoformat())
        return hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()[:16]

    @hookimpl
    def sfsync_fetch_ledger(
        self, ctx: ConnectorContext, company: Company, since: dt.date | None, cursor: str | None
    ) -> AsyncIterator[LedgerBatch]:
        return self._ledger(ctx, company, since, cursor)

    async def _ledger(
        self, ctx: ConnectorContext, company: Company, since: dt.date | None, cursor: str | None
    ) -> AsyncIterator[LedgerBatch]:
        state = json.loads(cursor) if cursor else {"lines": 0, "deleted": None}
        first = cursor is None
        while True:
            page = await self._get(
                ctx, f"/companies/{company.ref}/lines", after=state["lines"],
                since=since.isoformat() if first and since else None,
            )
            lines = _lines(page["lines"])
            if lines:
                state["lines"] = page["lines"][-1]["modified"]
            if state["deleted"] is None:
                # A first sync starts the deletion stream at "now": older deletions are moot.
                state["deleted"] = page["sequence"]
            yield LedgerBatch(lines=lines, cursor=json.dumps(state))
            if not page["more"]:
                break
        while True:
            gone = await self._get(ctx, f"/companies/{company.ref}/deleted", after=state["deleted"])
            if not gone["deleted"]:
                break
            state["deleted"] = gone["deleted"][-1]["sequence"]
            yield LedgerBatch(deleted=[d["id"] for d in gone["deleted"]], cursor=json.dumps(state))

    @hookimpl
    def sfsync_fetch_trial_balance(
        self, ctx: ConnectorContext, company: Company, fiscal_years: list[FiscalYear], cursor: str | None
    ) -> AsyncIterator[TrialBalanceBatch]:
        return self._trial_balance(ctx, company, fiscal_years, cursor)

    async def _trial_balance(
        self, ctx: ConnectorContext, company: Company, fiscal_years: list[FiscalYear], cursor: str | None
    ) -> AsyncIterator[TrialBalanceBatch]:
        # Echo has no report endpoint: totals are computed from its lines, per fiscal year they
        # are booked in. A closed year, once brought, is not read again. The gate keeps the
        # package's sequence as of the last pass: a night first asks for one line and one
        # deletion after it, and only when either exists are the open years read and written
        # again (an unchanged night: two small requests, no line). Echo's signal does not say
        # which year moved, so a change reads every open year.
        gate = TrialBalanceGate.load(cursor, fiscal_years, marks={"seen": int}, upgrade=_cursor_before_the_gate)
        if all(gate.final(year) for year in fiscal_years):
            return
        if gate.plan is TrialBalancePlan.PROBE:
            changed = await self._changed_since(ctx, company, gate.marks["seen"])
            if changed is False:
                return
            gate.moved(None, {"seen": changed})
        wanted = gate.to_read(fiscal_years)
        by_label = {y.label: y for y in fiscal_years}
        totals: dict[tuple[str, dt.date], list[Decimal]] = {}
        marks: dict[str, Any] = {}
        async for batch in self._ledger(ctx, company, min(y.start for y in wanted), None):
            marks = marks or json.loads(batch.cursor or "{}")
            for line in batch.lines:
                year = by_label.get(line.fiscal_year or "") or next((y for y in fiscal_years if y.contains(line.date)), None)
                if year is None or year not in wanted:
                    continue
                bucket = totals.setdefault((line.account, year.end), [Decimal(0), Decimal(0)])
                bucket[0] += line.debit
                bucket[1] += line.credit
        if gate.plan is TrialBalancePlan.FULL:
            # The sequence the first page of this pass answered with: every change after it has
            # a higher number, so the next night's question cannot miss one.
            gate.marks = {"seen": marks.get("deleted")}
        for year in wanted:
            lines = [
                TrialBalanceLine(account=account, period_start=year.start, period_end=year.end, fiscal_year=year.label,
                                 debit=d, credit=c, closing=d - c)
                for (account, end), (d, c) in sorted(totals.items()) if end == year.end
            ]
            yield TrialBalanceBatch(lines=lines, clear=(year.start, year.end), cursor=gate.read(year))

    async def _changed_since(self, ctx: ConnectorContext, company: Company, seen: int) -> int | bool:
        """Whether a line was written or deleted after ``seen``: ``False``, or the sequence to
        remember once the change is read (one line and one deletion asked, nothing more)."""
        page = await self._get(ctx, f"/companies/{company.ref}/lines", after=seen, limit=1)
        if not page["lines"]:
            page = await self._get(ctx, f"/companies/{company.ref}/deleted", after=seen, limit=1)
            if not page["deleted"]:
                return False
        return int(page["sequence"])


def _cursor_before_the_gate(raw: Any, labels: list[str]) -> dict[str, Any] | None:
    """Echo's cursor before :mod:`sfsync.trial_balance_gate`: ``{"closed_done": [...], "seen": n}``,
    written only by a complete pass (a cut-off one kept the pass before's ``seen``, whose probe
    finds the change again). Without a ``seen`` it is a full read keeping the closed years."""
    if not isinstance(raw, dict) or not isinstance(raw.get("closed_done", []), list):
        return None
    seen = raw.get("seen")
    return {"years": labels, "pending": [], "done": [str(label) for label in raw.get("closed_done", [])],
            "marks": {} if seen is None else {"seen": seen}}


def _lines(rows: list[dict[str, Any]]) -> LedgerColumns:
    # One dict per line and one validation per page: the fast path (see sfsync.ledger_columns).
    try:
        return LedgerColumns.from_records(
            [
                {"id": row["id"], "entry": row["entry"], "journal": row["journal"], "date": row["date"],
                 "period": row["period"], "fiscal_year": row.get("fiscal_year"), "account": row["account"], "description": row["description"],
                 "currency": row["currency"], "foreign_amount": row["foreign_amount"], "amount": row["amount"]}
                for row in rows
            ]
        )
    except (KeyError, ValueError, TypeError) as exc:  # pydantic's ValidationError is a ValueError
        raise MalformedResponse(f"echo sent a line that cannot be read: {exc}") from exc


connector = EchoConnector()
