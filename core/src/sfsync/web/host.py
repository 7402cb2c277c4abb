"""The host: one :class:`~sfsync.api.Sfsync` embedded as any host application would, and what
the pages share (the signed-in user, rendering in the person's language, messages, OAuth apps).

Every page acts *as the signed-in user* through the public API, so the core decides what they
may do and see (:mod:`sfsync.access`); a page never reads the store to decide a right.
"""

from __future__ import annotations

import datetime as dt
from contextlib import suppress
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse

from sfsync.api import Sfsync
from sfsync.auth import OAuth2Spec
from sfsync.errors import NotFound
from sfsync.sandbox import Sandbox
from sfsync.store.base import User
from sfsync.web.codes import WaitingForCodes
from sfsync.web.compiled_templates import COMPILED, compile_all
from sfsync.web.i18n import LANGUAGES, choose_language, translations
from sfsync.web.passwords import PasswordBook
from sfsync.web.progress import Progress
from sfsync.web.sandbox_gateway import through_gateway
from sfsync.web.security import csrf_token
from sfsync.web.settings import OAuthApp, WebSettings

__all__ = ["Host", "SignInRequired"]

TEMPLATES = Path(__file__).with_name("templates")


class SignInRequired(Exception):
    """Raised by a page that needs a signed-in person; answered with the sign-in page."""


def _money(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"{value:,.2f}".replace(",", "\u202f")


@dataclass
class Host:
    """What every page uses.

    Attributes:
        app: The embedded core.
        settings: The host's settings.
        passwords: The sign-in accounts.
        sandboxes: Connector → its sandbox, in sandbox mode.
    """

    app: Sfsync
    settings: WebSettings
    passwords: PasswordBook
    sandboxes: dict[str, Sandbox] = field(default_factory=dict)
    progress: Progress = field(default_factory=Progress)
    logins: dict[str, dict[str, str | None]] = field(default_factory=dict)
    """OAuth state → where its callback leads; kept here, not in the session cookie, which
    concurrent answers (a page and its live progress) would overwrite."""
    codes: WaitingForCodes = field(default_factory=WaitingForCodes)
    """Support forms waiting for their one-time code (AFAS), secrets kept off the page."""
    flashes: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    """Messages for a person's next page, by their session's token (not in the cookie, for the
    same reason)."""

    def __post_init__(self) -> None:
        self.templates = Environment(
            loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
            trim_blocks=True, lstrip_blocks=True, bytecode_cache=COMPILED,
        )
        self.templates.filters["money"] = _money
        self.templates.globals["flavour"] = lambda name: self.app.registry.connector(name).auth.flavour

    def prepare(self) -> None:
        """Compile every page's template now, and load the XLSX writer (half a second to import),
        before the first request rather than during it."""
        compile_all(self.templates)
        with suppress(ImportError):  # the web extra brings it; without it XLSX downloads say so
            import openpyxl  # type: ignore[import-untyped]  # noqa: F401

    # --- who is signed in ----------------------------------------------------------------------

    def user(self, request: Request) -> User | None:
        """The signed-in user as the store knows them now, or ``None``."""
        user_id = request.session.get("user_id")
        if not user_id:
            return None
        try:
            return self.app.store.get_user(str(user_id))
        except NotFound:
            request.session.clear()
            return None

    def require_user(self, request: Request) -> User:
        """The signed-in user; else the person is sent to sign in."""
        user = self.user(request)
        if user is None:
            raise SignInRequired
        return user

    def require_firm_user(self, request: Request) -> User:
        """A signed-in admin or member of a firm (support staff have their own pages)."""
        user = self.require_user(request)
        if user.role == "support":
            raise HTTPException(403, "Support staff work from the support pages.")
        return user

    # --- answering -----------------------------------------------------------------------------

    def language(self, request: Request) -> str:
        """The person's language."""
        return choose_language(request.session.get("lang"), request.headers.get("accept-language", ""))

    def gettext(self, request: Request) -> Any:
        """The ``_`` of the person's language."""
        return translations(self.language(request)).gettext

    def flash(self, request: Request, message: str, kind: str = "info") -> None:
        """Keep a message for the next page the person sees."""
        self.flashes.setdefault(csrf_token(request), []).append((kind, message))

    def render(self, request: Request, template: str, code: int = 200, **context: Any) -> HTMLResponse:
        """A page in the person's language, with the user, messages and CSRF token at hand."""
        user = self.user(request)
        language = self.language(request)
        gettext = translations(language).gettext
        messages = self.flashes.pop(csrf_token(request), [])
        page = self.templates.get_template(template).render(
            request=request, user=user, _=gettext, lang=language, languages=LANGUAGES,
            csrf=csrf_token(request), messages=messages, path=request.url.path, **context,
        )
        return HTMLResponse(page, status_code=code)

    @staticmethod
    def redirect(url: str) -> RedirectResponse:
        """After a form: see the page (303, so a reload does not post again)."""
        return RedirectResponse(url, status_code=303)

    # --- packages ------------------------------------------------------------------------------

    def callback_url(self) -> str:
        """Where packages send the person back after their login."""
        return f"{self.settings.base_url.rstrip('/')}/oauth/callback"

    def oauth_app(self, connector: str) -> OAuthApp:
        """The host's OAuth app at the package (the sandbox's own app in sandbox mode)."""
        sandbox = self.sandboxes.get(connector)
        if sandbox is not None:
            config = sandbox.connection_config()
            return OAuthApp(str(config["client_id"]), sandbox.connection_secrets().get("client_secret"))
        found = self.settings.oauth_apps.get(connector)
        if found is None:
            raise HTTPException(
                503, f"No OAuth app is configured for {connector}: set SFSYNC_OAUTH_"
                f"{connector.upper().replace('-', '_')}_CLIENT_ID (and _CLIENT_SECRET) for the host.")
        return found

    def oauth_config(self, connector: str) -> dict[str, Any]:
        """Non-secret settings of a new OAuth connection (a sandbox's region, say)."""
        sandbox = self.sandboxes.get(connector)
        if sandbox is None:
            return {}
        return {k: v for k, v in sandbox.connection_config().items() if k != "client_id"}

    def login_url(self, authorize_url: str) -> str:
        """Where to send the person to log in at the package."""
        return through_gateway(authorize_url) if self.sandboxes else authorize_url

    def login_origins(self) -> list[str]:
        """The origins of the packages' login pages (forms may lead there)."""
        origins = []
        for name in self.app.registry.connectors:
            spec = self.app.registry.connector(name).auth
            if isinstance(spec, OAuth2Spec):
                parts = urlsplit(spec.authorize_url)
                origins.append(f"{parts.scheme}://{parts.netloc}")
        return origins

    def start_sync(self, user: User, dossier_id: str) -> bool:
        """Sync the dossier now as ``user``, in the background (its progress on its page);
        ``False`` when the host is syncing it already."""
        return self.progress.start(dossier_id, lambda observer: self.app.sync_now(user, dossier_id, observer=observer))

    def today(self) -> dt.date:
        """Today on the core's clock."""
        return self.app.clock.now().date()
