"""The dossiers: the list with each one's sync arrows and nightly status, the new-dossier wizard
(*automatically from the bookkeeping* or *manually via Excel or CSV*), a dossier's page, its run
history, the manual upload and going back to manual."""

from __future__ import annotations

import tempfile
from pathlib import Path

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response

from sfsync.auth import ConnectionLevel
from sfsync.errors import PermissionDenied, SfsyncError
from sfsync.store.base import User
from sfsync.web.host import Host
from sfsync.web.pages import host_of
from sfsync.web.pages.details import administrative_only, source_label
from sfsync.web.pages.syncs import start_login
from sfsync.web.security import posted

__all__ = [
    "dossier", "dossiers", "history", "new_dossier", "new_dossier_page", "sync_choices", "unlink", "upload",
]


def sync_choices(host: Host, user: User, dossier_id: str | None = None) -> list[dict[str, str]]:
    """The syncs a dossier may use: the firm's connections, the dossier's own logins, and each
    dossier-level package to log in to (``login:<connector>``)."""
    choices = []
    for record in host.app.connections(user):
        if administrative_only(host, record.connector):
            continue  # client master data only (AdminPulse): the administrative link's, not a sync
        choices.append({"value": record.id, "label": record.label, "connector": record.connector})
    if dossier_id is not None:
        for record in host.app.dossier_connections(user, dossier_id):
            choices.append({"value": record.id, "label": record.label, "connector": record.connector})
    for name in sorted(host.app.registry.connectors):
        loaded = host.app.registry.connector(name)
        if loaded.auth.level is ConnectionLevel.DOSSIER:
            choices.append({"value": f"login:{name}", "label": loaded.info.title, "connector": name})
    return choices


async def dossiers(request: Request) -> Response:
    """Every dossier of the firm, with its package, last run, next night and the sync arrows;
    a banner for each connection that needs re-consent."""
    host = host_of(request)
    user = host.require_firm_user(request)
    statuses = sorted(host.app.status(user), key=lambda s: s.dossier.name.casefold())
    # The firm's connections first, then the dossiers' own logins in the order of the list.
    order = {s.dossier.id: i for i, s in enumerate(statuses)}
    states = [s for s in host.app.connection_states(user, dossier_logins=True) if s.status != "ok"
              if s.connection.owner_dossier_id is None or s.connection.owner_dossier_id in order]
    waiting = sorted(states, key=lambda s: -1 if s.connection.owner_dossier_id is None
                     else order[s.connection.owner_dossier_id])
    return host.render(request, "dossiers.html", statuses=statuses, waiting=waiting,
                       running={s.dossier.id for s in statuses if host.progress.running(s.dossier.id)})


async def new_dossier_page(request: Request) -> Response:
    """The new-dossier wizard."""
    host = host_of(request)
    user = host.require_firm_user(request)
    return host.render(request, "new_dossier.html", choices=sync_choices(host, user))


@posted
async def new_dossier(request: Request, form: FormData) -> Response:
    """Create the dossier; *automatically*: on to its sync settings (or the package's login)."""
    host = host_of(request)
    user = host.require_firm_user(request)
    name = str(form.get("name", "")).strip()
    try:
        if not name:
            raise SfsyncError(host.gettext(request)("Give the dossier a name."))
        created = host.app.create_dossier(user, name)
    except SfsyncError as exc:
        host.flash(request, str(exc), "error")
        return host.redirect("/dossiers/new")
    choice = str(form.get("sync", ""))
    if form.get("source") != "automatic" or not choice:
        return host.redirect(f"/dossiers/{created.id}")
    if choice.startswith("login:"):
        return start_login(request, host, user, choice.removeprefix("login:"),
                           then=f"/dossiers/{created.id}/settings", dossier_id=created.id)
    return host.redirect(f"/dossiers/{created.id}/settings?connection={choice}")


async def dossier(request: Request) -> Response:
    """A dossier: its sync, the sync arrows and live progress, and the way to its figures."""
    host = host_of(request)
    user = host.require_firm_user(request)
    record = host.app.dossier(user, request.path_params["dossier_id"])
    status = host.app.dossier_status(user, record.id)
    state = host.progress.states.get(record.id)
    details = host.app.company_details(user, record.id)
    sources = {c: source_label(host, user, c) for c in {details.source if details else None,
                                                         status.admin_link.connection_id if status.admin_link else None} if c}
    return host.render(request, "dossier.html", dossier=record, status=status, state=state,
                       running=host.progress.running(record.id), details=details, sources=sources)


async def history(request: Request) -> Response:
    """The dossier's runs, newest first, each failure with its reason."""
    host = host_of(request)
    user = host.require_firm_user(request)
    record = host.app.dossier(user, request.path_params["dossier_id"])
    return host.render(request, "history.html", dossier=record, runs=host.app.runs(user, record.id, limit=50))


@posted
async def upload(request: Request, form: FormData) -> Response:
    """Load an Excel, CSV or XAF export into a dossier without a sync."""
    host = host_of(request)
    user = host.require_firm_user(request)
    _ = host.gettext(request)
    record = host.app.dossier(user, request.path_params["dossier_id"])
    sent = form.get("file")
    if not isinstance(sent, UploadFile) or not sent.filename:
        host.flash(request, _("Choose a file to upload."), "error")
        return host.redirect(f"/dossiers/{record.id}")
    with tempfile.TemporaryDirectory(prefix="sfsync-upload-") as folder:
        # Only the name's last part: a crafted name must not write outside the folder.
        path = Path(folder) / Path(sent.filename).name
        try:
            path.write_bytes(await sent.read())
        finally:
            await sent.close()
        try:
            run = host.app.import_file(user, record.id, path, replace=form.get("replace") == "yes")
        except PermissionDenied:
            raise
        except SfsyncError as exc:
            host.flash(request, str(exc), "error")
            return host.redirect(f"/dossiers/{record.id}")
    host.flash(request, _("{name} is imported: {lines} lines.").format(
        name=path.name, lines=run.counts.get("lines", 0)), "ok")
    return host.redirect(f"/dossiers/{record.id}")


@posted
async def unlink(request: Request, form: FormData) -> Response:
    """Back to manual: the sync stops and what was synced stays."""
    host = host_of(request)
    user = host.require_firm_user(request)
    _ = host.gettext(request)
    record = host.app.dossier(user, request.path_params["dossier_id"])
    try:
        host.app.unlink(user, record.id, remove_connection=form.get("confirm") == "yes")
    except PermissionDenied:
        raise
    except SfsyncError as exc:
        host.flash(request, str(exc), "error")
        return host.redirect(f"/dossiers/{record.id}/settings")
    host.flash(request, _("The dossier is back to manual import; everything synced so far is kept."), "ok")
    return host.redirect(f"/dossiers/{record.id}")
