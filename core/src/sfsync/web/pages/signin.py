"""Signing in and out, and the language switch."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from sfsync.web.i18n import LANGUAGES
from sfsync.web.pages import host_of
from sfsync.web.security import posted

__all__ = ["home", "language", "sign_in", "sign_in_page", "sign_out"]


def _local(url: str) -> str:
    """Only a path of this host: an open redirect would lend the host's name to a phishing page."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not url.startswith("/") or url.startswith("//"):
        return "/"
    return url


async def home(request: Request) -> Response:
    """The start page: the dossiers, or the support pages for support staff."""
    host = host_of(request)
    user = host.require_user(request)
    return host.redirect("/support" if user.role == "support" else "/dossiers")


async def sign_in_page(request: Request) -> Response:
    """The sign-in form."""
    return host_of(request).render(request, "sign_in.html", next=_local(request.query_params.get("next", "/")))


@posted
async def sign_in(request: Request, form: FormData) -> Response:
    """Check the password; on success start a fresh session (a new CSRF token with it)."""
    host = host_of(request)
    email = str(form.get("email", "")).strip()
    user_id = host.passwords.check(email, str(form.get("password", "")))
    if user_id is None:
        _ = host.gettext(request)
        host.flash(request, _("The e-mail address or password is wrong."), "error")
        return host.render(request, "sign_in.html", code=401, next=_local(str(form.get("next", "/"))), email=email)
    language = request.session.get("lang")
    request.session.clear()  # no session fixation: the signed-in session is a new one
    request.session["user_id"] = user_id
    if language:
        request.session["lang"] = language
    return host.redirect(_local(str(form.get("next", "/"))))


@posted
async def sign_out(request: Request, form: FormData) -> Response:
    """End the session."""
    request.session.clear()
    return host_of(request).redirect("/sign-in")


async def language(request: Request) -> Response:
    """Switch the pages' language and go back where the person was."""
    code = request.path_params["code"]
    if code in LANGUAGES:
        request.session["lang"] = code
    return host_of(request).redirect(_local(request.query_params.get("next", "/")))
