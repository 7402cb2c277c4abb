"""Faults a sandbox gives on demand: one vocabulary for every package.

A fault stands in front of a sandbox's app (the :class:`FaultInjector` every
:class:`~sfsync.sandbox.Sandbox` has as ``faults``) and, for the requests it matches, answers
instead of the package, or changes what the package answered:

=====================  =========================================================================
kind (``--fault``)     what the client sees
=====================  =========================================================================
``rate-limit``         :class:`RateLimited`: 429 with ``Retry-After`` (seconds or an HTTP date)
``server-error``       :class:`ServerError`: a 5xx (500 by default), ``times`` times
``timeout``            :class:`Timeout`: no answer within the client's timeout
``truncate``           :class:`Truncated`: the package's body cut at a fraction (or the
                       connection dropped mid-body)
``html``               :class:`HtmlPage`: an HTML page with status 200 (a proxy or maintenance page)
``wrong-types``        :class:`WrongTypes`: the package's JSON or XML with fields of the wrong type
``token-expiry``       :class:`TokenExpiry`: every access token expires now, mid-sync
``revoked-consent``    :class:`RevokedConsent`: the user withdrew the app's consent
``reply``              :class:`Reply`: any status, headers and body
=====================  =========================================================================

Every fault matches on ``path_contains`` and ``method``, lets ``after`` matching requests pass
first, and is given ``times`` times. A test switches faults on for itself::

    with sandbox.faults.injected(Timeout(times=3, path_contains="/lines")):
        run = harness.sync(dossier)

and ``sfsync sandbox serve NAME --fault "timeout:times=3,path=/lines"`` does the same over HTTP
(:func:`parse_fault` reads that form).

Time is the sandbox's clock where there is one (the harness shares its scaled clock), so a
timeout costs the client its timeout on that clock, and a served fault records when the next
request came (:attr:`Fault.served_at`, :attr:`Fault.next_request_at`) to check a ``Retry-After``
was honoured.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import email.utils
import json
import re
import sys
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

import httpx

from sfsync.clock import Clock
from sfsync.sandbox.asgi import ASGIApp, Receive, Scope, Send

__all__ = [
    "FAULT_KINDS",
    "Fault",
    "FaultInjector",
    "HtmlPage",
    "InProcessTransport",
    "RateLimited",
    "Reply",
    "RevokedConsent",
    "ServerError",
    "Timeout",
    "TokenExpiry",
    "Truncated",
    "WrongTypes",
    "parse_fault",
]

# The request being served in-process (set by InProcessTransport): there the client's timeout
# cannot fire on its own (httpx.ASGITransport ignores timeouts), so a Timeout fault raises it.
_in_process_request: ContextVar[httpx.Request | None] = ContextVar("sfsync_sandbox_request", default=None)

Headers = list[tuple[bytes, bytes]]
F = TypeVar("F", bound="Fault")


class InProcessTransport(httpx.ASGITransport):
    """``httpx.ASGITransport`` that tells the faults a request is served in-process."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Serve ``request`` with the app, marking it as in-process for the faults."""
        token = _in_process_request.set(request)
        try:
            return await super().handle_async_request(request)
        finally:
            _in_process_request.reset(token)


@dataclass
class FaultCall:
    """One request a fault answers: the ASGI call, the app behind the faults and the injector."""

    scope: Scope
    receive: Receive
    send: Send
    app: ASGIApp
    injector: FaultInjector

    async def reply(self, status: int, headers: Headers, body: bytes) -> None:
        """Answer with exactly this status, headers and body."""
        await self.send({"type": "http.response.start", "status": status, "headers": headers})
        await self.send({"type": "http.response.body", "body": body})

    async def pass_through(self) -> None:
        """Let the package answer as it would."""
        await self.app(self.scope, self.receive, self.send)

    async def package_response(self) -> tuple[int, Headers, bytes]:
        """What the package would answer, collected whole (status, headers, body)."""
        status = 500
        headers: Headers = []
        chunks: list[bytes] = []

        async def collect(message: Any) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status, headers = message["status"], list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(self.scope, self.receive, collect)
        return status, headers, b"".join(chunks)


