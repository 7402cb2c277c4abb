"""The ``onprem`` connector: dossier folders on the firm's server, read by the sync service.

The connection is either the address and token of a sync service (``sfsync agent serve``), or a
local ``root`` folder when the host runs on the same server. The dossier's company ref is its
*sync reference*: the folder's name.

Ledger cursors hold, per readable file, the fingerprint it was read at. An unchanged folder costs
one listing call; a changed file is read again in full and replaces what it brought before (the
first batch clears the file's date range); a removed file clears its range.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import BaseModel, Field, SecretStr
from sfsync.auth import AgentSpec
from sfsync.context import ConnectorContext
from sfsync.errors import (
    ConfigurationError,
    FatalError,
    InvalidSyncReference,
    MalformedResponse,
    NeedsReconsent,
    NotFound,
    RetriableError,
)
from sfsync.hookspecs import hookimpl
from sfsync.metadata import ConnectorInfo
from sfsync.models import (
    Account,
    Company,
    CompanyDetails,
    FiscalYear,
    Granularity,
    LedgerBatch,
    LedgerColumns,
    LedgerLine,
    OpeningBalance,
    TrialBalanceBatch,
    TrialBalanceLine,
)
from sfsync.readers import ReadResult

from sfsync_onprem.agent import AgentService, ApiError, error_of, ledger_items
from sfsync_onprem.folder import check_reference
from sfsync_onprem.readers import read_export
from sfsync_onprem.readers.base import UnreadableFile, UnsupportedStorage
from sfsync_onprem.tls import client_context

BATCH = 2000


class OnpremFields(BaseModel):
    """Either the sync service's address and token, or a local root folder."""

    url: str | None = Field(default=None, description="Address of the sync service, e.g. https://server:8766")
    token: SecretStr | None = Field(default=None, description="The token the service was started with")
    fingerprint: str | None = Field(
        default=None,
        description="SHA-256 fingerprint of the service's self-signed certificate, to pin it "
                    "(`sfsync agent serve` prints it)",
    )
    ca_file: str | None = Field(default=None, description="A CA file to check the service's certificate with (a firm's own CA)")
    root: str | None = Field(default=None, description="A local folder of dossier folders (no service)")
    package: str = Field(default="", description="The package the folders come from (ExpertM, Winbooks…)")


def _loads(content: bytes) -> Any:
    return json.loads(content, parse_float=Decimal)


def _raise_for(kind: str, message: str, status: int, response: httpx.Response | None = None) -> None:
    if kind == "invalid_sync_reference":
        raise InvalidSyncReference(message)
    if status == 401:
        # The service runs with another token now (restarted, or the token was changed on purpose):
        # the connection needs the current one, and its dossiers resume from their checkpoints then.
        raise NeedsReconsent(f"the sync service refused the token ({message}); connect again with the token "
                             "it was started with", response=response)
    if status == 404:
        raise NotFound(message)
    if kind == "unsupported_storage":
        raise UnsupportedStorage(message)
    if kind == "unreadable_file":
        raise UnreadableFile(f"{message}; the file is at fault: correct it or export it again (retrying will not help)",
                             response=response)
    if status in (400, 405, 422):
        raise MalformedResponse(message, response=response)
    if status == 429 or status >= 500:
        raise RetriableError(f"the sync service is unavailable ({status}): {message}", response=response)
    raise MalformedResponse(f"the sync service answered {status}: {message}", response=response)


