"""The plugin is found the way a firm's installation finds it: through its entry point."""

import importlib_metadata
from sfsync.plugins import PluginRegistry


def test_winbooks_online_entry_point_is_installed():
    eps = importlib_metadata.entry_points(group="sfsync")
    names = {ep.name: ep for ep in eps}
    assert "winbooks-online" in names
    ep = names["winbooks-online"]
    assert ep.value == "sfsync_winbooks_online.connector:winbooks_online"
    assert ep.dist is not None
    assert ep.dist.name == "sfsync-winbooks-online"


def test_winbooks_online_is_discovered_by_the_registry(monkeypatch):
    monkeypatch.delenv("SFSYNC_LOAD_PLUGINS", raising=False)
    registry = PluginRegistry()
    registry.load_entry_points()
    broken = [b for b in registry.broken if b.name == "winbooks-online"]
    assert broken == []
    loaded = registry.connector("winbooks-online")
    assert loaded.info.name == "winbooks-online"
    assert loaded.distribution == "sfsync-winbooks-online"
    assert loaded.auth.flavour == "form"
    assert loaded.auth.level.value == "support"
    assert "sandbox" in loaded.capabilities
    assert ("fetch_ledger" in loaded.capabilities) is True
    assert ("fetch_trial_balance" in loaded.capabilities) is False
    assert ("fetch_company_details" in loaded.capabilities) is True
    assert ("fetch_opening_balances" in loaded.capabilities) is True


def test_winbooks_online_is_skipped_when_not_wanted(monkeypatch):
    monkeypatch.setenv("SFSYNC_LOAD_PLUGINS", "")
    registry = PluginRegistry()
    registry.load_entry_points()
    assert "winbooks-online" not in registry.connectors
