"""A dossier's *administrative* link (granularity ``details``): the package its client master
data come from (AdminPulse, or any connector that brings company details), beside the
accounting link. The sync settings page has its section (set up, change, remove); the dossier
page shows what it brought (:meth:`~sfsync.api.Sfsync.company_details`).

The section's steps are plain GET forms like the accounting ones (``details`` the connection,
``details_q`` a search, ``details_company`` the company), so it works without JavaScript.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from sfsync.errors import PermissionDenied, SfsyncError
from sfsync.models import Granularity
from sfsync.store.base import ConnectionRecord, LinkRecord, User
from sfsync.web.host import Host
from sfsync.web.pages import host_of
from sfsync.web.security import posted

__all__ = [
    "administrative_only", "details_connections", "details_context", "remove_details", "save_details", "source_label",
]

DETAILS_HOOK = "sfsync_fetch_company_details"


def details_connections(host: Host, user: User) -> list[ConnectionRecord]:
    """The firm's connections that bring company details, administrative-only packages first."""
    found = [c for c in host.app.connections(user) if host.app.registry.supports(c.connector, DETAILS_HOOK)]
    return sorted(found, key=lambda c: (not administrative_only(host, c.connector), c.label.casefold()))


def administrative_only(host: Host, connector: str) -> bool:
    """Whether ``connector`` brings only company details (AdminPulse): no accounting link."""
    return tuple(host.app.registry.connector(connector).info.granularities) == (Granularity.DETAILS,)


def source_label(host: Host, user: User, connection_id: str) -> str:
    """How a person names the connection administrative data came from (its label); a
    connection removed since is named by its id."""
    return next((c.label for c in host.app.connections(user) if c.id == connection_id), connection_id)


async def details_context(host: Host, user: User, admin_link: LinkRecord | None,
                          query: Mapping[str, str]) -> dict[str, Any]:
    """What the settings page's administrative section shows, for the step in ``query``."""
    choices = details_connections(host, user)
    chosen = query.get("details") or (admin_link.connection_id if admin_link else "")
    connection = next((c for c in choices if c.id == chosen), None)
    company = query.get("details_company") or (
        admin_link.company_ref if admin_link and connection and admin_link.connection_id == connection.id else "")
    context: dict[str, Any] = {
        "admin_link": admin_link, "details_choices": choices, "details_chosen": chosen, "details_connection": connection,
        "details_search": query.get("details_q", ""), "details_companies": [], "details_company": company,
        "details_error": "",
    }
    if admin_link is not None:
        context["admin_source"] = source_label(host, user, admin_link.connection_id)
    if connection is not None:
        try:
            context["details_companies"] = await host.app.list_companies(
                user, connection.id, search=query.get("details_q") or None)
        except PermissionDenied:
            raise
        except SfsyncError as exc:
            context["details_error"] = str(exc)
    return context


@posted
async def save_details(request: Request, form: FormData) -> Response:
    """Link the dossier's administrative data to a company of the chosen connection (or change
    it), then sync so the dossier page shows them."""
    host = host_of(request)
    user = host.require_firm_user(request)
    _ = host.gettext(request)
    dossier = host.app.dossier(user, request.path_params["dossier_id"])
    connection = str(form.get("details", ""))
    company = str(form.get("details_company", "")).strip()
    back = f"/dossiers/{dossier.id}/settings?details={connection}&details_company={company}#details"
    try:
        if not connection or not company:
            raise SfsyncError(_("Choose the package and the client for the administrative data first."))
        await host.app.link(user, dossier.id, connection, company, granularity=Granularity.DETAILS)
    except PermissionDenied:
        raise
    except SfsyncError as exc:
        host.flash(request, str(exc), "error")
        return host.redirect(back)
    host.start_sync(user, dossier.id)
    host.flash(request, _("Saved: the administrative data are being fetched. Every night they are fetched again."), "ok")
    return host.redirect(f"/dossiers/{dossier.id}")


@posted
async def remove_details(request: Request, form: FormData) -> Response:
    """Remove the administrative link; the data already fetched stay with the dossier."""
    host = host_of(request)
    user = host.require_firm_user(request)
    _ = host.gettext(request)
    dossier = host.app.dossier(user, request.path_params["dossier_id"])
    host.app.unlink(user, dossier.id, administrative=True)
    host.flash(request, _("The administrative link is removed; the data fetched so far stay with the dossier."), "ok")
    return host.redirect(f"/dossiers/{dossier.id}/settings")
