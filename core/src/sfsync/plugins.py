"""Plugin discovery: the ``sfsync`` entry-point group, loaded lazily and switchably.

Each entry point names one plugin object. An object that implements
:func:`~sfsync.hookspecs.sfsync_connector_info` is a *connector* registered under the entry
point's name (which must equal its info's ``name``); any other object is a *cross-cutting* plugin
(an audit log, metrics) whose hookimpls, typically ``wrapper=True``, wrap every connector.

``SFSYNC_LOAD_PLUGINS``: unset loads every plugin; empty loads none (the escape hatch when a
broken plugin stops the command); ``a,b`` loads only the plugins with those entry-point or
distribution names.

A plugin that fails to import, claims a connector name another plugin has, implements a hook that
matches no spec (``sfsync_fetch_ledgr``) or breaks a spec's signature is reported in
:attr:`PluginRegistry.broken` with its name and the cause; every other plugin keeps working.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import importlib_metadata
import pluggy

from sfsync import hookspecs
from sfsync.auth import AuthSpec
from sfsync.errors import PluginError, UnknownConnectorError
from sfsync.metadata import ConnectorInfo

__all__ = [
    "ENTRY_POINT_GROUP",
    "OPTIONAL_HOOKS",
    "BrokenPlugin",
    "DeferredRegistry",
    "LoadedConnector",
    "PluginRegistry",
    "capabilities",
    "get_registry",
    "reset_registry",
]

ENTRY_POINT_GROUP = "sfsync"

OPTIONAL_HOOKS = (
    "sfsync_check_connection",
    "sfsync_send_code",
    "sfsync_list_companies",
    "sfsync_fetch_company_details",
    "sfsync_fetch_fiscal_years",
    "sfsync_fetch_accounts",
    "sfsync_fetch_ledger",
    "sfsync_fetch_trial_balance",
    "sfsync_fetch_opening_balances",
    "sfsync_history_stamp",
    "sfsync_read_export",
    "sfsync_sandbox",
    "sfsync_register_commands",
)
"""Hooks whose presence on a connector is a capability."""


def capabilities(plugin: object) -> tuple[str, ...]:
    """The optional hooks a connector object implements, without their ``sfsync_`` prefix."""
    return tuple(
        hook.removeprefix("sfsync_")
        for hook in OPTIONAL_HOOKS
        if callable(getattr(plugin, hook, None))
        and getattr(getattr(plugin, hook), "sfsync_impl", None) is not None
    )


@dataclass(frozen=True)
class LoadedConnector:
    """A registered connector and what it said about itself."""

    name: str
    plugin: object
    info: ConnectorInfo
    auth: AuthSpec
    distribution: str = ""
    version: str = ""

    @property
    def capabilities(self) -> tuple[str, ...]:
        """The optional hooks it implements."""
        return capabilities(self.plugin)


@dataclass(frozen=True)
class BrokenPlugin:
    """A plugin that could not be used, and why."""

    name: str
    distribution: str
    error: str


@dataclass
class PluginRegistry:
    """The plugin manager with its connectors, cross-cutting plugins and broken plugins."""

    pm: pluggy.PluginManager = field(default_factory=lambda: _new_manager())
    connectors: dict[str, LoadedConnector] = field(default_factory=dict)
    others: dict[str, object] = field(default_factory=dict)
    broken: list[BrokenPlugin] = field(default_factory=list)
    distributions: dict[str, tuple[str, str]] = field(default_factory=dict)
    _callers: dict[tuple[str, str], Any] = field(default_factory=dict, repr=False)

    def register(self, plugin: object, name: str, *, distribution: str = "", version: str = "") -> None:
        """Register ``plugin`` under ``name``; a problem is recorded in :attr:`broken`, not raised."""
        try:
            self._register(plugin, name, distribution, version)
        except PluginError as exc:
            self.broken.append(BrokenPlugin(name, distribution, exc.message))

    def _register(self, plugin: object, name: str, distribution: str, version: str) -> None:
        if name in self.connectors or name in self.others:
            owner = self.distributions.get(name, ("?", ""))[0]
            raise PluginError(
                f"plugin {name!r} from {distribution or 'an inline plugin'} claims the name "
                f"{name!r}, which {owner} already registered; uninstall one of them"
            )
        _check_hook_names(plugin, name)
        try:
            self.pm.register(plugin, name=name)
        except (pluggy.PluginValidationError, ValueError) as exc:
            raise PluginError(f"plugin {name!r} breaks the hook contract: {exc}") from exc
        self._callers.clear()
        self.distributions[name] = (distribution, version)
        if not callable(getattr(plugin, "sfsync_connector_info", None)):
            self.others[name] = plugin
            return
        try:
            info = plugin.sfsync_connector_info()  # type: ignore[attr-defined]
            auth = plugin.sfsync_auth()  # type: ignore[attr-defined]
        except Exception as exc:
            self.pm.unregister(plugin)
            raise PluginError(f"connector {name!r} failed to describe itself: {exc!r}") from exc
        if not isinstance(info, ConnectorInfo) or info.name != name:
            self.pm.unregister(plugin)
            got = getattr(info, "name", info)
            raise PluginError(
                f"connector registered as {name!r} describes itself as {got!r}; the entry point's "
                "name and ConnectorInfo.name must be equal"
            )
        self.connectors[name] = LoadedConnector(name, plugin, info, auth, distribution, version)

    def connector(self, name: str) -> LoadedConnector:
        """The connector named ``name``, or an error that suggests close names and the install."""
        try:
            return self.connectors[name]
        except KeyError:
            pass
        from sfsync.known_plugins import install_hint

        raise UnknownConnectorError(
            f"no installed plugin carries the connector {name!r}; {install_hint(name, sorted(self.connectors))}"
        )

    def hook(self, connector: str, hook_name: str) -> Any:
        """A hook caller limited to one connector (plus every cross-cutting plugin)."""
        key = (connector, hook_name)
        caller = self._callers.get(key)
        if caller is None:
            target = self.connector(connector).plugin
            others = [c.plugin for n, c in self.connectors.items() if c.plugin is not target]
            caller = self.pm.subset_hook_caller(hook_name, remove_plugins=others)
            self._callers[key] = caller
        return caller

    def call(self, connector: str, hook_name: str, **kwargs: Any) -> Any:
        """Call one connector's hook with keyword arguments."""
        return self.hook(connector, hook_name)(**kwargs)

    def supports(self, connector: str, hook_name: str) -> bool:
        """Whether the connector implements ``hook_name``."""
        return hook_name.removeprefix("sfsync_") in self.connector(connector).capabilities

    def load_entry_points(self, entry_points: Iterable[importlib_metadata.EntryPoint] | None = None) -> None:
        """Load the ``sfsync`` entry points, honouring ``SFSYNC_LOAD_PLUGINS``."""
        wanted = _wanted_from_env()
        eps = entry_points if entry_points is not None else importlib_metadata.entry_points(group=ENTRY_POINT_GROUP)
        for ep in eps:
            dist = ep.dist.name if ep.dist is not None else ""
            version = ep.dist.version if ep.dist is not None else ""
            if wanted is not None and ep.name not in wanted and dist not in wanted:
                continue
            try:
                plugin = ep.load()
            except Exception as exc:  # a broken plugin must not stop the others
                self.broken.append(
                    BrokenPlugin(ep.name, dist, f"failed to import {ep.value}: {type(exc).__name__}: {exc}")
                )
                continue
            self.register(plugin, ep.name, distribution=dist, version=version)


