"""The fault matrix (issue 15): every connector, through its sandbox, under every fault kind.

For each installed connector a dossier is synced clean once; that is the reference. Then, for each
fault, the dossier is linked again (so the next run is a full one, built in a new generation), the
fault is switched on mid-sync (after the first requests), and the dossier is synced as the nightly
policy would: a run that failed is run again (the next night) up to :data:`NIGHTS` times, and a
connection that needs re-consent is re-consented first, as a person would. It must end equal to
the reference — no line lost, extra, doubled or changed — and every run that failed on the way
must say which dossier, which connector and what went wrong, and leave the data as it was.

An administrative-only connector (AdminPulse) syncs company details in one request: its faults land
on that request, and "equal to the reference" means the same kept versions of the details.

The figures (scenarios, survived at once, survived after more runs, lost, extra, changed) are
printed at the end (``pytest -s``) and kept in ``docs/reliability.md``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sfsync.clock import ScaledClock
from sfsync.models import Granularity
from sfsync.plugins import get_registry
from sfsync.sandbox.faults import (
    Fault,
    HtmlPage,
    RateLimited,
    RevokedConsent,
    ServerError,
    Timeout,
    TokenExpiry,
    Truncated,
    WrongTypes,
)
from sfsync.store.base import RunRecord
from sfsync.testing.figures import snapshot
from sfsync.testing.harness import ContractHarness

pytestmark = pytest.mark.slow

NIGHTS = 3
"""Runs a dossier gets to get over a fault: the faulted one and the nights after it."""

SPEED = 600
"""How much faster than real time the sandboxes, the faults and the runner's waits run."""

MID_SYNC = 2
"""Requests each fault lets through first, so it lands in the middle of a sync."""

FAULTS: dict[str, Callable[[], Fault]] = {
    "429 with Retry-After": lambda: RateLimited(retry_after=1.0, after=MID_SYNC),
    "503 x3": lambda: ServerError(status=503, times=3, after=MID_SYNC),
    "500 x8": lambda: ServerError(status=500, times=8, after=MID_SYNC),
    "timeout x3": lambda: Timeout(times=3, after=MID_SYNC),
    "timeout x14": lambda: Timeout(times=14, after=MID_SYNC),
    "body cut at 60 %": lambda: Truncated(fraction=0.6, after=MID_SYNC),
    "HTML page with 200": lambda: HtmlPage(after=MID_SYNC),
    "wrong field types": lambda: WrongTypes(after=MID_SYNC),
    "token expiry mid-sync": lambda: TokenExpiry(after=MID_SYNC),
    "revoked consent, re-consent": lambda: RevokedConsent(after=MID_SYNC),
}


KNOWN: dict[tuple[str, str], str] = {}
"""Scenarios that fail today, with why; strict, so a fix shows up as XPASS and must remove them."""

INTERMITTENT: set[tuple[str, str]] = set()
"""Known failures that depend on which request the fault lands on (Sage's own 429s move it): not strict."""


def _connectors() -> list[str]:
    registry = get_registry()
    return sorted(name for name in registry.connectors if registry.supports(name, "sfsync_sandbox"))


@dataclasses.dataclass
class Outcome:
    """What one scenario came to."""

    connector: str
    fault: str
    runs: int
    served: int
    lost: int
    extra: int
    changed: int
    failures: list[str]


OUTCOMES: list[Outcome] = []


@dataclasses.dataclass
class Clean:
    """A connector's harness with a dossier synced clean, and what that sync stored."""

    harness: ContractHarness
    dossier: Any
    reference: Any


def _administrative(harness: ContractHarness) -> bool:
    return harness.granularity is Granularity.DETAILS


def _state(harness: ContractHarness, dossier: Any) -> Any:
    """What the dossier holds: its figures, or for an administrative link its kept details."""
    if _administrative(harness):
        return [r.details for r in harness.app.store.company_details_history(dossier.id)]
    return snapshot(harness, dossier.id)


def _fault(harness: ContractHarness, name: str) -> Fault:
    fault = FAULTS[name]()
    if _administrative(harness):
        fault.after = 0  # a details sync is one request: the fault lands on it
    return fault


@pytest.fixture(scope="module", params=_connectors())
def clean(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clean]:
    # The scaled clock: the packages' real limits, token lifetimes, Retry-After and timeouts (the
    # client's 60-600 s) pass SPEED times faster, for the sandbox and the runner alike.
    sandbox = get_registry().call(request.param, "sfsync_sandbox")
    try:  # built on the clock where the sandbox takes one (its limits and tokens keep it)
        rebuilt = type(sandbox)(clock=ScaledClock(SPEED))
    except TypeError:
        rebuilt = None
    if rebuilt is not None and rebuilt.base_urls == sandbox.base_urls:
        sandbox = rebuilt
    else:  # a sandbox made with other arguments (a region, a package name) reads it as it goes
        sandbox.clock = ScaledClock(SPEED)
    harness = ContractHarness.create(request.param, tmp_path_factory.mktemp(request.param), sandbox=sandbox)
    if _administrative(harness):
        harness.app.runner.details_interval = dt.timedelta(0)  # every night asks for the details
    dossier = harness.new_dossier()
    run = harness.sync(dossier)
    assert run.status in ("ok", "warning"), run.error
    yield Clean(harness, dossier, _state(harness, dossier))
    harness.close()


