"""Connection forms from the command line: ``--field`` values, the environment, prompts, and
secrets kept off the command line."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from sfsync.auth import AgentSpec, FormSpec

__all__ = ["SECRETS_HELP", "form_values", "from_command_line", "secret"]

SECRETS_HELP = (
    "Secrets (keys, passwords, tokens) are best not typed on the command line, where other users of "
    "the machine see them (ps): leave a secret field out to be asked for it without echo, give "
    "NAME=- to read it from stdin, or set SFSYNC_FIELD_<NAME> (SFSYNC_FIELD_API_KEY); --token and "
    "--client-secret take - for stdin and SFSYNC_AGENT_TOKEN / SFSYNC_CLIENT_SECRET. "
    "`sfsync spec CONNECTOR` lists a package's fields."
)


def secret(value: str | None, what: str, *, on_command_line: bool) -> str | None:
    """A secret given as ``-`` is read from stdin (one line); one typed on the command line is
    taken, with a warning that ``ps`` shows it."""
    if value == "-":
        return sys.stdin.readline().rstrip("\r\n")
    if value and on_command_line:
        click.echo(f"warning: {what} was given on the command line, where other users can see it (ps); "
                   "use the prompt, - (stdin) or the environment variable instead", err=True)
    return value


def from_command_line(ctx: click.Context, name: str) -> bool:
    """Whether the option ``name`` was typed on the command line (not the environment)."""
    return ctx.get_parameter_source(name) is click.core.ParameterSource.COMMANDLINE


def form_values(spec: FormSpec | AgentSpec, fields: tuple[str, ...], url: str | None, token: str | None,
                *, ask_all: bool = True) -> dict[str, Any]:
    """The form's values from --field (and --url/--token for an agent); what is missing is asked
    for, secrets without echo. ``ask_all=False`` (re-consent) asks only for the secrets: the rest
    keeps its stored value."""
    from sfsync.auth import AgentSpec, secret_field_names
    from sfsync.errors import ConfigurationError

    secret_names = secret_field_names(spec.fields)
    values: dict[str, Any] = {}
    for given in fields:
        if "=" not in given:
            raise ConfigurationError(f"--field {given!r} is not NAME=VALUE; `sfsync spec` lists the fields")
        name, value = given.split("=", 1)
        values[name] = secret(value, f"the secret field {name}", on_command_line=name in secret_names)
    for name in spec.fields.model_fields:
        if name not in values and f"SFSYNC_FIELD_{name.upper()}" in os.environ:
            values[name] = os.environ[f"SFSYNC_FIELD_{name.upper()}"]
    if isinstance(spec, AgentSpec):
        if url:
            values.setdefault("url", url)
        if token:  # already read from stdin or the environment by the command
            values.setdefault("token", token)
    for name, info in spec.fields.model_fields.items():
        wanted = info.is_required() if ask_all else name in secret_names
        if name not in values and wanted:
            values[name] = click.prompt(info.description or name, hide_input=name in secret_names)
    return values
