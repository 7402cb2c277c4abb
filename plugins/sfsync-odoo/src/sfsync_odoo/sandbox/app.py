"""The sandbox's HTTP side: Odoo's three external transports as one route table on the toolkit.

* XML-RPC: ``POST /xmlrpc/2/common`` (``version``, ``authenticate``, ``login``) and
  ``POST /xmlrpc/2/object`` (``execute_kw``, ``execute``); faults with Odoo's codes. The older
  ``/xmlrpc/<service>`` routes, which Odoo still serves and some clients use, write faults as
  Odoo's ``xmlrpc_handle_exception_string`` does (string codes).
* JSON-RPC: ``POST /jsonrpc`` with ``{"service", "method", "args"}``; errors in an HTTP 200
  ``error`` envelope.
* JSON-2 (19 only): ``POST /json/2/<model>/<method>`` with a bearer API key; errors as HTTP
  statuses with ``{name, message, arguments, context, debug}``.
* The ``db`` service on both RPC transports and the web client's JSON routes (``web``).
"""

from __future__ import annotations

import json
import xmlrpc.client
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sfsync.sandbox.calls import CallFaults
from sfsync.sandbox.responses import exact
from sfsync.sandbox.routing import BaseRoute, Request, Response, Route

from sfsync_odoo.sandbox.faults import (
    OdooAccessDenied,
    OdooAttributeError,
    OdooError,
    OdooValueError,
    traceback_text,
)
from sfsync_odoo.sandbox.web import WEB_ROUTES, WebClient

if TYPE_CHECKING:
    from sfsync_odoo.sandbox.orm import Database

__all__ = ["OdooApp"]

NOT_FOUND_HTML = (
    b"<!DOCTYPE html><html><head><title>404: Not Found</title></head><body><h1>Not Found</h1>"
    b"<p>The requested URL was not found on the server.</p></body></html>"
)


class _DatabaseMissing(OdooError):
    name = "psycopg2.OperationalError"


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


