"""`sfsync --help` and `--version` import click and the command modules, nothing heavy: no API,
no httpx, no rich, no pydantic and no plugin (the speed itself is measured by
``benchmarks/bench_cli_startup.py``, not here)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

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


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["sync", "--help"], ["link", "--help"]])
def test_help_and_version_import_nothing_heavy(args: list[str]) -> None:
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=True)
    loaded = json.loads(done.stderr.strip().splitlines()[-1])
    heavy = [m for m in loaded if m.startswith(HEAVY)]
    assert heavy == [], f"sfsync {' '.join(args)} imported {heavy[:10]}"
    assert "Usage" in done.stdout or "version" in done.stdout


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
