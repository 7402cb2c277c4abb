"""The plugin is found the way a firm's installation finds it: through its entry point."""

import importlib_metadata
from sfsync.plugins import PluginRegistry


def test_quickbooks_entry_point_is_installed():
    eps = importlib_metadata.entry_points(group="sfsync")
    names = {ep.name: ep for ep in eps}
    assert "quickbooks" in names
    ep = names["quickbooks"]
    assert ep.value == "sfsync_quickbooks.connector:quickbooks"
    assert ep.dist is not None
    assert ep.dist.name == "sfsync-quickbooks"


def test_quickbooks_is_discovered_by_the_registry(monkeypatch):
    monkeypatch.delenv("SFSYNC_LOAD_PLUGINS", raising=False)
    registry = PluginRegistry()
    registry.load_entry_points()
    broken = [b for b in registry.broken if b.name == "quickbooks"]
    assert broken == []
    loaded = registry.connector("quickbooks")
    assert loaded.info.name == "quickbooks"
    assert loaded.distribution == "sfsync-quickbooks"
    assert loaded.auth.flavour == "oauth2"
    assert loaded.auth.level.value == "dossier"
    assert "sandbox" in loaded.capabilities
    assert ("fetch_ledger" in loaded.capabilities) is True
    assert ("fetch_trial_balance" in loaded.capabilities) is True
    assert ("fetch_company_details" in loaded.capabilities) is True
    assert ("fetch_opening_balances" in loaded.capabilities) is True


def test_quickbooks_is_skipped_when_not_wanted(monkeypatch):
    monkeypatch.setenv("SFSYNC_LOAD_PLUGINS", "")
    registry = PluginRegistry()
    registry.load_entry_points()
    assert "quickbooks" not in registry.connectors
