"""MkDocs hooks that generate the pages which must not drift from the code.

* one page per installed connector, from the plugins' own metadata
  (``sfsync.plugins.get_registry().connectors``) and the ``guide.md`` a plugin may ship in its
  package: ``connectors/<name>.md``, appended to the *Connectors* section of the nav;
* the connectors table and the broken plugins on ``connectors/index.md``;
* the CLI reference, from the click command itself (``sfsync.cli.cli``);
* the errors tree, from the docstring of ``sfsync.errors``.

Static pages ask for generated text with a marker line such as ``<!-- sfsync:cli-reference -->``;
:func:`on_page_markdown` replaces it. The rendering functions are plain functions of the code's
objects so that ``tests/test_docs.py`` can call them too.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import re
from typing import Any

log = logging.getLogger("mkdocs.plugins.sfsync_docs")

CONNECTORS_DIR = "connectors"
MARKER = re.compile(r"^<!-- sfsync:(?P<name>[a-z-]+) -->$", re.MULTILINE)


# ---------------------------------------------------------------------------------------------
# Connectors
# ---------------------------------------------------------------------------------------------


def registry() -> Any:
    """The installed plugins, loaded afresh (a long-lived ``mkdocs serve`` sees new installs)."""
    from sfsync import plugins

    plugins.reset_registry()
    return plugins.get_registry()


def connector_page_path(name: str) -> str:
    return f"{CONNECTORS_DIR}/{name}.md"


def _cell(value: object) -> str:
    """Text for a markdown table cell."""
    return str(value).replace("|", "\\|").replace("\n", " ")


def _type_name(annotation: Any) -> str:
    if annotation is None or annotation is type(None):
        return "None"
    if isinstance(annotation, type):
        return annotation.__name__
    text = str(annotation)
    return re.sub(r"\b(?:typing|pydantic\.types|pydantic|datetime|decimal)\.", "", text)


def _seconds(value: float) -> str:
    value = float(value)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if value >= size and value % size == 0:
            count = int(value // size)
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{value:g} s"


FALLBACK_DESCRIPTIONS = {
    "client_id": "The client id of the firm's app registration at the package",
    "client_secret": "The client secret of that app registration",
}

LEVELS = {
    "firm": "an admin of the firm connects once; many dossiers use the connection.",
    "dossier": "each dossier connects itself: linking a dossier *is* the login.",
    "support": "the credentials are provisioned by support staff.",
    "agent": "an on-premise sync service on the firm's server reads the dossiers' folders; a dossier "
    "is linked by its *sync reference*, the folder's name (`sfsync link DOSSIER --connection "
    "CONNECTION --reference FOLDER …`).",
}


def _fields_table(model: Any) -> list[str]:
    from sfsync.auth import secret_field_names

    secrets = secret_field_names(model)
    rows = [
        "| field | type | required | secret | what to enter |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, info in model.model_fields.items():
        required = "yes" if info.is_required() else f"no (default `{info.default!r}`)"
        rows.append(
            f"| `{name}` | `{_cell(_type_name(info.annotation))}` | {_cell(required)} | "
            f"{'yes' if name in secrets else 'no'} | "
            f"{_cell(info.description or FALLBACK_DESCRIPTIONS.get(name, ''))} |"
        )
    return rows


def connect_command(loaded: Any) -> str:
    """The ``sfsync connect`` line for a connector; secret fields are left to the prompt."""
    from sfsync.auth import AgentSpec, OAuth2Spec, secret_field_names

    auth, name = loaded.auth, loaded.info.name
    if isinstance(auth, OAuth2Spec) and auth.level.value == "dossier":
        # A dossier-level login happens while linking the dossier, not on its own.
        return (f"sfsync link DOSSIER --connection {name} --company REF --replace --client-id CLIENT_ID"
                "    # the app's secret from SFSYNC_CLIENT_SECRET")
    if isinstance(auth, OAuth2Spec):
        return f"sfsync connect {name} --client-id CLIENT_ID --client-secret CLIENT_SECRET"
    if isinstance(auth, AgentSpec):
        return f"sfsync connect {name} --url http://SERVER:PORT --token TOKEN"
    secrets = secret_field_names(auth.fields)
    fields = [
        f"--field {field}={field.upper()}"
        for field, info in auth.fields.model_fields.items()
        if info.is_required() and field not in secrets
    ]
    line = " ".join([f"sfsync connect {name}", *fields])
    return line + ("    # asks for the secret fields" if secrets else "")


def plugin_guide(loaded: Any) -> str:
    """The ``guide.md`` a plugin may ship beside its connector's package (how a firm connects,
    what is synced and what is not, the sandbox's credentials): part of the connector's page."""
    import importlib.resources

    package = type(loaded.plugin).__module__.split(".")[0]
    try:
        guide = importlib.resources.files(package).joinpath("guide.md")
        return guide.read_text(encoding="utf-8") if guide.is_file() else ""
    except (ModuleNotFoundError, TypeError, OSError):
        return ""


def sandbox_credentials(reg: Any, name: str) -> dict[str, str] | None:
    """What ``sfsync sandbox serve NAME`` prints: the sandbox's URLs and every credential a client
    needs (``None`` when the connector ships no sandbox or it fails to start)."""
    if not reg.supports(name, "sfsync_sandbox"):
        return None
    try:
        return dict(reg.call(name, "sfsync_sandbox").credentials())
    except Exception as exc:  # a page must still build; the failure is said on it
        log.warning("the %s sandbox did not start for its docs page: %s", name, exc)
        return None


def render_connector_page(loaded: Any, sandbox: dict[str, str] | None = None) -> str:
    """The page of one connector (a ``sfsync.plugins.LoadedConnector``); ``sandbox`` is what its
    sandbox's :meth:`~sfsync.sandbox.Sandbox.credentials` lists."""
    from sfsync.auth import AgentSpec, FormSpec, OAuth2Spec

    info, auth = loaded.info, loaded.auth
    out = [f"# {info.title} (`{info.name}`)", ""]
    out += [
        "!!! note",
        "    Generated when the docs are built, from the connector's own metadata "
        "(`sfsync_connector_info`, `sfsync_auth` and the hooks it implements).",
        "",
    ]
    if info.description:
        out += [info.description.strip(), ""]
    distribution = loaded.distribution or "(registered inline)"
    if loaded.version:
        distribution += f" {loaded.version}"
    granularities = ", ".join(
        f"`{g.value}`" + (" (default)" if g == info.default_granularity else "")
        for g in info.granularities
    )
    out += [
        "| | |",
        "| --- | --- |",
        f"| Connector | `{info.name}` |",
        f"| Package | {_cell(info.package or info.title)} |",
        f"| Plugin (distribution) | `{_cell(distribution)}` |",
        f"| Auth flavour | `{auth.flavour}` |",
        f"| Connection level | `{auth.level.value}` |",
        f"| Granularities | {granularities} |",
        f"| Capabilities | {', '.join(f'`{c}`' for c in loaded.capabilities) or 'none'} |",
    ]
    if info.docs_url:
        out.append(f"| Package API documentation | <{info.docs_url}> |")
    for key, value in sorted(info.extra.items()):
        out.append(f"| {_cell(key)} | {_cell(value)} |")
    out.append("")

    out += ["## Connecting", ""]
    level = LEVELS.get(auth.level.value)
    if level:
        out += [f"Connection level `{auth.level.value}`: {level}", ""]
    if isinstance(auth, OAuth2Spec) and type(auth).tokens_from_callback is not OAuth2Spec.tokens_from_callback:
        # A consent that hands back the grant itself (e-conomic): no code, no token endpoint.
        out += [
            "A consent through the OAuth2 machinery without a code: the user approves the app at the "
            "package, which sends them back with the grant itself; sfsync checks `state` and keeps "
            "the grant encrypted. Nothing is exchanged or refreshed.",
            "",
            f"- approval URL: `{auth.authorize_url}`",
            "",
            "The app registration the firm enters:",
            "",
            *_fields_table(auth.fields),
            "",
        ]
    elif isinstance(auth, OAuth2Spec):
        out += [
            "OAuth2 authorization code flow: the user logs in at the package, which sends them "
            "back with a code; sfsync exchanges it and keeps the tokens encrypted.",
            "",
            f"- authorize URL: `{auth.authorize_url}`",
            f"- token URL: `{auth.token_url}`",
            f"- scopes: {', '.join(f'`{s}`' for s in auth.scopes) or 'none'}",
            f"- PKCE: {'yes (S256)' if auth.pkce else 'no'}",
            f"- refresh tokens rotate: {'yes (the new one is saved before use)' if auth.rotates_refresh_token else 'no'}",
            f"- refreshed when less than {_seconds(auth.refresh_margin)} of the access token is left",
            f"- client authentication: `{auth.client_auth}`",
            "",
            "The app registration the firm enters:",
            "",
            *_fields_table(auth.fields),
            "",
        ]
    elif isinstance(auth, AgentSpec):
        out += [
            "An on-premise sync service runs on the firm's server; the connection holds its "
            "address and token:",
            "",
            *_fields_table(auth.fields),
            "",
        ]
    elif isinstance(auth, FormSpec):
        out += [
            "A form; fields marked *secret* are asked without echo, encrypted at rest and never "
            "shown again:",
            "",
            *_fields_table(auth.fields),
            "",
        ]
    out += ["From the command line:", "", "```console", f"$ {connect_command(loaded)}", "```", ""]

    out += ["## Rate limits and budgets", ""]
    policy = info.rate_limits
    if policy is None:
        out += ["No rate-limit windows are declared in the connector's metadata.", ""]
    else:
        if policy.windows:
            out += ["| window | calls | per | kind |", "| --- | --- | --- | --- |"]
            for w in policy.windows:
                kind = "fixed (turns over at once)" if getattr(w, "fixed", False) else "sliding"
                out.append(f"| {_cell(w.name)} | {w.limit} | {_seconds(w.seconds)} | {kind} |")
            out.append("")
        else:
            out += ["No rate-limit windows are declared.", ""]
        facts = [
            "Limits are kept per credential (the connection), shared by every dossier that uses it"
            + (
                ", narrowed per request by the connector (e.g. per company)."
                if policy.key_suffix
                else "."
            )
        ]
        if policy.parse_headers is not None:
            facts.append(
                "The package's remaining/reset response headers are read, so calls stop before a 429."
            )
        facts.append(
            f"A wait longer than {_seconds(policy.max_wait)} is not slept: the run stops as "
            "*waiting* and resumes from its checkpoint when the budget is back."
        )
        out += [f"- {fact}" for fact in facts]
        out.append("")
        if policy.notes:
            out += [policy.notes.strip(), ""]

    out += ["## Known limits of the package's API", ""]
    if info.known_limits:
        out += [f"- {limit}" for limit in info.known_limits]
    else:
        out.append("None declared.")
    out.append("")

    guide = plugin_guide(loaded)
    if guide:
        out += [guide.strip(), ""]

    if "read_export" in loaded.capabilities:
        out += [
            "## Export files",
            "",
            "The plugin also reads export files for a manual import into a dossier that has no "
            "sync: `sfsync import DOSSIER FILE` (or `Sfsync.import_file`).",
            "",
        ]
    if "sandbox" in loaded.capabilities:
        out += [
            "## Sandbox",
            "",
            "The plugin ships an offline sandbox of the package's API: `sfsync --sandbox …` routes "
            f"the connector to it in-process, `sfsync sandbox serve {info.name}` serves it over HTTP, "
            "and the contract suite runs against it.",
            "",
        ]
        if sandbox:
            out += [
                "What a client needs to use it (the sandbox's own fake credentials; "
                f"`sfsync sandbox serve {info.name}` prints the same):",
                "",
                "| what | value |",
                "| --- | --- |",
            ]
            out += [f"| {_cell(label)} | `{_cell(value)}` |" for label, value in sandbox.items()]
            out.append("")
    return "\n".join(out)


