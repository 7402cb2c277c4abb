"""Each module stands above what it uses: no import cycle in the core, and no extra loaded unasked.

The graph is read from the source (``ast``): every import at module level, including those under
``if TYPE_CHECKING:`` (a type that needs the module above is a layering cycle too, and the next
runtime import would make it a real one). Imports inside functions are left out on purpose:
they are how optional extras (Starlette, Celery) and the CLI's heavy parts are loaded late.
"""

from __future__ import annotations

import ast
import functools
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(SRC.rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _imports(tree: ast.Module) -> set[str]:
    names: set[str] = set()

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    # "from sfsync import hookspecs" names a module, "from sfsync import Sfsync" not.
                    whole = f"{node.module}.{alias.name}"
                    names.add(whole if whole in MODULES else node.module)
            elif isinstance(node, ast.If | ast.Try):
                visit(node.body)
                visit(node.orelse)
                for handler in getattr(node, "handlers", []):
                    visit(handler.body)

    visit(tree.body)
    return names


@functools.cache
def import_graph() -> dict[str, set[str]]:
    """Module → the core modules it imports at module level (TYPE_CHECKING included)."""
    graph = {}
    for name, path in MODULES.items():
        edges = set()
        for target in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != name:
                edges.add(target)
        graph[name] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every cycle's modules (strongly connected components of more than one module, or a self-loop)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def strong(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(graph[node]):
            if other not in index:
                strong(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            strong(node)
    return found


def test_the_core_has_no_import_cycle() -> None:
    graph = import_graph()
    assert {"sfsync.hookspecs", "sfsync.api", "sfsync.models", "sfsync.ledger_columns"} <= set(graph)
    found = cycles(graph)
    detail = "\n".join(
        " <-> ".join(component) + "\n" + "\n".join(f"    {m} imports {sorted(graph[m] & set(component))}" for m in component)
        for component in found
    )
    assert not found, f"import cycles in the core:\n{detail}"


def test_the_cycle_check_sees_a_cycle() -> None:
    # The check itself can fail: a graph with the old hookspecs -> sandbox -> api -> hookspecs loop.
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize(
    ("low", "high"),
    [
        ("sfsync.hookspecs", "sfsync.api"),
        ("sfsync.sandbox.base", "sfsync.api"),
        ("sfsync.ledger_line", "sfsync.models"),
        ("sfsync.ledger_columns", "sfsync.models"),
        ("sfsync.hookspecs", "sfsync.sandbox.connect"),
    ],
)
def test_the_layers_named_in_issue_19_stand_in_order(low: str, high: str) -> None:
    graph = import_graph()
    reachable, todo = set(), [low]
    while todo:
        for nxt in graph[todo.pop()] - reachable:
            reachable.add(nxt)
            todo.append(nxt)
    assert high not in reachable, f"{low} reaches {high}: it no longer stands below it"


def test_the_core_and_the_sandbox_base_load_without_the_toolkit_extra() -> None:
    # A fresh interpreter: importing sfsync, its hookspecs, the sandbox base and the echo plugin
    # loads neither Starlette (the sandbox extra) nor the load-test harness, which moved out.
    script = (
        "import sys\n"
        "import sfsync, sfsync.hookspecs, sfsync.sandbox, sfsync.echo, sfsync.models, sfsync.plugins\n"
        "from sfsync.sandbox import connect_sandbox, FaultInjector\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('starlette', 'sfsync_loadtest'))\n"
        "print(loaded)\n"
        "sys.exit(1 if loaded else 0)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
