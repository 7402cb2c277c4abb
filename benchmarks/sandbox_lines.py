"""How many lines the sandboxes take, at any git revision: issue 19 asks that they go down.

    python benchmarks/sandbox_lines.py              # the work tree's commit (HEAD)
    python benchmarks/sandbox_lines.py f784fe5 HEAD # two revisions side by side

It reads each revision from git (``git ls-tree`` / ``git show``), so the work tree is never
switched. Per sandbox it prints the physical lines and the code lines (not blank, not a comment
line) of its sandbox modules, then the total; the toolkit (``sfsync.sandbox``) is counted apart,
since it is what the sandboxes share. A sandbox's files are named by the patterns below: each
plugin's ``sandbox`` package or ``sandbox*.py`` modules, the echo sandbox in core and the
template's sandbox.
"""

from __future__ import annotations

import fnmatch
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SANDBOXES: dict[str, tuple[str, ...]] = {
    "exact": ("plugins/sfsync-exact/src/sfsync_exact/sandbox/*.py",),
    "xero": ("plugins/sfsync-xero/src/sfsync_xero/sandbox/*.py",),
    "yuki": ("plugins/sfsync-yuki/src/sfsync_yuki/sandbox/*.py",),
    "odoo": ("plugins/sfsync-odoo/src/sfsync_odoo/sandbox/*.py",),
    "twinfield": ("plugins/sfsync-twinfield/src/sfsync_twinfield/sandbox*.py",),
    "echo": ("core/src/sfsync/echo/sandbox.py",),
    "template": ("cookiecutter-plugin/*/src/*/sandbox.py", "cookiecutter-plugin/*/src/*/books.py"),
}
TOOLKIT = ("core/src/sfsync/sandbox/*.py",)


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True, text=True).stdout


def _files(revision: str, patterns: tuple[str, ...]) -> list[str]:
    listed = _git("ls-tree", "-r", "--name-only", revision).splitlines()
    return sorted(p for p in listed if any(fnmatch.fnmatchcase(p, pattern) for pattern in patterns))


def _count(revision: str, patterns: tuple[str, ...]) -> tuple[int, int]:
    physical = code = 0
    for path in _files(revision, patterns):
        for line in _git("show", f"{revision}:{path}").splitlines():
            physical += 1
            stripped = line.strip()
            if stripped and not stripped.startswith("#"):
                code += 1
    return physical, code


def measure(revision: str) -> dict[str, tuple[int, int]]:
    """Lines and code lines per sandbox, the ``total`` of the sandboxes, and the ``toolkit``."""
    counts = {name: _count(revision, patterns) for name, patterns in SANDBOXES.items()}
    counts["total"] = (sum(p for p, _ in counts.values()), sum(c for _, c in counts.values()))
    counts["toolkit"] = _count(revision, TOOLKIT)
    return counts


def main(revisions: list[str]) -> None:
    """Print the table for each revision (lines / code lines), with the change from the first."""
    revisions = revisions or ["HEAD"]
    tables = {rev: measure(rev) for rev in revisions}
    header = f"{'sandbox':<10}" + "".join(f"{rev[:12]:>22}" for rev in revisions)
    if len(revisions) > 1:
        header += f"{'change':>16}"
    print(header)
    print(f"{'':<10}" + "".join(f"{'lines / code':>22}" for _ in revisions))
    for name in [*SANDBOXES, "total", "toolkit"]:
        row = f"{name:<10}" + "".join(f"{tables[r][name][0]:>14} / {tables[r][name][1]:>5}" for r in revisions)
        if len(revisions) > 1:
            first, last = tables[revisions[0]][name][0], tables[revisions[-1]][name][0]
            row += f"{last - first:>+16}"
        print(row)


if __name__ == "__main__":
    main(sys.argv[1:])
