"""The firm's **Syncs** tab: its connections, **Add a new sync** (the package's login page, a form,
an on-premise agent, or "contact support"), re-consent, and the OAuth callback every login of a
package comes back to."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from sfsync.api import REFUSED
from sfsync.auth import AgentSpec, ConnectionLevel, FormSpec, OAuth2Spec
from sfsync.errors import ConfigurationError, PermissionDenied, SfsyncError
from sfsync.store.base import User
from sfsync.web.host import Host
from sfsync.web.pages import host_of
from sfsync.web.pages.fields import form_fields, posted_values
from sfsync.web.security import posted

__all__ = [
    "add_sync", "connect", "connect_page", "oauth_callback", "reconsent", "reconsent_page",
    "remove", "resume_waiting", "start_login", "syncs",
]


def _packages(host: Host) -> list[dict[str, Any]]:
    rows = []
    for name in sorted(host.app.registry.connectors):
        loaded = host.app.registry.connector(name)
        rows.append({"name": name, "title": loaded.info.title, "level": loaded.auth.level.value,
                     "flavour": loaded.auth.flavour, "package": loaded.info.package or loaded.info.title})
    return sorted(rows, key=lambda r: r["title"].casefold())


async def syncs(request: Request) -> Response:
    """The firm's connections, each with its status and the dossiers waiting for a re-consent."""
    host = host_of(request)
    user = host.require_firm_user(request)
    states = host.app.connection_states(user)
    return host.render(request, "syncs.html", states=states)


async def add_sync(request: Request) -> Response:
    """**Add a new sync**: every package, with what connecting it takes."""
    host = host_of(request)
    host.require_firm_user(request)
    return host.render(request, "add_sync.html", packages=_packages(host))


async def connect_page(request: Request) -> Response:
    """The connect step of one package: a login button, or its form."""
    host = host_of(request)
    user = host.require_firm_user(request)
    name = request.path_params["connector"]
    if name not in host.app.registry.connectors:
        raise HTTPException(404)
    loaded = host.app.registry.connector(name)
    fields = form_fields(loaded.auth.fields) if isinstance(loaded.auth, FormSpec | AgentSpec) else []
    return host.render(request, "connect.html", connector=name, info=loaded.info, spec=loaded.auth,
                       fields=fields, level=loaded.auth.level.value, admin=user.role == "admin")


def start_login(request: Request, host: Host, user: User, connector: str, *, then: str,
                connection_id: str | None = None, dossier_id: str | None = None) -> Response:
    """Send the person to the package's login page; ``then`` is where the callback leads after."""
    oauth = host.oauth_app(connector)
    pending = host.app.start_oauth(
        user, connector, redirect_uri=host.callback_url(), client_id=oauth.client_id,
        client_secret=oauth.client_secret, config=host.oauth_config(connector),
        connection_id=connection_id, dossier_id=dossier_id,
    )
    host.logins[pending.state] = {"then": then, "connection_id": connection_id, "dossier_id": dossier_id}
    return host.redirect(host.login_url(pending.authorize_url))


@posted
async def connect(request: Request, form: FormData) -> Response:
    """Connect the package: to its login page (OAuth2), or check and save the form."""
    host = host_of(request)
    user = host.require_firm_user(request)
    _ = host.gettext(request)
    name = request.path_params["connector"]
    if name not in host.app.registry.connectors:
        raise HTTPException(404)
    spec = host.app.registry.connector(name).auth
    if isinstance(spec, OAuth2Spec):
        if spec.level is ConnectionLevel.DOSSIER:
            raise ConfigurationError(f"connector {name} connects per dossier: link the dossier to connect it")
        return start_login(request, host, user, name, then="/syncs")
    label = str(form.get("label") or "") or None
    try:
        record = await host.app.connect_form(user, name, posted_values(spec.fields, form, keep_blank_secrets=False), label=label)
    except PermissionDenied:
        raise
    except SfsyncError as exc:
        host.flash(request, str(exc), "error")
        return host.redirect(f"/syncs/new/{name}")
    host.flash(request, _("The sync with {title} is set up.").format(title=record.label), "ok")
    return host.redirect("/syncs")


