"""The documentation site builds, strictly, and documents what the code offers.

The site is built once per session with ``mkdocs build --strict`` into a temporary directory;
the checks then read the built HTML: a hook without a documented heading, an installed connector
without a page, a public name of ``sfsync.__all__`` or an error class that the docs do not
document, or a CLI command missing from the reference, each fails a test.
"""

from __future__ import annotations

import functools
import importlib.util
import inspect
import os
import re
import subprocess
import sys
from html import unescape
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from pydantic import BaseModel, Field, SecretStr

ROOT = Path(__file__).resolve().parents[1]


def load_docs_hooks() -> ModuleType:
    path = ROOT / "docs" / "hooks" / "sfsync_docs.py"
    spec = importlib.util.spec_from_file_location("sfsync_docs_hooks", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    env.pop("SFSYNC_LOAD_PLUGINS", None)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "-f",
            str(ROOT / "mkdocs.yml"),
            "-d",
            str(out),
        ],
        cwd=out,  # not the repo: every path in mkdocs.yml must hold from anywhere
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stdout}\n{done.stderr}"
    assert "WARNING" not in done.stderr, done.stderr
    return out


def page(site: Path, path: str) -> str:
    file = site / path / "index.html" if not path.endswith(".html") else site / path
    assert file.is_file(), f"no page {path} in the built site"
    return file.read_text(encoding="utf-8")


def heading_ids(html: str) -> set[str]:
    return set(re.findall(r'<h[1-6][^>]*\bid="([^"]+)"', html))


def all_ids(site: Path) -> set[str]:
    ids: set[str] = set()
    for file in site.rglob("*.html"):
        ids |= set(re.findall(r'\bid="([^"]+)"', file.read_text(encoding="utf-8")))
    return ids


def text_of(html: str) -> str:
    """The text of the page's article (not the navigation or the table of contents)."""
    start, end = html.find("<article"), html.find("</article>")
    if start != -1 and end != -1:
        html = html[start:end]
    return unescape(re.sub(r"<[^>]+>", "", html))


def plain(text: str) -> str:
    """Text without Markdown emphasis or code marks, whitespace collapsed."""
    return " ".join(re.sub(r"[*`]", "", text).split())


def hook_names() -> list[str]:
    from sfsync import hookspecs

    return sorted(
        name
        for name, value in vars(hookspecs).items()
        if name.startswith("sfsync_") and callable(value) and hasattr(value, "sfsync_spec")
    )


# --- the build -----------------------------------------------------------------------------------


def test_the_site_builds_strictly(site: Path) -> None:
    assert (site / "index.html").is_file()
    assert (site / "sitemap.xml").is_file()


# --- hooks ---------------------------------------------------------------------------------------


def test_hookspecs_are_found() -> None:
    names = hook_names()
    assert "sfsync_fetch_ledger" in names and "sfsync_auth" in names
    assert len(names) >= 10


@pytest.mark.parametrize("hook", hook_names())
def test_every_hook_has_a_documented_heading(site: Path, hook: str) -> None:
    from sfsync import hookspecs

    html = page(site, "plugins/hooks")
    assert f"sfsync.hookspecs.{hook}" in heading_ids(html), (
        f"{hook} has no heading in the hook reference"
    )
    doc = inspect.getdoc(getattr(hookspecs, hook))
    assert doc, f"{hook} has no docstring"
    summary = plain(doc.splitlines()[0])
    assert summary in plain(text_of(html)), f"the hook reference does not show {hook}'s docstring"


# --- connectors ----------------------------------------------------------------------------------


@functools.cache
def installed() -> Any:
    """The installed plugins, loaded once for this module (the global registry is left alone)."""
    from sfsync.plugins import PluginRegistry

    registry = PluginRegistry()
    saved = os.environ.pop("SFSYNC_LOAD_PLUGINS", None)
    try:
        registry.load_entry_points()
    finally:
        if saved is not None:
            os.environ["SFSYNC_LOAD_PLUGINS"] = saved
    return registry