def render_connectors_index(reg: Any) -> str:
    """The table of installed connectors and the list of broken plugins."""
    out: list[str] = []
    if reg.connectors:
        out += [
            "| connector | package | auth | level | granularities | plugin |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for name in sorted(reg.connectors):
            loaded = reg.connectors[name]
            grans = ", ".join(g.value for g in loaded.info.granularities)
            out.append(
                f"| [`{name}`]({name}.md) | {_cell(loaded.info.title)} | `{loaded.auth.flavour}` | "
                f"`{loaded.auth.level.value}` | {grans} | `{_cell(loaded.distribution or '-')}` |"
            )
    else:
        out.append("*No connector was installed when these docs were built.*")
    out.append("")
    if reg.broken:
        out += [
            "## Broken plugins",
            "",
            "These plugins were installed when the docs were built but could not be used "
            "(`sfsync plugins` reports the same):",
            "",
            "| plugin | distribution | problem |",
            "| --- | --- | --- |",
        ]
        out += [
            f"| `{_cell(b.name)}` | `{_cell(b.distribution or '-')}` | {_cell(b.error)} |"
            for b in reg.broken
        ]
        out.append("")
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------------------------


def cli_group() -> Any | None:
    """The ``sfsync`` click group with every plugin's commands, or None when there is no CLI."""
    try:
        module = importlib.import_module("sfsync.cli")
    except ImportError as exc:
        log.info("sfsync.cli cannot be imported (%s); the CLI reference is a placeholder", exc)
        return None
    group = getattr(module, "cli", None)
    if group is None:
        return None
    # Plugins add commands through sfsync_register_commands; `sfsync`'s main() does it on start.
    if not getattr(module, "_registered", True):
        register = getattr(module, "_register_plugin_commands", None)
        if callable(register):
            try:
                register()
                module._registered = True
            except Exception as exc:  # a broken plugin must not stop the docs
                log.info("plugin commands not added: %s", exc)
    return group


def walk_commands(group: Any) -> list[tuple[str, Any, Any]]:
    """Every command as (full name, command, click context), depth first, sorted by name."""
    import click

    found: list[tuple[str, Any, Any]] = []

    def visit(command: Any, name: str, parent: Any) -> None:
        ctx = click.Context(command, info_name=name.split()[-1], parent=parent)
        found.append((name, command, ctx))
        if isinstance(command, click.Group):
            for sub in sorted(command.list_commands(ctx)):
                child = command.get_command(ctx, sub)
                if child is not None and not getattr(child, "hidden", False):
                    visit(child, f"{name} {sub}", ctx)

    visit(group, "sfsync", None)
    return found


def render_cli_reference() -> str:
    group = cli_group()
    if group is None:
        return (
            "!!! warning\n    The `sfsync` command (`sfsync.cli`) was not present when these "
            "docs were built.\n"
        )
    out: list[str] = []
    for name, command, ctx in walk_commands(group):
        level = "#" * min(2 + name.count(" ") - 1, 4) if " " in name else "##"
        out += [f"{level} `{name}`", ""]
        summary = (command.help or "").strip().splitlines()
        if summary:
            out += [summary[0], ""]
        out += ["```text", command.get_help(ctx).rstrip(), "```", ""]
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------


def errors_tree() -> str:
    """The tree drawn in ``sfsync.errors``'s docstring, as a code block."""
    from sfsync import errors

    doc = inspect.getdoc(errors) or ""
    lines = doc.splitlines()
    start = next(i for i, line in enumerate(lines) if line.rstrip().endswith("::")) + 1
    block: list[str] = []
    for line in lines[start:]:
        if block and line and not line.startswith(" "):
            break
        block.append(line)
    body = "\n".join(block).strip("\n")
    return "```text\n" + inspect.cleandoc(body) + "\n```\n"


def errors_classes() -> str:
    """A mkdocstrings block per error class, in the order of the tree."""
    from sfsync import errors

    order = [
        name
        for name in re.findall(r"(\w+Error|\w+)\s{2,}", errors_tree())
        if name in errors.__all__
    ]
    order += [name for name in errors.__all__ if name not in order]
    out = []
    for name in order:
        out += [
            f"::: sfsync.errors.{name}",
            "    options:",
            "      heading_level: 3",
            f"      show_signature: {'true' if name in ('SfsyncError', 'RateLimited', 'BudgetExhausted') else 'false'}",
            "      show_bases: true",
            "",
        ]
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# MkDocs events
# ---------------------------------------------------------------------------------------------

_state: dict[str, Any] = {}


def on_config(config: Any) -> Any:
    reg = registry()
    _state["registry"] = reg
    pages = [{name: connector_page_path(name)} for name in sorted(reg.connectors)]
    for item in config["nav"] or []:
        if isinstance(item, dict) and "Connectors" in item:
            section = item["Connectors"]
            section[:] = [p for p in section if not _is_generated(p)] + pages
            break
    return config


def _is_generated(entry: Any) -> bool:
    values = entry.values() if isinstance(entry, dict) else [entry]
    return any(
        isinstance(v, str)
        and v.startswith(f"{CONNECTORS_DIR}/")
        and v != f"{CONNECTORS_DIR}/index.md"
        for v in values
    )


def on_files(files: Any, config: Any) -> Any:
    from mkdocs.structure.files import File

    reg = _state.get("registry") or registry()
    for name in sorted(reg.connectors):
        path = connector_page_path(name)
        existing = files.get_file_from_path(path)
        if existing is not None:
            files.remove(existing)
        files.append(
            File.generated(
                config, path, content=render_connector_page(reg.connectors[name], sandbox_credentials(reg, name))
            )
        )
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group("name")
        if name == "connectors-table":
            return render_connectors_index(_state.get("registry") or registry())
        if name == "cli-reference":
            return render_cli_reference()
        if name == "errors-tree":
            return errors_tree()
        if name == "errors-classes":
            return errors_classes()
        if name == "optional-hooks":
            from sfsync.plugins import OPTIONAL_HOOKS

            return "\n".join(f"- `{hook}`" for hook in OPTIONAL_HOOKS) + "\n"
        raise ValueError(f"{page.file.src_uri}: unknown marker sfsync:{name}")

    return MARKER.sub(replace, markdown)
