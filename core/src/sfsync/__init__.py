"""sfsync: keep an accounting firm's dossiers filled with figures from accounting packages.

Importing ``sfsync`` loads no plugin: plugins are discovered on first use
(:func:`sfsync.plugins.get_registry`).
"""

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
