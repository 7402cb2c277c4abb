"""Shared fixtures of the sfsync web tests: a host in sandbox mode on the real plugins (Exact,
Xero, XeroTB, on-premise, Yuki, Octopus and AFAS, support-level packages, and AdminPulse, an
administrative one), its people with passwords, and a signed-in HTTP client (httpx on the ASGI
app; the browser tests serve it)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

pytest.importorskip("starlette")
pytest.importorskip("sfsync_octopus")
pytest.importorskip("sfsync_afas")
pytest.importorskip("sfsync_adminpulse")

from argon2 import PasswordHasher
from sfsync.plugins import PluginRegistry, get_registry
from sfsync.web import WebSettings, build_app, create_host
from sfsync.web.host import Host
from sfsync.web.passwords import PasswordBook

PASSWORD = "correct horse battery"


def web_registry() -> PluginRegistry:
    installed = get_registry()
    registry = PluginRegistry()
    # Octopus and AFAS are the support-level packages (support staff set them up; AFAS with its
    # one-time code); AdminPulse is the administrative one (a dossier's details link).
    for name in ("exact-be", "xero", "xerotb", "onprem", "yuki", "octopus", "afas", "adminpulse"):
        loaded = installed.connector(name)
        registry.register(loaded.plugin, name, distribution=loaded.distribution, version=loaded.version)
    assert not registry.broken, registry.broken
    return registry


def make_host(folder: Path, base_url: str = "http://testserver", sandboxes: dict[str, Any] | None = None) -> Host:
    settings = WebSettings(db=folder / "web.sqlite3", session_secret="s" * 48, sandbox=True, base_url=base_url)
    registry = web_registry()
    host = create_host(settings, registry=registry, sandboxes=sandboxes)
    app = host.app
    firm = app.create_firm("Fiduciaire Dupont")
    other = app.create_firm("Cabinet Martin")
    people = {
        "admin": app.add_user(firm.id, "anne@dupont.be", "admin"),
        "member": app.add_user(firm.id, "bram@dupont.be", "member"),
        "other": app.add_user(other.id, "claire@martin.be", "admin"),
        "support": app.add_support_user("help@host.test"),
    }
    # Cheap Argon2 parameters for tests (argon2-cffi's defaults take about a second here).
    host.passwords = PasswordBook(path=settings.db, hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    for user in people.values():
        host.passwords.set_password(user.email, user.id, PASSWORD)
    host.people = people  # type: ignore[attr-defined]
    host.firm = firm  # type: ignore[attr-defined]
    return host


@pytest.fixture(scope="session")
def shared_sandboxes() -> dict[str, Any]:
    """The sandboxes, started once: the safety tests only read their seeded books (each test
    has its own host and store; a test that changes a sandbox makes its own host)."""
    from sfsync.demo import start_sandboxes

    started, failures = start_sandboxes(web_registry())
    assert not failures, failures
    return started


@pytest.fixture
def host(tmp_path: Path, shared_sandboxes: dict[str, Any]) -> Iterator[Host]:
    made = make_host(tmp_path, sandboxes=shared_sandboxes)
    yield made
    made.app.store.close()


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "the page has no form with a CSRF token"
    return html.unescape(found.group(1))


class Browser:
    """An httpx client on the host that signs in and posts forms with their CSRF token."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def sign_in(self, email: str, password: str = PASSWORD) -> httpx.Response:
        page = await self.client.get("/sign-in")
        return await self.client.post("/sign-in", data={"csrf": csrf_of(page.text), "email": email,
                                                        "password": password, "next": "/"})

    async def token(self) -> str:
        return csrf_of((await self.client.get("/dossiers/new")).text)

    async def post(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> httpx.Response:
        page = await self.client.get("/sign-in")
        return await self.client.post(url, data={"csrf": csrf_of(page.text), **(data or {})}, **kwargs)


def browser_for(host: Host) -> Browser:
    """A new person's browser on the host (its own cookies)."""
    transport = httpx.ASGITransport(app=build_app(host))
    return Browser(httpx.AsyncClient(transport=transport, base_url="http://testserver", headers={"Accept-Language": "en"}))
