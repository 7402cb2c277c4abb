"""``sfsync web``: the reference host, the worked example of embedding :class:`sfsync.Sfsync`.

Install it with ``pip install sfsync[web]`` and start it with ``sfsync web``. Every page acts as
the signed-in person through the public API (the core enforces the roles); the host adds only
what a host must: sign-in with Argon2-hashed passwords, signed sessions, CSRF tokens, security
headers, the pages in Dutch, French and English, and the OAuth callback packages come back to.

>>> from sfsync.web import WebSettings, build_app, create_host      # doctest: +SKIP
>>> asgi = build_app(create_host(WebSettings(db=Path("firm.sqlite3"))))  # doctest: +SKIP

Importing this package loads nothing heavy; its names are imported on first use, so the
``sfsync`` command stays quick.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["OAuthApp", "WebSettings", "build_app", "create_host"]

_HOME = {"OAuthApp": "settings", "WebSettings": "settings", "build_app": "app", "create_host": "factory"}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'sfsync.web' has no attribute {name!r}")
    return getattr(importlib.import_module(f"sfsync.web.{_HOME[name]}"), name)
