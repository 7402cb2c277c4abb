"""The plugin is found the way a firm's installation finds it: through its entry point."""

import importlib_metadata
from sfsync.plugins import PluginRegistry


def test_sage_accounting_entry_point_is_installed():
    eps = importlib_metadata.entry_points(group="sfsync")
    names = {ep.name: ep for ep in eps}
    assert "sage-accounting" in names
    ep = names["sage-accounting"]
    assert ep.value == "sfsync_sage.connector:sage_accounting"
    assert ep.dist is not None
    assert ep.dist.name == "sfsync-sage"


def test_sage_accounting_is_discovered_by_the_registry(monkeypatch):
    monkeypatch.delenv("SFSYNC_LOAD_PLUGINS", raising=False)
    registry = PluginRegistry()
    registry.load_entry_points()
    broken = [b for b in registry.broken if b.name == "sage-accounting"]
    assert broken == []
    loaded = registry.connector("sage-accounting")
    assert loaded.info.name == "sage-accounting"
    assert loaded.distribution == "sfsync-sage"
    assert loaded.auth.flavour == "oauth2"
    assert loaded.auth.level.value == "firm"
    assert "sandbox" in loaded.capabilities
    assert ("fetch_ledger" in loaded.capabilities) is True
    assert ("fetch_trial_balance" in loaded.capabilities) is True
    assert ("fetch_company_details" in loaded.capabilities) is True
    assert ("fetch_opening_balances" in loaded.capabilities) is True


def test_sage_accounting_is_skipped_when_not_wanted(monkeypatch):
    monkeypatch.setenv("SFSYNC_LOAD_PLUGINS", "")
    registry = PluginRegistry()
    registry.load_entry_points()
    assert "sage-accounting" not in registry.connectors
