"""The code samples of the docs run.

Every ```python block of the pages below is executed, page by page, in order, in one namespace,
in a temporary directory (like a reader pasting them into one session). The samples use the
built-in ``echo`` connector and its sandbox, so they run offline.

Every ```console block preceded by the line ``<!-- sample: run -->`` is run too: each ``$ `` line
is a command (``sfsync …`` through click's ``CliRunner``, anything else as a subprocess with the
workspace's ``bin`` first on ``PATH``) and must exit 0. Other console blocks are shown, not run
(installing packages, the test command itself).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

PYTHON_PAGES = [
    "getting-started.md",
    "plugins/tutorial.md",
    "plugins/sandbox.md",
    "plugins/contract.md",
    "host/embedding.md",
]
CONSOLE_PAGES = ["getting-started.md", "plugins/tutorial.md", "plugins/sandbox.md"]
RUN_MARKERS = {"<!-- sample: run -->": "run", "<!-- sample: run, compare -->": "compare"}

FENCE = re.compile(
    r"^(?P<indent> *)```(?P<lang>[\w-]*)[^\n]*\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.S | re.M
)


@dataclass
class Block:
    page: str
    lang: str
    body: str
    line: int
    mode: str | None  # None: shown only; "run": must exit 0; "compare": and print what is shown

    @property
    def runnable(self) -> bool:
        return self.mode is not None


def blocks(page: str) -> list[Block]:
    text = (DOCS / page).read_text(encoding="utf-8")
    found = []
    for match in FENCE.finditer(text):
        before = text[: match.start()].rstrip("\n").splitlines()
        mode = RUN_MARKERS.get(before[-1].strip()) if before else None
        indent = len(match.group("indent"))
        body = "\n".join(line[indent:] for line in match.group("body").splitlines())
        found.append(
            Block(page, match.group("lang"), body, text.count("\n", 0, match.start()) + 1, mode)
        )
    return found


def commands(block: Block) -> list[tuple[str, list[str]]]:
    """The ``$ `` lines of a console block (a trailing backslash continues a command), each with
    the output lines shown after it."""
    out: list[tuple[str, list[str]]] = []
    pending = ""
    for line in block.body.splitlines():
        if pending:
            pending += " " + line.strip()
        elif line.startswith("$ "):
            pending = line[2:].strip()
        else:
            if out:
                out[-1][1].append(line)
            continue
        if pending.endswith("\\"):
            pending = pending[:-1].rstrip()
            continue
        out.append((pending, []))
        pending = ""
    return out


def stable(line: str) -> bool:
    """A shown output line that must appear as it is: no ids, dates, counts or elisions."""
    return bool(line.strip()) and not re.search(r"[0-9…]", line)


def test_the_block_parser_sees_the_samples():
    # Guards the tests below against passing because the parser found nothing.
    embedding = [b for b in blocks("host/embedding.md") if b.lang == "python"]
    assert len(embedding) >= 5
    assert "Sfsync.open" in embedding[0].body
    assert commands(Block("x", "console", "$ sfsync a \\\n  --b c\nout\n$ ls\n", 1, "run")) == [
        ("sfsync a --b c", ["out"]),
        ("ls", []),
    ]
    assert not stable("firm created (firm_39d8)") and not stable("│ …  │") and stable("┃ ref ┃")


@pytest.fixture
def sample_dir(tmp_path, monkeypatch):
    """A clean working directory, with the template folder the tutorial bakes from."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SFSYNC_LOAD_PLUGINS", raising=False)
    monkeypatch.delenv("SFSYNC_SECRET_KEY", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "cookiecutter-plugin").symlink_to(ROOT / "cookiecutter-plugin")
    return tmp_path


@pytest.mark.parametrize("page", PYTHON_PAGES)
def test_python_samples_run(page, sample_dir):
    samples = [b for b in blocks(page) if b.lang == "python"]
    if page in ("plugins/tutorial.md", "host/embedding.md"):
        assert samples, f"{page} has no python sample"
    namespace: dict[str, object] = {"__name__": f"docs_sample_{Path(page).stem}"}
    for block in samples:
        code = compile(block.body, f"docs/{page}:{block.line}", "exec")
        exec(code, namespace)


