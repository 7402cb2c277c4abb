"""What ``sfsync web`` is configured with: where it keeps its data, its session key, its public
address (the OAuth callback is built from it) and the OAuth apps it logs in to packages with."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["OAuthApp", "WebSettings"]


@dataclass(frozen=True)
class OAuthApp:
    """The host's registered app at an OAuth2 package (its client id and, if any, secret)."""

    client_id: str
    client_secret: str | None = None

    def __repr__(self) -> str:  # the secret stays out of logs and tracebacks
        return f"OAuthApp(client_id={self.client_id!r}, client_secret={'***' if self.client_secret else None})"


@dataclass(frozen=True)
class WebSettings:
    """The host's settings.

    Attributes:
        db: The embedded SQLite file (the default store).
        postgres_dsn: Use PostgreSQL instead (``SFSYNC_POSTGRES_DSN``).
        base_url: The address people reach the host at; OAuth callbacks go to
            ``{base_url}/oauth/callback``.
        session_secret: Signs the session cookie. Read from ``SFSYNC_WEB_SECRET``, else from a
            key file beside ``db`` made on first start.
        sandbox: Route every package to its offline sandbox (the demo, the browser tests); the
            sandboxes' login pages are then served under ``/_sandbox/``.
        oauth_apps: Connector → the host's OAuth app there (``SFSYNC_OAUTH_<NAME>_CLIENT_ID`` and
            ``…_CLIENT_SECRET``, the name upper-cased with ``-`` as ``_``).
        secure_cookies: Send the session cookie over HTTPS only (on behind TLS).
    """

    db: Path = Path("sfsync.sqlite3")
    postgres_dsn: str | None = None
    base_url: str = "http://127.0.0.1:8000"
    session_secret: str = field(default="", repr=False)
    sandbox: bool = False
    oauth_apps: Mapping[str, OAuthApp] = field(default_factory=dict)
    secure_cookies: bool = False

    @classmethod
    def from_environment(cls, db: Path, **given: object) -> WebSettings:
        """Settings from ``SFSYNC_*`` variables, with ``given`` ones taking precedence."""
        apps: dict[str, OAuthApp] = {}
        for name, value in os.environ.items():
            if name.startswith("SFSYNC_OAUTH_") and name.endswith("_CLIENT_ID"):
                connector = name[len("SFSYNC_OAUTH_"):-len("_CLIENT_ID")]
                secret = os.environ.get(f"SFSYNC_OAUTH_{connector}_CLIENT_SECRET")
                apps[connector.lower().replace("_", "-")] = OAuthApp(value, secret)
        secret = os.environ.get("SFSYNC_WEB_SECRET") or _key_file(db.with_name(db.name + ".web-key"))
        values: dict[str, object] = {
            "db": db, "postgres_dsn": os.environ.get("SFSYNC_POSTGRES_DSN") or None,
            "session_secret": secret, "oauth_apps": apps,
        }
        values.update({k: v for k, v in given.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]


def _key_file(path: Path) -> str:
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(48)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(key)
    return key
