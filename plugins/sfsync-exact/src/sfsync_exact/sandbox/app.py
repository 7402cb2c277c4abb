"""The sandbox's REST API (``/api/v1``), a Starlette route table on the toolkit, routed on the URL
path so it serves in-process (``httpx.ASGITransport``) and over real HTTP (uvicorn) alike. The
OAuth pages are the toolkit's server (:mod:`sfsync_exact.sandbox.oauth`), the minutely and daily
limits the toolkit's limiter (:mod:`sfsync_exact.sandbox.limits`)."""

from __future__ import annotations

import bisect
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote
from xml.sax.saxutils import escape

from sfsync.sandbox import Scope
from sfsync.sandbox.responses import exact
from sfsync.sandbox.routing import BaseRoute, Request, Route
from sfsync.sandbox.routing import Response as HttpResponse

from sfsync_exact.sandbox.odata import (
    ODataError,
    Query,
    parse_literal_list,
    parse_query,
    sort_value,
)
from sfsync_exact.sandbox.relations import relations
from sfsync_exact.sandbox.schema import ENTITIES, Entity
from sfsync_exact.wire import AMSTERDAM, date_to_wire, encode_json, number_mark, stamp_to_wire

if TYPE_CHECKING:
    from sfsync.sandbox.oauth import Grant

    from sfsync_exact.sandbox import ExactSandbox

__all__ = ["ExactApp", "odata_error"]

SERVER_ERROR = (
    "A problem has occurred. The cause of this issue will be investigated as soon as possible."
)
_DIVISION_PATH = re.compile(r"^/api/v1/(\d+)/(.+)$")
_KEY_PATH = re.compile(r"^(.+)\((guid'[0-9a-fA-F-]+'|\d+L?)\)$")


def odata_error(message: str) -> dict[str, Any]:
    """Exact's OData v2 error body (§9)."""
    return {"error": {"code": "", "message": {"lang": "", "value": message}}}


@dataclass
class _Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def _json(
    status: int, payload: Any, headers: dict[str, str] | None = None, *, premarked: bool = False
) -> _Response:
    return _Response(
        status,
        encode_json(payload, premarked=premarked),
        {"Content-Type": "application/json;charset=utf-8", **(headers or {})},
    )


class _Desc:
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __lt__(self, other: _Desc) -> bool:
        return bool(other.value < self.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Desc) and self.value == other.value

    def __hash__(self) -> int:  # pragma: no cover - not used as a dict key
        return hash(self.value)


def _wrap(value: Any, desc: bool) -> Any:
    inner = (0, 0) if value is None else (1, value)
    return _Desc(inner) if desc else inner


_AS_IS = frozenset({"Guid", "String", "Int16", "Int32", "Byte", "Boolean"})


def _wire_value(value: Any, edm: str) -> Any:
    if value is None:
        return None
    if edm == "DateTime":
        return stamp_to_wire(value) if isinstance(value, dt.datetime) else date_to_wire(value)
    if edm == "Int64":
        return str(value)
    if edm == "Double":
        dec = Decimal(value)
        return number_mark(
            Decimal(format(dec.normalize(), "f"))
            if dec == dec.to_integral_value()
            else dec.normalize()
        )
    return value


def _key_literal(value: Any, edm: str) -> str:
    if edm == "Guid":
        return f"guid'{value}'"
    if edm == "Int64":
        return f"{value}L"
    if edm == "DateTime":
        moment = sort_value(value, edm)
        text = moment.strftime("%Y-%m-%dT%H:%M:%S")
        if moment.microsecond:
            text += f".{moment.microsecond // 1000:03d}".rstrip("0")
        return f"datetime'{text}'"
    if edm == "String":
        return "'" + str(value).replace("'", "''") + "'"
    return str(value)