def run_command(command: str, cwd: Path, env: dict[str, str]) -> tuple[int, str]:
    """Run one command; ``export NAME=VALUE`` sets ``env`` for the commands after it."""
    argv = shlex.split(command)
    if argv[0] == "export":
        for assignment in argv[1:]:
            name, _, value = assignment.partition("=")
            env[name] = value
        return 0, ""
    if argv[0] == "sfsync":
        from click.testing import CliRunner
        from sfsync.cli import cli

        result = CliRunner().invoke(cli, argv[1:], env=env, catch_exceptions=True)
        output = result.output
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            output += f"\n{type(result.exception).__name__}: {result.exception}"
        return result.exit_code, output
    env = {**os.environ, **env}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    done = subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    return done.returncode, done.stdout + done.stderr


@pytest.mark.parametrize("page", CONSOLE_PAGES)
def test_runnable_console_samples_exit_0(page, sample_dir):
    runnable = [b for b in blocks(page) if b.lang == "console" and b.runnable]
    if page == "getting-started.md":
        assert runnable, "getting started must show commands that are checked"
    env: dict[str, str] = {}
    for block in runnable:
        for command, shown in commands(block):
            code, output = run_command(command, sample_dir, env)
            assert code == 0, f"docs/{page}:{block.line}: `{command}` exited {code}:\n{output}"
            if block.mode == "compare":
                printed = {line.rstrip() for line in output.splitlines()}
                stale = [line for line in shown if stable(line) and line.rstrip() not in printed]
                assert not stale, (
                    f"docs/{page}:{block.line}: `{command}` no longer prints {stale};"
                    f" it printed:\n{output}"
                )


SHOWN_COMMAND = re.compile(r"^\$ (sfsync(?: .*)?)$|`(sfsync [^`]*)`", re.M)


def shown_sfsync_commands() -> list[tuple[str, str]]:
    """Every ``sfsync …`` command the pages show, as ``$`` lines or in inline code."""
    found = []
    for path in sorted(DOCS.rglob("*.md")):
        for match in SHOWN_COMMAND.finditer(path.read_text(encoding="utf-8")):
            command = (match.group(1) or match.group(2)).split("  #")[0].split("    #")[0]
            found.append((str(path.relative_to(DOCS)), command.strip()))
    return found


def test_shown_commands_are_found():
    shown = [command for _, command in shown_sfsync_commands()]
    assert "sfsync sync --due" in shown and len(shown) > 10


def test_every_shown_command_and_option_exists():
    """A command or an option the docs show but the CLI does not have is a stale page."""
    import click
    from sfsync import cli as cli_module

    if not getattr(cli_module, "_registered", True):
        cli_module._register_plugin_commands()
        cli_module._registered = True
    problems = []
    for page, command in shown_sfsync_commands():
        try:
            words = shlex.split(command.replace("…", ""))[1:]
        except ValueError:
            continue
        current: click.Command = cli_module.cli
        ctx = click.Context(current, info_name="sfsync")
        while words:
            word = words.pop(0)
            if word.startswith("-"):
                name = word.split("=", 1)[0]
                option = next((p for p in current.params if name in p.opts), None)
                if option is None and name != "--help":
                    problems.append(f"{page}: `{command}`: {current.name} has no option {name}")
                elif (
                    option is not None and not getattr(option, "is_flag", False) and "=" not in word
                ):
                    words[:1] = []  # the option's value
                continue
            if isinstance(current, click.Group):
                sub = current.get_command(ctx, word)
                if sub is None:
                    problems.append(f"{page}: `{command}`: no command {word!r} in {current.name}")
                    break
                current, ctx = sub, click.Context(sub, info_name=word, parent=ctx)
    assert not problems, "\n".join(problems)
