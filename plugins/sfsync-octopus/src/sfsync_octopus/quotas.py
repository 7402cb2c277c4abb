"""How Octopus counts its daily quotas: per endpoint and dossier (shared by connector and sandbox).

An endpoint is a path with its ids replaced (``/dossiers/{id}/bookyears/{id}/bookings/modified``):
per-endpoint daily limits exist (a third-party connector exposes a per-endpoint daily-quota
tool); that they are also per dossier is assumed (:mod:`sfsync_octopus.assumed`).
"""

from __future__ import annotations

import re

__all__ = ["dossier_of", "endpoint_of", "quota_key"]

_ID = re.compile(r"/\d+(?=/|$)")
_DOSSIER = re.compile(r"/dossiers/(\d+)")


def endpoint_of(path: str) -> str:
    """The endpoint a path calls, ids replaced by ``{id}``."""
    return _ID.sub("/{id}", path.split("/v1", 1)[-1])


def dossier_of(path: str) -> str | None:
    """The dossier a path names, if any."""
    found = _DOSSIER.search(path)
    return found.group(1) if found else None


def quota_key(method: str, path: str) -> str:
    """The key of the daily quota a call counts against: its dossier (``-`` for the login and
    the dossier list, which name none), method and endpoint."""
    return f"{dossier_of(path) or '-'}:{method.upper()} {endpoint_of(path)}"
