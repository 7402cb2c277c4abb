"""The plugin is found the way a firm's installation finds it: through its entry point."""

import importlib_metadata
from sfsync.plugins import PluginRegistry


def test_afas_entry_point_is_installed():
    eps = importlib_metadata.entry_points(group="sfsync")
    names = {ep.name: ep for ep in eps}
    assert "afas" in names
    ep = names["afas"]
    assert ep.value == "sfsync_afas.connector:afas"
    assert ep.dist is not None
    assert ep.dist.name == "sfsync-afas"


def test_afas_is_discovered_by_the_registry(monkeypatch):
    monkeypatch.delenv("SFSYNC_LOAD_PLUGINS", raising=False)
    registry = PluginRegistry()
    registry.load_entry_points()
    broken = [b for b in registry.broken if b.name == "afas"]
    assert broken == []
    loaded = registry.connector("afas")
    assert loaded.info.name == "afas"
    assert loaded.distribution == "sfsync-afas"
    assert loaded.auth.flavour == "form"
    assert loaded.auth.level.value == "support"
    assert "sandbox" in loaded.capabilities
    assert ("fetch_ledger" in loaded.capabilities) is True
    assert ("fetch_trial_balance" in loaded.capabilities) is True
    assert ("fetch_company_details" in loaded.capabilities) is True
    assert ("fetch_opening_balances" in loaded.capabilities) is True
    assert "send_code" in loaded.capabilities and "history_stamp" in loaded.capabilities
    assert loaded.auth.code_field == "otp"


def test_afas_is_skipped_when_not_wanted(monkeypatch):
    monkeypatch.setenv("SFSYNC_LOAD_PLUGINS", "")
    registry = PluginRegistry()
    registry.load_entry_points()
    assert "afas" not in registry.connectors