def _with_length(headers: Headers, length: int) -> Headers:
    kept = [(k, v) for k, v in headers if k.lower() != b"content-length"]
    return [*kept, (b"content-length", str(length).encode())]


def _content_type(headers: Headers) -> str:
    return next((v.decode("latin-1").lower() for k, v in headers if k.lower() == b"content-type"), "")


@dataclass(kw_only=True)
class Fault:
    """What every fault has: which requests it takes and how often, and when it was served.

    Attributes:
        times: How many matching requests it answers (then it is spent).
        path_contains: Only requests whose path contains this ("" = every path).
        method: Only requests with this HTTP method ("" = every method).
        after: How many matching requests pass through untouched first.
        served_at: When it was last given, on the injector's clock (when it has one).
        next_request_at: When the next request of any kind arrived after that: a Retry-After is
            honoured when the gap is at least as long, however busy the machine (sleeps alone can
            be shorter on a scaled clock).
    """

    kind: ClassVar[str] = ""

    times: int = 1
    path_contains: str = ""
    method: str = ""
    after: int = 0
    served_at: float | None = field(default=None, compare=False)
    next_request_at: float | None = field(default=None, compare=False)

    def matches(self, scope: Scope) -> bool:
        """Whether this fault takes the request (``after`` not yet counted)."""
        if self.times <= 0 or self.path_contains not in scope.get("path", ""):
            return False
        return not self.method or scope.get("method", "").upper() == self.method.upper()

    async def answer(self, call: FaultCall) -> None:
        """Answer one matched request (subclasses say how)."""
        raise NotImplementedError


@dataclass(kw_only=True)
class Reply(Fault):
    """A fixed answer instead of the package's: any status, headers and byte-exact body."""

    kind: ClassVar[str] = "reply"

    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def response_headers(self, call: FaultCall) -> dict[str, str]:
        """The headers to send (subclasses add their own)."""
        return dict(self.headers)

    async def answer(self, call: FaultCall) -> None:
        """Send the fixed answer."""
        raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in self.response_headers(call).items()]
        await call.reply(self.status, raw, self.body)


@dataclass(kw_only=True)
class ServerError(Reply):
    """A 5xx from the package's side (500 by default; 502, 503, 504 as a gateway gives them)."""

    kind: ClassVar[str] = "server-error"

    status: int = 500


@dataclass(kw_only=True)
class RateLimited(Reply):
    """429 Too Many Requests with ``Retry-After``.

    Attributes:
        retry_after: Seconds to wait (``None``: no ``Retry-After`` at all).
        http_date: Send ``Retry-After`` as an HTTP date (now + ``retry_after`` on the injector's
            clock) instead of seconds, as some gateways do.
        headers: The package's own rate-limit headers (``X-Rate-Limit-Problem: minute``…).
        body: The package's own 429 body.
    """

    kind: ClassVar[str] = "rate-limit"

    status: int = 429
    retry_after: float | None = 1.0
    http_date: bool = False

    def response_headers(self, call: FaultCall) -> dict[str, str]:
        """The package's headers plus ``Retry-After``."""
        headers = dict(self.headers)
        if self.retry_after is not None:
            if self.http_date:
                moment = call.injector.now().timestamp() + self.retry_after
                headers["Retry-After"] = email.utils.formatdate(moment, usegmt=True)
            else:
                seconds = self.retry_after
                headers["Retry-After"] = str(int(seconds)) if float(seconds).is_integer() else str(seconds)
        return headers


_MAINTENANCE_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>Service unavailable</title></head>"
    b"<body><h1>We are performing maintenance</h1><p>Please try again later.</p></body></html>\n"
)


