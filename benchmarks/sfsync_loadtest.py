"""A fake firm-level OAuth2 package to check a distributed deployment end to end.

Before pointing workers at real packages, an operator (and sfsync's own tests and benchmark) can
sync hundreds of dossiers through the production pieces (PostgreSQL, Redis, Celery workers)
against this package, served over real HTTP so that every worker talks to the same one. It is as
strict as the packages that make distributed syncing hard:

* **single-use rotating refresh tokens** (like Exact Online): spending a refresh token twice is
  ``invalid_grant`` and is counted in :attr:`LoadtestSandbox.double_spent`;
* **short-lived access tokens**, so workers refresh often and concurrently;
* **a fixed-window rate limit** per credential, or per credential and company (like Exact's
  per-division limits), with ``X-RateLimit-Remaining``/``-Reset`` headers on every answer and a
  429 with ``Retry-After`` past the limit; every call is logged so a test can check that no
  window was ever exceeded;
* deterministic, balanced ledgers per company, paged, so a test can compare each dossier with
  exactly what the package has;
* a *trap*: the request for a given page of a given company hangs until released, so a test can
  kill the worker that sent it in the middle of a run.

Not shipped: it lives beside the benchmarks (``benchmarks/bench_fanout.py``) and the fan-out tests
load it from here. Workers load the connector with ``SFSYNC_CELERY_CONFIGURE=sfsync_loadtest:configure``
(with this folder on ``PYTHONPATH``) and
``SFSYNC_LOADTEST_URL``/``SFSYNC_LOADTEST_LIMIT``/``SFSYNC_LOADTEST_WINDOW``/
``SFSYNC_LOADTEST_PER_COMPANY``.
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import json
import math
import os
import secrets
import threading
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

import httpx
from sfsync.auth import ConnectionLevel, OAuth2Spec, TokenSet
from sfsync.clock import Clock
from sfsync.context import ConnectorContext
from sfsync.errors import AuthError, MalformedResponse
from sfsync.hookspecs import hookimpl
from sfsync.http.ratelimit import RateLimitPolicy, RateWindow, WindowState
from sfsync.metadata import ConnectorInfo
from sfsync.models import (
    Account,
    AccountKind,
    Company,
    FiscalYear,
    Granularity,
    LedgerBatch,
    LedgerLine,
    OpeningBalance,
    SyncMode,
)
from sfsync.sandbox import Sandbox
from sfsync.store.base import ConnectionRecord, LinkRecord

__all__ = ["LoadtestConnector", "LoadtestSandbox", "ServedSandbox", "configure", "seed", "serve"]

NAME = "loadtest"
PAGE_SIZE = 40

_ACCOUNTS = (
    ("100000", "Geplaatst kapitaal", AccountKind.BALANCE_SHEET),
    ("400000", "Handelsdebiteuren", AccountKind.BALANCE_SHEET),
    ("440000", "Leveranciers", AccountKind.BALANCE_SHEET),
    ("451000", "Te betalen btw", AccountKind.BALANCE_SHEET),
    ("550000", "Bank", AccountKind.BALANCE_SHEET),
    ("600000", "Aankopen handelsgoederen", AccountKind.PROFIT_LOSS),
    ("611000", "Huur", AccountKind.PROFIT_LOSS),
    ("700000", "Omzet", AccountKind.PROFIT_LOSS),
)


# --- the package's data ------------------------------------------------------------------------


def company_lines(ref: str, volume: int = 1) -> list[dict[str, Any]]:
    """Every ledger line of a company, as the API sends them (balanced entries, fiscal years from
    July to June)."""
    number = int(ref.rsplit("-", 1)[-1])
    entries = (12 + number % 9) * volume
    lines: list[dict[str, Any]] = []
    for e in range(entries):
        day = dt.date(2023, 7, 1) + dt.timedelta(days=(e * 37 + number) % 720)
        net = Decimal((number * 7919 + e * 104729) % 900000 + 1000) / 100
        vat = (net * Decimal("0.21")).quantize(Decimal("0.01"))
        sale = e % 3 != 0
        entry = f"{ref}-E{e:04d}"
        legs = (
            [("400000", net + vat), ("700000", -net), ("451000", -vat)]
            if sale
            else [("600000", net), ("451000", vat), ("440000", -(net + vat))]
        )
        for leg, (account, amount) in enumerate(legs):
            lines.append({
                "id": f"{entry}-{leg}", "entry": entry, "journal": "VF" if sale else "AF",
                "date": day.isoformat(), "account": account, "amount": str(amount),
                "description": f"{'Factuur' if sale else 'Aankoop'} {e}",
            })
    return lines


def company_years() -> list[dict[str, Any]]:
    return [
        {"start": "2023-07-01", "end": "2024-06-30", "label": "2023-2024"},
        {"start": "2024-07-01", "end": "2025-06-30", "label": "2024-2025"},
    ]


def expected_lines(ref: str, volume: int = 1) -> list[LedgerLine]:
    """What a dossier linked to company ``ref`` must hold after a full sync."""
    return [_line(row) for row in company_lines(ref, volume)]


def _line(row: dict[str, Any]) -> LedgerLine:
    return LedgerLine.from_signed(
        Decimal(row["amount"]), id=row["id"], entry=row["entry"], journal=row["journal"],
        date=dt.date.fromisoformat(row["date"]), account=row["account"], description=row["description"],
    )


# --- the sandbox -----------------------------------------------------------------------------------


@dataclass
class _Grant:
    account: str
    access: str
    refresh: str
    expires_at: float


@dataclass
class _Window:
    start: float = 0.0
    used: int = 0


@dataclass
class Trap:
    """A page request that hangs until :meth:`release`; ``caught`` says who was caught."""

    company: str
    page: int
    caught: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)
    worker_pid: int | None = None

    def release(self) -> None:
        self.released.set()


class LoadtestSandbox(Sandbox):
    """The fake package. ``accounts`` maps a package account (one firm-level connection) to the
    company refs it can see.

    Args:
        accounts: Account name → company refs.
        limit, window: At most ``limit`` calls per fixed ``window`` seconds per credential (and per
            company when ``per_company``).
        token_lifetime: Seconds an access token lives.
        clock: Time (scaled in the benchmark).
        base_url: Where it is served.
    """

    connector = NAME

    def __init__(
        self,
        accounts: dict[str, list[str]],
        *,
        limit: int = 20,
        window: float = 1.0,
        per_company: bool = False,
        sliding: bool = False,
        page_size: int = PAGE_SIZE,
        volume: int = 1,
        token_lifetime: float = 3.0,
        clock: Clock | None = None,
        base_url: str = "https://loadtest.invalid",
    ) -> None:
        self.accounts = accounts
        self.limit = limit
        self.window = window
        self.per_company = per_company
        self.sliding = sliding
        self.page_size = page_size
        self.volume = volume
        self._logs: dict[str, collections.deque[float]] = collections.defaultdict(collections.deque)
        self.token_lifetime = token_lifetime
        self.clock = clock or Clock()
        self.base_url = base_url
        self.base_urls = (base_url,)
        self.client_secret = secrets.token_urlsafe(16)
        self._grants: dict[str, _Grant] = {}  # by access token
        self._refresh: dict[str, _Grant] = {}  # by live refresh token
        self._spent: set[str] = set()
        self._windows: dict[str, _Window] = collections.defaultdict(_Window)
        self._mutex = threading.Lock()
        self.calls: dict[str, list[float]] = collections.defaultdict(list)
        self.too_many = 0
        self.double_spent = 0
        self.refreshes = 0
        self.traps: list[Trap] = []
        self.pids: collections.Counter[str] = collections.Counter()  # calls per worker process
        self.peers: collections.Counter[tuple[str, int]] = collections.Counter()  # calls per TCP connection
        super().__init__()

    # what the tests need from a Sandbox
    def connection_config(self) -> dict[str, Any]:
        return {"client_id": "loadtest", "base_url": self.base_url}

    def connection_secrets(self) -> dict[str, str]:
        return {"client_secret": self.client_secret}

    def bad_connection_secrets(self) -> dict[str, str]:
        return {"client_secret": "wrong"}

    def company_refs(self) -> list[str]:
        return [ref for refs in self.accounts.values() for ref in refs]

    def issue_tokens(self, account: str) -> TokenSet:
        """Tokens as if an admin had just connected ``account``."""
        with self._mutex:
            grant = self._grant(account)
        return TokenSet(access_token=grant.access, refresh_token=grant.refresh,
                        expires_at=dt.datetime.fromtimestamp(grant.expires_at, dt.UTC))

    def trap(self, company: str, page: int) -> Trap:
        """Make the request for ``page`` of ``company`` hang (once) until the trap is released."""
        trap = Trap(company, page)
        self.traps.append(trap)
        return trap

    def max_calls_in_any_window(self) -> dict[str, int]:
        """Per rate-limit key, the most calls the package saw in one window (one of its fixed
        windows, or any ``window`` seconds when the limit is sliding)."""
        with self._mutex:
            snapshot = {key: sorted(times) for key, times in self.calls.items() if times}
        if not self.sliding:
            return {key: max(collections.Counter(math.floor(t / self.window) for t in times).values())
                    for key, times in snapshot.items()}
        result = {}
        for key, times in snapshot.items():
            most, first = 0, 0
            for last, at in enumerate(times):
                while times[first] <= at - self.window:
                    first += 1
                most = max(most, last - first + 1)
            result[key] = most
        return result

    def _grant(self, account: str) -> _Grant:
        grant = _Grant(account, secrets.token_urlsafe(16), secrets.token_urlsafe(16),
                       self.clock.now().timestamp() + self.token_lifetime)
        self._grants[grant.access] = grant
        self._refresh[grant.refresh] = grant
        return grant

    def build_app(self) -> Any:
        return self._app

    async def _app(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        if scope.get("client"):
            with self._mutex:
                self.peers[tuple(scope["client"])] += 1  # type: ignore[arg-type]
        query = {k: v[0] for k, v in parse_qs(scope.get("query_string", b"").decode()).items()}
        status, payload, extra = await self._handle(scope["method"], scope["path"], headers, query, body)
        raw = json.dumps(payload).encode()
        out = [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())]
        out += [(k.lower().encode(), v.encode()) for k, v in extra.items()]
        await send({"type": "http.response.start", "status": status, "headers": out})
        await send({"type": "http.response.body", "body": raw})

    async def _handle(
        self, method: str, path: str, headers: dict[str, str], query: dict[str, str], body: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        now = self.clock.now().timestamp()
        if method == "POST" and path == "/oauth/token":
            return self._token(parse_qs(body.decode()), now)
        token = headers.get("authorization", "").removeprefix("Bearer ")
        with self._mutex:
            grant = self._grants.get(token)
        if grant is None or grant.expires_at <= now:
            return 401, {"error": "invalid_token"}, {}
        parts = path.strip("/").split("/")
        if parts[:1] != ["api"]:
            return 404, {"error": "not found"}, {}
        company = parts[2] if len(parts) > 2 and parts[1] == "companies" else None
        if company is not None and company not in self.accounts.get(grant.account, []):
            return 404, {"error": f"no company {company}"}, {}
        key = f"{grant.account}/{company}" if self.per_company and company else grant.account
        with self._mutex:
            if self.sliding:
                verdict = self._sliding(key, now)
                if verdict is not None:
                    return verdict
                limits = self._sliding_headers(key)
            else:
                verdict, limits = self._fixed(key, now)
                if verdict is not None:
                    return verdict
            self.calls[key].append(now)
            self.pids[headers.get("x-worker-pid", "")] += 1
        return await self._answer(grant, parts, company, query, headers, limits)

    def _sliding(self, key: str, now: float) -> tuple[int, Any, dict[str, str]] | None:
        log = self._logs[key]
        while log and log[0] <= now - self.window:
            log.popleft()
        if len(log) >= self.limit:
            self.too_many += 1
            reset = log[0] + self.window
            return 429, {"error": "too many requests"}, {
                "Retry-After": f"{max(0.001, reset - now):.3f}", "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": f"{reset:.3f}",
            }
        log.append(now)
        return None

    def _sliding_headers(self, key: str) -> dict[str, str]:
        log = self._logs[key]
        return {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": str(self.limit - len(log)),
                "X-RateLimit-Reset": f"{log[0] + self.window:.3f}"}

    def _fixed(self, key: str, now: float) -> tuple[tuple[int, Any, dict[str, str]] | None, dict[str, str]]:
        window = self._windows[key]
        start = math.floor(now / self.window) * self.window
        if window.start != start:
            window.start, window.used = start, 0
        reset = start + self.window
        if window.used >= self.limit:
            self.too_many += 1
            return (429, {"error": "too many requests"}, {
                "Retry-After": str(max(1, math.ceil(reset - now))),
                "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": f"{reset:.3f}",
            }), {}
        window.used += 1
        return None, {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": str(self.limit - window.used),
                      "X-RateLimit-Reset": f"{reset:.3f}"}

    async def _answer(
        self, grant: _Grant, parts: list[str], company: str | None, query: dict[str, str], headers: dict[str, str],
        limits: dict[str, str],
    ) -> tuple[int, Any, dict[str, str]]:
        if len(parts) == 2 and parts[1] == "companies":
            refs = self.accounts.get(grant.account, [])
            return 200, [{"ref": r, "code": r.rsplit("-", 1)[-1], "name": f"Company {r}"} for r in refs], limits
        if company is None or len(parts) != 4:
            return 404, {"error": "not found"}, limits
        if parts[3] == "years":
            return 200, company_years(), limits
        if parts[3] == "accounts":
            return 200, [{"code": c, "name": n, "kind": k.value} for c, n, k in _ACCOUNTS], limits
        if parts[3] == "lines":
            page = int(query.get("page", "0"))
            for trap in self.traps:
                if trap.company == company and trap.page == page and not trap.caught.is_set():
                    trap.worker_pid = int(headers.get("x-worker-pid", "0") or 0)
                    trap.caught.set()
                    while not trap.released.is_set():
                        await asyncio.sleep(0.02)
            rows = company_lines(company, self.volume)
            size = self.page_size
            chunk = rows[page * size:(page + 1) * size]
            more = (page + 1) * size < len(rows)
            return 200, {"lines": chunk, "next": page + 1 if more else None}, limits
        return 404, {"error": "not found"}, limits

    def _token(self, form: dict[str, list[str]], now: float) -> tuple[int, Any, dict[str, str]]:
        def one(name: str) -> str:
            return (form.get(name) or [""])[0]

        if one("client_secret") != self.client_secret:
            return 401, {"error": "invalid_client", "error_description": "unknown client"}, {}
        if one("grant_type") != "refresh_token":
            return 400, {"error": "unsupported_grant_type"}, {}
        presented = one("refresh_token")
        with self._mutex:
            grant = self._refresh.pop(presented, None)
            if grant is None:
                if presented in self._spent:
                    self.double_spent += 1
                return 400, {"error": "invalid_grant", "error_description": "refresh token already used"}, {}
            self._spent.add(presented)
            self._grants.pop(grant.access, None)
            fresh = self._grant(grant.account)
            self.refreshes += 1
        return 200, {"access_token": fresh.access, "refresh_token": fresh.refresh, "token_type": "bearer",
                     "expires_in": self.token_lifetime}, {}


# --- the connector ---------------------------------------------------------------------------------


def _parse_headers(response: httpx.Response, now: float) -> list[WindowState]:
    remaining = response.headers.get("X-RateLimit-Remaining")
    reset = response.headers.get("X-RateLimit-Reset")
    if remaining is None or reset is None:
        return []
    return [WindowState("package", int(remaining), float(reset))]


def _company_of(request: httpx.Request) -> str | None:
    parts = request.url.path.strip("/").split("/")
    return parts[2] if len(parts) > 2 and parts[:2] == ["api", "companies"] else None


class LoadtestConnector:
    """The connector of the fake package, for a sandbox served at ``base_url``."""

    def __init__(self, base_url: str, *, limit: int, window: float, per_company: bool = False,
                 token_lifetime: float = 3.0, fixed_windows: bool = False) -> None:
        self.base_url = base_url.rstrip("/")
        self.policy = RateLimitPolicy(
            windows=(RateWindow("package", limit, window, fixed=fixed_windows),),
            parse_headers=_parse_headers,
            key_suffix=_company_of if per_company else None,
            notes=f"{limit} calls per {window:g} s per {'company' if per_company else 'connection'}",
        )
        self.token_lifetime = token_lifetime

    @hookimpl
    def sfsync_connector_info(self) -> ConnectorInfo:
        return ConnectorInfo(name=NAME, title="Load test package", package="Load test",
                             description="A fake package to check a distributed deployment.",
                             granularities=(Granularity.TRANSACTIONS,), rate_limits=self.policy)

    @hookimpl
    def sfsync_auth(self) -> OAuth2Spec:
        return OAuth2Spec(
            authorize_url=f"{self.base_url}/oauth/authorize", token_url=f"{self.base_url}/oauth/token",
            level=ConnectionLevel.FIRM, pkce=False, refresh_margin=min(1.0, self.token_lifetime / 3),
        )

    async def _get(self, ctx: ConnectorContext, path: str, **params: Any) -> Any:
        client = ctx.http(self.base_url, headers={"X-Worker-Pid": str(os.getpid())})
        response = await client.get(path, params=params)
        if response.status_code in (401, 403):
            raise AuthError("the load test package refused the token", response=response)
        if response.status_code != 200:
            raise MalformedResponse(f"the load test package answered {response.status_code}", response=response)
        return json.loads(response.content, parse_float=Decimal)

    @hookimpl
    async def sfsync_list_companies(self, ctx: ConnectorContext) -> list[Company]:
        return [Company(ref=c["ref"], code=c["code"], name=c["name"]) for c in await self._get(ctx, "/api/companies")]

    @hookimpl
    async def sfsync_fetch_fiscal_years(self, ctx: ConnectorContext, company: Company) -> list[FiscalYear]:
        return [FiscalYear.model_validate(y) for y in await self._get(ctx, f"/api/companies/{company.ref}/years")]

    @hookimpl
    async def sfsync_fetch_accounts(self, ctx: ConnectorContext, company: Company) -> list[Account]:
        rows = await self._get(ctx, f"/api/companies/{company.ref}/accounts")
        return [Account(code=r["code"], name=r["name"], kind=AccountKind(r["kind"])) for r in rows]

    @hookimpl
    async def sfsync_fetch_opening_balances(self, ctx: ConnectorContext, company: Company, at: dt.date) -> list[OpeningBalance]:
        # The synthetic books start from nothing: every balance-sheet account opens at zero.
        return []

    @hookimpl
    def sfsync_fetch_ledger(self, ctx: ConnectorContext, company: Company, cursor: str | None) -> AsyncIterator[LedgerBatch]:
        return self._ledger(ctx, company, cursor)

    async def _ledger(self, ctx: ConnectorContext, company: Company, cursor: str | None) -> AsyncIterator[LedgerBatch]:
        page: int | None = json.loads(cursor)["page"] if cursor else 0
        while page is not None:
            body = await self._get(ctx, f"/api/companies/{company.ref}/lines", page=page)
            page = body["next"]
            yield LedgerBatch(lines=[_line(row) for row in body["lines"]],
                              cursor=json.dumps({"page": page}))


# --- serving, seeding, and the worker hook ---------------------------------------------------------


class ServedSandbox:
    """A sandbox served over HTTP by uvicorn in a background thread."""

    def __init__(self, sandbox: LoadtestSandbox, host: str, port: int) -> None:
        import uvicorn

        self.sandbox = sandbox
        config = uvicorn.Config(sandbox.app, host=host, port=port, log_level="warning", lifespan="on",
                                access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="loadtest-sandbox", daemon=True)

    def start(self) -> ServedSandbox:
        self.thread.start()
        for _ in range(500):
            if self.server.started:
                return self
            threading.Event().wait(0.01)
        raise RuntimeError("the load test sandbox did not start")

    def stop(self) -> None:
        for trap in self.sandbox.traps:
            trap.release()
        self.server.should_exit = True
        self.thread.join(timeout=10)


def serve(sandbox: LoadtestSandbox, host: str = "127.0.0.1", port: int = 0) -> ServedSandbox:
    """Serve ``sandbox`` over HTTP (``port=0``: pick a free port; the sandbox's ``base_url`` must
    then be set from the returned server's port, see :func:`free_port`)."""
    return ServedSandbox(sandbox, host, port).start()


def free_port() -> int:
    """A free TCP port on loopback."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def seed(sf: Any, sandbox: LoadtestSandbox, *, firm_name: str = "Fiduciaire Loadtest") -> dict[str, str]:
    """Connect every sandbox account at firm level and link one dossier per company (*replace*).

    Returns dossier id → company ref."""
    store = sf.store
    firm = store.create_firm(firm_name)
    linked: dict[str, str] = {}
    for account, refs in sandbox.accounts.items():
        tokens = sandbox.issue_tokens(account)
        record = ConnectionRecord(
            id=f"conn_{uuid.uuid4().hex[:12]}", firm_id=firm.id, connector=NAME, label=f"Load test {account}",
            level=ConnectionLevel.FIRM.value, config=sandbox.connection_config(),
            sealed=sf.box.seal({"secrets": sandbox.connection_secrets(), "tokens": tokens.reveal(), "state": {}}),
        )
        store.add_connection(record)
        for ref in refs:
            dossier = store.add_dossier(firm.id, f"Dossier {ref}")
            store.save_link(LinkRecord(dossier_id=dossier.id, connection_id=record.id, company_ref=ref,
                                       company_name=f"Company {ref}", mode=SyncMode.REPLACE,
                                       granularity=Granularity.TRANSACTIONS))
            linked[dossier.id] = ref
    return linked


def connector_from_environment() -> LoadtestConnector:
    """The connector as ``SFSYNC_LOADTEST_*`` describe the served sandbox."""
    return LoadtestConnector(
        os.environ["SFSYNC_LOADTEST_URL"],
        limit=int(os.environ.get("SFSYNC_LOADTEST_LIMIT", "20")),
        window=float(os.environ.get("SFSYNC_LOADTEST_WINDOW", "1")),
        per_company=os.environ.get("SFSYNC_LOADTEST_PER_COMPANY", "") == "1",
        token_lifetime=float(os.environ.get("SFSYNC_LOADTEST_TOKEN_LIFETIME", "3")),
        fixed_windows=os.environ.get("SFSYNC_LOADTEST_FIXED", "") == "1",
    )


def configure(sf: Any) -> None:
    """``SFSYNC_CELERY_CONFIGURE`` hook: register the load test connector in a worker."""
    if NAME not in sf.registry.connectors:
        sf.registry.register(connector_from_environment(), NAME)
