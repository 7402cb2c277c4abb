"""The plugin is found the way a firm's installation finds it: through its entry point."""

import importlib_metadata
from sfsync.models import Granularity
from sfsync.plugins import PluginRegistry


def test_adminpulse_entry_point_is_installed():
    eps = importlib_metadata.entry_points(group="sfsync")
    names = {ep.name: ep for ep in eps}
    assert "adminpulse" in names
    ep = names["adminpulse"]
    assert ep.value == "sfsync_adminpulse.connector:adminpulse"
    assert ep.dist is not None
    assert ep.dist.name == "sfsync-adminpulse"


def test_adminpulse_is_discovered_by_the_registry(monkeypatch):
    monkeypatch.delenv("SFSYNC_LOAD_PLUGINS", raising=False)
    registry = PluginRegistry()
    registry.load_entry_points()
    broken = [b for b in registry.broken if b.name == "adminpulse"]
    assert broken == []
    loaded = registry.connector("adminpulse")
    assert loaded.info.name == "adminpulse"
    assert loaded.distribution == "sfsync-adminpulse"
    assert loaded.auth.flavour == "form"
    assert loaded.auth.level.value == "firm"
    assert "sandbox" in loaded.capabilities
    assert loaded.info.granularities == (Granularity.DETAILS,)
    assert ("fetch_ledger" in loaded.capabilities) is False
    assert ("fetch_fiscal_years" in loaded.capabilities) is False
    assert ("fetch_trial_balance" in loaded.capabilities) is False
    assert ("fetch_company_details" in loaded.capabilities) is True
    assert ("fetch_opening_balances" in loaded.capabilities) is False


def test_adminpulse_is_skipped_when_not_wanted(monkeypatch):
    monkeypatch.setenv("SFSYNC_LOAD_PLUGINS", "")
    registry = PluginRegistry()
    registry.load_entry_points()
    assert "adminpulse" not in registry.connectors
