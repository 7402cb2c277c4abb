"""The summaries ``sfsync --help`` lists commands by (without importing them) say what each
command's own help says, at every terminal width: the table cannot drift from the commands."""

from __future__ import annotations

import click
import pytest

from sfsync.cli.app import COMMANDS, LazyGroup
from sfsync.cli.summaries import SUMMARIES

WIDTHS = (30, 50, 80, 120)


def real_command(name: str) -> click.Command:
    group = LazyGroup(name="sfsync", lazy=COMMANDS)
    command = group.get_command(click.Context(group), name)
    assert command is not None, name
    return command


def test_every_built_in_command_has_a_summary_and_no_other() -> None:
    assert sorted(SUMMARIES) == sorted(COMMANDS)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_summary_is_the_first_sentence_of_the_commands_help(name: str) -> None:
    command = real_command(name)
    expected = command.get_short_help_str(10**6)
    assert SUMMARIES[name] == expected, f"put this in sfsync/cli/summaries.py: {name!r}: {expected!r},"
    # A stand-in of the summary is listed as the command would be (hidden and deprecated
    # commands would be listed differently: there are none among the built-ins).
    assert not command.hidden and not command.deprecated and not command.short_help
    stand_in = click.Command(name, help=SUMMARIES[name])
    for limit in (10, 25, 40, 60, 75):
        assert stand_in.get_short_help_str(limit) == command.get_short_help_str(limit), limit


def commands_section(group: click.Group, width: int) -> str:
    formatter = click.HelpFormatter(width=width)
    group.format_commands(click.Context(group, info_name="sfsync"), formatter)
    return formatter.getvalue()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_help_pages_list_of_commands_is_the_same_as_with_every_command_imported(width: int) -> None:
    from_summaries = LazyGroup(name="sfsync", lazy=COMMANDS, summaries=SUMMARIES)
    from_commands = LazyGroup(name="sfsync", lazy=COMMANDS)
    listed = commands_section(from_summaries, width)
    assert listed == commands_section(from_commands, width)
    assert from_summaries.commands == {}, "listing the commands imported them"
    assert "  disconnect " in listed and (width < 80 or "Remove a connection." in listed)


def test_a_command_is_imported_when_it_runs_after_the_help_page_listed_it() -> None:
    group = LazyGroup(name="sfsync", lazy=COMMANDS, summaries=SUMMARIES)
    commands_section(group, 80)
    command = group.get_command(click.Context(group), "sync")
    assert command is not None and command.params, "the stand-in, not the real sync command"
