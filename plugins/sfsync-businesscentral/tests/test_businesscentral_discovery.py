"""Both connectors are found the way a firm's installation finds them: through their entry points."""

import importlib_metadata
import pytest
from sfsync.plugins import PluginRegistry


@pytest.mark.parametrize("name", ["businesscentral", "bocount", "businesscentral-s2s"])
def test_entry_point_is_installed(name):
    names = {ep.name: ep for ep in importlib_metadata.entry_points(group="sfsync")}
    assert names[name].value == f"sfsync_businesscentral.connector:{name.replace('-', '_')}"
    assert names[name].dist is not None
    assert names[name].dist.name == "sfsync-businesscentral"


@pytest.mark.parametrize(("name", "flavour"), [("businesscentral", "oauth2"), ("bocount", "form"),
                                               ("businesscentral-s2s", "form")])
def test_is_discovered_by_the_registry(monkeypatch, name, flavour):
    monkeypatch.delenv("SFSYNC_LOAD_PLUGINS", raising=False)
    registry = PluginRegistry()
    registry.load_entry_points()
    assert [b for b in registry.broken if b.name == name] == []
    loaded = registry.connector(name)
    assert loaded.distribution == "sfsync-businesscentral"
    assert loaded.auth.flavour == flavour
    assert loaded.auth.level.value == "firm"
    for hook in ("sandbox", "fetch_ledger", "fetch_trial_balance", "fetch_company_details", "fetch_opening_balances",
                 "history_stamp"):
        assert hook in loaded.capabilities, hook


def test_is_skipped_when_not_wanted(monkeypatch):
    monkeypatch.setenv("SFSYNC_LOAD_PLUGINS", "")
    registry = PluginRegistry()
    registry.load_entry_points()
    assert "businesscentral" not in registry.connectors
    assert "bocount" not in registry.connectors
