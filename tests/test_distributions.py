"""Every distribution is ready for an index (readme, licence, classifiers, links that work there),
and `scripts/build-dist` builds them all so that plain pip installs one from `dist/`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROJECTS = [ROOT / "core", *sorted((ROOT / "plugins").glob("sfsync-*"))]
RELATIVE_LINK = re.compile(r"\]\((?!https?://|mailto:|#)([^)]+)\)")


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_distribution_metadata_is_ready_for_an_index(project: Path) -> None:
    meta = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert meta.get("readme") == "README.md" and (project / "README.md").is_file()
    assert meta.get("license") == "MIT" and meta.get("license-files") == ["LICENSE"]
    assert (project / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    classifiers = set(meta.get("classifiers", ()))
    assert {"Topic :: Office/Business :: Financial :: Accounting", "Programming Language :: Python :: 3.11"} <= classifiers
    # A relative link resolves in the repository but not on an index's project page.
    readme = (project / "README.md").read_text(encoding="utf-8")
    assert RELATIVE_LINK.findall(readme) == [], f"{project.name}/README.md has links that break on an index"


def test_uvicorn_is_an_optional_extra_of_the_core() -> None:
    meta = tomllib.loads((ROOT / "core" / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert not any(d.startswith("uvicorn") for d in meta["dependencies"])
    assert any(d.startswith("uvicorn") for d in meta["optional-dependencies"]["serve"])


@pytest.mark.slow
def test_build_dist_then_plain_pip_installs_twinfield_in_a_fresh_venv(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH", "SFSYNC_LOAD_PLUGINS"}}
    dist = tmp_path / "dist"
    built = subprocess.run([str(ROOT / "scripts" / "build-dist"), str(dist)], env=env, capture_output=True,
                           text=True, timeout=900)
    assert built.returncode == 0, built.stderr
    names = {p.name.split("-")[0] for p in dist.glob("*.whl")}
    assert names == {"sfsync", *(p.name.replace("-", "_") for p in PROJECTS[1:])}
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    pip = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                          "--disable-pip-version-check", "--find-links", str(dist), "sfsync-twinfield"],
                         env=env, capture_output=True, text=True, timeout=900)
    assert pip.returncode == 0, pip.stderr
    listed = subprocess.run([str(venv / "bin" / "sfsync"), "plugins", "--json"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=300)
    assert listed.returncode == 0, listed.stderr
    report = json.loads(listed.stdout)
    found = {c["connector"]: c for c in report["connectors"]}
    assert found["twinfield"]["distribution"] == "sfsync-twinfield" and not report["broken"]
    assert "uvicorn" not in subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "list"],
                                           capture_output=True, text=True, check=True).stdout