def installed_connectors() -> list[str]:
    return sorted(installed().connectors)


def test_the_builtin_echo_connector_is_installed() -> None:
    # Without it the per-connector test below could pass on an empty list.
    assert "echo" in installed_connectors()


@pytest.mark.parametrize("name", installed_connectors())
def test_every_installed_connector_has_a_page(site: Path, name: str) -> None:
    loaded = installed().connector(name)
    html = page(site, f"connectors/{name}")
    text = text_of(html)
    assert loaded.info.title in text
    assert loaded.auth.flavour in text and loaded.auth.level.value in text
    for limit in loaded.info.known_limits:
        assert limit in text, f"known limit not on the page: {limit}"
    policy = loaded.info.rate_limits
    for window in policy.windows if policy else ():
        assert window.name in text
    for field in loaded.auth.fields.model_fields:
        assert field in text, f"field {field} not on the page"
    index = page(site, "connectors")
    assert f'href="{name}/"' in index, f"the connectors index does not link {name}"
    if installed().supports(name, "sfsync_sandbox"):
        # The same credentials `sfsync sandbox serve NAME` prints, so a reader can try it.
        for label, value in installed().call(name, "sfsync_sandbox").credentials().items():
            assert label in text and value in text, f"sandbox credential {label} not on the page"


def test_broken_plugins_are_listed_on_the_index(site: Path) -> None:
    text = text_of(page(site, "connectors"))
    for broken in installed().broken:
        assert broken.name in text


class _Fields(BaseModel):
    host: str = Field(description="Where the server answers")
    password: SecretStr = Field(description="The password")


def test_connector_page_renders_fields_secrets_and_limits() -> None:
    from sfsync.auth import FormSpec
    from sfsync.http.ratelimit import RateLimitPolicy, RateWindow
    from sfsync.metadata import ConnectorInfo
    from sfsync.plugins import LoadedConnector

    hooks = load_docs_hooks()
    info = ConnectorInfo(
        name="fake",
        title="Fake Books",
        rate_limits=RateLimitPolicy(windows=(RateWindow("daily", 1000, 86400),), notes="Per key."),
        known_limits=("Journals lack revaluations.",),
    )
    text = hooks.render_connector_page(
        LoadedConnector("fake", object(), info, FormSpec(fields=_Fields))
    )
    rows = {
        line.split("|")[1].strip(): line for line in text.splitlines() if line.startswith("| `")
    }
    assert "| no |" in rows["`host`"] and "Where the server answers" in rows["`host`"]
    assert "| yes |" in rows["`password`"]
    assert "| daily | 1000 | 1 day | sliding |" in text
    assert "Per key." in text and "- Journals lack revaluations." in text
    assert "| Auth flavour | `form` |" in text and "| Connection level | `firm` |" in text


def test_connectors_index_lists_broken_plugins() -> None:
    from sfsync.plugins import BrokenPlugin, PluginRegistry

    hooks = load_docs_hooks()
    registry = PluginRegistry(
        broken=[BrokenPlugin("oops", "sfsync-oops", "failed to import x: boom")]
    )
    text = hooks.render_connectors_index(registry)
    assert "No connector was installed" in text
    assert "| `oops` | `sfsync-oops` | failed to import x: boom |" in text


# --- the public API ------------------------------------------------------------------------------


def test_every_public_name_is_documented(site: Path) -> None:
    import sfsync

    ids = all_ids(site)
    missing = [name for name in sfsync.__all__ if f"sfsync.{name}" not in ids]
    assert not missing, f"names of sfsync.__all__ without a documented heading: {missing}"


def test_every_error_is_documented(site: Path) -> None:
    from sfsync import errors

    html = page(site, "plugins/errors")
    ids, text = heading_ids(html), text_of(html)
    for name in errors.__all__:
        assert f"sfsync.errors.{name}" in ids, f"{name} has no heading on the errors page"
        assert name in text.split("The classes")[0], f"{name} is missing from the errors tree"


