"""The contract report: every check of every contract class, passed, failed or not taken and why.

Registered by the ``sfsync.testing`` pytest plugin. At the end of a run it always lists the checks
that were opted out of or did not apply, with their reasons, so a skip is never silent; with
``pytest --sfsync-report`` it prints the whole table, one row per check and contract class.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from sfsync.testing.checks import CHECKS, MARKER

__all__ = ["ContractReport", "Outcome"]


@dataclass
class Outcome:
    """What became of one check in one contract class."""

    suite: str
    check: str
    result: str = "passed"
    reason: str = ""


def _suite_of(nodeid: str) -> str:
    # "path::TestClass::test_name[param]" -> "TestClass[param]": a parametrized class runs once per param.
    parts = nodeid.split("::")
    test = parts[-1]
    param = test[test.index("["):] if "[" in test else ""
    return f"{parts[-2] if len(parts) > 1 else parts[0]}{param}"


@dataclass(eq=False)  # registered as a pytest plugin: pluggy keeps plugins in sets, by identity
class ContractReport:
    """Collects the outcome of every marked contract test of a pytest run."""

    full: bool = False
    outcomes: dict[str, Outcome] = field(default_factory=dict)

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            marker = item.get_closest_marker(MARKER)
            if marker is not None:
                item.user_properties.append((MARKER, marker.args[0]))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        name = next((value for key, value in report.user_properties if key == MARKER), None)
        if name is None:
            return
        outcome = self.outcomes.setdefault(report.nodeid, Outcome(_suite_of(report.nodeid), str(name)))
        if report.failed:
            outcome.result, outcome.reason = "failed", report.when if report.when != "call" else ""
        elif report.skipped and outcome.result != "failed":
            if hasattr(report, "wasxfail"):
                outcome.result, outcome.reason = "expected failure", str(report.wasxfail)
            else:
                longrepr: Any = report.longrepr
                reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
                outcome.result, outcome.reason = "not taken", reason.removeprefix("Skipped: ")

    def rows(self) -> list[Outcome]:
        """Every outcome, by suite then in the order of :data:`CHECKS`."""
        order = {name: n for n, name in enumerate(CHECKS)}
        return sorted(self.outcomes.values(), key=lambda o: (o.suite, order.get(o.check, 99), o.check))

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        rows = self.rows()
        if not rows:
            return
        skipped = [o for o in rows if o.result == "not taken"]
        if self.full:
            terminalreporter.section("sfsync contract report")
            width = max(len(o.suite) for o in rows)
            terminalreporter.write_line(f"{'suite':<{width}}  {'check':<26} result")
            for o in rows:
                reason = f" ({o.reason})" if o.reason else ""
                terminalreporter.write_line(f"{o.suite:<{width}}  {o.check:<26} {o.result}{reason}")
        elif skipped:
            terminalreporter.section("sfsync contract: checks not taken")
            for o in skipped:
                terminalreporter.write_line(f"{o.suite}  {o.check}: {o.reason}")
