"""sfsync: keep an accounting firm's dossiers filled with figures from accounting packages.

Importing ``sfsync`` loads no plugin: plugins are discovered on first use
(:func:`sfsync.plugins.get_registry`). The names below are imported on first access, so that
``import sfsync.cli`` (the ``sfsync`` command's ``--help`` and ``--version``) stays fast.
"""

from __future__ import annotations

import importlib

# typing.TYPE_CHECKING without importing typing: `sfsync --version` imports this module and
# nothing else (type checkers treat any constant of this name the same way).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from sfsync.api import DossierStatus, Sfsync
    from sfsync.auth import AgentSpec, ConnectionLevel, FormSpec, OAuth2Spec, TokenSet
    from sfsync.clock import Clock, FakeClock, ScaledClock
    from sfsync.context import ConnectorContext, Secrets
    from sfsync.hookspecs import hookimpl
    from sfsync.metadata import ConnectorInfo
    from sfsync.models import (
        Account,
        AccountKind,
        Company,
        CompanyDetails,
        FiscalYear,
        Granularity,
        LedgerBatch,
        LedgerColumns,
        LedgerLine,
        OpeningBalance,
        Period,
        SyncMode,
        TrialBalanceBatch,
        TrialBalanceLine,
    )
    from sfsync.store import SQLiteStore, Store

__version__ = "0.1.0"

_HOME = {
    "sfsync.api": ("DossierStatus", "Sfsync"),
    "sfsync.auth": ("AgentSpec", "ConnectionLevel", "FormSpec", "OAuth2Spec", "TokenSet"),
    "sfsync.clock": ("Clock", "FakeClock", "ScaledClock"),
    "sfsync.context": ("ConnectorContext", "Secrets"),
    "sfsync.hookspecs": ("hookimpl",),
    "sfsync.metadata": ("ConnectorInfo",),
    "sfsync.models": (
        "Account", "AccountKind", "Company", "CompanyDetails", "FiscalYear", "Granularity", "LedgerBatch",
        "LedgerColumns", "LedgerLine", "OpeningBalance", "Period", "SyncMode", "TrialBalanceBatch",
        "TrialBalanceLine",
    ),
    "sfsync.store": ("SQLiteStore", "Store"),
}
_MODULE_OF = {name: module for module, names in _HOME.items() for name in names}


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first access (PEP 562)."""
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'sfsync' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_MODULE_OF])


__all__ = [
    "Account",
    "AccountKind",
    "AgentSpec",
    "Clock",
    "Company",
    "CompanyDetails",
    "ConnectionLevel",
    "ConnectorContext",
    "ConnectorInfo",
    "DossierStatus",
    "FakeClock",
    "FiscalYear",
    "FormSpec",
    "Granularity",
    "LedgerBatch",
    "LedgerColumns",
    "LedgerLine",
    "OAuth2Spec",
    "OpeningBalance",
    "Period",
    "SQLiteStore",
    "ScaledClock",
    "Secrets",
    "Sfsync",
    "Store",
    "SyncMode",
    "TokenSet",
    "TrialBalanceBatch",
    "TrialBalanceLine",
    "__version__",
    "hookimpl",
]
