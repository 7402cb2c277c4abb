"""A dossier's **Edit → Sync → Set up sync**: the sync to use, the company (a searchable list by
name or code; an on-premise package's typed sync reference), *sync from a date* or *replace all
data*, the fiscal-year starts from the package, the granularity and a fiscal-year override.
Saving starts the first sync. Beside it, the administrative link (:mod:`.details`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from sfsync.auth import ConnectionLevel
from sfsync.errors import PermissionDenied, SfsyncError
from sfsync.models import Granularity
from sfsync.store.base import ConnectionRecord, User
from sfsync.web.host import Host
from sfsync.web.pages import host_of
from sfsync.web.pages.details import details_context
from sfsync.web.pages.dossiers import sync_choices
from sfsync.web.pages.syncs import start_login
from sfsync.web.security import posted

__all__ = ["save_settings", "settings_page"]


def _date(value: object) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


async def _connection(host: Host, user: User, dossier_id: str, connection_id: str) -> ConnectionRecord | None:
    if not connection_id or connection_id.startswith("login:"):
        return None
    for record in (*host.app.connections(user), *host.app.dossier_connections(user, dossier_id)):
        if record.id == connection_id:
            return record
    return None


async def settings_page(request: Request) -> Response:
    """The sync settings, filled in step by step (each step works without JavaScript)."""
    host = host_of(request)
    user = host.require_firm_user(request)
    dossier = host.app.dossier(user, request.path_params["dossier_id"])
    status = host.app.dossier_status(user, dossier.id)
    link = status.link
    query = request.query_params
    chosen = query.get("connection") or (link.connection_id if link else "")
    connection = await _connection(host, user, dossier.id, chosen)
    context: dict[str, Any] = {"dossier": dossier, "status": status, "link": link, "chosen": chosen,
                               "choices": sync_choices(host, user, dossier.id), "connection": connection,
                               "search": query.get("q", ""), "companies": [], "years": [], "typed": False,
                               "granularities": [], "error": ""}
    if connection is not None:
        loaded = host.app.registry.connector(connection.connector)
        context["typed"] = loaded.auth.level is ConnectionLevel.AGENT
        context["info"] = loaded.info
        context["granularities"] = [g.value for g in loaded.info.granularities]
        company = query.get("company") or (link.company_ref if link and link.connection_id == connection.id else "")
        context["company"] = company
        try:
            if not context["typed"]:
                context["companies"] = await host.app.list_companies(user, connection.id, search=query.get("q") or None)
            if company:
                context["years"] = await host.app.fiscal_years(user, connection.id, company)
        except PermissionDenied:
            raise
        except SfsyncError as exc:
            context["error"] = str(exc)
    context.update(await details_context(host, user, status.admin_link, query))
    return host.render(request, "settings.html", **context)


@posted
async def save_settings(request: Request, form: FormData) -> Response:
    """Save the link and start its first sync (a dossier-level package: log in first)."""
    host = host_of(request)
    user = host.require_firm_user(request)
    _ = host.gettext(request)
    dossier = host.app.dossier(user, request.path_params["dossier_id"])
    choice = str(form.get("connection", ""))
    if choice.startswith("login:"):
        return start_login(request, host, user, choice.removeprefix("login:"),
                           then=f"/dossiers/{dossier.id}/settings", dossier_id=dossier.id)
    company = str(form.get("company", "")).strip()
    mode = str(form.get("mode", "replace"))
    granularity = str(form.get("granularity", "")) or None
    back = f"/dossiers/{dossier.id}/settings?connection={choice}&company={company}"
    try:
        if not company:
            raise SfsyncError(_("Choose the company (or type the sync reference) first."))
        await host.app.link(
            user, dossier.id, choice, company, mode=mode, since=_date(form.get("since")) if mode == "since" else None,
            granularity=Granularity(granularity) if granularity else None,
            first_year_end=_date(form.get("first_year_end")) if form.get("override") == "yes" else None,
            switch=form.get("switch") == "yes",
        )
    except PermissionDenied:
        raise
    except (SfsyncError, ValueError) as exc:
        host.flash(request, str(exc), "error")
        return host.redirect(back)
    host.start_sync(user, dossier.id)
    host.flash(request, _("Saved: the first sync has started. Every night it syncs again."), "ok")
    return host.redirect(f"/dossiers/{dossier.id}")
