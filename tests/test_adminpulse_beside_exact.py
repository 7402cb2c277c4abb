"""Issue 25's "How we will know": a dossier linked to Exact for its figures and to AdminPulse for
its master data shows both after one sync, through the API and through the sfsync command; an
AdminPulse failure beside a good Exact link is a warning naming dossier, connector and cause, and
leaves both stored data as they were; an AdminPulse-only dossier fails clearly."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import sfsync.demo
from click.testing import CliRunner
from sfsync.api import Sfsync
from sfsync.cli import cli
from sfsync.errors import ConfigurationError
from sfsync.plugins import PluginRegistry, get_registry
from sfsync.sandbox import connect_sandbox
from sfsync.secrets import SecretBox, generate_key
from sfsync.store.sqlite import SQLiteStore

pytest.importorskip("sfsync_adminpulse")
pytest.importorskip("sfsync_exact")


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


@pytest.fixture
def env(tmp_path):
    installed = get_registry()
    registry = PluginRegistry()
    for name in ("exact-be", "adminpulse"):
        loaded = installed.connector(name)
        registry.register(loaded.plugin, name, distribution=loaded.distribution, version=loaded.version)
    sandboxes, failures = sfsync.demo.start_sandboxes(registry)
    assert not failures, failures
    app = Sfsync(SQLiteStore(tmp_path / "both.sqlite3"), SecretBox(generate_key()), registry=registry,
                 resume_waits=(0.01,))  # a transient fault is asked again at once, then counts
    for box in sandboxes.values():
        app.mount(box.transports())
    app.runner.details_interval = dt.timedelta(0)  # every sync is a night on which the details are due
    firm = app.create_firm("Fiduciaire Dupont")
    admin = app.add_user(firm.id, "anne@dupont.be", "admin")
    exact = run(connect_sandbox(app, admin, "exact-be", sandboxes["exact-be"]))
    pulse = run(connect_sandbox(app, admin, "adminpulse", sandboxes["adminpulse"]))
    yield app, admin, sandboxes, exact, pulse
    app.store.close()


def _ledger(app: Sfsync, dossier_id: str) -> list[tuple[str, Decimal, Decimal]]:
    return sorted((line.id, line.debit, line.credit) for line in app.store.ledger_lines(dossier_id))


def _both_linked(env: Any) -> tuple[Any, str]:
    app, admin, sandboxes, exact, pulse = env
    dossier = app.create_dossier(admin, "Bakkerij Peeters")
    run(app.link(admin, dossier.id, exact.id, sandboxes["exact-be"].company_refs()[0], mode="replace"))
    run(app.link(admin, dossier.id, pulse.id, sandboxes["adminpulse"].company_refs()[0], granularity="details"))
    return dossier, sandboxes["adminpulse"].company_refs()[0]


def test_one_sync_brings_exact_s_figures_and_adminpulse_s_master_data(env):
    app, admin, sandboxes, _, pulse = env
    dossier, ref = _both_linked(env)
    done = run(app.sync(dossier.id))
    assert done.status == "ok", (done.error, done.warnings)
    lines = _ledger(app, dossier.id)
    assert lines and sum(d for _, d, _ in lines) == sum(c for _, _, c in lines)
    kept = app.company_details(admin, dossier.id)
    assert kept is not None and kept.source == pulse.id  # AdminPulse's, not Exact's own division data
    assert kept.details == sandboxes["adminpulse"].truth(ref).company_details
    assert kept.details.vat_number == "BE0462318727" and kept.details.legal_form == "BV"


def test_an_adminpulse_failure_beside_exact_is_a_warning_and_changes_nothing(env):
    app, admin, sandboxes, _, _ = env
    dossier, _ = _both_linked(env)
    assert run(app.sync(dossier.id)).status == "ok"
    lines, history = _ledger(app, dossier.id), app.company_details_history(admin, dossier.id)
    sandboxes["adminpulse"].faults.add(500, times=1_000)
    try:
        second = run(app.sync(dossier.id))
    finally:
        sandboxes["adminpulse"].faults.clear()
    assert second.status == "warning", second.error
    warning = next(w for w in second.warnings if "company details" in w)
    assert "Bakkerij Peeters" in warning and "adminpulse" in warning and "500" in warning, warning
    assert _ledger(app, dossier.id) == lines
    assert app.company_details_history(admin, dossier.id) == history


def test_an_adminpulse_only_dossier_fails_clearly(env):
    app, admin, sandboxes, _, pulse = env
    ref = sandboxes["adminpulse"].company_refs()[1]
    dossier = app.create_dossier(admin, "Transports Lambert")
    # AdminPulse holds no figures: it cannot be a dossier's accounting link.
    with pytest.raises(ConfigurationError, match="adminpulse is administrative only"):
        run(app.link(admin, dossier.id, pulse.id, ref, mode="replace"))
    run(app.link(admin, dossier.id, pulse.id, ref, granularity="details"))
    assert run(app.sync(dossier.id)).status == "ok"
    kept = app.company_details_history(admin, dossier.id)
    sandboxes["adminpulse"].revoke()  # the office deletes its API key
    failed = run(app.sync(dossier.id))
    assert failed.status == "failed" and failed.error_kind == "NeedsReconsent"
    assert "Transports Lambert" in failed.error and "adminpulse" in failed.error and "API key" in failed.error
    assert app.store.get_connection(pulse.id).status == "needs_reconsent"
    assert app.company_details_history(admin, dossier.id) == kept


# --- through the sfsync command ----------------------------------------------------------------


@pytest.fixture
def cli_run(tmp_path, monkeypatch):
    monkeypatch.delenv("SFSYNC_SECRET_KEY", raising=False)
    kept = sfsync.demo.start_sandboxes(get_registry())
    monkeypatch.setattr(sfsync.demo, "start_sandboxes", lambda registry: kept)
    db = str(tmp_path / "cli.sqlite3")

    def invoke(*args: str) -> str:
        result = CliRunner().invoke(cli, ["--db", db, "--sandbox", *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    invoke.sandboxes = kept[0]  # type: ignore[attr-defined]
    return invoke


def test_through_the_command_one_sync_shows_figures_and_master_data(cli_run):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    exact, pulse = cli_run.sandboxes["exact-be"], cli_run.sandboxes["adminpulse"]
    cli_run("firm", "create", "Dupont", "--admin", "anne@dupont.be")
    cli_run("connect", "exact-be", "--port", str(port))
    cli_run("connect", "adminpulse", "--field", f"api_key={pulse.connection_secrets()['api_key']}")
    assert "Bakkerij Peeters" in cli_run("companies", "adminpulse", "--search", "peeters")
    cli_run("link", "Peeters", "--connection", "exact-be", "--company", exact.company_refs()[0], "--replace", "--no-sync")
    out = cli_run("link", "Peeters", "--connection", "adminpulse", "--company", pulse.company_refs()[0], "--details",
                  "--no-sync")
    assert "for its company details (adminpulse)" in out
    out = cli_run("sync", "Peeters")
    assert "Peeters" in out and "ok" in out
    details = cli_run("show", "Peeters", "--details")
    for value in ("Bakkerij Peeters", "BV", "BE0462318727", "0462.318.727", "Veldstraat 12", "Gent", "12-31",
                  "An Peeters", "zaakvoerder"):
        assert value in details, (value, details)
    figures = cli_run("show", "Peeters")
    assert "balanced" in figures


def test_the_demo_has_a_dossier_with_both_links(tmp_path):
    from sfsync.demo import run_demo

    installed = get_registry()
    registry = PluginRegistry()
    for name in ("exact-be", "adminpulse"):
        loaded = installed.connector(name)
        registry.register(loaded.plugin, name, distribution=loaded.distribution, version=loaded.version)
    rows = run(run_demo(tmp_path / "demo", registry=registry, say=lambda *_: None))
    beside = next(r for r in rows if r.connector == "adminpulse")
    assert (beside.dossier, beside.mode, beside.status) == ("exact-be-1", "details beside exact-be", "ok"), beside.error
    figures = next(r for r in rows if r.dossier == "exact-be-1" and r.connector == "exact-be")
    assert figures.status == "ok" and figures.lines > 0 and figures.balanced
