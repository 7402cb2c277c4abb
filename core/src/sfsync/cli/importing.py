"""``sfsync import``: load an export file into a dossier that has no sync.

A CSV or spreadsheet export has no standard layout: the reader maps its columns with a *profile*
(``docs/getting-started.md#csv-profiles``). ``--profile FILE``, ``--columns`` and
``--fiscal-year`` give it on the command line: the file is read from a private temporary folder
with the profile written beside it as ``sfsync-profile.json``, where the reader looks. A dossier
made for the import is removed again when the import fails.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import click

from sfsync.cli.output import emit_json, json_option, say
from sfsync.cli.state import State, pass_state

__all__ = ["import_", "profile_from_options"]

PROFILE_FILE = "sfsync-profile.json"


def profile_from_options(
    profile: Path | None, columns: str | None, fiscal_year: str | None, decimal: str | None
) -> dict[str, Any] | None:
    """The profile the options give (a profile file, overridden by the other options), or None."""
    from sfsync.errors import ConfigurationError

    if profile is None and columns is None and fiscal_year is None and decimal is None:
        return None
    data: dict[str, Any] = {}
    if profile is not None:
        try:
            data = json.loads(profile.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigurationError(f"the profile {profile} cannot be read: {exc}") from None
        if not isinstance(data, dict):
            raise ConfigurationError(f"the profile {profile} is not a JSON object")
    if columns:
        pairs = [part.split("=", 1) for part in columns.split(",") if part.strip()]
        if any(len(p) != 2 or not p[0].strip() or not p[1].strip() for p in pairs):
            raise ConfigurationError(f"--columns {columns!r} is not MEANING=HEADER,… (account=Rekening,debit=Debet)")
        data["columns"] = {**data.get("columns", {}), **{k.strip(): v.strip() for k, v in pairs}}
    if fiscal_year:
        parts = fiscal_year.split(":", 2)
        if len(parts) < 2:
            raise ConfigurationError(f"--fiscal-year {fiscal_year!r} is not START:END[:LABEL] (2024-07-01:2025-06-30)")
        year = {"start": parts[0], "end": parts[1]}
        if len(parts) == 3:
            year["label"] = parts[2]
        data["fiscal_year"] = year
    if decimal:
        data["decimal"] = decimal
    return data


def _summary(counts: dict[str, int]) -> str:
    words = {"accounts": "accounts", "lines": "ledger lines", "trial_balance_lines": "trial-balance lines"}
    return ", ".join(f"{counts[k]} {w}" for k, w in words.items() if counts.get(k)) or "nothing"


@click.command("import")
@click.argument("dossier")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--replace", is_flag=True,
              help="Replace the whole dossier by the file (default: only the fiscal years the file covers).")
@click.option("--profile", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A CSV/spreadsheet profile (JSON: columns, decimal, fiscal_year).")
@click.option("--columns", metavar="MEANING=HEADER,...",
              help="Map columns of a CSV/spreadsheet: account, name, debit, credit, balance, opening, date, entry...")
@click.option("--fiscal-year", metavar="START:END[:LABEL]", help="The fiscal year a balance export covers.")
@click.option("--decimal", type=click.Choice([",", "."]), help="The decimal separator, when the values leave it open.")
@json_option
@pass_state
def import_(state: State, dossier: str, file: Path, replace: bool, profile: Path | None, columns: str | None,
            fiscal_year: str | None, decimal: str | None, as_json: bool) -> None:
    """Load an export (XAF, SAF-T, a balance or ledger in CSV/Excel) into a dossier that has no
    sync; other years stay. The dossier is created if new (and only if the import succeeds)."""
    from sfsync.errors import NotFound
    from sfsync.provisional import provisional_dossier

    actor = state.user()
    if not file.is_file():
        raise NotFound(f"no file {file}")
    chosen = profile_from_options(profile, columns, fiscal_year, decimal)
    with tempfile.TemporaryDirectory(prefix="sfsync-import-") as folder:
        source = file
        if chosen is not None:
            source = Path(folder) / file.name
            shutil.copyfile(file, source)
            (Path(folder) / PROFILE_FILE).write_text(json.dumps(chosen), encoding="utf-8")
        with provisional_dossier(state.app, actor, dossier) as target:
            run = state.app.import_file(actor, target.id, source, replace=replace)
    if as_json:
        from sfsync.cli.syncing import run_row

        emit_json("import", run=run_row(run, target.name))
        return
    say(f"imported {file.name} into {target.name}: {_summary(run.counts)}")
    for warning in run.warnings[:10]:
        click.echo(f"warning: {warning}", err=True)
    if len(run.warnings) > 10:
        click.echo(f"… and {len(run.warnings) - 10} more warnings: `sfsync runs {target.name} --json`", err=True)
