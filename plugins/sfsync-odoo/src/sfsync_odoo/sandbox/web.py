"""What the sandbox serves besides the external API: the ``db`` service and the web client's JSON
routes, which popular Python clients (odoorpc and the like) call before or instead of ``/jsonrpc``.

* ``db`` (``/jsonrpc`` service ``db``, ``/xmlrpc/2/db``): ``list``, ``db_exist``,
  ``server_version``, ``list_lang``; managing databases needs the master password, which the
  sandbox never accepts (``AccessDenied``), as on a hosted Odoo.
* ``/web/webclient/version_info``, ``/web/database/list``;
* ``/web/session/authenticate`` (login and **password**: an interactive login, so API keys are
  refused, as Odoo does) sets the ``session_id`` cookie that ``/web/session/get_session_info``,
  ``/web/dataset/call_kw[/…]`` and ``/web/session/destroy`` then read; without a live session they
  answer error 100 "Odoo Session Expired".

The routes are ``type="json"`` routes: a JSON-RPC 2.0 request ``{"params": {…}}`` in, an answer
or an error envelope out, with HTTP 200 either way.
"""

from __future__ import annotations

import json
import secrets
from http.cookies import SimpleCookie
from typing import TYPE_CHECKING, Any

from sfsync_odoo.sandbox.faults import (
    OdooAccessDenied,
    OdooAccessError,
    OdooAttributeError,
    OdooError,
    OdooValueError,
)

if TYPE_CHECKING:
    from sfsync_odoo.sandbox.app import OdooApp

__all__ = ["LANGUAGES", "WEB_ROUTES", "WebClient"]

WEB_ROUTES = ("/web/webclient/version_info", "/web/database/list", "/web/session/authenticate",
              "/web/session/get_session_info", "/web/session/destroy", "/web/dataset/call_kw")
LANGUAGES = [["en_US", "English (US)"], ["nl_BE", "Dutch (BE) / Nederlands (BE)"], ["fr_BE", "French (BE) / Français (BE)"]]
# The db service's management methods: each wants the master password first.
MANAGEMENT = frozenset({"create_database", "duplicate_database", "drop", "dump", "restore", "rename",
                        "change_admin_password", "migrate_databases", "list_countries"})


class SessionExpired(OdooError):
    name = "odoo.http.SessionExpiredException"


