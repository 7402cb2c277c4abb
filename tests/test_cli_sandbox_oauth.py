"""An OAuth2 login made with ``--sandbox`` in one ``sfsync`` process works in the next: each
command starts new in-process sandboxes, which take up the OAuth state the last command left
beside the store (``sandbox-state/``). Separate processes, as a person types the commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("sfsync_exact")

SCRIPT = os.path.join(os.path.dirname(sys.executable), "sfsync")


def sfsync(db: Path, *args: str, sandbox: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SFSYNC_LOAD_PLUGINS": "exact-nl"}  # only the package at hand: quicker
    env.pop("SFSYNC_SECRET_KEY", None)
    command = [SCRIPT, "--db", str(db), *(["--sandbox"] if sandbox else []), *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=db.parent, timeout=180)


def ok_json(done: subprocess.CompletedProcess[str]) -> Any:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_login_in_one_command_syncs_in_the_next(tmp_path: Path) -> None:
    db = tmp_path / "firm" / "sfsync.sqlite3"
    db.parent.mkdir()
    assert sfsync(db, "firm", "create", "Dupont", "--admin", "anne@dupont.be", sandbox=False).returncode == 0

    connected = ok_json(sfsync(db, "connect", "exact-nl", "--json"))
    assert connected["connection"]["connector"] == "exact-nl" and connected["companies"]
    linked = ok_json(sfsync(db, "link", "Peeters", "--connection", "exact-nl", "--company", "1200002", "--replace",
                            "--json"))
    run = linked["runs"][0] if "runs" in linked else linked["run"]
    assert run["status"] == "ok", linked
    assert run["counts"]["lines_fetched"] > 0
    assert (db.parent / "sandbox-state" / "exact-nl.json").exists()


def test_without_the_kept_state_the_login_is_unknown_and_the_error_says_what_to_do(tmp_path: Path) -> None:
    db = tmp_path / "sfsync.sqlite3"
    assert sfsync(db, "firm", "create", "Dupont", "--admin", "anne@dupont.be", sandbox=False).returncode == 0
    assert sfsync(db, "connect", "exact-nl").returncode == 0
    for kept in (tmp_path / "sandbox-state").iterdir():
        kept.unlink()  # as when the folder is removed, or the store moved without it
    refused = sfsync(db, "check", "exact-nl")
    assert refused.returncode == 3, refused.stderr
    assert "sandbox-state/" in refused.stderr and "reconnect" in refused.stderr



def test_a_damaged_state_file_costs_the_logins_not_the_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from sfsync.cli.sandbox_state import keep_oauth_state, state_file
    from sfsync.plugins import get_registry

    sandbox = get_registry().call("exact-nl", "sfsync_sandbox")
    db = tmp_path / "sfsync.sqlite3"
    damaged = state_file(db, sandbox)
    damaged.parent.mkdir()
    damaged.write_text('{"format": 1, "grants": [{"id": "g"', encoding="utf-8")  # cut off mid-write
    keep_oauth_state([sandbox], db, None)
    assert sandbox.oauth_server.grants == []
    warning = capsys.readouterr().err
    assert "cannot be read" in warning and str(damaged) in warning and "without its earlier logins" in warning