def _new_manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager("sfsync")
    pm.add_hookspecs(hookspecs)
    return pm


def _check_hook_names(plugin: object, name: str) -> None:
    known = {n for n in dir(hookspecs) if n.startswith("sfsync_")}
    for attr in dir(plugin):
        if not attr.startswith("sfsync_") or attr in known:
            continue
        value = getattr(plugin, attr, None)
        if callable(value) and getattr(value, "sfsync_impl", None) is not None:
            close = difflib.get_close_matches(attr, sorted(known), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise PluginError(f"plugin {name!r} implements {attr}, which matches no sfsync hook{hint}")


def _wanted_from_env() -> set[str] | None:
    raw = os.environ.get("SFSYNC_LOAD_PLUGINS")
    if raw is None:
        return None
    return {part.strip() for part in raw.split(",") if part.strip()}


_registry: PluginRegistry | None = None


def get_registry() -> PluginRegistry:
    """The process-wide registry, loading entry points on first use (importing loads nothing)."""
    global _registry
    if _registry is None:
        registry = PluginRegistry()
        registry.load_entry_points()
        _registry = registry
    return _registry


class DeferredRegistry:
    """Stands for the process-wide registry and loads it at first use, so that opening an
    :class:`~sfsync.Sfsync` for a command that only reads the store (``sfsync status``) imports
    no plugin and none of their dependencies."""

    def __getattr__(self, name: str) -> Any:
        return getattr(get_registry(), name)

    def __repr__(self) -> str:
        return "DeferredRegistry()" if _registry is None else repr(_registry)


def reset_registry() -> None:
    """Forget the loaded plugins (tests, or after ``SFSYNC_LOAD_PLUGINS`` changes)."""
    global _registry
    _registry = None