@dataclass(kw_only=True)
class HtmlPage(Reply):
    """An HTML page with status 200 where the API answers data (a proxy's login or a maintenance
    page): the client must not take it for an empty result."""

    kind: ClassVar[str] = "html"

    status: int = 200
    body: bytes = _MAINTENANCE_PAGE

    def response_headers(self, call: FaultCall) -> dict[str, str]:
        """``text/html`` unless told otherwise."""
        return {"Content-Type": "text/html; charset=utf-8", **self.headers}


@dataclass(kw_only=True)
class Timeout(Fault):
    """A request that gets no answer within the client's timeout.

    In-process (:class:`InProcessTransport`, where httpx cannot time out on its own) the fault
    waits the client's read timeout on the injector's clock (no time at all on a fake clock, none
    of the machine's on a real one) and raises ``httpx.ReadTimeout``, as the client's own timeout
    would. Over real HTTP it holds the
    request until the client gives up and disconnects; a client still waiting after ``seconds``
    (real time) gets the 504 a gateway would give.

    Attributes:
        seconds: The timeout assumed when the client sets none; over HTTP, the longest hold.
    """

    kind: ClassVar[str] = "timeout"

    seconds: float = 300.0

    async def answer(self, call: FaultCall) -> None:
        """Hold the request past the client's timeout."""
        request = _in_process_request.get()
        if request is not None:
            wanted = request.extensions.get("timeout", {}).get("read")
            clock = call.injector.clock
            # On a fake or scaled clock the wait is the client's timeout on that clock; real time is
            # not spent in-process (a test would wait a minute per timeout for nothing).
            if clock is not None and type(clock) is not Clock:
                await clock.sleep(float(wanted) if wanted is not None else self.seconds)
            raise httpx.ReadTimeout("sandbox: injected timeout, the package did not answer", request=request)
        import asyncio

        async def until_disconnect() -> None:
            while (await call.receive())["type"] != "http.disconnect":
                pass

        try:
            await asyncio.wait_for(until_disconnect(), timeout=self.seconds)
        except TimeoutError:
            await call.reply(504, [(b"content-type", b"text/plain; charset=utf-8")], b"Gateway Timeout")


@dataclass(kw_only=True)
class Truncated(Fault):
    """The package's answer with its body cut at ``fraction``.

    Attributes:
        fraction: The share of the body that arrives (0.6: the first 60 % of the bytes).
        cut_connection: Keep the full ``Content-Length`` and drop the connection mid-body (the
            client's read fails); otherwise the cut body arrives as a complete-looking answer.
    """

    kind: ClassVar[str] = "truncate"

    fraction: float = 0.5
    cut_connection: bool = False

    async def answer(self, call: FaultCall) -> None:
        """Send the package's answer, cut."""
        status, headers, body = await call.package_response()
        kept = body[: int(len(body) * self.fraction)]
        if not self.cut_connection:
            await call.reply(status, _with_length(headers, len(kept)), kept)
            return
        await call.send({"type": "http.response.start", "status": status, "headers": _with_length(headers, len(body))})
        await call.send({"type": "http.response.body", "body": kept, "more_body": True})
        # The server drops the connection: in-process the client sees what httpx raises then.
        raise httpx.RemoteProtocolError(
            "sandbox: injected cut, peer closed connection without sending complete message body",
            request=_in_process_request.get(),
        )


_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _typed_like_a_figure(text: str) -> bool:
    return bool(_NUMBER.fullmatch(text.strip()) or _DATE.match(text.strip()))