def _differences(reference: Any, found: Any) -> tuple[int, int, int]:
    lost = extra = changed = 0
    for want, got in zip(reference, found, strict=True):
        lost += len(want.keys() - got.keys())
        extra += len(got.keys() - want.keys())
        changed += sum(1 for key in want.keys() & got.keys() if want[key] != got[key])
    return lost, extra, changed


def _says_what_failed(run: RunRecord, harness: ContractHarness, dossier: Any) -> str | None:
    """Why a failed run's message is not one a person can act on, or ``None``."""
    error = run.error or ""
    missing = [what for what, word in (("dossier", dossier.name), ("connector", harness.connector)) if word not in error]
    if missing:
        return f"the error does not name the {' and the '.join(missing)}: {error!r}"
    if len(error.split(":", 1)[-1].strip()) < 10:
        return f"the error gives no cause: {error!r}"
    return None


@contextlib.contextmanager
def _switched_on(harness: ContractHarness, fault: Fault) -> Iterator[Fault]:
    with harness.sandbox.faults.injected(fault):
        yield fault
    harness.sandbox.faults.clear()


@pytest.mark.parametrize("fault_name", list(FAULTS))
def test_a_fault_leaves_the_dossier_equal_to_a_clean_sync(
    clean: Clean, fault_name: str, request: pytest.FixtureRequest
) -> None:
    harness, dossier = clean.harness, clean.dossier
    if (harness.connector, fault_name) in KNOWN:
        strict = (harness.connector, fault_name) not in INTERMITTENT
        request.applymarker(pytest.mark.xfail(reason=KNOWN[harness.connector, fault_name], strict=strict))
    harness.relink(dossier)  # the next run is a full one, into a new generation
    failures: list[str] = []
    problems: list[str] = []
    served_before = len(harness.sandbox.faults.served)
    runs = 0
    with _switched_on(harness, _fault(harness, fault_name)):
        for _night in range(NIGHTS):
            runs += 1
            run = harness.sync(dossier)
            if run.status in ("ok", "warning"):
                break
            failures.append(f"{run.status} {run.error_kind}: {run.error}")
            if run.status == "failed":
                problem = _says_what_failed(run, harness, dossier)
                if problem:
                    problems.append(problem)
            if _state(harness, dossier) != clean.reference:
                problems.append(f"a {run.status} run did not leave the data as it was ({run.error})")
            if run.error_kind in ("NeedsReconsent", "AuthError"):  # a person logs in or gives the new key
                link = harness.app.store.get_link(dossier.id) or harness.app.store.get_admin_link(dossier.id)
                assert link is not None
                harness.sandbox.faults.clear()
                harness.reconsent(harness.app.store.get_connection(link.connection_id), dossier=dossier)
    served = len(harness.sandbox.faults.served) - served_before
    if _administrative(harness):
        lost, extra, changed = 0, 0, int(_state(harness, dossier) != clean.reference)
    else:
        lost, extra, changed = _differences(clean.reference, snapshot(harness, dossier.id))
    OUTCOMES.append(Outcome(harness.connector, fault_name, runs, served, lost, extra, changed, failures))
    assert served > 0, f"the fault was never served: the scenario proves nothing ({harness.connector})"
    assert not problems, problems
    assert run.status in ("ok", "warning"), f"still {run.status} after {runs} runs: {failures}"
    assert (lost, extra, changed) == (0, 0, 0), (
        f"after {fault_name} the dossier differs from a clean sync: {lost} lost, {extra} extra, {changed} changed"
    )


def test_zz_print_the_figures() -> None:
    """The table for docs/reliability.md (run with -s to see it)."""
    if not OUTCOMES:
        pytest.skip("no scenario ran (selected on its own)")
    at_once = sum(1 for o in OUTCOMES if o.runs == 1 and not o.failures)
    later = sum(1 for o in OUTCOMES if o.failures and o.lost == o.extra == o.changed == 0)
    lines = [
        f"scenarios {len(OUTCOMES)}, survived in the faulted run {at_once}, after more runs {later}, "
        f"lost {sum(o.lost for o in OUTCOMES)}, extra or doubled {sum(o.extra for o in OUTCOMES)}, "
        f"changed {sum(o.changed for o in OUTCOMES)}",
        "| connector | " + " | ".join(FAULTS) + " |",
    ]
    by_connector: dict[str, dict[str, Outcome]] = {}
    for outcome in OUTCOMES:
        by_connector.setdefault(outcome.connector, {})[outcome.fault] = outcome
    for connector, faults in sorted(by_connector.items()):
        cells = [("ok" if faults[f].runs == 1 and not faults[f].failures else f"{faults[f].runs} runs")
                 if f in faults else "" for f in FAULTS]
        lines.append(f"| {connector} | " + " | ".join(cells) + " |")
    print("\n" + "\n".join(lines))
