"""The low findings of issue 15 in the core: rich markup in names, secrets on the command line,
file modes of the embedded store, negative zero."""

from __future__ import annotations

import datetime as dt
import os
import stat
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sfsync import plugins as plugins_module
from sfsync.api import Sfsync
from sfsync.cli import cli
from sfsync.models import LedgerBatch, LedgerLine, TrialBalanceBatch, TrialBalanceLine
from sfsync.store.sqlite import SQLiteStore


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, registry: Any) -> Any:
    monkeypatch.setattr(plugins_module, "_registry", registry)
    monkeypatch.delenv("SFSYNC_SECRET_KEY", raising=False)
    db = str(tmp_path / "cli.sqlite3")

    def invoke(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Any:
        return CliRunner().invoke(cli, ["--db", db, "--sandbox", *args], input=input, env=env,
                                  catch_exceptions=False)

    return invoke


def ok(result: Any) -> str:
    assert result.exit_code == 0, result.output
    return str(result.output)


@pytest.mark.parametrize("name", ["[/]", "[bold]Jansen[/bold]", "[red", "Bakkerij [link=x]y[/link]"])
def test_a_name_with_rich_markup_is_shown_as_it_is(run: Any, name: str) -> None:
    ok(run("firm", "create", name, "--admin", "anne@dupont.be"))
    ok(run("connect", "echo", "--field", "api_key=-", "--label", name, input="echo-key-123\n"))
    ok(run("link", name, "--connection", "echo", "--company", "C1", "--replace"))
    out = ok(run("status"))
    assert name in out
    assert name in ok(run("connections"))


def test_a_secret_field_from_stdin_the_environment_or_a_prompt(run: Any) -> None:
    ok(run("firm", "create", "Dupont", "--admin", "anne@dupont.be"))
    from_stdin = run("connect", "echo", "--field", "api_key=-", "--label", "a", input="echo-key-123\n")
    assert "connected" in ok(from_stdin) and "warning" not in from_stdin.output
    from_env = run("connect", "echo", "--label", "b", env={"SFSYNC_FIELD_API_KEY": "echo-key-123"})
    assert "connected" in ok(from_env)
    prompted = run("connect", "echo", "--label", "c", input="echo-key-123\n")
    assert "connected" in ok(prompted) and "echo-key-123" not in prompted.output  # typed without echo


def test_a_secret_on_the_command_line_is_warned_about(run: Any) -> None:
    ok(run("firm", "create", "Dupont", "--admin", "anne@dupont.be"))
    result = run("connect", "echo", "--field", "api_key=echo-key-123")
    assert result.exit_code == 0
    assert "other users can see it (ps)" in result.output  # CliRunner mixes stderr in by default


def test_help_says_how_to_give_secrets(run: Any) -> None:
    out = ok(run("connect", "--help"))
    assert "stdin" in out and "SFSYNC_FIELD_" in out and "ps" in out


def test_the_embedded_store_and_its_key_are_private(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        app = Sfsync.open(tmp_path / "private.sqlite3")
        app.create_firm("F")
    finally:
        os.umask(old)
    files = sorted(tmp_path.iterdir())
    assert {f.name for f in files} >= {"private.sqlite3", "private.sqlite3.key"}
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
    app.store.close()


def test_negative_zero_is_stored_as_zero(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "z.sqlite3")
    firm = store.create_firm("F")
    dossier = store.add_dossier(firm.id, "D")
    generation = store.begin_generation(dossier.id, keep_before=None)
    day = dt.date(2025, 1, 31)
    store.write_ledger_batch(dossier.id, generation, "s", LedgerBatch(lines=[
        LedgerLine.from_signed(Decimal("-0.00"), id="a", entry="E", date=day, account="600000"),
        LedgerLine(id="b", entry="E", date=day, account="700000", debit=Decimal("-0.00"), currency="USD",
                   foreign_amount=Decimal("-0.00")),
    ]), stream="s")
    store.write_trial_balance_batch(dossier.id, generation, "s", TrialBalanceBatch(lines=[
        TrialBalanceLine(account="600000", period_start=dt.date(2025, 1, 1), period_end=day,
                         opening=Decimal("-0.00"), closing=Decimal("-0.00")),
    ]), stream="tb")
    store.swap_generation(dossier.id, generation)
    amounts = [v for line in store.ledger_lines(dossier.id) for v in (line.debit, line.credit, line.foreign_amount)]
    amounts += [v for t in store.trial_balance(dossier.id) for v in (t.opening, t.closing)]
    shown = {f"{v:,.2f}" for v in amounts if v is not None}
    assert shown == {"0.00"}
    store.close()