@dataclass(kw_only=True)
class WrongTypes(Fault):
    """The package's JSON or XML answer with fields of the wrong type.

    Without ``fields``, every number, numeric string and date becomes ``"n/a"``; with ``fields``,
    the values of those keys (JSON) or elements (XML, by local name) become a wrong type:
    a number turns into a string, a string into a number or an object. Other bytes stay as they
    were (XML is edited in place, not re-serialised).

    Attributes:
        fields: The field names to spoil (every figure when empty).
    """

    kind: ClassVar[str] = "wrong-types"

    fields: tuple[str, ...] = ()

    def _spoil_value(self, value: Any) -> Any:
        if isinstance(value, str):
            return {"unexpected": value} if _typed_like_a_figure(value) else 12345
        return "n/a"

    def _spoil_json(self, node: Any) -> Any:
        if isinstance(node, dict):
            return {
                key: self._spoil_value(value) if key in self.fields else self._spoil_json(value)
                for key, value in node.items()
            }
        if isinstance(node, list):
            return [self._spoil_json(item) for item in node]
        figure = isinstance(node, int | float) or (isinstance(node, str) and _typed_like_a_figure(node))
        return "n/a" if figure and not self.fields and not isinstance(node, bool) else node

    def _spoil_xml(self, text: str) -> str:
        if not self.fields:
            return re.sub(r">([^<>]+)<", lambda m: ">n/a<" if _typed_like_a_figure(m[1]) else m[0], text)
        names = "|".join(re.escape(name) for name in self.fields)
        element = re.compile(rf"<((?:[\w.-]+:)?(?:{names}))(\s[^<>]*)?>([^<>]*)</\1>")

        def spoil(match: re.Match[str]) -> str:
            value = match[3]
            wrong = "n/a" if _typed_like_a_figure(value) else "-1.5e999"
            return f"<{match[1]}{match[2] or ''}>{wrong}</{match[1]}>"

        return element.sub(spoil, text)

    def spoil(self, headers: Headers, body: bytes) -> bytes:
        """The body with its fields spoilt (unchanged when neither JSON nor XML)."""
        kind = _content_type(headers)
        start = body.lstrip()[:1]
        if "json" in kind or (not kind and start in (b"{", b"[")):
            try:
                document = json.loads(body)
            except ValueError:
                return body
            return json.dumps(self._spoil_json(document)).encode()
        if "xml" in kind or (not kind and start == b"<"):
            charset = "utf-8"
            return self._spoil_xml(body.decode(charset, "surrogateescape")).encode(charset, "surrogateescape")
        return body

    async def answer(self, call: FaultCall) -> None:
        """Send the package's answer with its fields spoilt."""
        status, headers, body = await call.package_response()
        spoilt = self.spoil(headers, body)
        await call.reply(status, _with_length(headers, len(spoilt)), spoilt)


_EXPIRED = json.dumps({"error": "invalid_token", "error_description": "The access token expired"}).encode()


@dataclass(kw_only=True)
class TokenExpiry(Fault):
    """Every access token the sandbox issued expires now, in the middle of a sync.

    The sandbox's own :meth:`~sfsync.sandbox.Sandbox.expire_tokens` does it, so the package answers
    as it does to an expired token and a refresh works; a sandbox without tokens answers a generic
    401 ``invalid_token`` instead.
    """

    kind: ClassVar[str] = "token-expiry"

    async def answer(self, call: FaultCall) -> None:
        """Expire the tokens, then let the package answer."""
        if call.injector.act("expire_tokens"):
            await call.pass_through()
            return
        headers = [
            (b"content-type", b"application/json"),
            (b"www-authenticate", b'Bearer error="invalid_token", error_description="The access token expired"'),
        ]
        await call.reply(401, headers, _EXPIRED)


_REVOKED = json.dumps({"error": "invalid_grant", "error_description": "The user revoked the consent"}).encode()