class _Http:
    def __init__(self, ctx: ConnectorContext) -> None:
        url = str(ctx.config.get("url") or "").rstrip("/")
        if not url:
            raise ConfigurationError("the onprem connection has neither a sync service url nor a root")
        self.ctx, self.url = ctx, url
        self._client: httpx.AsyncClient | None = None
        self.package = str(ctx.config.get("package") or "")

    async def client(self) -> httpx.AsyncClient:
        """The client, made on first use: pinning a certificate first reads the server's (no token sent)."""
        if self._client is None:
            import asyncio

            verify = await asyncio.to_thread(
                client_context, self.url, fingerprint=self.ctx.config.get("fingerprint") or None,
                ca_file=self.ctx.config.get("ca_file") or None,
            )
            token = self.ctx.secrets.get("token") or ""
            self._client = self.ctx.http(self.url, headers={"Authorization": f"Bearer {token}"}, timeout=600.0,
                                         verify=verify)
        return self._client

    def _params(self, params: dict[str, str] | None) -> dict[str, str]:
        out = dict(params or {})
        if self.package:
            out["package"] = self.package
        return out

    async def json(self, path: str, params: dict[str, str] | None = None) -> Any:
        response = await (await self.client()).get(path, params=self._params(params))
        if response.status_code != 200:
            self._fail(response, response.content)
        try:
            return _loads(response.content)
        except ValueError as exc:
            raise MalformedResponse("the sync service sent something that is not JSON", response=response) from exc

    async def items(self, path: str, params: dict[str, str]) -> AsyncIterator[dict[str, Any]]:
        async with (await self.client()).stream("GET", path, params=self._params(params)) as response:
            if response.status_code != 200:
                self._fail(response, await response.aread())
            try:
                async for raw in response.aiter_lines():
                    if raw.strip():
                        yield _loads(raw.encode())
            except (ValueError, httpx.TransportError) as exc:
                # A line cut in two (the connection dropped) or a proxy's page in the stream: what
                # came before is committed batch by batch, so this is a fault to resume from.
                raise RetriableError(
                    f"the sync service's ledger stream was cut short or is not JSON ({type(exc).__name__}); "
                    "the run resumes from its last checkpoint", response=response,
                ) from exc

    @staticmethod
    def _fail(response: httpx.Response, content: bytes) -> None:
        try:
            body = _loads(content)
            kind, message = str(body.get("error", "")), str(body.get("message", ""))
        except (ValueError, AttributeError):
            kind, message = "", content[:200].decode(errors="replace")
        _raise_for(kind, message, response.status_code, response)


class _Local:
    def __init__(self, ctx: ConnectorContext) -> None:
        root = Path(str(ctx.config["root"]))
        if not root.is_dir():
            raise ConfigurationError(f"the onprem root {root} is not a folder on this server")
        self.service = AgentService(root, include_closed=bool(ctx.config.get("include_closed_years")),
                                    package=str(ctx.config.get("package") or ""))

    async def json(self, path: str, params: dict[str, str] | None = None) -> Any:
        import asyncio

        try:
            result = await asyncio.to_thread(self.service.dispatch, path, dict(params or {}))
        except Exception as exc:
            failure = error_of(exc)
            _raise_for(failure.kind, failure.message, failure.status)
        return _loads(json.dumps(result, default=str).encode())

    async def items(self, path: str, params: dict[str, str]) -> AsyncIterator[dict[str, Any]]:
        ref = path.split("/")[3]
        try:
            async for item in ledger_items(self.service, ref, params):
                yield _loads(json.dumps(item, default=str).encode())
        except ApiError as err:
            _raise_for(err.kind, err.message, err.status)
        except Exception as exc:
            if isinstance(exc, (FatalError, ConfigurationError)):
                raise
            failure = error_of(exc)
            _raise_for(failure.kind, failure.message, failure.status)


def _backend(ctx: ConnectorContext) -> _Http | _Local:
    if ctx.config.get("root") and not ctx.config.get("url"):
        return _Local(ctx)
    return _Http(ctx)


def _company_path(company: Company) -> str:
    check_reference(company.ref)
    return f"/v1/companies/{quote(company.ref, safe='')}"


def _range(raw: list[str] | None, since: dt.date | None) -> tuple[dt.date, dt.date] | None:
    if not raw:
        return None
    start, end = dt.date.fromisoformat(raw[0]), dt.date.fromisoformat(raw[1])
    if since is not None:
        start = max(start, since)
    if end < start:
        return None
    return start, end


