"""`sfsync --help` and `--version` import nothing heavy: no API, no httpx, no rich, no pydantic and
no plugin; `--version` not even click, `--help` and the completion of a command name no command
module, a command's own `--help` not asyncio (the speed itself is measured by
``benchmarks/bench_cli_startup.py``, not here)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import metadata

import pytest

from sfsync.cli.app import COMMANDS

PROBE = """
import json, sys
from sfsync.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""

HEAVY = ("sfsync.api", "sfsync.runner", "sfsync.store", "sfsync.plugins", "httpx", "rich", "pydantic", "pluggy",
         "sfsync_")
COMMAND_MODULES = sorted({target.split(":")[0] for target in COMMANDS.values()})
"""The modules the built-in commands live in (``sfsync --help`` imports none of them)."""


def probe(*args: str, env: dict[str, str] | None = None) -> tuple[str, list[str]]:
    """What ``sfsync ARGS`` printed, and every module it imported."""
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=True,
                          env={**os.environ, **(env or {})})
    return done.stdout, json.loads(done.stderr.strip().splitlines()[-1])


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["sync", "--help"], ["link", "--help"],
                                  ["connect", "--help"], ["dossier", "--help"], ["dossier", "list", "--help"]])
def test_help_and_version_import_nothing_heavy(args: list[str]) -> None:
    out, loaded = probe(*args)
    heavy = [m for m in loaded if m.startswith(HEAVY)]
    assert heavy == [], f"sfsync {' '.join(args)} imported {heavy[:10]}"
    assert "Usage" in out or "version" in out
    # A command's help page needs its options, not the event loop or the login's HTTP server.
    assert [m for m in loaded if m in ("asyncio", "http.server")] == []


def test_version_is_answered_without_importing_click() -> None:
    out, loaded = probe("--version")
    assert out == f"sfsync, version {metadata.version('sfsync')}\n"
    assert [m for m in loaded if m == "click" or m.startswith(("click.", "sfsync.cli."))] == []


def test_version_reads_the_same_through_click() -> None:
    """``--version`` after another option is click's; it says the same words."""
    out, loaded = probe("--log-format", "json", "--version")
    assert "click" in loaded
    assert out == f"sfsync, version {metadata.version('sfsync')}\n"


def test_the_help_page_lists_every_command_without_importing_one() -> None:
    out, loaded = probe("--help")
    assert [m for m in loaded if m in COMMAND_MODULES] == []
    assert all(f"  {name} " in out for name in COMMANDS), out
    assert "Remove a connection." in out  # a summary, beside its command


def test_completing_a_command_name_imports_no_command() -> None:
    env = {"_SFSYNC_COMPLETE": "zsh_complete", "COMP_WORDS": "sfsync dis", "COMP_CWORD": "1"}
    out, loaded = probe(env=env)
    assert out.splitlines() == ["plain", "disconnect", "Remove a connection."]
    assert [m for m in loaded if m in COMMAND_MODULES or m.startswith(HEAVY)] == []


@pytest.mark.parametrize(("words", "cword", "expected"), [
    ("sfsync sy", "1", "plain,sync"),
    ("sfsync sync --a", "2", "plain,--all"),
    ("sfsync dossier ", "2", "plain,delete"),
])
def test_bash_completion_completes_commands_and_their_options(words: str, cword: str, expected: str) -> None:
    """The installed console script answers the completion protocol (``_SFSYNC_COMPLETE``)."""
    script = os.path.join(os.path.dirname(sys.executable), "sfsync")
    env = {**os.environ, "_SFSYNC_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": cword}
    done = subprocess.run([script], capture_output=True, text=True, env=env, check=True)
    assert expected in done.stdout.splitlines(), done.stdout


def test_the_bash_completion_script_names_the_command() -> None:
    out, _ = probe(env={"_SFSYNC_COMPLETE": "bash_source"})
    assert "_sfsync_completion" in out and "complete " in out and "sfsync" in out


def test_a_command_that_reads_the_store_imports_no_plugin(tmp_path) -> None:
    db = tmp_path / "s.sqlite3"
    subprocess.run([sys.executable, "-c", PROBE, "--db", str(db), "firm", "create", "Dupont", "--admin", "a@b.be"],
                   capture_output=True, text=True, check=True)
    done = subprocess.run([sys.executable, "-c", PROBE, "--db", str(db), "status"], capture_output=True, text=True,
                          check=True)
    loaded = json.loads(done.stderr.strip().splitlines()[-1])
    assert "sfsync.api" in loaded  # the command did open the store
    plugins = [m for m in loaded if m.startswith("sfsync_") or m in ("lxml", "openpyxl", "xlrd", "starlette")]
    assert plugins == [], f"sfsync status imported {plugins[:10]}"