async def oauth_callback(request: Request) -> Response:
    """Where every package's login comes back: finish it, then go where it was started for."""
    host = host_of(request)
    user = host.require_user(request)
    _ = host.gettext(request)
    state = request.query_params.get("state", "")
    # finish_oauth checks that the state is this user's; where it leads is only a page to show.
    started = host.logins.get(state) or {"then": "/"}
    try:
        record = await host.app.finish_oauth(user, str(request.url))
    except SfsyncError as exc:
        host.flash(request, str(exc), "error")
        return host.redirect(str(started["then"]))
    host.logins.pop(state, None)
    if started.get("connection_id"):
        resumed = resume_waiting(host, user, record.id)
        host.flash(request, _("{label} is re-consented; {count} dossier(s) resume now.").format(
            label=record.label, count=resumed), "ok")
    elif started.get("dossier_id"):
        return host.redirect(f"/dossiers/{started['dossier_id']}/settings?connection={record.id}")
    else:
        host.flash(request, _("The sync with {title} is set up.").format(title=record.label), "ok")
    return host.redirect(str(started["then"]))


def resume_waiting(host: Host, user: User, connection_id: str) -> int:
    """Start a sync of every dossier of the connection that stopped on a refused credential."""
    count = 0
    for status in host.app.status(user):
        links = [status.link, status.admin_link]
        last = status.last_run
        if not any(link is not None and link.connection_id == connection_id for link in links):
            continue
        if last is not None and last.status == "failed" and last.error_kind in REFUSED:
            count += host.start_sync(user, status.dossier.id)
    return count


async def reconsent_page(request: Request) -> Response:
    """Re-enter a form connection's credentials (an OAuth2 one goes straight to the login)."""
    host = host_of(request)
    user = host.require_firm_user(request)
    state = host.app.connection_state(user, request.path_params["connection_id"])
    spec = host.app.registry.connector(state.connection.connector).auth
    fields = form_fields(spec.fields, state.connection.config) if isinstance(spec, FormSpec | AgentSpec) else []
    return host.render(request, "reconsent.html", state=state, fields=fields, oauth=isinstance(spec, OAuth2Spec))


@posted
async def reconsent(request: Request, form: FormData) -> Response:
    """One click: log in again (OAuth2) or save the re-entered credentials, then resume every
    dossier that waited for it."""
    host = host_of(request)
    user = host.require_firm_user(request)
    _ = host.gettext(request)
    connection = host.app.connection_state(user, request.path_params["connection_id"]).connection
    spec = host.app.registry.connector(connection.connector).auth
    back = str(form.get("back") or "/syncs")
    back = back if back.startswith("/") and not back.startswith("//") else "/syncs"
    if isinstance(spec, OAuth2Spec):
        return start_login(request, host, user, connection.connector, then=back, connection_id=connection.id,
                           dossier_id=connection.owner_dossier_id)
    try:
        record = await host.app.reconnect_form(user, connection.id, posted_values(spec.fields, form, keep_blank_secrets=True))
    except PermissionDenied:
        raise
    except SfsyncError as exc:
        host.flash(request, str(exc), "error")
        return host.redirect(f"/syncs/{connection.id}/reconsent")
    resumed = resume_waiting(host, user, record.id)
    host.flash(request, _("{label} is re-consented; {count} dossier(s) resume now.").format(
        label=record.label, count=resumed), "ok")
    return host.redirect(back)


@posted
async def remove(request: Request, form: FormData) -> Response:
    """Remove a connection; its dossiers keep what was synced."""
    host = host_of(request)
    user = host.require_firm_user(request)
    _ = host.gettext(request)
    host.app.remove_connection(user, request.path_params["connection_id"])
    host.flash(request, _("The sync is removed; its dossiers keep what was synced."), "ok")
    return host.redirect("/syncs")
