"""The support staff's pages: every firm, and setting up a support-level connection (Octopus,
AFAS…) for one of them; a firm admin sees "contact support" for those packages instead.

A package that connects with a one-time code (AFAS mails an OTP to its user) takes two
server-rendered steps: the form with *send code*, then the code alone (:mod:`sfsync.web.codes`
keeps the form's secrets off the second page). Who may is the core's decision: the form is posted
to :meth:`~sfsync.api.Sfsync.send_code` and :meth:`~sfsync.api.Sfsync.connect_form` as the
signed-in person, and anyone but support staff is refused there.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from sfsync.auth import AgentSpec, ConnectionLevel, FormSpec, secret_field_names
from sfsync.errors import NotFound, PermissionDenied, SfsyncError
from sfsync.store.base import Firm, User
from sfsync.web.codes import KEPT_FOR, CodeWait
from sfsync.web.host import Host
from sfsync.web.pages import host_of
from sfsync.web.pages.fields import form_fields, posted_values
from sfsync.web.security import posted

__all__ = ["provision", "provision_page", "support_home"]


def _staff(host: Host, request: Request) -> User:
    user = host.require_user(request)
    if user.role != "support":
        raise HTTPException(403, "Only the host's support staff use these pages.")
    return user


def _firm(host: Host, user: User, firm_id: str) -> Firm:
    """The firm support staff named, through the core (which lists every firm only for them)."""
    found = next((f for f in host.app.firms(user) if f.id == firm_id), None)
    if found is None:
        raise NotFound(f"no firm {firm_id!r}")
    return found


def _support_connectors(host: Host) -> list[str]:
    return [n for n in sorted(host.app.registry.connectors)
            if host.app.registry.connector(n).auth.level is ConnectionLevel.SUPPORT]


def _spec(host: Host, name: str) -> FormSpec | AgentSpec:
    if name not in _support_connectors(host):
        raise HTTPException(404)
    spec = host.app.registry.connector(name).auth
    if not isinstance(spec, FormSpec | AgentSpec):
        raise HTTPException(404)
    return spec


def _code_field(spec: FormSpec | AgentSpec) -> str | None:
    return spec.code_field if isinstance(spec, FormSpec) else None


async def support_home(request: Request) -> Response:
    """Every firm, with the support-level connections it has."""
    host = host_of(request)
    user = _staff(host, request)
    firms = [(f, host.app.connections(user, firm_id=f.id)) for f in host.app.firms(user)]
    return host.render(request, "support.html", firms=firms, connectors=_support_connectors(host))


def _form_page(request: Request, host: Host, user: User, name: str, firm_id: str, code: int = 200,
               **context: Any) -> Response:
    """The package's form for the firm (the code step when ``context`` has ``wait``)."""
    spec = _spec(host, name)
    code_field = _code_field(spec)
    fields = [f for f in form_fields(spec.fields) if f.name != code_field]
    return host.render(request, "provision.html", code=code, firm=_firm(host, user, firm_id), connector=name,
                       info=host.app.registry.connector(name).info, fields=fields, code_field=code_field,
                       **context)


async def provision_page(request: Request) -> Response:
    """The form of a support-level package, for one firm."""
    host = host_of(request)
    user = _staff(host, request)
    return _form_page(request, host, user, request.path_params["connector"], request.path_params["firm_id"])


@posted
async def provision(request: Request, form: FormData) -> Response:
    """Check and save the support-level connection for the firm; with ``step=send_code`` first
    have the package send its one-time code, and with ``wait`` finish with that code."""
    host = host_of(request)
    # Signed in is all the page asks: who may set this up is the core's decision (below).
    user = host.require_user(request)
    name = request.path_params["connector"]
    firm_id = request.path_params["firm_id"]
    spec = _spec(host, name)
    if form.get("step") == "send_code":
        return await _send_code(request, host, user, name, firm_id, spec, form)
    if form.get("wait"):
        return await _enter_code(request, host, user, name, firm_id, spec, form)
    values = posted_values(spec.fields, form, keep_blank_secrets=False)
    return await _connect(request, host, user, name, firm_id, values, back=f"/support/{firm_id}/{name}")


async def _connect(request: Request, host: Host, user: User, name: str, firm_id: str, values: dict[str, Any],
                   *, back: str | None) -> Response:
    """Save the connection; on a package's refusal back to ``back`` with the reason (``None``:
    raise it, for the code step to answer)."""
    _ = host.gettext(request)
    try:
        record = await host.app.connect_form(user, name, values, firm_id=firm_id)
    except PermissionDenied:
        raise
    except SfsyncError as exc:
        if back is None:
            raise
        host.flash(request, str(exc), "error")
        return host.redirect(back)
    host.flash(request, _("The sync with {title} is set up.").format(title=record.label), "ok")
    return host.redirect("/support")


async def _send_code(request: Request, host: Host, user: User, name: str, firm_id: str,
                     spec: FormSpec | AgentSpec, form: FormData) -> Response:
    """Step one of a one-time-code form: the package sends the code; the page asks for it."""
    values = posted_values(spec.fields, form, keep_blank_secrets=False)
    try:
        sent = await host.app.send_code(user, name, values, firm_id=firm_id)
    except PermissionDenied:
        raise
    except SfsyncError as exc:
        host.flash(request, str(exc), "error")
        return host.redirect(f"/support/{firm_id}/{name}")
    now = host.app.clock.now()
    wait = CodeWait(user_id=user.id, connector=name, firm_id=firm_id, values=values, sent=sent, until=now + KEPT_FOR)
    key = host.codes.keep(wait, now)
    return _code_page(request, host, user, name, firm_id, spec, key, wait)


def _code_page(request: Request, host: Host, user: User, name: str, firm_id: str, spec: FormSpec | AgentSpec,
               key: str, wait: CodeWait, *, error: str = "", code: int = 200) -> Response:
    kept = wait.shown(secret_field_names(spec.fields))
    shown = [(f.label, kept[f.name]) for f in form_fields(spec.fields) if f.name in kept]
    return _form_page(request, host, user, name, firm_id, code=code, wait=key, sent=wait.sent, error=error,
                      shown=shown)


async def _enter_code(request: Request, host: Host, user: User, name: str, firm_id: str,
                      spec: FormSpec | AgentSpec, form: FormData) -> Response:
    """Step two: the code with the kept form; a wrong code asks again, the form still kept."""
    _ = host.gettext(request)
    code_field = _code_field(spec)
    key = str(form.get("wait"))
    wait = host.codes.find(key, user.id, name, firm_id, host.app.clock.now())
    if code_field is None or wait is None:
        host.flash(request, _("The form waited too long for its code: fill it in and send a new code."), "error")
        return host.redirect(f"/support/{firm_id}/{name}")
    typed = str(form.get(code_field, "")).strip()
    try:
        if not typed:
            raise SfsyncError(_("Enter the one-time code."))
        answer = await _connect(request, host, user, name, firm_id, {**wait.values, code_field: typed}, back=None)
    except PermissionDenied:
        raise
    except SfsyncError as exc:
        return _code_page(request, host, user, name, firm_id, spec, key, wait, error=str(exc), code=400)
    host.codes.drop(key)
    return answer
