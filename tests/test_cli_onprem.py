"""The sfsync command with the on-premise connector: a local root, a hostile sync reference, and
a manual import that is refused cleanly when the file is truncated."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sfsync_onprem
from click.testing import CliRunner
from sfsync.cli import cli

# The real sample, as the onprem plugin ships it for its sandbox (a copy of shared/reference/samples).
SAMPLE = Path(sfsync_onprem.__file__).parent / "sandbox_data" / "auditfile_v3.2_nl_20180101_20181231.xaf"


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.delenv("SFSYNC_SECRET_KEY", raising=False)
    root = tmp_path / "server"
    (root / "BAKKER").mkdir(parents=True)
    shutil.copy(SAMPLE, root / "BAKKER" / SAMPLE.name)
    (tmp_path / "outside").mkdir()
    db = str(tmp_path / "cli.sqlite3")

    def invoke(*args: str):
        return CliRunner().invoke(cli, ["--db", db, *args], catch_exceptions=False)

    assert invoke("firm", "create", "Dupont", "--admin", "anne@dupont.be").exit_code == 0
    result = invoke("connect", "onprem", "--field", f"root={root}")
    assert result.exit_code == 0, result.output
    invoke.root = root  # type: ignore[attr-defined]
    invoke.tmp = tmp_path  # type: ignore[attr-defined]
    return invoke


def test_link_by_sync_reference_and_sync(run):
    result = run("link", "Bakker", "--connection", "onprem", "--reference", "BAKKER", "--replace")
    assert result.exit_code == 0, result.output
    out = run("show", "Bakker").output
    assert "balanced" in out


@pytest.mark.parametrize("reference", ["../outside", "/etc", "BAKKER/../..", "NOPE"])
def test_a_hostile_or_unknown_sync_reference_is_one_clear_line(run, reference):
    result = run("link", "X", "--connection", "onprem", "--reference", reference, "--replace")
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert reference in result.output or "folder" in result.output
    assert result.output.count("\n") <= 3


def test_a_truncated_import_leaves_the_dossier_as_it_was(run):
    good = run.tmp / "good.xaf"
    shutil.copy(SAMPLE, good)
    imported = run("import", "Manual", str(good))
    assert imported.exit_code == 0 and "{" not in imported.stdout  # a sentence, not a Python dict
    assert "imported good.xaf into Manual:" in imported.stdout and "ledger lines" in imported.stdout
    before = run("show", "Manual", "--ledger", "--limit", "0").output
    bad = run.tmp / "truncated.xaf"
    bad.write_bytes(SAMPLE.read_bytes()[: SAMPLE.stat().st_size // 2])
    result = run("import", "Manual", str(bad))
    assert result.exit_code != 0 and "truncated.xaf" in result.output and "Traceback" not in result.output
    assert run("show", "Manual", "--ledger", "--limit", "0").output == before
