"""Running syncs and what they left: ``sync``, ``status`` and ``runs``."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from sfsync.cli.coroutines import run_coroutine
from sfsync.cli.output import console, emit_json, json_option, say, table
from sfsync.cli.state import State, pass_state

if TYPE_CHECKING:
    from rich.progress import Progress

    from sfsync.api import DossierStatus
    from sfsync.store.base import RunRecord

__all__ = ["Bars", "observer", "run_row", "runs", "status", "sync", "sync_and_report"]


def run_row(run: RunRecord, dossier: str) -> dict[str, Any]:
    """A run as a ``--json`` row."""
    return {
        "id": run.id, "dossier_id": run.dossier_id, "dossier": dossier, "status": run.status, "stage": run.stage,
        "started_at": run.started_at, "finished_at": run.finished_at, "duration": run.duration,
        "counts": dict(run.counts), "requests": run.requests, "rate_limit_waits": run.rate_limit_waits,
        "warnings": list(run.warnings), "error": run.error, "error_kind": run.error_kind, "resume_at": run.resume_at,
    }


class Bars:
    """The run observer behind the progress bars: per dossier its stage, lines, requests and waits."""

    def __init__(self, display: Progress) -> None:
        self.display = display
        self.tasks: dict[str, Any] = {}

    def _task(self, dossier: str) -> Any:
        if dossier not in self.tasks:
            from rich.markup import escape

            self.tasks[dossier] = self.display.add_task(escape(dossier), total=None, stage="", lines=0, requests=0,
                                                        waits=0)
        return self.tasks[dossier]

    def stage(self, dossier: str, stage: str) -> None:
        """A run entered ``stage``."""
        self.display.update(self._task(dossier), stage=stage)

    def progress(self, dossier: str, what: str, count: int) -> None:
        """A run's count of lines, requests or waits."""
        if what in ("lines", "requests", "waits"):
            self.display.update(self._task(dossier), **{what: count})  # type: ignore[arg-type]  # rich's task fields

    def batch_committed(self, dossier: str, batches: int) -> None:
        """A run saved a batch."""
        self.display.update(self._task(dossier), advance=1)


def observer(*, quiet: bool = False) -> tuple[Any, Bars | None]:
    """The progress display and its observer (none when ``quiet``: JSON output)."""
    import contextlib

    if quiet:
        return contextlib.nullcontext(), None
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    display = Progress(
        TextColumn("{task.description:<18}"), BarColumn(), TextColumn("{task.fields[stage]:<15}"),
        TextColumn("{task.fields[lines]:>8} lines"), TextColumn("{task.fields[requests]:>5} requests"),
        TextColumn("{task.fields[waits]:>3} waits"), TimeElapsedColumn(), console=console(), transient=False,
    )
    return display, Bars(display)


def no_wait(state: State) -> None:
    """Fail fast: no resume waits, one quick HTTP retry (an interactive *sync now*)."""
    from sfsync.http.transport import RetryPolicy

    state.app.runner.resume_waits = ()
    state.app.runner.retry = RetryPolicy(attempts=2, wait_initial=0.1, wait_max=0.5, wait_jitter=0.0)


def sync_and_report(
    state: State, dossier_ids: list[str], *, skipped_fails: bool = True, as_json: bool = False,
    json_extra: dict[str, Any] | None = None, json_kind: str = "sync",
) -> None:
    """Sync the dossiers with progress shown, print the outcome; exit 1 when one failed.

    With ``as_json`` the runs go into one ``json_kind`` document beside ``json_extra``'s keys."""
    from rich.text import Text

    names = {d: state.app.store.get_dossier(d).name for d in dossier_ids}
    display, watcher = observer(quiet=as_json)
    with display:
        done: list[RunRecord] = run_coroutine(state.app.sync_many(dossier_ids, observer=watcher))
    failed = [r for r in done if r.status == "failed" or (r.status == "skipped" and skipped_fails)]
    if as_json:
        emit_json(json_kind, **(json_extra or {}), runs=[run_row(r, names[r.dossier_id]) for r in done])
    else:
        shown = table("dossier", "outcome", "lines", "deleted", "requests", "waits", "seconds")
        for run in done:
            colour = {"ok": "green", "warning": "yellow", "waiting": "yellow", "skipped": "yellow"}.get(run.status, "red")
            shown.add_row(names[run.dossier_id], Text(run.status, style=colour),
                          str(run.counts.get("lines_fetched", run.counts.get("trial_balance_lines", 0))),
                          str(run.counts.get("deletions", 0)), str(run.requests), str(run.rate_limit_waits),
                          f"{run.duration or 0:.1f}")
        console().print(shown)
        for run in done:
            for warning in run.warnings[:5]:
                click.echo(f"warning: {names[run.dossier_id]}: {warning}", err=True)
            if run.status in ("failed", "waiting", "skipped") and run.error:
                click.echo(f"{run.status}: {run.error}", err=True)
    if failed:
        sys.exit(1)


