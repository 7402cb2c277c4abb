"""Discovery: entry points, SFSYNC_LOAD_PLUGINS, broken plugins, limited callers, wrappers."""

from __future__ import annotations

import subprocess
import sys

import importlib_metadata
import pytest

from sfsync.echo import EchoConnector
from sfsync.errors import UnknownConnectorError
from sfsync.hookspecs import hookimpl
from sfsync.metadata import ConnectorInfo
from sfsync.plugins import PluginRegistry, capabilities


class FakeDist:
    def __init__(self, name: str) -> None:
        self.name = name
        self.version = "9.9"


def ep(name: str, value: str, dist: str = "sfsync-fake") -> importlib_metadata.EntryPoint:
    entry = importlib_metadata.EntryPoint(name=name, value=value, group="sfsync")
    return entry._for(FakeDist(dist))  # type: ignore[attr-defined]


class Renamed(EchoConnector):
    def __init__(self, name: str) -> None:
        self.name = name

    @hookimpl
    def sfsync_connector_info(self) -> ConnectorInfo:
        return ConnectorInfo(name=self.name, title=self.name)


class Misspelt:
    @hookimpl
    def sfsync_fetch_ledgr(self):  # the typo is the point
        return None


misspelt = Misspelt()
twin = Renamed("twin")
other_twin = Renamed("twin")
alpha = Renamed("alpha")


def test_importing_sfsync_loads_no_plugin():
    code = "import sfsync, sfsync.plugins as p; assert p._registry is None; print('ok')"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok"


def test_broken_plugins_are_reported_and_the_others_work(monkeypatch):
    monkeypatch.delenv("SFSYNC_LOAD_PLUGINS", raising=False)
    registry = PluginRegistry()
    registry.load_entry_points([
        ep("echo", "sfsync.echo:connector", "sfsync"),
        ep("boom", "sfsync_does_not_exist.module:connector", "sfsync-boom"),
        ep("twin", f"{__name__}:twin", "sfsync-one"),
        ep("twin", f"{__name__}:other_twin", "sfsync-two"),
        ep("typo", f"{__name__}:misspelt", "sfsync-typo"),
    ])
    assert set(registry.connectors) == {"echo", "twin"}
    errors = {b.name: b for b in registry.broken}
    assert "failed to import" in errors["boom"].error and errors["boom"].distribution == "sfsync-boom"
    assert "already registered" in errors["twin"].error and "sfsync-two" in errors["twin"].error
    assert "sfsync_fetch_ledgr" in errors["typo"].error and "sfsync_fetch_ledger" in errors["typo"].error


@pytest.mark.parametrize(
    ("setting", "expected"),
    [(None, {"echo", "alpha"}), ("", set()), ("alpha", {"alpha"}), ("sfsync", {"echo"})],
)
def test_load_plugins_switch(monkeypatch, setting, expected):
    if setting is None:
        monkeypatch.delenv("SFSYNC_LOAD_PLUGINS", raising=False)
    else:
        monkeypatch.setenv("SFSYNC_LOAD_PLUGINS", setting)
    registry = PluginRegistry()
    registry.load_entry_points([ep("echo", "sfsync.echo:connector", "sfsync"), ep("alpha", f"{__name__}:alpha", "sfsync-alpha")])
    assert set(registry.connectors) == expected


def test_info_name_must_match_the_entry_point():
    registry = PluginRegistry()
    registry.register(Renamed("beta"), "gamma")
    assert not registry.connectors and "describes itself as 'beta'" in registry.broken[0].error


def test_unknown_connector_suggests_close_names_and_the_install():
    registry = PluginRegistry()
    registry.register(Renamed("exact-be"), "exact-be")
    with pytest.raises(UnknownConnectorError) as caught:
        registry.connector("exact-nl")
    assert "exact-be" in str(caught.value) and "pip install sfsync-exact" in str(caught.value)


def test_calls_reach_one_connector_and_wrappers_wrap_all():
    seen = []

    class Audit:
        @hookimpl(wrapper=True)
        def sfsync_sandbox(self):
            result = yield
            seen.append(type(result).__name__)
            return result

    registry = PluginRegistry()
    registry.register(EchoConnector(), "echo")
    registry.register(Renamed("alpha"), "alpha")
    registry.register(Audit(), "audit")
    assert set(registry.others) == {"audit"}
    sandbox = registry.call("echo", "sfsync_sandbox")
    assert type(sandbox).__name__ == "EchoSandbox" and seen == ["EchoSandbox"]


def test_capabilities_are_read_off_the_hooks():
    caps = capabilities(EchoConnector())
    assert {"fetch_ledger", "fetch_trial_balance", "sandbox"} <= set(caps)
    assert "fetch_company_details" in caps  # echo answers the administrative hook
    assert "fetch_trial_balance" not in capabilities(object())
