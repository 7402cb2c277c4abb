"""The on-premise sync service: a read-only HTTP API over the dossier folders under a root.

Start it with ``sfsync agent serve --root DIR --token … --port 8766``. Every call needs
``Authorization: Bearer <token>`` (compared in constant time). Routes (all ``GET``)::

    /v1/ping                                  who am I (checks the token)
    /v1/companies                             the folders, with what was detected in each
    /v1/companies/{ref}                       company details
    /v1/companies/{ref}/fiscal-years
    /v1/companies/{ref}/accounts
    /v1/companies/{ref}/sources               the readable files, fingerprints, date ranges
    /v1/companies/{ref}/ledger?source=&offset=&limit=&since=   NDJSON, streamed
    /v1/companies/{ref}/trial-balance
    /v1/companies/{ref}/opening-balances?at=YYYY-MM-DD

Errors are JSON ``{"error": kind, "message": text}``: 400 for a refused sync reference, 401 for a
wrong token, 404 for a missing folder, 422 for an unreadable or unsupported folder.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import json
import logging
import queue
import threading
import time
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from pydantic import ValidationError
from sfsync.errors import InvalidSyncReference, NotFound, SfsyncError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route, compile_path

from sfsync_onprem.folder import Dossier, list_folders, open_dossier, peek, resolve
from sfsync_onprem.readers.base import UnreadableFile, UnsupportedStorage

log = logging.getLogger("sfsync.onprem.agent")

API_VERSION = "1"
CHUNK = 500


class ApiError(Exception):
    def __init__(self, status: int, kind: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind
        self.message = message


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def dumps(value: Any) -> bytes:
    return json.dumps(value, default=_json_default, ensure_ascii=False, separators=(",", ":")).encode()


class AgentService:
    """What the agent answers, independent of HTTP (the connector's local mode calls it too)."""

    def __init__(self, root: Path, *, include_closed: bool = False, package: str = "") -> None:
        self.root = Path(root)
        self.include_closed = include_closed
        self.package = package

    def dossier(self, ref: str) -> Dossier:
        return open_dossier(self.root, ref, include_closed=self.include_closed, package=self.package)

    def companies(self) -> list[dict[str, Any]]:
        out = []
        for folder in list_folders(self.root):
            try:
                company = peek(folder, self.root, include_closed=self.include_closed, package=self.package)
                out.append(company.model_dump(exclude_none=True))
            except SfsyncError as exc:
                kind = "unsupported" if isinstance(exc, UnsupportedStorage) else "unreadable"
                out.append({"ref": folder.name, "code": folder.name, "name": folder.name,
                            "extra": {"format": kind, "error": exc.message}})
        return out

    def company(self, ref: str) -> dict[str, Any]:
        return self.dossier(ref).company().model_dump(exclude_none=True)

    def fiscal_years(self, ref: str) -> list[dict[str, Any]]:
        return [fy.model_dump() for fy in self.dossier(ref).fiscal_years()]

    def accounts(self, ref: str) -> list[dict[str, Any]]:
        return [a.model_dump(exclude_none=True) for a in self.dossier(ref).accounts()]

    def sources(self, ref: str) -> list[dict[str, Any]]:
        dossier = self.dossier(ref)
        out = []
        for src, fp, summary in dossier.sources:
            clear = summary.clear_range
            out.append({
                "name": src.name, "format": summary.format, "kind": summary.kind, "fingerprint": fp,
                "clear": [clear[0], clear[1]] if clear else None, "lines": summary.line_count,
                "transactions": summary.transaction_count, "warnings": summary.warnings,
            })
        return out

    def trial_balance(self, ref: str) -> dict[str, Any]:
        dossier = self.dossier(ref)
        return {"fingerprint": dossier.fingerprint(),
                "lines": [t.model_dump() for t in dossier.trial_balance()],
                "warnings": dossier.warnings}

    def opening_balances(self, ref: str, at: dt.date) -> list[dict[str, Any]]:
        dossier = self.dossier(ref)
        return [o.model_dump() for _s, _fp, summary in dossier.sources
                for o in summary.opening_balances if o.date == at]

    def ledger(self, ref: str, source: str, *, offset: int = 0, limit: int | None = None,
               since: dt.date | None = None) -> Iterator[dict[str, Any]]:
        dossier = self.dossier(ref)
        found = next(((s, fp, sm) for s, fp, sm in dossier.sources if s.name == source), None)
        if found is None:
            raise ApiError(404, "not_found", f"{ref} has no source {source!r}")
        src, fp, summary = found
        if summary.kind != "ledger":
            raise ApiError(422, "not_a_ledger", f"{source} holds totals, not ledger lines")
        return self._ledger(src, fp, summary, offset, limit, since)

    @staticmethod
    def _ledger(src: Any, fp: str, summary: Any, offset: int, limit: int | None,
                since: dt.date | None) -> Iterator[dict[str, Any]]:
        yield {"source": src.name, "fingerprint": fp, "offset": offset}
        position = 0
        sent = 0
        for record in src.records(summary):
            if since is not None and record["date"] < since:
                continue
            if position < offset:
                position += 1
                continue
            if limit is not None and sent >= limit:
                yield {"end": False, "next_offset": position}
                return
            yield {"l": record}
            position += 1
            sent += 1
        yield {"end": True, "next_offset": position}

    # -- the routes, one table for HTTP and the local mode ---------------------------------------

    def ping(self) -> dict[str, Any]:
        return {"ok": True, "api": API_VERSION, "root": self.root.name}

    def answer(self, name: str, ref: str | None, query: dict[str, str]) -> Any:
        """What route ``name`` (of :data:`ROUTES`) answers for company ``ref`` and ``query``."""
        if query.get("package") and query["package"][:80] != self.package:
            # The connection may name the package, for messages.
            service = AgentService(self.root, include_closed=self.include_closed, package=query["package"][:80])
            return service.answer(name, ref, query)
        if ref is None:
            return self.ping() if name == "ping" else self.companies()
        resolve(self.root, ref)  # refuse a bad reference before anything else
        if name == "opening_balances":
            return self.opening_balances(ref, _date(query.get("at"), "at"))
        if name == "ledger":
            return self.ledger(
                ref, query.get("source", ""), offset=_int(query.get("offset"), 0),
                limit=_int(query.get("limit"), None) if query.get("limit") else None,
                since=_date(query["since"], "since") if query.get("since") else None,
            )
        return getattr(self, name)(ref)

    def dispatch(self, path: str, query: dict[str, str]) -> Any:
        """Answer a (raw, still percent-encoded) path as the HTTP service would (the local mode)."""
        for pattern, name in _COMPILED:
            match = pattern.fullmatch(path)
            if match is not None:
                ref = match.groupdict().get("ref")
                return self.answer(name, unquote(ref) if ref is not None else None, query)
        raise ApiError(404, "not_found", f"no route {path}")


ROUTES: tuple[tuple[str, str], ...] = (
    ("/v1/ping", "ping"),
    ("/v1/companies", "companies"),
    ("/v1/companies/{ref}", "company"),
    ("/v1/companies/{ref}/fiscal-years", "fiscal_years"),
    ("/v1/companies/{ref}/accounts", "accounts"),
    ("/v1/companies/{ref}/sources", "sources"),
    ("/v1/companies/{ref}/trial-balance", "trial_balance"),
    ("/v1/companies/{ref}/opening-balances", "opening_balances"),
    ("/v1/companies/{ref}/ledger", "ledger"),
)
"""The service's API: path (``{ref}`` is one raw path segment, decoded after matching) and the
:meth:`AgentService.answer` route it names."""

_COMPILED = [(compile_path(path)[0], name) for path, name in ROUTES]


def _int(raw: str | None, default: Any) -> Any:
    if raw is None or raw == "":
        return default
    if not raw.isdigit():
        raise ApiError(400, "bad_request", f"{raw!r} is not a non-negative integer")
    return int(raw)


def _date(raw: str | None, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw or "")
    except ValueError:
        raise ApiError(400, "bad_request", f"{name} must be a date (YYYY-MM-DD)") from None


def error_of(exc: BaseException) -> ApiError:
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, InvalidSyncReference):
        return ApiError(400, "invalid_sync_reference", exc.message)
    if isinstance(exc, NotFound):
        return ApiError(404, "not_found", exc.message)
    if isinstance(exc, UnsupportedStorage):
        return ApiError(422, "unsupported_storage", exc.message)
    if isinstance(exc, UnreadableFile):
        return ApiError(422, "unreadable_file", exc.message)
    if isinstance(exc, SfsyncError):
        return ApiError(422, "error", exc.message)
    if isinstance(exc, ArithmeticError | ValidationError):
        # A value of a file no reader check caught (readers refuse implausible amounts
        # themselves): still the file's fault, and retrying will not mend it.
        log.warning("a file could not be read: %s", exc)
        return ApiError(422, "unreadable_file", f"a file could not be read ({type(exc).__name__}: {exc})")
    log.exception("agent error")
    return ApiError(500, "internal", f"the sync service failed ({type(exc).__name__}); see its log")