class OdooApp:
    """The route table and the transports behind it."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.latency = 0.0
        self.legacy_rpc = True  # False: /xmlrpc and /jsonrpc are gone (Odoo 22, Online 21.1)
        self.injected: CallFaults[OdooError] = CallFaults()
        self.calls: list[tuple[str, str, str]] = []
        self.before_call: Callable[[str, str, list[Any], dict[str, Any]], None] | None = None
        self.web = WebClient(self)

    # --- Odoo services --------------------------------------------------------------------------

    def version_info(self) -> dict[str, Any]:
        """What ``common.version`` and ``/web/webclient/version_info`` answer."""
        major = self.db.version
        return {
            "server_version": f"{major}.0",
            "server_version_info": [major, 0, 0, "final", 0, ""],
            "server_serie": f"{major}.0",
            "protocol_version": 1,
        }

    def _check_db(self, name: Any) -> None:
        if name != self.db.name:
            raise _DatabaseMissing(
                f'connection to server at "localhost" (127.0.0.1), port 5432 failed: FATAL:  database "{name}" does not exist'
            )

    def _uid_for(self, login: Any, password: Any) -> int | None:
        for user in self.db.users.values():
            if user.login != login or user.id == 1:
                continue
            if password in user.api_keys:
                return user.id
            # With 2FA (TOTP) enabled, RPC takes API keys only.
            if user.password and password == user.password and not user.totp:
                return user.id
        return None

    def common(self, method: str, args: list[Any]) -> Any:
        self.calls.append(("common", "", method))
        if method == "version":
            return self.version_info()
        if method == "about":
            return "See http://openerp.com"
        if method in ("authenticate", "login"):
            if len(args) < 3:
                raise OdooValueError(f"{method}() missing required arguments")
            self._check_db(args[0])
            uid = self._uid_for(args[1], args[2])
            return uid if uid is not None else False
        raise OdooAttributeError(f"The method '{method}' does not exist on service common")

    def _injected(self, model: str, method: str) -> None:
        error = self.injected.take(model=model, method=method)
        if error is not None:
            raise error

    def execute(self, transport: str, uid: int, model: str, method: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        self.calls.append((transport, model, method))
        if self.before_call is not None:
            self.before_call(model, method, args, kwargs)
        self._injected(model, method)
        return self.db.execute(uid, model, method, list(args), dict(kwargs or {}))

    def object(self, transport: str, method: str, args: list[Any]) -> Any:
        if method not in ("execute_kw", "execute"):
            raise OdooAttributeError(f"The method '{method}' does not exist on service object")
        if len(args) < 5:
            raise OdooValueError(f"{method}() missing required arguments")
        db_name, uid, password, model, model_method = args[:5]
        self._check_db(db_name)
        user = self.db.users.get(uid) if isinstance(uid, int) else None
        if user is None or self._uid_for(user.login, password) != uid:
            self.calls.append((transport, str(model), str(model_method)))
            raise OdooAccessDenied()
        if method == "execute_kw":
            call_args = args[5] if len(args) > 5 else []
            call_kwargs = args[6] if len(args) > 6 else {}
            if not isinstance(call_args, list) or not isinstance(call_kwargs, dict):
                raise OdooValueError("execute_kw takes a list of arguments and a dict of keyword arguments")
        else:
            call_args, call_kwargs = list(args[5:]), {}
        return self.execute(transport, uid, model, model_method, call_args, call_kwargs)

    # --- routes ---------------------------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        """Odoo's external API and web-client routes; every one takes POST only."""
        post = ["POST"]
        return [
            Route("/xmlrpc/{service}", self._on_xmlrpc, methods=post),
            Route("/xmlrpc/2/{service}", self._on_xmlrpc, methods=post),
            Route("/jsonrpc", self._on_jsonrpc, methods=post),
            Route("/json/2/{model}/{method}", self._on_json2, methods=post),
            *(Route(path, self._on_web, methods=post) for path in WEB_ROUTES),
            Route("/web/dataset/call_kw/{target:path}", self._on_web, methods=post),
        ]

    @staticmethod
    def refusal(request: Request, status: int) -> Response:
        """Werkzeug's answers: its 404 page, and plain text for a method the route does not take."""
        if status == 405:
            return exact(b"Method Not Allowed", 405, {"content-type": "text/plain"})
        return exact(NOT_FOUND_HTML, 404, {"content-type": "text/html; charset=utf-8"})

    async def _read(self, request: Request) -> tuple[bytes, dict[str, str]]:
        body = await request.body()
        if self.latency > 0:
            await self.db.clock.sleep(self.latency)
        return body, {k.lower(): v for k, v in request.headers.items()}

    def _gone(self, request: Request) -> Response | None:
        """Without legacy RPC (Odoo 22) ``/xmlrpc`` and ``/jsonrpc`` are not found."""
        return None if self.legacy_rpc else self.refusal(request, 404)

    async def _on_xmlrpc(self, request: Request) -> Response:
        body, _ = await self._read(request)
        service = request.path_params["service"]
        if (gone := self._gone(request)) is not None or service not in ("common", "object", "db"):
            return gone or self.refusal(request, 404)
        status, payload, ctype = self._xmlrpc(service, body, legacy="/2/" not in request.url.path)
        return exact(payload, status, {"content-type": ctype})

    async def _on_jsonrpc(self, request: Request) -> Response:
        body, _ = await self._read(request)
        if (gone := self._gone(request)) is not None:
            return gone
        status, payload, ctype = self._jsonrpc(body)
        return exact(payload, status, {"content-type": ctype})

    async def _on_json2(self, request: Request) -> Response:
        body, headers = await self._read(request)
        if self.db.version < 19:
            return self.refusal(request, 404)
        status, payload, ctype = self._json2(request.url.path, headers, body)
        return exact(payload, status, {"content-type": ctype})

    async def _on_web(self, request: Request) -> Response:
        body, headers = await self._read(request)
        payload, extra = self.web.serve(request.url.path, headers, body)
        return exact(payload, 200, {"content-type": "application/json", **extra})

    def _xmlrpc(self, service: str, body: bytes, *, legacy: bool = False) -> tuple[int, bytes, str]:
        try:
            params, method = xmlrpc.client.loads(body)
        except Exception:  # a malformed request: Odoo answers a fault 1
            fault = xmlrpc.client.Fault(1, "Traceback (most recent call last):\nExpatError: malformed request")
            return 200, xmlrpc.client.dumps(fault, methodresponse=True).encode(), "text/xml"
        try:
            if service == "common":
                result = self.common(method or "", list(params))
            elif service == "db":
                result = self.web.db_service(method or "", list(params))
            else:
                result = self.object("xmlrpc", method or "", list(params))
            text = xmlrpc.client.dumps((result,), methodresponse=True, allow_none=False)
        except OdooError as exc:
            if legacy:
                fault = _string_fault(exc)
            else:
                string = traceback_text(exc) if exc.fault_code == 1 else exc.message
                fault = xmlrpc.client.Fault(exc.fault_code, string)
            text = xmlrpc.client.dumps(fault, methodresponse=True)
        return 200, text.encode(), "text/xml; charset=utf-8"

    def _jsonrpc(self, body: bytes) -> tuple[int, bytes, str]:
        request_id: Any = None
        try:
            request = json.loads(body)
            request_id = request.get("id")
            params = request.get("params") or {}
            service, method, args = params.get("service"), params.get("method"), params.get("args") or []
            if service == "common":
                result = self.common(str(method), list(args))
            elif service == "object":
                result = self.object("jsonrpc", str(method), list(args))
            elif service == "db":
                result = self.web.db_service(str(method), list(args))
            else:
                raise OdooValueError(f"Unknown service {service!r}")
            payload = {"jsonrpc": "2.0", "id": request_id, "result": result}
        except OdooError as exc:
            payload = {"jsonrpc": "2.0", "id": request_id, "error": {
                "code": 200, "message": "Odoo Server Error",
                "data": {"name": exc.name, "message": exc.message, "arguments": [exc.message],
                         "context": {}, "debug": traceback_text(exc)}}}
        except (ValueError, AttributeError) as exc:
            payload = {"jsonrpc": "2.0", "id": request_id, "error": {
                "code": 200, "message": "Odoo Server Error",
                "data": {"name": "werkzeug.exceptions.BadRequest", "message": f"Invalid JSON request: {exc}",
                         "arguments": [], "context": {}, "debug": ""}}}
        return 200, json.dumps(payload, default=_json_default).encode(), "application/json"

    def _json2(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes, str]:
        try:
            parts = path.split("/")
            if len(parts) != 5:
                return 404, NOT_FOUND_HTML, "text/html; charset=utf-8"
            model, method = parts[3], parts[4]
            database = headers.get("x-odoo-database")
            if database is not None and database != self.db.name:
                message = f'database "{database}" does not exist'
                return 404, json.dumps(_json2_error("werkzeug.exceptions.NotFound", message)).encode(), "application/json"
            scheme, _, key = headers.get("authorization", "").partition(" ")
            uid = None
            if scheme.lower() == "bearer" and key:
                uid = next((u.id for u in self.db.users.values() if key.strip() in u.api_keys), None)
            if uid is None:
                self.calls.append(("json2", model, method))
                return 401, json.dumps(_json2_error("werkzeug.exceptions.Unauthorized", "Invalid apikey")).encode(), "application/json"
            try:
                params = json.loads(body) if body else {}
            except ValueError as exc:
                raise OdooValueError(f"Invalid JSON data: {exc}") from exc
            if not isinstance(params, dict):
                raise OdooValueError("the body must be a JSON object")
            ids = params.pop("ids", None)
            args = [ids] if method == "read" else []
            if method == "read" and ids is None:
                raise OdooValueError("read() requires ids")
            result = self.execute("json2", uid, model, method, args, params)
            return 200, json.dumps(result, default=_json_default).encode(), "application/json"
        except OdooError as exc:
            return exc.http_status, json.dumps(_json2_error(exc.name, exc.message, traceback_text(exc))).encode(), "application/json"


def _string_fault(exc: OdooError) -> xmlrpc.client.Fault:
    """A fault of the un-versioned ``/xmlrpc/<service>`` routes: the code is a string."""
    if isinstance(exc, OdooAccessDenied):
        return xmlrpc.client.Fault("AccessDenied", exc.message)  # type: ignore[arg-type]  # Odoo sends a string
    if exc.fault_code in (2, 4):  # UserError family, AccessError
        kind = exc.name.rsplit(".", 1)[-1]
        return xmlrpc.client.Fault(f"warning -- {kind}\n\n{exc.message}", "")  # type: ignore[arg-type]
    return xmlrpc.client.Fault(exc.message, traceback_text(exc))  # type: ignore[arg-type]


def _json2_error(name: str, message: str, debug: str = "") -> dict[str, Any]:
    return {"name": name, "message": message, "arguments": [message], "context": {}, "debug": debug}
