"""The plugin is found the way a firm's installation finds it: through its entry point."""

import importlib_metadata
from sfsync.plugins import PluginRegistry


def test_{{ cookiecutter.__slug }}_entry_point_is_installed():
    eps = importlib_metadata.entry_points(group="sfsync")
    names = {ep.name: ep for ep in eps}
    assert "{{ cookiecutter.connector_name }}" in names
    ep = names["{{ cookiecutter.connector_name }}"]
    assert ep.value == "{{ cookiecutter.module_name }}.connector:{{ cookiecutter.__slug }}"
    assert ep.dist is not None
    assert ep.dist.name == "{{ cookiecutter.plugin_name }}"


def test_{{ cookiecutter.__slug }}_is_discovered_by_the_registry(monkeypatch):
    monkeypatch.delenv("SFSYNC_LOAD_PLUGINS", raising=False)
    registry = PluginRegistry()
    registry.load_entry_points()
    broken = [b for b in registry.broken if b.name == "{{ cookiecutter.connector_name }}"]
    assert broken == []
    loaded = registry.connector("{{ cookiecutter.connector_name }}")
    assert loaded.info.name == "{{ cookiecutter.connector_name }}"
    assert loaded.distribution == "{{ cookiecutter.plugin_name }}"
    assert loaded.auth.flavour == "{{ cookiecutter.auth_flavour }}"
    assert loaded.auth.level.value == "{{ cookiecutter.connection_level }}"
    assert "sandbox" in loaded.capabilities
{%- set caps = cookiecutter.capabilities.replace(' ', '').split(',') %}
{%- for cap in ["ledger", "trial_balance", "company_details", "opening_balances"] %}
{%- set hook = "fetch_" ~ cap %}
    assert ("{{ hook }}" in loaded.capabilities) is {{ "True" if cap in caps else "False" }}
{%- endfor %}


def test_{{ cookiecutter.__slug }}_is_skipped_when_not_wanted(monkeypatch):
    monkeypatch.setenv("SFSYNC_LOAD_PLUGINS", "")
    registry = PluginRegistry()
    registry.load_entry_points()
    assert "{{ cookiecutter.connector_name }}" not in registry.connectors
