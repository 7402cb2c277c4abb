"""One connection's session with an Odoo server: transport, version, uid and the call context.

The version and uid are kept in ``ctx.state`` (checked once when connecting), so a nightly run
spends no call on them. ``allowed_company_ids`` goes in the context of every company call, so
record rules and company-dependent fields (the account code in 18+) answer for that company.
"""

from __future__ import annotations

import weakref
from typing import Any

from sfsync.context import ConnectorContext
from sfsync.errors import ConfigurationError, FatalError

from sfsync_odoo.transports import TRANSPORTS, JsonRpcTransport, Transport, XmlRpcTransport
from sfsync_odoo.versions import Profile, major_version

__all__ = ["OdooClient", "client_for"]

_CLIENTS: weakref.WeakKeyDictionary[ConnectorContext, OdooClient] = weakref.WeakKeyDictionary()


def client_for(ctx: ConnectorContext) -> OdooClient:
    """The session of this context (one per run)."""
    client = _CLIENTS.get(ctx)
    if client is None:
        client = _CLIENTS[ctx] = OdooClient(ctx)
    return client


class OdooClient:
    def __init__(self, ctx: ConnectorContext) -> None:
        self.ctx = ctx
        url = str(ctx.config.get("url") or "").strip().rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise ConfigurationError(f"the Odoo server URL must start with https:// (got {url!r})")
        self.url = url
        self.database = str(ctx.config.get("database") or "")
        self.login = str(ctx.config.get("login") or "")
        self.wanted = str(ctx.config.get("transport") or "auto")
        if self.wanted not in ("auto", *TRANSPORTS):
            raise ConfigurationError(f"unknown Odoo transport {self.wanted!r}; use auto, xmlrpc, jsonrpc or json2")
        self.page_size = int(ctx.config.get("page_size") or 1000)
        self.transport: Transport | None = None
        self.profile: Profile | None = None
        self.calls = 0

    def __repr__(self) -> str:
        return f"OdooClient(url={self.url!r}, database={self.database!r}, login={self.login!r})"

    def _make(self, name: str) -> Transport:
        http = self.ctx.http(self.url)
        return TRANSPORTS[name](http, database=self.database, login=self.login, secret=self.ctx.secrets["api_key"])

    async def connect(self, *, fresh: bool = False) -> Profile:
        """Detect the version, pick the transport and check the credentials (cached in state)."""
        if self.transport is not None and self.profile is not None and not fresh:
            return self.profile
        saved = self.ctx.state.get("odoo") if not fresh else None
        key = [self.url, self.database, self.login, self.wanted]
        if isinstance(saved, dict) and saved.get("key") == key:
            self.profile = Profile(int(saved["major"]))
            self.transport = self._make(str(saved["transport"]))
            self.transport.uid = int(saved["uid"])
            return self.profile
        probe: Transport = XmlRpcTransport(self.ctx.http(self.url), database=self.database, login=self.login, secret="") \
            if self.wanted == "xmlrpc" else JsonRpcTransport(self.ctx.http(self.url), database=self.database, login=self.login, secret="")
        self.calls += 1
        try:
            major = major_version(await probe.version())
        except FatalError as exc:
            if self.wanted not in ("auto", "json2") or exc.response is None or exc.response.status_code != 404:
                raise
            # No /jsonrpc (removed in Odoo 22): ask JSON-2 for the installed base module's version.
            major = await self._json2_version()
        name = self.wanted
        if name == "auto":
            name = "json2" if major >= 19 else "jsonrpc"
        if name == "json2" and major < 19:
            raise ConfigurationError(f"this Odoo is version {major}; JSON-2 exists from 19 on: pick xmlrpc or jsonrpc")
        self.profile = Profile(major)
        self.transport = self._make(name)
        self.calls += 1
        uid = await self.transport.login()
        self.ctx.state["odoo"] = {"key": key, "major": major, "transport": name, "uid": uid}
        await self.ctx.save_state()
        return self.profile

    async def _json2_version(self) -> int:
        transport = self._make("json2")
        self.calls += 1
        rows = await transport.call("ir.module.module", "search_read", [["name", "=", "base"]],
                                    {"fields": ["latest_version"], "limit": 1})
        version = str(rows[0].get("latest_version") or "") if rows else ""
        return major_version({"server_version": version})

    async def call(self, model: str, method: str, first: Any = None, *, company: int | None = None,
                   archived: bool = False, **kwargs: Any) -> Any:
        """``model.method(first, **kwargs)`` with the context of ``company``."""
        await self.connect()
        assert self.transport is not None and self.profile is not None
        context: dict[str, Any] = {"lang": "en_US", "tz": "UTC"}
        if company is not None:
            context["allowed_company_ids"] = [company]
        if archived:
            context["active_test"] = False
        self.calls += 1
        try:
            return await self.transport.call(model, method, first, {**kwargs, "context": context})
        except FatalError as exc:
            if "Invalid field" in exc.message and self.ctx.state.get("odoo"):
                # The server may have been upgraded since the version was cached: detect again.
                self.ctx.state.pop("odoo", None)
                old = self.profile.major
                if (await self.connect(fresh=True)).major != old:
                    self.ctx.warn(f"Odoo was upgraded from {old} to {self.profile.major}; field names follow")
                    raise FatalError(
                        f"Odoo was upgraded from {old} to {self.profile.major} during the sync; sync again"
                    ) from exc
            raise

    async def search_read_all(self, model: str, domain: list[Any], fields: list[str], *, company: int | None,
                              archived: bool = False) -> list[dict[str, Any]]:
        """Every record of a (small) model, paged by id."""
        out: list[dict[str, Any]] = []
        last = 0
        while True:
            rows = await self.call(model, "search_read", [*domain, ["id", ">", last]] if domain else [["id", ">", last]],
                                   company=company, archived=archived, fields=fields, order="id asc",
                                   limit=self.page_size)
            if not isinstance(rows, list):
                raise FatalError(f"Odoo's {model}.search_read answered {type(rows).__name__}, not a list")
            out.extend(rows)
            if len(rows) < self.page_size:
                return out
            last = int(rows[-1]["id"])
