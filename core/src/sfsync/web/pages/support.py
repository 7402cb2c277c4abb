"""The support staff's pages: every firm, and setting up a support-level connection (Octopus,
AFAS…) for one of them; a firm admin sees "contact support" for those packages instead."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from sfsync.auth import AgentSpec, ConnectionLevel, FormSpec
from sfsync.errors import PermissionDenied, SfsyncError
from sfsync.store.base import User
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


def _support_connectors(host: Host) -> list[str]:
    return [n for n in sorted(host.app.registry.connectors)
            if host.app.registry.connector(n).auth.level is ConnectionLevel.SUPPORT]


async def support_home(request: Request) -> Response:
    """Every firm, with the support-level connections it has."""
    host = host_of(request)
    user = _staff(host, request)
    firms = [(f, host.app.connections(user, firm_id=f.id)) for f in host.app.store.list_firms()]
    return host.render(request, "support.html", firms=firms, connectors=_support_connectors(host))


async def provision_page(request: Request) -> Response:
    """The form of a support-level package, for one firm."""
    host = host_of(request)
    _staff(host, request)
    name = request.path_params["connector"]
    if name not in _support_connectors(host):
        raise HTTPException(404)
    firm = host.app.store.get_firm(request.path_params["firm_id"])
    spec = host.app.registry.connector(name).auth
    fields = form_fields(spec.fields) if isinstance(spec, FormSpec | AgentSpec) else []
    return host.render(request, "provision.html", firm=firm, connector=name,
                       info=host.app.registry.connector(name).info, fields=fields)


@posted
async def provision(request: Request, form: FormData) -> Response:
    """Check and save the support-level connection for the firm."""
    host = host_of(request)
    user = _staff(host, request)
    _ = host.gettext(request)
    name = request.path_params["connector"]
    firm_id = request.path_params["firm_id"]
    spec = host.app.registry.connector(name).auth
    if not isinstance(spec, FormSpec | AgentSpec):
        raise HTTPException(404)
    try:
        record = await host.app.connect_form(user, name, posted_values(spec.fields, form, keep_blank_secrets=False),
                                             firm_id=firm_id)
    except PermissionDenied:
        raise
    except SfsyncError as exc:
        host.flash(request, str(exc), "error")
        return host.redirect(f"/support/{firm_id}/{name}")
    host.flash(request, _("The sync with {title} is set up.").format(title=record.label), "ok")
    return host.redirect("/support")
