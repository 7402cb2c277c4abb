"""Odoo's errors, mapped to the core's, keeping Odoo's own message.

XML-RPC faults carry an int code (1 anything, 2 UserError family, 3 AccessDenied, 4
AccessError); JSON-RPC puts ``data.name`` (``odoo.exceptions.AccessError``…) in an HTTP 200
error envelope; JSON-2 answers an HTTP status with ``{name, message}``. None of them echoes the
password or key, and we only keep the last line of a traceback.
"""

from __future__ import annotations

from typing import Any

import httpx
from sfsync.errors import AuthError, FatalError, MalformedResponse, RetriableError, SyncError

__all__ = ["AUTH_HINT", "from_fault", "from_json2", "from_jsonrpc", "login_refused"]

AUTH_HINT = (
    "check the login and the API key (or password); a user with two-factor authentication must "
    "use an API key (Preferences > Account Security > New API Key)"
)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in str(text).strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def login_refused(database: str, login: str, transport: str) -> AuthError:
    """``authenticate`` answered ``False``."""
    return AuthError(f"Odoo refused the login {login!r} on database {database!r} ({transport}); {AUTH_HINT}")


def _classify(name: str, message: str, *, response: httpx.Response | None = None) -> SyncError:
    short = name.rsplit(".", 1)[-1]
    if short == "AccessDenied" or message.strip() == "Access Denied":
        return AuthError(f"Odoo refused the credentials ({message or 'Access Denied'}); {AUTH_HINT}", response=response)
    if "does not exist" in message and "database" in message.lower():
        return AuthError(f"Odoo has no such database ({message}); check the database name", response=response)
    if short == "AccessError":
        return FatalError(
            f"Odoo refused access: {message} Give the integration user read access to Accounting "
            "(e.g. Accounting / Read-only) and to the company.",
            response=response,
        )
    if short in ("UserError", "ValidationError", "MissingError", "RedirectWarning"):
        return FatalError(f"Odoo answered an error: {message}", response=response)
    if "could not serialize" in message or "deadlock" in message.lower() or short in ("SerializationFailure", "TransactionRollbackError"):
        return RetriableError(f"Odoo was busy: {message}", response=response)
    return FatalError(f"Odoo failed ({short or 'error'}): {message}", response=response)


def from_fault(code: Any, string: str, *, response: httpx.Response | None = None) -> SyncError:
    """An XML-RPC fault (``/xmlrpc/2``: int codes; legacy ``/xmlrpc``: string codes)."""
    if code == 3 or code == "AccessDenied":
        return _classify("odoo.exceptions.AccessDenied", _last_line(string) or "Access Denied", response=response)
    if code == 4:
        return _classify("odoo.exceptions.AccessError", string.strip(), response=response)
    if code == 2:
        return _classify("odoo.exceptions.UserError", string.strip(), response=response)
    last = _last_line(string)
    name, _, message = last.partition(": ")
    if not message:
        name, message = "", last
    return _classify(name, message, response=response)


def from_jsonrpc(error: Any, *, response: httpx.Response | None = None) -> SyncError:
    """A JSON-RPC ``error`` member."""
    if not isinstance(error, dict):
        return MalformedResponse(f"Odoo sent an unreadable JSON-RPC error: {str(error)[:200]}", response=response)
    raw = error.get("data")
    data: dict[str, Any] = raw if isinstance(raw, dict) else {}
    if error.get("code") == 100:
        return AuthError(f"Odoo session expired ({error.get('message')}); {AUTH_HINT}", response=response)
    name = str(data.get("name") or "")
    message = str(data.get("message") or error.get("message") or "")
    if not name and data.get("debug"):
        return from_fault(1, str(data.get("debug")), response=response)
    return _classify(name, message, response=response)


def from_json2(response: httpx.Response, body: Any) -> SyncError:
    """A JSON-2 error status."""
    name = str(body.get("name") or "") if isinstance(body, dict) else ""
    message = str(body.get("message") or "") if isinstance(body, dict) else response.text[:200]
    if response.status_code == 401:
        return AuthError(
            f"Odoo refused the API key ({message or 'Unauthorized'}); JSON-2 takes an API key, not a "
            "password: create one under Preferences > Account Security",
            response=response,
        )
    if response.status_code == 404 and not name:
        return FatalError(
            "Odoo has no JSON-2 API at this address (it exists from Odoo 19); pick XML-RPC or JSON-RPC",
            response=response,
        )
    if response.status_code == 429 or (response.status_code >= 500 and not name):
        return RetriableError(f"Odoo answered {response.status_code}", response=response)
    return _classify(name, message, response=response)
