"""``sfsync web``: serve the reference host; ``sfsync web set-password`` gives a person a password."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

import click

from sfsync.cli.coroutines import run_coroutine

__all__ = ["settle_heap", "web"]


@click.group(invoke_without_command=True)
@click.option("--db", type=click.Path(path_type=Path), envvar="SFSYNC_DB", default="sfsync.sqlite3", show_default=True,
              help="The embedded SQLite store (SFSYNC_POSTGRES_DSN selects PostgreSQL instead).")
@click.option("--host", "bind", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, help="Port to listen on.")
@click.option("--base-url", envvar="SFSYNC_WEB_BASE_URL", help="The address people reach the host at (OAuth callbacks).")
@click.option("--sandbox", is_flag=True, help="Route every package to its offline sandbox.")
@click.pass_context
def web(ctx: click.Context, db: Path, bind: str, port: int, base_url: str | None, sandbox: bool) -> None:
    """Serve the reference host (pages for firms, support staff and their dossiers)."""
    ctx.obj = {"db": db}
    if ctx.invoked_subcommand is not None:
        return
    _need_extra()
    from sfsync.web.factory import create_host
    from sfsync.web.settings import WebSettings

    settings = WebSettings.from_environment(db, base_url=base_url or f"http://{bind}:{port}", sandbox=sandbox)
    serve(create_host(settings), bind, port)


def _need_extra() -> None:
    try:
        import jinja2  # noqa: F401
        import starlette  # noqa: F401
    except ImportError:
        raise click.ClickException("sfsync web needs its extra: pip install 'sfsync[web]'") from None


def settle_heap() -> None:
    """Leave what start-up made (the plugins, the sandboxes, a seeded demo) out of the garbage
    collector's full passes: otherwise one such pass, scanning every start-up object, stalls a
    random request for a few hundred milliseconds (issue 27, ``benchmarks/bench_web.py``)."""
    gc.collect()
    gc.freeze()


def serve(host: object, bind: str, port: int) -> None:
    """Run ``host`` under uvicorn."""
    import uvicorn

    from sfsync.web.app import build_app

    app = build_app(host)  # type: ignore[arg-type]
    settle_heap()
    click.echo(f"sfsync web on http://{bind}:{port}")
    uvicorn.run(app, host=bind, port=port, log_level="warning")


@web.command("set-password")
@click.argument("email")
@click.option("--firm", help="The firm's name or id, when the address is in several firms.")
@click.pass_context
def set_password(ctx: click.Context, email: str, firm: str | None) -> None:
    """Give EMAIL (a user of a firm, or support staff) a password to sign in with; it is asked
    for without echo, or read from stdin when that is not a terminal."""
    from sfsync.api import Sfsync
    from sfsync.web.passwords import PasswordBook

    db: Path = ctx.obj["db"]
    app = Sfsync.open(db)
    found = [u for f in app.store.list_firms() if firm in (None, f.id, f.name)
             if (u := app.store.find_user(f.id, email)) is not None]
    staff = app.store.find_support_user(email)
    if staff is not None and firm is None:
        found.append(staff)
    if len(found) != 1:
        raise click.ClickException(f"{email} is {'in several firms: name one with --firm' if found else 'no user here'}")
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\n")
    try:
        PasswordBook(path=db).set_password(email, found[0].id, password)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{email} can sign in now")


def demo_web(folder: Path, bind: str, port: int) -> None:
    """``sfsync demo --web``: the demo's data in the host, then serve it."""
    _need_extra()
    from sfsync.web.demo import DEMO_PASSWORD, seed_demo
    from sfsync.web.factory import create_host
    from sfsync.web.settings import WebSettings

    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "web.sqlite3"
    for stale in folder.glob("web.sqlite3*"):
        stale.unlink()
    settings = WebSettings.from_environment(db, base_url=f"http://{bind}:{port}", sandbox=True)
    host = create_host(settings)
    people, rows = run_coroutine(seed_demo(host, folder / "scratch", say=click.echo))
    failed = [r for r in rows if r.status not in ("ok", "warning")]
    click.echo(f"{len(rows) - len(failed)} demo dossiers synced; sign in with password {DEMO_PASSWORD!r} as")
    click.echo(f"  {people.admin} (admin), {people.member} (member), {people.support} (support)")
    serve(host, bind, port)
