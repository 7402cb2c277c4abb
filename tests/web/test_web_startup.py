"""What the host does before its first request (issue 27): every template compiled when the app
is built, the compiled code shared by the process's hosts, an edited template compiled afresh."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from jinja2 import Environment, FileSystemLoader
from sfsync.web import build_app
from sfsync.web.compiled_templates import COMPILED, CompiledInMemory, compile_all
from sfsync.web.host import Host

from .conftest import browser_for


def _refuse_compiling(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("a template was compiled during a request")


def test_no_page_compiles_a_template_once_the_app_is_built(host: Host, monkeypatch: pytest.MonkeyPatch) -> None:
    COMPILED.clear()  # as in a new process: nothing compiled by an earlier test's host
    build_app(host)
    monkeypatch.setattr(host.templates, "compile", _refuse_compiling)

    async def go() -> None:
        browser = browser_for(host)
        await browser.sign_in("anne@dupont.be")
        for url in ("/dossiers", "/syncs", "/syncs/new", "/dossiers/new"):
            assert (await browser.client.get(url)).status_code == 200, url
        await browser.client.aclose()

    asyncio.run(go())


def test_a_second_environment_loads_the_compiled_code_and_an_edited_template_is_compiled_again(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text("Hello {{ name }}")
    cache = CompiledInMemory()
    first = Environment(loader=FileSystemLoader(tmp_path), bytecode_cache=cache)
    assert compile_all(first) == 1
    second = Environment(loader=FileSystemLoader(tmp_path), bytecode_cache=cache)
    compiled = second.compile
    second.compile = _refuse_compiling  # type: ignore[method-assign]
    assert second.get_template("page.html").render(name="Anne") == "Hello Anne"
    (tmp_path / "page.html").write_text("Dag {{ name }}")
    third = Environment(loader=FileSystemLoader(tmp_path), bytecode_cache=cache)
    assert third.get_template("page.html").render(name="Anne") == "Dag Anne"
    second.compile = compiled  # type: ignore[method-assign]
    cache.clear()