class ExactApp:
    """The route table and its handlers. State lives on the :class:`ExactSandbox` it serves."""

    def __init__(self, sandbox: ExactSandbox) -> None:
        self.sb = sandbox
        self._sorted: dict[tuple[Any, ...], tuple[list[Any], list[dict[str, Any]]]] = {}
        self._plans: dict[tuple[str, tuple[str, ...] | None], list[tuple[str, str]]] = {}

    def routes(self) -> list[BaseRoute]:
        """Exact's REST API below ``/api/v1``; :meth:`route` answers each method (Exact's own 405
        bodies). The OAuth server's routes come before these."""
        every = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]
        return [Route("/api/v1/{rest:path}", self.serve, methods=every)]

    def limit_key(self, request: Request) -> str | None:
        """What Exact counts calls by: the app (the token's client) and the division."""
        token = self.sb.oauth.access(request)
        match = _DIVISION_PATH.match(request.url.path)
        return f"{token.grant.client.client_id}:{match.group(1)}" if token and match else None

    async def serve(self, request: Request) -> HttpResponse:
        """A request through :meth:`route`, answered byte for byte."""
        body = await request.body()
        headers = {k.lower(): v for k, v in request.headers.items()}
        if self.sb.latency:
            await self.sb.clock.sleep(self.sb.latency)
        try:
            response = self.route(request.method, request.url.path, request.url.query, headers, body,
                                  request.scope)
        except Exception:  # a sandbox bug must look like Exact's 500, not kill the test server
            self.sb.log.append("500 internal")
            response = _json(500, odata_error(SERVER_ERROR))
            if self.sb.raise_app_errors:
                raise
        return exact(response.body, response.status, response.headers)

    async def refusal(self, request: Request, status: int) -> HttpResponse:
        return await self.serve(request)  # logged, and answered with Exact's 404

    # --- routing ----------------------------------------------------------------------------------

    def route(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes, scope: Scope
    ) -> _Response:
        now = self.sb.clock.now()
        if len(self.sb.requests) >= 20_000:  # a long-served sandbox keeps the recent log only
            del self.sb.requests[:10_000]
        self.sb.requests.append(f"{method} {path}?{query}" if query else f"{method} {path}")
        if path == "/api/oauth2/token":  # the token endpoint is POST only
            return _Response(405, b"", {"Allow": "POST"})
        if not path.startswith("/api/v1/"):
            return _Response(404, b"Not Found", {"Content-Type": "text/plain"})
        if method != "GET":
            return _json(405, odata_error(f"The method {method} is not supported by this sandbox."))
        accept = headers.get("accept", "")
        if "application/json" not in accept and (
            "application/xml" in accept or self.sb.strict_accept
        ):
            return _Response(406, b"Not Acceptable", {"Content-Type": "text/plain"})
        grant = self._grant(headers, now)
        if grant is None:
            return _Response(401, b"", {"WWW-Authenticate": 'Bearer realm="Exact Online"'})
        params = parse_qsl(query, keep_blank_values=True)
        origin = self._origin(headers, scope)
        if path.rstrip("/") == "/api/v1/current/Me":
            return self._respond(self.me(grant, origin, now), accept)
        match = _DIVISION_PATH.match(path)
        if match is None:
            return _json(404, odata_error("The requested resource does not exist."))
        division_code, rest = int(match.group(1)), match.group(2)
        endpoint = re.sub(r"\(.*\)$", "", rest.removesuffix("/$count"))
        budget_key = (grant.client.client_id, division_code, endpoint)
        blocked = self.sb.error_budget.blocked_for(budget_key, now.timestamp())
        if blocked > 0:
            return _json(
                429,
                odata_error(
                    "Too many errors on this endpoint: the API key is temporarily blocked."
                ),
                {"Retry-After": str(int(blocked) + 1)},
            )
        limits = self.sb.limiter
        verdict = limits.take(Request(scope))
        if not verdict.allowed:
            refused = limits.refusal(verdict)
            return _Response(refused.status_code, bytes(refused.body), dict(refused.headers))
        limits.release(verdict)
        response = self.division_call(grant, division_code, rest, params, origin, now)
        response.headers.update(limits.headers(verdict) if limits.headers else {})
        if response.status in (400, 401, 403, 404):
            self.sb.error_budget.record_error(budget_key, now.timestamp())
        if response.status == 200 and response.headers.get("Content-Type", "").startswith(
            "application/json"
        ):
            return self._respond(response, accept)
        return response

    def _grant(self, headers: dict[str, str], now: dt.datetime) -> Grant | None:
        auth = headers.get("authorization", "")
        if not auth.startswith("Bearer "):
            return None
        bearer = auth[len("Bearer ") :].strip()
        self.sb.seen_bearers.add(bearer)
        token = self.sb.oauth.access(bearer)
        return token.grant if token is not None else None

    @staticmethod
    def _origin(headers: dict[str, str], scope: Scope) -> str:
        # Behind `sfsync sandbox serve` the request was forwarded from Exact's https host.
        forwarded = headers.get("x-sfsync-sandbox-host")
        if forwarded:
            return f"https://{forwarded}"
        host = headers.get("host") or "start.exactonline.nl"
        return f"{scope.get('scheme', 'https')}://{host}"

    def _respond(self, response: _Response, accept: str) -> _Response:
        if "application/json" in accept:
            return response
        return self._atom(response)

    # --- API --------------------------------------------------------------------------------------

    def me(self, grant: Grant, origin: str, now: dt.datetime) -> _Response:
        store = self.sb.store
        # The user's current division, consented or not (reference §4.2, picqer#470).
        current = min(store.divisions, key=lambda c: store.divisions[c].hid)
        division = store.divisions[current]
        local = now.astimezone(AMSTERDAM)
        row = {
            "__metadata": {
                "uri": f"{origin}/api/v1/current/Me(guid'{store.user_id}')",
                "type": "Exact.Web.Api.Models.System.Me",
            },
            "CurrentDivision": current,
            "AccountingDivision": current,
            "DossierDivision": None,
            "DivisionCustomer": division.row["Customer"],
            "DivisionCustomerCode": division.row["CustomerCode"],
            "DivisionCustomerName": division.description,
            "DivisionCustomerVatNumber": division.row["VATNumber"],
            "IsClientUser": False,
            "IsMyFirmPortalUser": False,
            "FullName": "Sandbox Boekhouder",
            "UserID": store.user_id,
            "UserName": self.sb.username,
            "LanguageCode": "nl-BE",
            "Legislation": "1",
            "ServerTime": local.strftime("%Y-%m-%dT%H:%M:%S"),
            "ServerUtcOffset": int((local.utcoffset() or dt.timedelta()).total_seconds()),
            "PackageCode": "EOLAPPCENTER",
        }
        return _json(200, {"d": {"results": [row]}})

    def division_call(
        self,
        grant: Grant,
        code: int,
        rest: str,
        params: list[tuple[str, str]],
        origin: str,
        now: dt.datetime,
    ) -> _Response:
        store = self.sb.store
        service = rest.split("/", 1)[0]
        if service in self.sb.scope_violations:
            return _json(403, odata_error("Forbidden - Application Scope Violated"))
        # system/Divisions does not check its division in the URL (reference §4.2).
        if not rest.startswith(("system/Divisions", "system/AllDivisions")):
            if code not in store.divisions:
                return _json(404, odata_error(f"Division {code} does not exist."))
            if code not in grant.extra["divisions"]:
                return _json(403, odata_error(f"Forbidden: no access to division {code}."))
        if rest == "read/sync/Sync/SyncTimestamp":
            return self.sync_timestamp(code, params, origin)
        count_only = rest.endswith("/$count")
        rest = rest.removesuffix("/$count")
        key_literal = None
        key_match = _KEY_PATH.match(rest)
        if key_match:
            rest, key_literal = key_match.group(1), key_match.group(2)
        entity = ENTITIES.get(rest)
        if entity is None:
            return _json(404, odata_error(f"The resource '{rest}' does not exist."))
        try:
            return self.collection(grant, code, entity, params, origin, count_only, key_literal)
        except ODataError as exc:
            return _json(exc.status, odata_error(exc.message))

    def sync_timestamp(self, code: int, params: list[tuple[str, str]], origin: str) -> _Response:
        args = dict(params)
        try:
            modified = parse_literal_list(args.get("modified", ""))[0]
            endpoint = parse_literal_list(args.get("endPoint", ""))[0]
        except ODataError:
            return _json(
                400,
                odata_error(
                    "Provide 'modified' as datetime'…' and 'endPoint' as a quoted endpoint name."
                ),
            )
        if modified.kind != "datetime" or endpoint.kind != "string":
            return _json(
                400,
                odata_error(
                    "Provide 'modified' as datetime'…' and 'endPoint' as a quoted endpoint name."
                ),
            )
        division = self.sb.store.divisions[code]
        sources = {
            "TransactionLines": list(division.lines.values()),
            "Deleted": division.deleted,
            "GLAccounts": list(division.glaccounts.values()),
        }
        rows = sources.get(endpoint.value)
        if rows is None:
            return _json(400, odata_error(f"Unknown endPoint '{endpoint.value}'."))
        stamp_field = "DeletedDate" if endpoint.value == "Deleted" else "Modified"
        before = [
            r["Timestamp"] for r in rows if sort_value(r[stamp_field], "DateTime") < modified.value
        ]
        value = max(before) if before else 1
        row = {
            "__metadata": {
                "uri": f"{origin}/api/v1/{code}/read/sync/Sync/SyncTimestamp",
                "type": "Exact.Web.Api.Models.Sync.SyncTimestamp",
            },
            "Modified": stamp_to_wire(modified.value),
            "API": endpoint.value,
            "TimeStampAsBigInt": str(value),
        }
        return _json(200, {"d": {"results": [row]}})

    def _rows(self, grant: Grant, code: int, entity: Entity) -> list[dict[str, Any]]:
        store = self.sb.store
        if entity.source == "divisions":
            return [store.divisions[c].row for c in sorted(grant.extra["divisions"])]
        if entity.source == "alldivisions":
            return [d.row for d in store.divisions.values()]
        division = store.divisions[code]
        if entity.source == "periods":
            return division.periods
        if entity.source == "glaccounts":
            return list(division.glaccounts.values())
        if entity.source == "lines":
            return list(division.lines.values())
        if entity.source == "deleted":
            return division.deleted
        if entity.source == "transactions":
            return store.transactions(division)
        if entity.source == "reporting":
            return store.reporting_balance(division)
        if entity.source == "accounts":
            return relations(division)
        raise AssertionError(entity.source)  # pragma: no cover

    def _version(self, grant: Grant, code: int, entity: Entity) -> tuple[Any, ...]:
        store = self.sb.store
        if entity.source in ("divisions", "alldivisions"):
            return (
                tuple(sorted(grant.extra["divisions"])),
                tuple(d.version for d in store.divisions.values()),
                tuple(str(d.row["Modified"]) for d in store.divisions.values()),
            )
        return (store.divisions[code].version,)

    def collection(
        self,
        grant: Grant,
        code: int,
        entity: Entity,
        params: list[tuple[str, str]],
        origin: str,
        count_only: bool,
        key_literal: str | None,
    ) -> _Response:
        fields = entity.all_fields
        query = parse_query(params, fields, entity.type_name)
        if query.orderby and not entity.allows_orderby:
            raise ODataError("$orderby is not supported for this endpoint.")
        if (
            query.select is None
            and entity.requires_select
            and not count_only
            and key_literal is None
        ):
            raise ODataError(
                "This endpoint requires a $select parameter with the properties to return."
            )
        if entity.filter_fields is not None and query.comparisons:
            refused = sorted({c.field for c in query.comparisons} - entity.filter_fields)
            if refused:
                raise ODataError(
                    "Filtering on these fields is not supported: " + ", ".join(refused)
                )
        if entity.mandatory_filter and self.sb.mandatory_filtering and key_literal is None:
            used = {c.field for c in query.comparisons}
            if not used & entity.mandatory_filter:
                raise ODataError(
                    "This endpoint has mandatory filtering applied. A GET request for this endpoint must "
                    "have a $filter parameter with one of the following fields in the url: "
                    + ", ".join(sorted(entity.mandatory_filter))
                )
        order = self._order(entity, query)
        keys, rows = self._sorted_rows(grant, code, entity, order)
        predicate = query.predicate
        if key_literal is not None:
            lit = parse_literal_list(key_literal)[0]
            wanted = sort_value(lit.value, fields[entity.key]) if lit.kind == "guid" else lit.value
            found = [r for r in rows if sort_value(r.get(entity.key), fields[entity.key]) == wanted]
            if not found:
                raise ODataError("The requested entity does not exist.", status=404)
            return _json(
                200,
                {"d": self._serialize(found[0], entity, code, query.select, origin)},
                premarked=True,
            )
        start = 0
        if query.skiptoken is not None:
            if len(query.skiptoken) != len(order):
                raise ODataError("The $skiptoken is not valid for this request.")
            token_key = tuple(
                _wrap(sort_value(value, fields[name]), desc)
                for value, (name, desc) in zip(query.skiptoken, order, strict=True)
            )
            start = bisect.bisect_right(keys, token_key)
        elif query.conjunctive and len(order) == 1 and not order[0][1]:
            for term in query.comparisons:
                if (
                    term.field == order[0][0]
                    and term.op in ("gt", "ge")
                    and not term.trimmed
                    and term.value is not None
                ):
                    bound = (_wrap(term.value, False),)
                    pos = (
                        bisect.bisect_right(keys, bound)
                        if term.op == "gt"
                        else bisect.bisect_left(keys, bound)
                    )
                    start = max(start, pos)
        if count_only:
            total = sum(1 for r in rows[start:] if predicate is None or predicate(r))
            return _Response(200, str(total).encode(), {"Content-Type": "text/plain;charset=utf-8"})
        limit = entity.page_size if query.top is None else min(entity.page_size, query.top)
        page: list[dict[str, Any]] = []
        more = False
        index = start
        while index < len(rows):
            row = rows[index]
            index += 1
            if predicate is not None and not predicate(row):
                continue
            if len(page) < limit:
                page.append(row)
            else:
                more = True
                break
        remaining_top = None if query.top is None else query.top - len(page)
        payload: dict[str, Any] = {
            "results": [self._serialize(r, entity, code, query.select, origin) for r in page]
        }
        if query.inlinecount:
            payload["__count"] = str(sum(1 for r in rows if predicate is None or predicate(r)))
        if more and page and (remaining_top is None or remaining_top > 0):
            last = page[-1]
            token = ",".join(_key_literal(last.get(name), fields[name]) for name, _ in order)
            payload["__next"] = self._next_url(origin, code, entity, params, token, remaining_top)
        return _json(200, {"d": payload}, premarked=True)

    @staticmethod
    def _order(entity: Entity, query: Query) -> list[tuple[str, bool]]:
        if query.orderby:
            order = list(query.orderby)
            if entity.key not in {name for name, _ in order}:
                order.append((entity.key, False))
            return order
        if entity.order:
            return [(name, False) for name in entity.order]
        return [(entity.key, False)]

    def _sorted_rows(
        self, grant: Grant, code: int, entity: Entity, order: list[tuple[str, bool]]
    ) -> tuple[list[Any], list[dict[str, Any]]]:
        cache_key = (code, entity.source, tuple(order), self._version(grant, code, entity))
        cached = self._sorted.get(cache_key)
        if cached is not None:
            return cached
        fields = entity.all_fields
        getters: list[Callable[[dict[str, Any]], Any]] = [
            (lambda n, e, d: lambda row: _wrap(sort_value(row.get(n), e), d))(
                name, fields[name], desc
            )
            for name, desc in order
        ]
        decorated = sorted(
            ((tuple(g(row) for g in getters), row) for row in self._rows(grant, code, entity)),
            key=lambda p: p[0],
        )
        result = ([k for k, _ in decorated], [r for _, r in decorated])
        if len(self._sorted) > 32:
            self._sorted.clear()
        self._sorted[cache_key] = result
        return result

    @staticmethod
    def _next_url(
        origin: str,
        code: int,
        entity: Entity,
        params: list[tuple[str, str]],
        token: str,
        top: int | None,
    ) -> str:
        kept = [(k, v) for k, v in params if k not in ("$skiptoken", "$top")]
        if top is not None:
            kept.append(("$top", str(top)))
        kept.append(("$skiptoken", token))
        safe = "$,'()*"
        query = "&".join(f"{k}={quote(v, safe=safe)}" for k, v in kept)
        return f"{origin}/api/v1/{code}/{entity.path}?{query}"

    def _serialize(
        self, row: dict[str, Any], entity: Entity, code: int, select: list[str] | None, origin: str
    ) -> dict[str, Any]:
        fields = entity.all_fields
        key = _key_literal(row.get(entity.key), fields[entity.key])
        out: dict[str, Any] = {
            "__metadata": {
                "uri": f"{origin}/api/v1/{code}/{entity.path}({key})",
                "type": f"Exact.Web.Api.Models.{entity.type_name}",
            }
        }
        get = row.get
        for name, edm in self._plan(entity, select):
            value = get(name)
            out[name] = value if value is None or edm in _AS_IS else _wire_value(value, edm)
        return out

    def _plan(self, entity: Entity, select: list[str] | None) -> list[tuple[str, str]]:
        key = (entity.path, tuple(select) if select else None)
        plan = self._plans.get(key)
        if plan is None:
            fields = entity.all_fields
            plan = self._plans[key] = [(name, fields[name]) for name in (select or fields)]
        return plan

    # --- Atom (the default when the client does not ask for JSON) ----------------------------------

    def _atom(self, response: _Response) -> _Response:
        import json

        payload = json.loads(response.body)["d"]
        rows = (
            payload["results"] if isinstance(payload, dict) and "results" in payload else [payload]
        )
        entries = []
        for row in rows:
            props = "".join(
                f'<d:{k} m:null="true"/>' if v is None else f"<d:{k}>{escape(str(v))}</d:{k}>"
                for k, v in row.items()
                if k != "__metadata"
            )
            uri = escape(row.get("__metadata", {}).get("uri", ""))
            entries.append(
                f'<entry><id>{uri}</id><content type="application/xml"><m:properties>{props}</m:properties></content></entry>'
            )
        nxt = payload.get("__next") if isinstance(payload, dict) else None
        link = f'<link rel="next" href="{escape(nxt)}"/>' if nxt else ""
        feed = (
            '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" '
            'xmlns:d="http://schemas.microsoft.com/ado/2007/08/dataservices" '
            'xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata">'
            + "".join(entries)
            + link
            + "</feed>"
        )
        headers = {k: v for k, v in response.headers.items() if k != "Content-Type"}
        headers["Content-Type"] = "application/atom+xml;type=feed;charset=utf-8"
        return _Response(response.status, feed.encode(), headers)
