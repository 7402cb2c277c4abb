"""A real bake: the new plugin installs on its own with the core and passes its own tests.

Installing into a fresh virtual environment (not the workspace's) catches a dependency the
template forgot to declare.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "cookiecutter-plugin"

pytestmark = pytest.mark.slow


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "SFSYNC_LOAD_PLUGINS"}}
    env.pop("PYTHONPATH", None)
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize(
    ("flavour", "level"), [("oauth2", "firm"), ("form", "support"), ("agent", "agent")]
)
def test_template_bake_installs_alone_and_passes_its_tests(tmp_path, flavour, level):
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is needed to build the isolated environment")
    baked = Path(
        cookiecutter(
            str(TEMPLATE),
            no_input=True,
            output_dir=str(tmp_path / "src"),
            default_config={"replay_dir": str(tmp_path / ".replay")},
            extra_context={
                "package_name": f"Baked {flavour}",
                "auth_flavour": flavour,
                "connection_level": level,
                "capabilities": "ledger,trial_balance,company_details,opening_balances",
            },
        )
    )
    venv = tmp_path / "venv"
    python = venv / "bin" / "python"
    made = _run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], tmp_path)
    assert made.returncode == 0, made.stderr
    # Non-editable installs: what a firm gets from an index, not the workspace's source tree.
    installed = _run(
        [uv, "pip", "install", "--quiet", "--python", str(python), str(ROOT / "core"), str(baked)],
        tmp_path,
    )
    assert installed.returncode == 0, installed.stderr
    # pytest comes with the plugin's own test extra, not from the workspace.
    extra = _run(
        [uv, "pip", "install", "--quiet", "--python", str(python), f"{baked}[test]"], tmp_path
    )
    assert extra.returncode == 0, extra.stderr

    result = _run([str(python), "-m", "pytest", "-v", "-p", "no:cacheprovider"], baked)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    slug = f"baked_{flavour}"
    # Both the contract suite and the discovery tests ran, and passed, in the isolated env.
    assert f"tests/test_{slug}_contract.py::Test" in result.stdout
    assert "test_first_sync_succeeds PASSED" in result.stdout
    discovered = f"tests/test_{slug}_discovery.py::test_{slug}_is_discovered_by_the_registry PASSED"
    assert discovered in result.stdout
