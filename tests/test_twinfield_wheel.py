"""`pip install sfsync-twinfield` is how a firm adds Twinfield: the wheels alone must be enough."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    env.pop("SFSYNC_LOAD_PLUGINS", None)
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_twinfield_wheel_installs_and_is_listed(tmp_path):
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is needed to build the wheels and the fresh environment")
    dist = tmp_path / "dist"
    for project in (ROOT / "core", ROOT / "plugins" / "sfsync-twinfield"):
        built = _run(
            [uv, "build", "--wheel", "--quiet", "--out-dir", str(dist), str(project)], tmp_path
        )
        assert built.returncode == 0, built.stderr
    wheels = sorted(dist.glob("*.whl"))
    assert [w.name.split("-")[0] for w in wheels] == ["sfsync", "sfsync_twinfield"]
    with zipfile.ZipFile(wheels[1]) as wheel:
        names = wheel.namelist()
    assert "sfsync_twinfield/connector.py" in names
    assert "sfsync_twinfield/sandbox.py" in names
    assert not any(name.startswith("tests/") for name in names)

    venv = tmp_path / "venv"
    made = _run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], tmp_path)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    installed = _run(
        [uv, "pip", "install", "--quiet", "--python", str(python), *map(str, wheels)], tmp_path
    )
    assert installed.returncode == 0, installed.stderr

    listed = _run([str(venv / "bin" / "sfsync"), "plugins", "--json"], tmp_path)
    assert listed.returncode == 0, listed.stderr
    report = json.loads(listed.stdout)
    connectors = {c["connector"]: c for c in report["connectors"]}
    assert "twinfield" in connectors, listed.stdout
    twinfield = connectors["twinfield"]
    assert twinfield["distribution"] == "sfsync-twinfield"
    assert twinfield["auth"] == "oauth2"
    assert {"fetch_ledger", "fetch_trial_balance", "sandbox"} <= set(twinfield["capabilities"])
    assert not report.get("broken"), report.get("broken")

    # The wheel brought its own dependencies (lxml) and the connector's sandbox works there.
    smoke = _run(
        [
            str(python),
            "-c",
            "from sfsync_twinfield.connector import twinfield;"
            "s = twinfield.sfsync_sandbox(); print(len(s.company_refs()))",
        ],
        tmp_path,
    )
    assert smoke.returncode == 0, smoke.stderr
    assert smoke.stdout.strip() == "3"

    # The plugin's own tests (contract suite included) pass against the installed wheels alone.
    extra = _run(
        [
            uv,
            "pip",
            "install",
            "--quiet",
            "--python",
            str(python),
            "pytest>=8.3,<10",
            "hypothesis>=6.100,<7",
            "uvicorn>=0.30,<1",  # the plugin's `test` extra: its HTTP tests serve the sandbox
        ],
        tmp_path,
    )
    assert extra.returncode == 0, extra.stderr
    plugin = ROOT / "plugins" / "sfsync-twinfield"
    where = _run(
        [str(python), "-c", "import sfsync_twinfield; print(sfsync_twinfield.__file__)"], plugin
    )
    assert where.stdout.startswith(str(venv)), where.stdout
    tests = _run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], plugin)
    assert tests.returncode == 0, tests.stdout[-4000:] + tests.stderr[-2000:]
    assert " passed" in tests.stdout