class WebClient:
    """The web-client routes and the ``db`` service of one sandbox database."""

    def __init__(self, app: OdooApp) -> None:
        self.app = app
        self.sessions: dict[str, int] = {}  # session_id cookie -> uid

    @staticmethod
    def handles(path: str) -> bool:
        return path in WEB_ROUTES or path.startswith("/web/dataset/call_kw/")

    # --- the db service -------------------------------------------------------------------------

    def db_service(self, method: str, args: list[Any]) -> Any:
        self.app.calls.append(("db", "", method))
        name = self.app.db.name
        if method == "list":
            return [name]
        if method == "db_exist":
            return bool(args) and args[0] == name
        if method == "server_version":
            return self.app.version_info()["server_version"]
        if method == "list_lang":
            return LANGUAGES
        if method in MANAGEMENT:
            raise OdooAccessDenied()
        raise OdooAttributeError(f"The method '{method}' does not exist on service db")

    # --- the web client's JSON routes -----------------------------------------------------------

    def serve(self, path: str, headers: dict[str, str], body: bytes) -> tuple[bytes, dict[str, str]]:
        """Answer a JSON route: the response body and any headers to add (``Set-Cookie``)."""
        request_id: Any = None
        extra: dict[str, str] = {}
        try:
            try:
                request = json.loads(body) if body else {}
            except ValueError as exc:
                raise OdooValueError(f"Invalid JSON data: {exc}") from exc
            if not isinstance(request, dict):
                raise OdooValueError("Invalid JSON-RPC request")
            request_id = request.get("id")
            params = request.get("params") or {}
            result = self._route(path, params, _session_cookie(headers), extra)
            payload: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "result": result}
        except SessionExpired as exc:
            payload = {"jsonrpc": "2.0", "id": request_id,
                       "error": {"code": 100, "message": "Odoo Session Expired", "data": _error_data(exc)}}
        except OdooError as exc:
            payload = {"jsonrpc": "2.0", "id": request_id,
                       "error": {"code": 200, "message": "Odoo Server Error", "data": _error_data(exc)}}
        return json.dumps(payload, default=float).encode(), extra

    def _route(self, path: str, params: dict[str, Any], session_id: str | None, extra: dict[str, str]) -> Any:
        app = self.app
        if path == "/web/webclient/version_info":
            return app.version_info()
        if path == "/web/database/list":
            return self.db_service("list", [])
        if path == "/web/session/authenticate":
            logged_in = self._interactive_login(params.get("db"), params.get("login"), params.get("password"))
            session_id = secrets.token_hex(20)
            self.sessions[session_id] = logged_in
            extra["set-cookie"] = f"session_id={session_id}; HttpOnly; Path=/; SameSite=Lax"
            return self.session_info(logged_in, session_id)
        uid = self.sessions.get(session_id or "")
        if uid is None or uid not in app.db.users:
            raise SessionExpired("Session expired")
        if path == "/web/session/get_session_info":
            return self.session_info(uid, session_id or "")
        if path == "/web/session/destroy":
            self.sessions.pop(session_id or "", None)
            return None
        # /web/dataset/call_kw[/model.method]: the path after call_kw is only for logs, as in Odoo.
        model, method = params.get("model"), params.get("method")
        if not isinstance(model, str) or not isinstance(method, str):
            raise OdooValueError("call_kw needs a model and a method")
        args, kwargs = params.get("args") or [], params.get("kwargs") or {}
        if not isinstance(args, list) or not isinstance(kwargs, dict):
            raise OdooValueError("call_kw takes a list of args and a dict of kwargs")
        return app.execute("web", uid, model, method, args, kwargs)

    def _interactive_login(self, db_name: Any, login: Any, password: Any) -> int:
        app = self.app
        if db_name != app.db.name:
            raise OdooAccessError("Database not found.")
        for user in app.db.users.values():
            # A password login of a user without 2FA; an API key is never an interactive login.
            if user.id != 1 and user.login == login and user.password and password == user.password and not user.totp:
                app.calls.append(("web", "", "authenticate"))
                return user.id
        app.calls.append(("web", "", "authenticate"))
        raise OdooAccessDenied()

    def session_info(self, uid: int, session_id: str) -> dict[str, Any]:
        app = self.app
        user = app.db.users[uid]
        context = app.db.execute(uid, "res.users", "context_get", [], {})
        companies = app.db.tables["res.company"]
        allowed = [user.company_id] + [c for c in user.company_ids if c != user.company_id]
        version = app.version_info()
        return {
            "uid": uid, "session_id": session_id, "is_system": False, "is_admin": False,
            "user_context": context, "db": app.db.name, "name": user.name, "username": user.login,
            "partner_display_name": user.name, "company_id": user.company_id,
            "server_version": version["server_version"], "server_version_info": version["server_version_info"],
            "user_companies": {
                "current_company": user.company_id,
                "allowed_companies": {str(c): {"id": c, "name": companies[c]["name"]} for c in allowed if c in companies},
            },
        }


def _session_cookie(headers: dict[str, str]) -> str | None:
    cookie = SimpleCookie()
    try:
        cookie.load(headers.get("cookie", ""))
    except Exception:  # a malformed Cookie header is no session, as in Odoo
        return None
    morsel = cookie.get("session_id")
    return morsel.value if morsel is not None else None


def _error_data(exc: OdooError) -> dict[str, Any]:
    from sfsync_odoo.sandbox.faults import traceback_text

    return {"name": exc.name, "message": exc.message, "arguments": [exc.message], "context": {},
            "debug": traceback_text(exc)}