class OnpremConnector:
    """Hook implementations of the ``onprem`` connector."""

    @hookimpl
    def sfsync_connector_info(self) -> ConnectorInfo:
        return ConnectorInfo(
            name="onprem",
            title="On-premise packages (sync service)",
            package="ExpertM, Wings, Winbooks, Venice, VeroCount, Sage BOB, Sage 50, TopAccount, Adsolut, "
                    "ORAS, Briljant, Popsy",
            description="Reads dossier folders on the firm's server through the sfsync sync service: XAF "
                        "auditfiles, SAF-T Financial (NO), Winbooks DBF folders and balance or ledger "
                        "exports in CSV, TXT, XLS or XLSX. The sync reference is the folder's name.",
            granularities=(Granularity.TRANSACTIONS, Granularity.TRIAL_BALANCE),
            default_granularity=Granularity.TRANSACTIONS,
            # An unchanged folder: fiscal years, accounts and the file listing (measured by the
            # contract suite's unchanged second sync against the sandbox agent).
            unchanged_night_requests={Granularity.TRANSACTIONS: 3, Granularity.TRIAL_BALANCE: 3},
            known_limits=(
                "The native stores of ExpertM, Adsolut, Venice, Wings, BOB, Sage 50, Popsy, VeroCount, "
                "TopAccount, ORAS and Briljant are not documented publicly: drop an XAF or a balance export.",
                "Winbooks: only open book years are read by default; archived years in other folders are not.",
            ),
        )

    @hookimpl
    def sfsync_auth(self) -> AgentSpec:
        return AgentSpec(fields=OnpremFields)

    @hookimpl
    async def sfsync_check_connection(self, ctx: ConnectorContext) -> None:
        backend = _backend(ctx)
        await backend.json("/v1/ping")

    @hookimpl
    async def sfsync_list_companies(self, ctx: ConnectorContext) -> list[Company]:
        data = await _backend(ctx).json("/v1/companies")
        return [Company.model_validate(item) for item in data]

    @hookimpl
    async def sfsync_fetch_company_details(self, ctx: ConnectorContext, company: Company) -> CompanyDetails:
        data = await _backend(ctx).json(_company_path(company))
        return CompanyDetails(name=data.get("name") or company.ref, vat_number=data.get("vat_number"),
                              country=data.get("country"))

    @hookimpl
    async def sfsync_fetch_fiscal_years(self, ctx: ConnectorContext, company: Company) -> list[FiscalYear]:
        data = await _backend(ctx).json(_company_path(company) + "/fiscal-years")
        return [FiscalYear.model_validate(item) for item in data]

    @hookimpl
    async def sfsync_fetch_accounts(self, ctx: ConnectorContext, company: Company) -> list[Account]:
        data = await _backend(ctx).json(_company_path(company) + "/accounts")
        return [Account.model_validate(item) for item in data]

    @hookimpl
    async def sfsync_fetch_opening_balances(self, ctx: ConnectorContext, company: Company,
                                            at: dt.date) -> list[OpeningBalance]:
        data = await _backend(ctx).json(_company_path(company) + "/opening-balances", {"at": at.isoformat()})
        return [OpeningBalance.model_validate(item) for item in data]

    @hookimpl
    async def sfsync_fetch_ledger(self, ctx: ConnectorContext, company: Company, since: dt.date | None,
                                  cursor: str | None) -> AsyncIterator[LedgerBatch]:
        backend = _backend(ctx)
        base = _company_path(company)
        state: dict[str, Any] = json.loads(cursor) if cursor else {
            "v": 1, "since": since.isoformat() if since else None, "done": {}, "cur": None}
        floor = dt.date.fromisoformat(state["since"]) if state.get("since") else None
        sources = await backend.json(base + "/sources")
        ledgers = [s for s in sources if s["kind"] == "ledger"]
        if not ledgers:
            what = ", ".join(s["format"] for s in sources) or "nothing readable"
            raise FatalError(f"dossier folder {company.ref} holds no ledger ({what}); link it with the "
                             "trial-balance granularity, or drop an XAF with the transactions")
        present = {s["name"] for s in ledgers}
        for name in sorted(set(state["done"]) - present):
            gone = state["done"].pop(name)
            yield LedgerBatch(clear=_range(gone.get("clear"), floor), cursor=json.dumps(state),
                              warnings=[f"{company.ref}: {name} was removed; its lines are removed too"])
        for source in ledgers:
            name, fp = source["name"], source["fingerprint"]
            done = state["done"].get(name)
            if done and done["fp"] == fp:
                continue
            cur = state.get("cur")
            offset = cur["offset"] if cur and cur["name"] == name and cur["fp"] == fp else 0
            clear: tuple[dt.date, dt.date] | None = None
            warnings: list[str] = []
            if offset == 0:
                clear = _range(source.get("clear"), floor)
                if done and done.get("clear"):  # the file's earlier range goes too
                    old = _range(done["clear"], floor)
                    if old and clear:
                        clear = (min(old[0], clear[0]), max(old[1], clear[1]))
                    clear = clear or old
                warnings = list(source.get("warnings") or [])
            params = {"source": name, "offset": str(offset)}
            if floor:
                params["since"] = floor.isoformat()
            records: list[dict[str, Any]] = []
            finished = False
            async for item in backend.items(base + "/ledger", params):
                if "l" in item:
                    record = item["l"]
                    if type(record) is not dict:
                        LedgerLine.model_validate(record)  # raises pydantic's own error for it
                    records.append(record)
                    offset += 1
                    if len(records) >= BATCH:
                        lines = LedgerColumns.from_records(records)  # one validation per batch
                        state["cur"] = {"name": name, "fp": fp, "offset": offset}
                        yield LedgerBatch(lines=lines, clear=clear, warnings=warnings, cursor=json.dumps(state))
                        ctx.progress("lines", offset)
                        records, clear, warnings = [], None, []
                elif "fingerprint" in item:
                    if item["fingerprint"] != fp:
                        raise RetriableError(f"{company.ref}: {name} changed while it was read; try again")
                elif "error" in item:
                    _raise_for(item["error"], item.get("message", ""), 422)
                elif item.get("end") is True:
                    finished = True
            lines = LedgerColumns.from_records(records)  # a bad line fails before a cut stream does
            if not finished:
                raise RetriableError(f"{company.ref}: the sync service stopped in the middle of {name}")
            state["cur"] = None
            state["done"][name] = {"fp": fp, "clear": source.get("clear")}
            yield LedgerBatch(lines=lines, clear=clear, warnings=warnings, cursor=json.dumps(state))

    @hookimpl
    async def sfsync_fetch_trial_balance(self, ctx: ConnectorContext, company: Company,
                                         fiscal_years: list[FiscalYear],
                                         cursor: str | None) -> AsyncIterator[TrialBalanceBatch]:
        data = await _backend(ctx).json(_company_path(company) + "/trial-balance")
        if cursor is not None and cursor == data["fingerprint"]:
            return
        lines = [TrialBalanceLine.model_validate(item) for item in data["lines"]]
        years = sorted(fiscal_years, key=lambda y: y.start)
        for i, year in enumerate(years):
            batch = [t for t in lines if year.start <= t.period_end <= year.end]
            last = i == len(years) - 1
            yield TrialBalanceBatch(lines=batch, clear=(year.start, year.end),
                                    cursor=data["fingerprint"] if last else None,
                                    warnings=list(data.get("warnings") or []) if i == 0 else [])

    @hookimpl
    def sfsync_read_export(self, path: Path) -> ReadResult | None:
        return read_export(path)

    @hookimpl
    def sfsync_sandbox(self) -> Any:
        from sfsync_onprem.sandbox import OnpremSandbox

        return OnpremSandbox()


onprem = OnpremConnector()