@dataclass(kw_only=True)
class RevokedConsent(Fault):
    """The user withdrew the app's consent: the grant dies and refresh tokens with it.

    The sandbox's own :meth:`~sfsync.sandbox.Sandbox.revoke` does it (a new consent, through the
    authorize page again, works); a sandbox without a grant answers 401 to every request from then
    on, until the faults are cleared.
    """

    kind: ClassVar[str] = "revoked-consent"

    async def answer(self, call: FaultCall) -> None:
        """Revoke the grant, then let the package answer."""
        if call.injector.act("revoke"):
            await call.pass_through()
            return
        call.injector.revoked = True
        await call.reply(401, [(b"content-type", b"application/json")], _REVOKED)


FAULT_KINDS: dict[str, type[Fault]] = {
    kind.kind: kind
    for kind in (RateLimited, ServerError, Timeout, Truncated, HtmlPage, WrongTypes, TokenExpiry, RevokedConsent, Reply)
}
"""Every fault kind by its ``--fault`` name."""

_ALIASES = {"path": "path_contains", "cut": "cut_connection"}


def _convert(kind: str, name: str, annotation: str, raw: str) -> Any:
    try:
        if name == "times" and raw in ("always", "forever"):
            return sys.maxsize
        if annotation == "int":
            return int(raw)
        if annotation == "float":
            return float(raw)
        if annotation == "float | None":
            return None if raw.lower() in ("", "none") else float(raw)
        if annotation == "bool":
            if raw.lower() not in ("1", "0", "true", "false", "yes", "no"):
                raise ValueError(raw)
            return raw.lower() in ("1", "true", "yes")
        if annotation == "bytes":
            return raw.encode()
        if annotation == "tuple[str, ...]":
            return tuple(part for part in raw.split("+") if part)
        if annotation == "dict[str, str]":
            pairs = [part.split("=", 1) if "=" in part else part.split(":", 1) for part in raw.split("+") if part]
            return {key.strip(): value.strip() for key, value in pairs}
        return raw
    except ValueError:
        raise ValueError(f"fault {kind}: {name}={raw!r} is not a valid {annotation}") from None


def parse_fault(spec: str) -> Fault:
    """Read a fault from its command-line form, ``KIND[:OPTION=VALUE,…]``.

    ``KIND`` is a name from :data:`FAULT_KINDS` or a bare status (``429`` is a rate limit, ``503`` a
    server error, any other a :class:`Reply`). Options are the fault's attributes with dashes or
    underscores (``path`` for ``path_contains``, ``cut`` for ``cut_connection``; lists and header
    maps joined with ``+``; ``times=always``). Examples: ``rate-limit:retry-after=30``,
    ``503:times=3``, ``timeout:times=3,path=/lines``, ``truncate:fraction=0.6``,
    ``wrong-types:fields=Amount+Date``, ``token-expiry:after=5``.

    Raises:
        ValueError: The kind or an option is unknown, or a value is not of the option's type.
    """
    kind_name, _, rest = spec.strip().partition(":")
    kind_name = kind_name.strip().lower()
    options: dict[str, Any] = {}
    if kind_name.isdigit():
        status = int(kind_name)
        kind_name = "rate-limit" if status == 429 else "server-error" if 500 <= status < 600 else "reply"
        options["status"] = status
    cls = FAULT_KINDS.get(kind_name)
    if cls is None:
        raise ValueError(f"unknown fault {kind_name!r}; the kinds are {', '.join(sorted(FAULT_KINDS))}")
    known = {f.name: str(f.type) for f in dataclasses.fields(cls) if f.init and f.compare}
    for part in filter(None, (p.strip() for p in rest.split(","))):
        key, sep, raw = part.partition("=")
        name = key.strip().lower().replace("-", "_")
        name = _ALIASES.get(name, name)
        if not sep or name not in known:
            raise ValueError(
                f"fault {kind_name}: {part!r} is not an option; it takes {', '.join(sorted(known))}"
            )
        options[name] = _convert(kind_name, name, known[name], raw.strip())
    return cls(**options)


