"""The WinBooks on Web sandbox: its REST API offline, declared on sfsync's toolkit.

The route table is :meth:`WinbooksSandbox.routes`: the token endpoint (exchange token or
refresh token → a 900-second access token), the licence's folders, Get All of BookYears,
BookPeriods and GLAccounts (chunked with ``ContinuePath``), and ``ExecuteCriteria`` on
GLTransHeaders (paged with FirstResult/MaxResult; conditions, orders and an Id projection).
JSON shapes: :mod:`~sfsync_winbooks_online.sandbox.wire`; the seed:
:mod:`~sfsync_winbooks_online.sandbox.books`. Facts and sources: :mod:`sfsync_winbooks_online.facts`;
assumptions: :mod:`sfsync_winbooks_online.assumed`.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import secrets
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

from sfsync.clock import Clock
from sfsync.sandbox import Sandbox
from sfsync.sandbox.responses import json_response
from sfsync.sandbox.routing import BaseRoute, Request, Response, Route, bearer_token, query
from sfsync.truth import PackageTruth

from sfsync_winbooks_online.assumed import (
    ACCESS_SECONDS,
    CHUNK,
    FOLDERS_PATH,
    MODIFIED_FIELD,
    PAGE_MAX,
)
from sfsync_winbooks_online.facts import (
    API_BASE,
    CONTINUE_HEADER,
    OPERATOR_COUNT,
    OPERATOR_EQ,
    OPERATOR_GT,
    OPERATOR_IN,
    OPERATOR_SELECT,
    TOKEN_PATH,
    TYPE_GL_TRANS_HEADER,
)
from sfsync_winbooks_online.sandbox import wire
from sfsync_winbooks_online.sandbox.books import CHART, Books, Folder, Header

__all__ = ["WinbooksSandbox"]

_DATE = re.compile(r"^/Date\((-?\d+)\)/$")


def _error(status: int, message: str) -> Response:
    return json_response({"Message": message}, status)


class WinbooksSandbox(Sandbox):
    """WinBooks on Web's REST API, offline."""

    connector = "winbooks-online"
    base_urls = (API_BASE,)
    email = "boekhouding@fiduciaire-dupont.be"

    def __init__(self, clock: Clock | None = None, *, per_month: int = 1) -> None:
        self.clock = clock or Clock()
        self.books = Books(self.clock, per_month=per_month)
        self.chunk = CHUNK
        """Objects per Get All chunk (tests make it small to see ContinuePath followed)."""
        self.folders = self.books.folders
        self.grants = 1
        self.exchange_token = "wow-exchange-sandbox-0001"  # fixed: the docs page shows it
        self._refresh: set[str] = set()
        self._access: dict[str, float] = {}
        self.refreshes = 0
        self.observers: list[Callable[[str, str, int, bytes], None]] = []
        super().__init__()

    # --- the contract suite's handles -----------------------------------------------------------

    def connection_config(self) -> dict[str, Any]:
        return {"email": self.email}

    def connection_secrets(self) -> dict[str, str]:
        return {"exchange_token": self.exchange_token}

    def bad_connection_secrets(self) -> dict[str, str]:
        return {"exchange_token": "wow-exchange-not-issued"}

    def company_refs(self) -> list[str]:
        return sorted(self.folders)

    def truth(self, company_ref: str) -> PackageTruth:
        return self.folders[company_ref].truth()

    def expire_tokens(self) -> None:
        self._access.clear()

    def revoke(self) -> None:
        # The licence administrator withdrew the application's access and granted it again: the
        # tokens die, and a new exchange token is mailed.
        self._refresh.clear()
        self._access.clear()
        self.grants += 1
        self.exchange_token = f"wow-exchange-sandbox-{self.grants:04d}"

    def add_entry(self, company_ref: str) -> list[str]:
        folder = self.folders[company_ref]
        latest = folder.years[-1]
        return self.books.sale(folder, min(max(self.clock.now().date(), latest.start), latest.end), Decimal("123.45"))

    def edit_line(self, company_ref: str) -> str:
        header = self._open_headers(company_ref)[0]
        header.lines[0].comment += " (gewijzigd)"
        header.modified = self.books.stamp()
        return header.lines[0].id

    def delete_entry(self, company_ref: str) -> list[str]:
        headers = self._open_headers(company_ref)
        gone = self.folders[company_ref].headers.pop(headers[len(headers) // 2].id)
        return [line.id for line in gone.lines]

    def _open_headers(self, ref: str) -> list[Header]:
        latest = self.folders[ref].years[-1]
        return [h for h in self.folders[ref].headers.values() if h.year is latest and h.period]

    # --- the API --------------------------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        seen = self._observed
        return [
            Route(TOKEN_PATH, seen(self.token), methods=["POST"]),
            Route(FOLDERS_PATH, seen(self.authorized(lambda r: [wire.folder(f) for f in self.folders.values()])), methods=["GET"]),
            Route("/app/BookYears/Folder/{folder}", seen(self.get_all(lambda f: [wire.bookyear(y) for y in f.years])), methods=["GET"]),
            Route("/app/BookPeriods/Folder/{folder}", seen(self.get_all(lambda f: [p for y in f.years for p in wire.periods(y)])),
                  methods=["GET"]),
            Route("/app/GLAccounts/Folder/{folder}", seen(self.get_all(lambda f: [wire.account(c) for c in CHART])), methods=["GET"]),
            Route("/app/GLTransHeaders/Folder/{folder}/ExecuteCriteria", seen(self.authorized(self.criteria)), methods=["POST"]),
        ]

    def refusal(self, request: Request, status: int) -> Response:
        return _error(status, "The resource cannot be found." if status == 404 else "The requested method is not allowed.")

    def _observed(self, handler: Callable[[Request], Any]) -> Callable[[Request], Any]:
        async def observed(request: Request) -> Response:
            response: Response = await handler(request)
            for observe in self.observers:
                observe(request.method, request.url.path, response.status_code, bytes(response.body))
            return response

        return observed

    async def token(self, request: Request) -> Response:
        auth = request.headers.get("authorization", "")
        try:
            email = base64.b64decode(auth.removeprefix("Basic ")).decode() if auth.startswith("Basic ") else ""
        except ValueError:
            email = ""
        form = parse_qs((await request.body()).decode("latin-1"))
        grant, code = form.get("grant_type", [""])[0], form.get("code", [""])[0]
        if email != self.email:
            return json_response({"error": "invalid_client"}, 400)
        if grant == "exchange_token" and secrets.compare_digest(code, self.exchange_token):
            refresh = f"wow-refresh-{secrets.token_hex(12)}"
            self._refresh.add(refresh)
        elif grant == "refresh_token" and code in self._refresh:
            refresh = code
            self.refreshes += 1
        else:
            return json_response({"error": "invalid_grant"}, 400)
        access = f"wow-access-{secrets.token_hex(12)}"
        self._access[access] = self.clock.now().timestamp() + ACCESS_SECONDS
        return json_response({"access_token": access, "token_type": "bearer", "expires_in": str(ACCESS_SECONDS),
                              "refresh_token": refresh})

    def authorized(self, answer: Callable[[Request], Any]) -> Callable[[Request], Any]:
        async def handler(request: Request) -> Response:
            if self._access.get(bearer_token(request) or "", 0.0) <= self.clock.now().timestamp():
                return _error(401, "Authorization has been denied for this request.")
            code = request.path_params.get("folder")
            if code is not None and code not in self.folders:
                return _error(404, f"Folder {code} not found")
            found = await answer(request) if _is_async(answer) else answer(request)
            return found if isinstance(found, Response) else json_response(found)

        return handler

    def get_all(self, items: Callable[[Folder], list[dict[str, Any]]]) -> Callable[[Request], Any]:
        """Get All, chunked: a cut answer carries ``ContinuePath``, sent back to get the rest."""
        def answer(request: Request) -> Response:
            rows = items(self.folders[request.path_params["folder"]])
            start = int(request.headers.get(CONTINUE_HEADER, "0") or 0)
            chunk = rows[start:start + self.chunk]
            headers = {CONTINUE_HEADER: str(start + self.chunk)} if start + self.chunk < len(rows) else {}
            return json_response(chunk, 200, headers)

        return self.authorized(answer)

    async def criteria(self, request: Request) -> Response | list[Any]:
        folder = self.folders[request.path_params["folder"]]
        try:
            body = await request.json()
            level = int(query(request).get("maxLevel", "1"))
        except ValueError:
            return _error(400, "The request is invalid.")
        if not isinstance(body, dict) or body.get("EntityType") != TYPE_GL_TRANS_HEADER:
            return _error(400, "EntityType is missing or not a GLTransHeader")
        if "MaxResult" in body and "FirstResult" not in body:
            return _error(400, "MaxResult needs FirstResult")
        rows = list(folder.headers.values())
        for condition in body.get("Conditions") or []:
            kept = _condition(condition)
            if kept is None:
                return _error(400, f"Unsupported condition {condition!r}")
            rows = [h for h in rows if kept(h)]
        rows.sort(key=lambda h: (h.modified, h.id))
        first, size = int(body.get("FirstResult", 0)), int(body.get("MaxResult", PAGE_MAX))
        if not 1 <= size <= PAGE_MAX:
            return _error(400, f"MaxResult must be between 1 and {PAGE_MAX}")
        page = rows[first:first + size]
        projections = body.get("ProjectionsList") or []
        if projections == [{"Operator": OPERATOR_COUNT, "PropertyName": "Id"}]:
            return [[len(rows)]] if first == 0 else []
        if projections:
            if projections != [{"Operator": OPERATOR_SELECT, "PropertyName": "Id"}]:
                return _error(400, "Only the Id and count-of-Id projections are served by the sandbox")
            return [[h.id] for h in page]
        return [wire.header(h, level) for h in page]


def _is_async(function: Callable[..., Any]) -> bool:
    import inspect

    return inspect.iscoroutinefunction(function)


def _stamp(value: object) -> dt.datetime | None:
    found = _DATE.match(str(value))
    return dt.datetime.fromtimestamp(int(found.group(1)) / 1000, dt.UTC) if found else None


def _condition(condition: Any) -> Callable[[Header], bool] | None:
    """The sandbox's criteria: Modified greater than a date; Id or BookPeriod_Id equal or in."""
    if not isinstance(condition, dict):
        return None
    operator, name, values = condition.get("Operator"), condition.get("PropertyName"), condition.get("Values") or []
    if name == MODIFIED_FIELD and operator == OPERATOR_GT and len(values) == 1:
        since = _stamp(values[0])
        return None if since is None else (lambda h: h.modified > since)
    if name in ("Id", "BookPeriod_Id") and operator in (OPERATOR_EQ, OPERATOR_IN) and values:
        wanted = {str(v) for v in values}
        return lambda h: (h.id if name == "Id" else h.year.period_id(h.period)) in wanted
    return None
