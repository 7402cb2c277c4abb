"""The contract suite proves itself: every check fails against the broken case aimed at it, and
only those checks; the honest echo passes them all (see ``contract_mutants``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib puts nothing on sys.path
from contract_mutants import CASES, BrokenCase
from sfsync.testing.checks import CHECKS

HERE = Path(__file__).parent

_MODULE = '''
from contract_mutants.suite import contract_classes, honest_classes

globals().update(contract_classes())
globals().update(honest_classes())
'''

_CONFTEST = '''
import json
import os
from pathlib import Path

RESULTS = {}


def pytest_runtest_logreport(report):
    name = next((value for key, value in report.user_properties if key == "sfsync_check"), None)
    if name is None:
        return
    key = report.nodeid.split("::")[-2] + "::" + name
    if report.failed:
        RESULTS[key] = "failed"
    elif report.skipped and RESULTS.get(key) != "failed":
        RESULTS[key] = "skipped"
    elif report.when == "call" and key not in RESULTS:
        RESULTS[key] = "passed"


def pytest_sessionfinish(session):
    Path(os.environ["SFSYNC_CONTRACT_RESULTS"]).write_text(json.dumps(RESULTS))
'''


def _class_name(case: BrokenCase) -> str:
    return "TestBroken_" + case.name.replace("-", "_")


def test_every_check_has_a_broken_case_that_fails_it() -> None:
    proven = set().union(*(case.fails for case in CASES))
    assert not set(CHECKS) - proven, f"checks no broken case proves: {sorted(set(CHECKS) - proven)}"
    assert not proven - set(CHECKS), f"cases aim at checks that do not exist: {sorted(proven - set(CHECKS))}"
    assert all(case.fails for case in CASES)
    assert len({case.name for case in CASES}) == len(CASES)


def test_every_check_is_one_contract_test_and_every_test_a_check() -> None:
    from sfsync.testing import ConnectorContract
    from sfsync.testing.checks import MARKER

    marked: dict[str, list[str]] = {}
    for name in dir(ConnectorContract):
        if name.startswith("test_"):
            marks = [m.args[0] for m in getattr(getattr(ConnectorContract, name), "pytestmark", []) if m.name == MARKER]
            assert len(marks) == 1, f"{name} is not exactly one check: {marks}"
            marked.setdefault(marks[0], []).append(name)
    assert sorted(marked) == sorted(CHECKS), f"checks without a test: {sorted(set(CHECKS) - set(marked))}"
    assert all(len(tests) == 1 for tests in marked.values()), marked


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Every check's outcome per contract class, from one pytest run of all broken cases and
    the honest echo (a process of its own: the broken hosts patch the core)."""
    folder = tmp_path_factory.mktemp("broken-contracts")
    (folder / "test_broken_contracts.py").write_text(_MODULE)
    (folder / "conftest.py").write_text(_CONFTEST)
    results = folder / "results.json"
    env = {**os.environ, "PYTHONPATH": str(HERE), "SFSYNC_CONTRACT_RESULTS": str(results), "SFSYNC_LOAD_PLUGINS": "echo"}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider", "--rootdir", str(folder),
         str(folder / "test_broken_contracts.py")],
        cwd=folder, env=env, capture_output=True, text=True, timeout=900,
    )
    assert results.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(results.read_text())  # type: ignore[no-any-return]


def _failed(outcomes: dict[str, str], cls: str) -> set[str]:
    ran = {key.split("::")[1]: value for key, value in outcomes.items() if key.startswith(cls + "::")}
    assert ran, f"{cls} ran no check"
    return {name for name, value in ran.items() if value == "failed"}


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_a_broken_case_fails_exactly_the_checks_aimed_at_it(outcomes: dict[str, str], case: BrokenCase) -> None:
    failed = _failed(outcomes, _class_name(case))
    assert failed == case.fails, (
        f"{case.name} ({case.fault}): missed {sorted(case.fails - failed)}, also failed {sorted(failed - case.fails)}"
    )


@pytest.mark.parametrize("cls", ["TestHonestEcho", "TestHonestEchoTrialBalance", "TestHonestEchoDetails"])
def test_the_honest_echo_passes_every_check(outcomes: dict[str, str], cls: str) -> None:
    assert _failed(outcomes, cls) == set()
