"""The sfsync plugins this project publishes, by connector name: the only names an error may
suggest installing.

"No connector 'exakt': pip install sfsync-exakt" would send a person to a name anyone could
register on an index (a typosquatter's). So an unknown connector's message suggests installed
connectors that are close, and ``pip install`` only for a distribution listed here.
"""

from __future__ import annotations

import difflib

__all__ = ["KNOWN_CONNECTORS", "install_hint"]

KNOWN_CONNECTORS: dict[str, str] = {
    "bocount": "sfsync-businesscentral",
    "businesscentral": "sfsync-businesscentral",
    "businesscentral-s2s": "sfsync-businesscentral",
    "exact-be": "sfsync-exact",
    "exact-nl": "sfsync-exact",
    "exact-fr": "sfsync-exact",
    "octopus": "sfsync-octopus",
    "odoo": "sfsync-odoo",
    "onprem": "sfsync-onprem",
    "quickbooks": "sfsync-quickbooks",
    "sage-accounting": "sfsync-sage",
    "twinfield": "sfsync-twinfield",
    "winbooks-online": "sfsync-winbooks-online",
    "xero": "sfsync-xero",
    "xerotb": "sfsync-xero",
    "yuki": "sfsync-yuki",
}
"""Connector name → the distribution that carries it."""


def install_hint(name: str, installed: list[str]) -> str:
    """What to say about an unknown connector ``name``: close installed ones, and how to install
    it (or a close known one) only from the published list."""
    close = difflib.get_close_matches(name, installed, n=3, cutoff=0.5)
    parts = [f"did you mean {', '.join(close)}?"] if close else []
    if name in KNOWN_CONNECTORS:
        parts.append(f"to add it: pip install {KNOWN_CONNECTORS[name]}")
    else:
        known = [k for k in difflib.get_close_matches(name, list(KNOWN_CONNECTORS), n=2, cutoff=0.6)
                 if k not in installed]
        if known:
            parts.append("or install " + ", ".join(f"{k} (pip install {KNOWN_CONNECTORS[k]})" for k in known))
        if not close and not known:
            parts.append("`sfsync plugins` lists the installed connectors")
    return " ".join(parts)