@click.command()
@click.argument("dossier", required=False)
@click.option("--due", is_flag=True, help="Every dossier due for its nightly sync, in every firm (or --firm's).")
@click.option("--all", "all_", is_flag=True, help="Every linked dossier of the firm.")
@click.option("--no-wait", "fail_fast", is_flag=True,
              help="Fail fast: no waiting to resume after an outage (for a person waiting; the nightly job waits).")
@json_option
@pass_state
def sync(state: State, dossier: str | None, due: bool, all_: bool, fail_fast: bool, as_json: bool) -> None:
    """Sync a dossier now, the due ones, or all; exits 1 when a dossier failed."""
    from sfsync.errors import ConfigurationError

    if sum(bool(x) for x in (dossier, due, all_)) != 1:
        raise ConfigurationError("say what to sync: a DOSSIER, --due or --all")
    if fail_fast:
        no_wait(state)
    if due:
        # The nightly job is the host's own: every firm in the store, unless --firm narrows it.
        firms = {f.id for f in state.firms()}
        ids = [row.dossier.id for row in state.app.due_rows() if row.dossier.firm_id in firms]
    else:
        actor = state.user()
        if dossier:
            ids = [state.app.dossier(actor, dossier).id]
        else:
            ids = [s.dossier.id for s in state.app.status(actor) if s.link is not None or s.admin_link is not None]
    if not ids:
        if as_json:
            emit_json("sync", runs=[])
        else:
            say("nothing to sync")
        return
    # A nightly or --all run skips a dossier that is already running; a named one is refused.
    sync_and_report(state, ids, skipped_fails=bool(dossier), as_json=as_json)


def status_row(state: State, item: DossierStatus) -> dict[str, Any]:
    """A dossier's status as a ``--json`` row."""
    link, last = item.link or item.admin_link, item.last_run
    store = state.app.store
    stored = (len(store.trial_balance(item.dossier.id)) if item.granularity == "trial_balance"
              else store.count_ledger_lines(item.dossier.id))
    return {
        "dossier": item.dossier.name, "dossier_id": item.dossier.id, "connector": item.connector,
        "connection_id": link.connection_id if link else None,
        "company_ref": link.company_ref if link else None, "company_name": link.company_name if link else None,
        "mode": item.link.mode.value if item.link else None, "since": item.link.since if item.link else None,
        "granularity": item.granularity, "connection_status": item.connection_status,
        "last_run": run_row(last, item.dossier.name) if last else None, "last_error": item.last_error,
        "incomplete": item.incomplete, "stored": stored,
        "next_due": item.next_due, "due_now": link is not None and item.next_due is None,
    }


@click.command()
@json_option
@pass_state
def status(state: State, as_json: bool) -> None:
    """Every dossier: connector, company, what it syncs, last run, outcome and why, next due."""
    rows = [status_row(state, item) for item in state.app.status(state.user())]
    if as_json:
        emit_json("status", dossiers=rows)
        return
    shown = table("dossier", "connector", "company", "syncs", "last run", "outcome", "stored", "next due")
    for row in rows:
        last = row["last_run"]
        outcome = last["status"] if last else ""
        if row["incomplete"]:
            outcome = f"{outcome}, partly updated"
        if row["connection_status"] == "needs_reconsent":
            outcome = "needs re-consent"
        if row["last_error"]:
            outcome = f"{outcome}: {row['last_error']}"
        syncs = row["granularity"] if row["granularity"] in ("manual", "details") else (
            f"{row['granularity']}, " + (f"since {row['since']}" if row["since"] else row["mode"]))
        shown.add_row(
            row["dossier"], row["connector"] or "", row["company_name"] or row["company_ref"] or "", syncs,
            last["started_at"].strftime("%Y-%m-%d %H:%M") if last else "", outcome, str(row["stored"]),
            row["next_due"].strftime("%Y-%m-%d %H:%M") if row["next_due"] else ("now" if row["due_now"] else ""),
        )
    console().print(shown)


@click.command()
@click.argument("dossier", required=False)
@click.option("--limit", default=20, show_default=True, help="How many runs.")
@json_option
@pass_state
def runs(state: State, dossier: str | None, limit: int, as_json: bool) -> None:
    """Run history, newest first (a dossier's, or the firm's): outcome, counts, requests, waits,
    warnings, error and duration."""
    actor = state.user()
    target = state.app.dossier(actor, dossier).id if dossier else None
    found = state.app.runs(actor, target, limit=limit)
    names = {d.id: d.name for d in state.app.store.list_dossiers(actor.firm_id)}
    rows = [run_row(r, names.get(r.dossier_id, r.dossier_id)) for r in found]
    if as_json:
        emit_json("runs", runs=rows)
        return
    shown = table("started", "dossier", "outcome", "stage", "lines", "requests", "waits", "warnings", "seconds",
                  "error")
    for row in rows:
        counts = row["counts"]
        shown.add_row(row["started_at"].strftime("%Y-%m-%d %H:%M"), row["dossier"], row["status"], row["stage"],
                      str(counts.get("lines_fetched", counts.get("lines", counts.get("trial_balance_lines", "")))),
                      str(row["requests"]), str(row["rate_limit_waits"]), str(len(row["warnings"]) or ""),
                      f"{row['duration']:.1f}" if row["duration"] is not None else "", row["error"] or "")
    console().print(shown)
