"""The host's Starlette app: its route table, the session and security middleware, and how the
core's refusals are answered (not found → 404, not allowed → 403, a bad request → its message)."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from sfsync.errors import NotFound, PermissionDenied, SfsyncError
from sfsync.web.host import Host, SignInRequired
from sfsync.web.pages import details, dossiers, figures, running, settings, signin, support, syncs
from sfsync.web.pages import host_of as _host_of
from sfsync.web.sandbox_gateway import PREFIX, gateway
from sfsync.web.security import SecurityHeaders

__all__ = ["build_app", "routes"]

STATIC = Path(__file__).with_name("static")

GET, POST = ["GET"], ["POST"]


def routes(host: Host) -> list[Route | Mount]:
    """Every page of the host; a POST route's handler always checks the form's CSRF token."""
    table: list[Route | Mount] = [
        Route("/", signin.home),
        Route("/sign-in", signin.sign_in_page, methods=GET),
        Route("/sign-in", signin.sign_in, methods=POST),
        Route("/sign-out", signin.sign_out, methods=POST),
        Route("/language/{code}", signin.language, methods=GET),
        Route("/syncs", syncs.syncs, methods=GET),
        Route("/syncs/new", syncs.add_sync, methods=GET),
        Route("/syncs/new/{connector}", syncs.connect_page, methods=GET),
        Route("/syncs/new/{connector}", syncs.connect, methods=POST),
        Route("/syncs/{connection_id}/reconsent", syncs.reconsent_page, methods=GET),
        Route("/syncs/{connection_id}/reconsent", syncs.reconsent, methods=POST),
        Route("/syncs/{connection_id}/remove", syncs.remove, methods=POST),
        Route("/oauth/callback", syncs.oauth_callback, methods=GET),
        Route("/dossiers", dossiers.dossiers, methods=GET),
        Route("/dossiers/new", dossiers.new_dossier_page, methods=GET),
        Route("/dossiers/new", dossiers.new_dossier, methods=POST),
        Route("/dossiers/{dossier_id}", dossiers.dossier, methods=GET),
        Route("/dossiers/{dossier_id}/settings", settings.settings_page, methods=GET),
        Route("/dossiers/{dossier_id}/settings", settings.save_settings, methods=POST),
        Route("/dossiers/{dossier_id}/unlink", dossiers.unlink, methods=POST),
        Route("/dossiers/{dossier_id}/details", details.save_details, methods=POST),
        Route("/dossiers/{dossier_id}/details/remove", details.remove_details, methods=POST),
        Route("/dossiers/{dossier_id}/upload", dossiers.upload, methods=POST),
        Route("/dossiers/{dossier_id}/history", dossiers.history, methods=GET),
        Route("/dossiers/{dossier_id}/sync", running.sync_now, methods=POST),
        Route("/dossiers/{dossier_id}/progress", running.progress_json, methods=GET),
        Route("/dossiers/{dossier_id}/progress/events", running.progress_events, methods=GET),
        Route("/dossiers/{dossier_id}/figures", figures.figures, methods=GET),
        Route("/dossiers/{dossier_id}/figures/lines/{account}", figures.lines, methods=GET),
        Route("/dossiers/{dossier_id}/figures/download.{format}", figures.download, methods=GET),
        Route("/support", support.support_home, methods=GET),
        Route("/support/{firm_id}/{connector}", support.provision_page, methods=GET),
        Route("/support/{firm_id}/{connector}", support.provision, methods=POST),
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
    ]
    if host.sandboxes:
        table.append(Route(PREFIX + "/{host}/{path:path}", gateway(host.app.transports), methods=["GET", "POST"]))  # type: ignore[arg-type]
    return table


async def _sign_in(request: Request, exc: Exception) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return _host_of(request).redirect(f"/sign-in?next={target}" if request.method == "GET" else "/sign-in")


async def _refused(request: Request, exc: Exception) -> Response:
    host = _host_of(request)
    _ = host.gettext(request)
    if isinstance(exc, NotFound):
        return host.render(request, "error.html", code=404, title=_("Not found"), message=str(exc))
    if isinstance(exc, PermissionDenied):
        return host.render(request, "error.html", code=403, title=_("Not allowed"), message=str(exc))
    return host.render(request, "error.html", code=400, title=_("That did not work"), message=str(exc))


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    host = _host_of(request)
    return host.render(request, "error.html", code=exc.status_code, title=str(exc.status_code), message=exc.detail)


def build_app(host: Host) -> Starlette:
    """The ASGI app of ``host``, its templates compiled (:meth:`Host.prepare`)."""
    host.prepare()
    settings_ = host.settings
    app = Starlette(
        routes=routes(host),
        middleware=[
            Middleware(SecurityHeaders, form_origins=host.login_origins()),
            Middleware(SessionMiddleware, secret_key=settings_.session_secret, session_cookie="sfsync_session",
                       same_site="lax", https_only=settings_.secure_cookies, max_age=12 * 3600),
        ],
        exception_handlers={SignInRequired: _sign_in, SfsyncError: _refused, HTTPException: _http},
    )
    app.state.host = host
    return app