# --- the contract suite -------------------------------------------------------------------------


def test_every_contract_check_is_explained(site: Path) -> None:
    from sfsync.testing import ConnectorContract

    checks = sorted(name for name in dir(ConnectorContract) if name.startswith("test_"))
    assert len(checks) >= 10
    ids = heading_ids(page(site, "plugins/contract"))
    missing = [name for name in checks if name.replace("_", "-") not in ids and name not in ids]
    assert not missing, f"contract checks not explained in docs/plugins/contract.md: {missing}"


# --- the CLI -------------------------------------------------------------------------------------


def test_every_cli_command_is_in_the_reference(site: Path) -> None:
    hooks = load_docs_hooks()
    group = hooks.cli_group()
    if group is None:
        pytest.skip("sfsync.cli is not present in this checkout")
    text = text_of(page(site, "reference/cli"))
    names = [name for name, _, _ in hooks.walk_commands(group)]
    assert len(names) > 1
    for name in names:
        assert f"Usage: {name}" in text, f"`{name}` is not in the CLI reference"


def test_a_plugin_guide_is_part_of_its_connector_page() -> None:
    from sfsync.plugins import PluginRegistry

    hooks = load_docs_hooks()
    registry = PluginRegistry()
    registry.load_entry_points()
    text = hooks.render_connector_page(registry.connector("sage-accounting"))
    assert "## Connecting Sage, step by step" in text and "## What the sandbox holds" in text
    assert "## What is not synced" in text
    # A plugin without a guide gets the generated page only.
    assert "step by step" not in hooks.render_connector_page(registry.connector("echo"))


def _served_credentials(output: str) -> dict[str, dict[str, str]]:
    """``sfsync sandbox serve``'s listing: each connector's name, then ``  label: value`` lines."""
    found: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for line in output.splitlines():
        if line and not line.startswith(" ") and ":" not in line:
            current = found.setdefault(line.strip(), {})
        elif line.startswith("  ") and current is not None:
            label, _, value = line.strip().partition(": ")
            current[label] = value
    return found


def test_sandbox_serve_prints_every_credential_the_connector_page_shows(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn
    from click.testing import CliRunner
    from sfsync import plugins as plugins_module
    from sfsync.auth import FormSpec, OAuth2Spec
    from sfsync.cli import cli

    registry = installed()
    monkeypatch.setattr(plugins_module, "_registry", registry)
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: None)  # print the listing, serve nothing
    result = CliRunner().invoke(cli, ["sandbox", "serve", "--port", "8799"], catch_exceptions=False, terminal_width=400)
    assert result.exit_code == 0, result.output
    served = _served_credentials(result.output)
    hooks = load_docs_hooks()
    with_sandbox = [name for name in installed_connectors() if registry.supports(name, "sfsync_sandbox")]
    assert with_sandbox and set(with_sandbox) <= set(served), result.output
    for name in with_sandbox:
        printed = served[name]
        page = hooks.render_connector_page(registry.connectors[name], hooks.sandbox_credentials(registry, name))
        shown = dict(re.findall(r"^\| (.+?) \| `(.+?)` \|$", page.split("## Sandbox", 1)[1], re.MULTILINE))
        assert printed == {label: value.replace("\\|", "|") for label, value in shown.items()}, name
        assert printed.get("base URL"), f"{name}: no URL printed"
        auth = registry.connectors[name].auth
        if isinstance(auth, OAuth2Spec):
            assert {"client_id", "client_secret"} <= set(printed), f"{name}: {sorted(printed)}"
            assert any(label.startswith("login") for label in printed), f"{name}: no login to type at the page"
        elif isinstance(auth, FormSpec):
            required = {field for field, info in auth.fields.model_fields.items() if info.is_required()}
            missing = required - set(printed)
            assert not missing, f"{name}: serve does not print {sorted(missing)}"