class Pump:
    """Runs a blocking iterator (a streamed file) in one thread of its own, chunk by chunk.

    lxml's parser must stay on the thread that started it, and a bounded queue keeps a slow
    client from making the reader run ahead: memory stays flat either way.
    """

    def __init__(self, iterator: Iterator[dict[str, Any]], chunk: int = CHUNK) -> None:
        self._iterator = iterator
        self._chunk = chunk
        self._queue: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=4)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sfsync-onprem-pump", daemon=True)
        self._thread.start()

    def _put(self, item: tuple[str, Any]) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        try:
            buffer: list[dict[str, Any]] = []
            for item in self._iterator:
                buffer.append(item)
                if len(buffer) >= self._chunk:
                    if not self._put(("items", buffer)):
                        return
                    buffer = []
            if self._put(("items", buffer)):
                self._put(("end", None))
        except BaseException as exc:  # handed to the consumer, which reports it
            self._put(("error", exc))
        finally:
            close = getattr(self._iterator, "close", None)
            if close is not None:
                close()

    def _get(self) -> tuple[str, Any]:
        # Never block for good: a consumer cancelled while waiting must not leave a worker
        # thread stuck (asyncio.run waits for its executor's threads when it ends).
        while True:
            try:
                return self._queue.get(timeout=0.2)
            except queue.Empty:
                if self._stop.is_set() or not self._thread.is_alive():
                    try:
                        return self._queue.get_nowait()
                    except queue.Empty:
                        return ("end", None)

    async def next_chunk(self) -> list[dict[str, Any]]:
        """The next items; ``[]`` at the end; raises what the iterator raised."""
        kind, value = await asyncio.to_thread(self._get)
        if kind == "error":
            raise value
        if kind == "end":
            self._stop.set()
            return []
        return value if value else await self.next_chunk()

    def close(self) -> None:
        self._stop.set()