class FaultInjector:
    """ASGI middleware that gives the queued faults before (or instead of) the app.

    Give it a ``clock`` (the contract harness does; otherwise the sandbox's own ``clock`` is used)
    and each served fault records when it was served and when the next request came.

    Attributes:
        app: The package's app behind the faults.
        faults: The queued faults, tried in order.
        served: Every fault given, once per request it answered.
        revoked: Set by a :class:`RevokedConsent` on a sandbox without a grant to revoke: every
            request gets 401 until :meth:`clear`.
    """

    def __init__(self, app: ASGIApp, clock: Clock | None = None, *, sandbox: object = None) -> None:
        self.app = app
        self._clock = clock
        self.sandbox = sandbox
        self.faults: list[Fault] = []
        self.served: list[Fault] = []
        self.revoked = False
        self._awaiting_next: list[Fault] = []

    @property
    def clock(self) -> Clock | None:
        """The clock faults are timed on: the one given, else the sandbox's, else none."""
        if self._clock is not None:
            return self._clock
        own = getattr(self.sandbox, "clock", None)
        return own if isinstance(own, Clock) else None

    @clock.setter
    def clock(self, clock: Clock | None) -> None:
        self._clock = clock

    def now(self) -> dt.datetime:
        """The current time on the injector's clock (real time without one)."""
        return (self.clock or Clock()).now()

    def act(self, action: str) -> bool:
        """Call the sandbox's ``action`` (``expire_tokens``, ``revoke``); whether it has one."""
        method: Callable[[], object] | None = getattr(self.sandbox, action, None)
        if method is None:
            return False
        try:
            method()
        except NotImplementedError:
            return False
        return True

    def add(
        self,
        status: int,
        *,
        headers: dict[str, str] | None = None,
        body: bytes | str | dict[str, Any] = b"",
        times: int = 1,
        path_contains: str = "",
        after: int = 0,
    ) -> Reply:
        """Queue a fixed answer (a dict body is sent as JSON); returns it."""
        if isinstance(body, dict):
            body = json.dumps(body).encode()
            headers = {"Content-Type": "application/json", **(headers or {})}
        elif isinstance(body, str):
            body = body.encode()
        return self.inject(
            Reply(status=status, headers=dict(headers or {}), body=body, times=times,
                  path_contains=path_contains, after=after)
        )

    def inject(self, fault: F) -> F:
        """Queue ``fault`` (after those already queued); returns it."""
        self.faults.append(fault)
        return fault

    def inject_spec(self, spec: str) -> Fault:
        """Queue a fault given in its command-line form (see :func:`parse_fault`)."""
        return self.inject(parse_fault(spec))

    @contextlib.contextmanager
    def injected(self, *faults: Fault | str) -> Iterator[list[Fault]]:
        """Queue ``faults`` for the ``with`` block only (strings in the command-line form)."""
        queued = [self.inject(parse_fault(f) if isinstance(f, str) else f) for f in faults]
        try:
            yield queued
        finally:
            self.faults[:] = [f for f in self.faults if all(f is not q for q in queued)]

    def clear(self) -> None:
        """Drop every queued fault (and a revocation the faults made)."""
        self.faults.clear()
        self.revoked = False

    def _take(self, scope: Scope) -> Fault | None:
        for fault in self.faults:
            if fault.matches(scope):
                if fault.after > 0:
                    fault.after -= 1
                    continue
                fault.times -= 1
                return fault
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer with the first matching fault, else with the app."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        clock = self.clock
        now = clock.monotonic() if clock is not None else None
        for served in self._awaiting_next:
            served.next_request_at = now
        self._awaiting_next.clear()
        call = FaultCall(scope, receive, send, self.app, self)
        if self.revoked:
            await call.reply(401, [(b"content-type", b"application/json")], _REVOKED)
            return
        fault = self._take(scope)
        if fault is None:
            await self.app(scope, receive, send)
            return
        fault.served_at, fault.next_request_at = now, None
        self.served.append(fault)
        self._awaiting_next.append(fault)
        await fault.answer(call)
