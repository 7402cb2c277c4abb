"""The sync arrows (sync now) and the live progress of a dossier's sync: server-sent events for
the page's script, and a plain JSON answer for anything else."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from sfsync.web.pages import host_of
from sfsync.web.security import posted

__all__ = ["progress_events", "progress_json", "sync_now"]


@posted
async def sync_now(request: Request, form: FormData) -> Response:
    """The sync arrows next to the dossier's name: fetch the latest figures now."""
    host = host_of(request)
    user = host.require_firm_user(request)
    _ = host.gettext(request)
    dossier = host.app.dossier(user, request.path_params["dossier_id"])
    status = host.app.dossier_status(user, dossier.id)
    if status.link is None and status.admin_link is None:
        host.flash(request, _("This dossier has no sync: set one up first."), "error")
    elif host.start_sync(user, dossier.id):
        host.flash(request, _("Syncing {name}…").format(name=dossier.name), "ok")
    else:
        host.flash(request, _("{name} is syncing already.").format(name=dossier.name), "info")
    back = str(form.get("back") or f"/dossiers/{dossier.id}")
    return host.redirect(back if back.startswith("/") and not back.startswith("//") else "/dossiers")


async def progress_json(request: Request) -> Response:
    """Where the dossier's sync is, once."""
    host = host_of(request)
    user = host.require_firm_user(request)
    dossier = host.app.dossier(user, request.path_params["dossier_id"])
    state = host.progress.states.get(dossier.id)
    return JSONResponse(state.as_json() if state else {"running": False, "stage": "", "counts": {}})


async def progress_events(request: Request) -> Response:
    """The dossier's sync as it goes (``text/event-stream``), until it ends."""
    host = host_of(request)
    user = host.require_firm_user(request)
    dossier = host.app.dossier(user, request.path_params["dossier_id"])

    async def events() -> AsyncIterator[str]:
        last = None
        for _ in range(3000):  # at most ten minutes on one stream; the script reconnects
            state = host.progress.states.get(dossier.id)
            data = json.dumps(state.as_json() if state else {"running": False, "stage": "", "counts": {}})
            if data != last:
                yield f"data: {data}\n\n"
                last = data
            if state is None or not state.running:
                yield "event: done\ndata: {}\n\n"
                return
            await asyncio.sleep(0.2)

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})
