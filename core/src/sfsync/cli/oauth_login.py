"""OAuth2 logins from a terminal: a loopback callback, or the redirect URL pasted back.

On a desktop the browser opens and the package redirects to ``http://127.0.0.1:PORT/callback``,
where a one-shot server receives it. On a server reached over SSH there is no browser that can
reach that port: with ``--paste`` (the default when ``SSH_CONNECTION`` is set and no display is)
the command prints the login URL, the admin opens it anywhere, and pastes back the address the
browser ended on (it fails to load, which is expected; its query holds the code). ``state`` is
checked either way. With ``--sandbox`` the login at the sandbox's page is done for you; if that
login fails, the wait ends at once with its error instead of running out the timeout.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import click

from sfsync.cli.coroutines import run_coroutine

if TYPE_CHECKING:
    from sfsync.cli.state import State
    from sfsync.store.base import ConnectionRecord, User

__all__ = ["DEFAULT_PORT", "CallbackServer", "oauth_login", "oauth_options", "wants_paste"]

DEFAULT_PORT = 8765
"""The loopback callback's default port: the redirect URI firms register in their package apps
(``http://127.0.0.1:8765/callback``); ``agent serve`` listens on 8766 by default."""


def oauth_options(func: Any) -> Any:
    """The options every command that may run an OAuth2 login takes."""
    for option in reversed((
        click.option("--client-id", envvar="SFSYNC_CLIENT_ID", help="OAuth2: the app's client id."),
        click.option("--client-secret", envvar="SFSYNC_CLIENT_SECRET",
                     help="OAuth2: the app's client secret (- for stdin; or SFSYNC_CLIENT_SECRET)."),
        click.option("--port", default=DEFAULT_PORT, show_default=True, help="OAuth2: the loopback callback port."),
        click.option("--paste", is_flag=True, default=None,
                     help="OAuth2: paste the redirect URL back instead of a loopback callback "
                          "(default over SSH without a display)."),
        click.option("--login-timeout", default=300, show_default=True,
                     help="OAuth2: seconds to wait for the login to come back."),
    )):
        func = option(func)
    return func


def wants_paste(paste: bool | None) -> bool:
    """Paste mode when asked, or by default in an SSH session without a display."""
    if paste is not None:
        return paste
    return bool(os.environ.get("SSH_CONNECTION")) and not os.environ.get("DISPLAY")


class CallbackServer:
    """Listens on the loopback port (bound before the user is sent away) for the OAuth2 redirect."""

    def __init__(self, port: int) -> None:
        import http.server  # here, not at the top: `sfsync connect --help` need not import it

        from sfsync.errors import ConfigurationError

        self.port = port
        self.received: list[str] = []
        self.failure: BaseException | None = None
        received = self.received

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                received.append(f"http://127.0.0.1:{port}{self.path}")
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.end_headers()
                self.wfile.write(b"sfsync: you may close this window.")

            def log_message(self, *args: Any) -> None:
                pass

        try:
            self.server = http.server.HTTPServer(("127.0.0.1", port), Handler)
        except OSError as exc:
            raise ConfigurationError(f"port {port} is taken; pass --port with a free one") from exc

    def fail(self, exc: BaseException) -> None:
        """Stop waiting: the login cannot come back (called from the login thread)."""
        self.failure = exc

    def wait(self, timeout: float) -> str:
        """Serve until the redirect arrives, the login fails, or ``timeout`` seconds pass."""
        import time

        from sfsync.errors import ConfigurationError

        deadline = time.monotonic() + timeout
        self.server.timeout = 0.2  # short waits, so a failed login is noticed at once
        try:
            while not self.received and self.failure is None and time.monotonic() < deadline:
                self.server.handle_request()
        finally:
            self.server.server_close()
        if self.received:
            return self.received[0]
        if self.failure is not None:
            raise ConfigurationError(f"the login did not complete: {self.failure}") from self.failure
        raise ConfigurationError(
            f"no login came back on port {self.port} within {timeout:.0f} s; run it again (or use --paste)"
        )


def oauth_login(
    state: State,
    actor: User,
    connector: str,
    *,
    values: dict[str, Any],
    label: str | None,
    client_id: str | None,
    client_secret: str | None,
    port: int,
    paste: bool | None = None,
    timeout: float = 300,
    dossier_id: str | None = None,
    connection_id: str | None = None,
) -> ConnectionRecord:
    """The OAuth2 login: print the authorize URL, receive the redirect (loopback or pasted),
    check ``state`` and store the tokens."""
    from sfsync.errors import ConfigurationError

    sandbox = state.sandboxes.get(connector)
    if sandbox is not None:
        defaults = dict(sandbox.connection_config())
        client_id = client_id or str(defaults.pop("client_id", ""))
        client_secret = client_secret or sandbox.connection_secrets().get("client_secret")
        values = {**defaults, **values}
    if not client_id:
        raise ConfigurationError("OAuth2 needs the app's --client-id (and --client-secret), or SFSYNC_CLIENT_ID")
    redirect = f"http://127.0.0.1:{port}/callback"
    pending = state.app.start_oauth(actor, connector, redirect_uri=redirect, client_id=client_id,
                                    client_secret=client_secret, config=values, label=label,
                                    dossier_id=dossier_id, connection_id=connection_id)
    pasted = wants_paste(paste) and sandbox is None
    server = None if pasted else CallbackServer(port)
    # On stderr: what a person reads and answers, never mixed into a --json answer on stdout.
    click.echo(f"Log in at the package to allow sfsync:\n{pending.authorize_url}", err=True)
    if pasted:
        click.echo("Open that address in any browser. When the package sends you to 127.0.0.1 (the page does "
                   "not load: that is expected), copy the whole address from the address bar and paste it here.",
                   err=True)
        callback = click.prompt("redirect URL", err=True).strip()
    else:
        assert server is not None
        if sandbox is not None:
            import threading

            threading.Thread(target=_sandbox_login, args=(sandbox, pending.authorize_url, state.sandbox_url, server),
                             daemon=True).start()
        else:
            import webbrowser

            webbrowser.open(pending.authorize_url)
        callback = server.wait(timeout=timeout)
    return run_coroutine(state.app.finish_oauth(actor, callback))


def _sandbox_login(sandbox: Any, authorize_url: str, served_at: str | None, server: CallbackServer) -> None:
    """Log in at a sandbox's authorize page as a person would, then follow its redirect to the
    loopback port, exactly as a browser would; a failure ends the wait at once."""
    import httpx

    from sfsync.context import RoutingTransport
    from sfsync.sandbox_server import ForwardingTransport

    transport: httpx.AsyncBaseTransport = (
        ForwardingTransport(served_at) if served_at else RoutingTransport(sandbox.transports())
    )

    async def login() -> str:
        async with httpx.AsyncClient(transport=transport) as client:
            return await sandbox.authorize(client, authorize_url)  # type: ignore[no-any-return]

    try:
        callback = run_coroutine(login())
        httpx.get(callback, timeout=30)
    except Exception as exc:  # reported by the waiting command, not lost in this thread
        server.fail(exc)
