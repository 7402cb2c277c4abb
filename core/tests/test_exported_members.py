"""The public API is pinned: a change to ``sfsync.__all__`` is a deliberate, reviewed change."""

import sfsync

PINNED = {
    "Account", "AccountKind", "AgentSpec", "Clock", "Company", "CompanyDetails", "ConnectionLevel",
    "ConnectorContext", "ConnectorInfo", "DossierStatus", "FakeClock", "FiscalYear", "FormSpec", "Granularity",
    "LedgerBatch", "LedgerColumns", "LedgerLine", "OAuth2Spec", "OpeningBalance", "Period", "SQLiteStore", "ScaledClock",
    "Secrets", "Sfsync", "Store", "SyncMode", "TokenSet", "TrialBalanceBatch", "TrialBalanceLine",
    "__version__", "hookimpl",
}


def test_all_is_pinned():
    assert set(sfsync.__all__) == PINNED


def test_every_public_name_exists_and_is_documented():
    for name in sfsync.__all__:
        value = getattr(sfsync, name)
        if name != "__version__" and callable(value):
            assert (value.__doc__ or "").strip(), f"{name} has no docstring"