class AgentApp:
    """The HTTP service around :class:`AgentService` (Starlette): read-only, behind a bearer token.

    Every request is checked in this order: ``GET`` only (405 ``read_only``), the token (401,
    compared in constant time), then the route. Paths are matched *raw* (still percent-encoded),
    so ``..%2F`` arrives at the sync-reference check as ``../`` instead of being folded away.
    Each request is logged (method, path, status, time), never a header or the token.
    """

    def __init__(self, root: Path, token: str, *, include_closed: bool = False, package: str = "") -> None:
        self.service = AgentService(root, include_closed=include_closed, package=package)
        self.set_token(token)
        self._app = Starlette(
            routes=[Route(path, self._endpoint(name)) for path, name in ROUTES],
            exception_handlers={404: self._not_found},
        )

    def set_token(self, token: str) -> None:
        """Require ``token`` from now on (only a digest is kept)."""
        if not token or len(token) < 8:
            raise ValueError("the sync service needs a token of at least 8 characters")
        self._token_digest = hashlib.sha256(token.encode()).digest()

    def _authorized(self, request: Request) -> bool:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        # Digests of equal length: the comparison takes the same time whatever the token's length.
        digest = hashlib.sha256(given.strip().encode()).digest()
        return hmac.compare_digest(digest, self._token_digest) and scheme.lower() == "bearer"

    async def _not_found(self, request: Request, exc: Exception) -> Response:
        return _error_response(ApiError(404, "not_found", f"no route {request.scope['path']}"))

    def _endpoint(self, name: str) -> Any:
        async def endpoint(request: Request) -> Response:
            ref = request.path_params.get("ref")
            query = dict(request.query_params.multi_items())
            try:
                result = await asyncio.to_thread(
                    self.service.answer, name, unquote(ref) if ref is not None else None, query
                )
                if isinstance(result, Iterator):
                    return await _stream(result)
            except Exception as exc:
                return _error_response(error_of(exc))
            return Response(dumps(result), media_type="application/json")

        return endpoint

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started, status = time.monotonic(), 500
        raw = scope.get("raw_path") or scope["path"].encode()
        path = raw.decode("latin-1").split("?", 1)[0]

        async def logged(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        request = Request(scope)
        try:
            if scope["method"] != "GET":
                await _error_response(ApiError(405, "read_only", "the sync service only reads: use GET"))(
                    scope, receive, logged)
            elif not self._authorized(request):
                await _error_response(ApiError(401, "unauthorized", "missing or wrong token"))(scope, receive, logged)
            else:
                await self._app({**scope, "path": path}, receive, logged)
        finally:
            # The path names dossier folders, never a secret; headers and the query are not logged.
            log.info("%s %s -> %d (%.0f ms)", scope["method"], path[:300], status,
                     (time.monotonic() - started) * 1000)


def _error_response(err: ApiError) -> Response:
    return Response(dumps({"error": err.kind, "message": err.message}), status_code=err.status,
                    media_type="application/json")


async def _stream(lines: Iterator[dict[str, Any]]) -> Response:
    """NDJSON, streamed; an error before the first line is an ordinary error answer."""
    pump = Pump(lines)
    try:
        first = await pump.next_chunk()
    except Exception:
        pump.close()
        raise

    async def body() -> AsyncIterator[bytes]:
        chunk = first
        try:
            while chunk:
                yield b"".join(dumps(x) + b"\n" for x in chunk)
                try:
                    chunk = await pump.next_chunk()
                except Exception as exc:  # the headers are gone: say it in the stream
                    err = error_of(exc)
                    yield dumps({"error": err.kind, "message": err.message}) + b"\n"
                    return
        finally:
            pump.close()

    return StreamingResponse(body(), media_type="application/x-ndjson")


def ledger_items(service: AgentService, ref: str, query: dict[str, str]) -> AsyncIterator[dict[str, Any]]:
    """The local mode's stream: the same items as the HTTP route, pulled in a worker thread."""

    async def gen() -> AsyncIterator[dict[str, Any]]:
        iterator = await asyncio.to_thread(service.dispatch, f"/v1/companies/{ref}/ledger", query)
        pump = Pump(iterator)
        try:
            while chunk := await pump.next_chunk():
                for item in chunk:
                    yield item
        finally:
            pump.close()

    return gen()
