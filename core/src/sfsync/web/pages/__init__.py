"""The pages, one module per part of the product: signing in, the firm's Syncs tab, dossiers and
their sync settings, syncing and its progress, the figures, and the support staff's pages."""

from __future__ import annotations

from starlette.requests import Request

from sfsync.web.host import Host

__all__ = ["host_of"]


def host_of(request: Request) -> Host:
    """The host serving ``request``."""
    host: Host = request.app.state.host
    return host
