"""Echo's trial-balance nights: an unchanged night asks one line and one deletion and reads no
line; a change of either kind still reaches the dossier the next night."""

import json
from pathlib import Path

import pytest
from sfsync.echo import EchoSandbox
from sfsync.models import Granularity, TrialBalanceBatch
from sfsync.testing.figures import fetched, tb_snapshot
from sfsync.testing.harness import ContractHarness

TB = Granularity.TRIAL_BALANCE


@pytest.fixture
def harness(tmp_path: Path) -> ContractHarness:
    harness = ContractHarness.create("echo", tmp_path)
    harness.granularity_override = TB
    return harness


def _synced(harness: ContractHarness):  # type: ignore[no-untyped-def]
    dossier = harness.new_dossier(granularity=TB)
    run = harness.sync(dossier)
    assert run.status == "ok", run.error
    return dossier


def _fresh_totals(harness: ContractHarness) -> dict:  # type: ignore[type-arg]
    """The trial balance a new dossier reads from scratch: what an incremental one must equal."""
    return tb_snapshot(harness, _synced(harness).id)


def test_an_unchanged_night_reads_no_line(harness: ContractHarness) -> None:
    dossier = _synced(harness)
    before = tb_snapshot(harness, dossier.id)
    night = harness.sync(dossier)
    assert night.status == "ok", night.error
    assert fetched(night, TB) == 0
    assert night.requests == 4  # years, accounts, one line asked, one deletion asked
    assert tb_snapshot(harness, dossier.id) == before


def _delete_an_open_year_entry(sandbox: EchoSandbox, ref: str) -> None:
    # The sandbox's delete_entry takes the first seeded entry, in the closed year 2024 that echo
    # does not read again: this one is dated in 2025, an open year.
    company = sandbox.companies[ref]
    entry = next(ln.entry for ln in company.lines if ln.date.year == 2025 and "-E" in ln.entry)
    for line in [ln for ln in company.lines if ln.entry == entry]:
        company.lines.remove(line)
        company.deleted.append((sandbox._next(), line.id))


@pytest.mark.parametrize("change", ["add", "delete"])
def test_a_change_reaches_the_next_night(harness: ContractHarness, change: str) -> None:
    dossier = _synced(harness)
    before = tb_snapshot(harness, dossier.id)
    sandbox, ref = harness.sandbox, harness.sandbox.company_refs()[0]
    assert isinstance(sandbox, EchoSandbox)
    if change == "add":
        sandbox.add_entry(ref)
    else:
        _delete_an_open_year_entry(sandbox, ref)
    night = harness.sync(dossier)
    assert night.status == "ok", night.error
    after = tb_snapshot(harness, dossier.id)
    assert after != before, f"{change} did not reach the trial balance"
    assert after == _fresh_totals(harness)
    # And the night after that is quiet again.
    quiet = harness.sync(dossier)
    assert fetched(quiet, TB) == 0 and quiet.requests == 4


def _store_cursor_before_the_gate(harness: ContractHarness, dossier_id: str, *, seen: bool = True) -> None:
    """Put back the stored cursor as echo wrote it before sfsync.trial_balance_gate."""
    store = harness.app.store
    generation = store.active_generation(dossier_id)
    assert generation is not None
    state = json.loads(store.get_checkpoint(dossier_id, generation, "trial_balance") or "{}")
    old = {"closed_done": state["done"], "seen": state["marks"]["seen"] if seen else None}
    store.write_trial_balance_batch(dossier_id, generation, "old", TrialBalanceBatch(cursor=json.dumps(old)),
                                    stream="trial_balance")


def test_a_cursor_from_before_the_gate_still_gives_an_unchanged_night(harness: ContractHarness) -> None:
    dossier = _synced(harness)
    before = tb_snapshot(harness, dossier.id)
    _store_cursor_before_the_gate(harness, dossier.id)
    night = harness.sync(dossier)
    assert night.status == "ok", night.error
    assert fetched(night, TB) == 0 and night.requests == 4
    assert tb_snapshot(harness, dossier.id) == before


def test_a_change_after_a_cursor_from_before_the_gate_still_arrives(harness: ContractHarness) -> None:
    dossier = _synced(harness)
    before = tb_snapshot(harness, dossier.id)
    _store_cursor_before_the_gate(harness, dossier.id)
    sandbox = harness.sandbox
    assert isinstance(sandbox, EchoSandbox)
    sandbox.add_entry(sandbox.company_refs()[0])
    night = harness.sync(dossier)
    assert night.status == "ok", night.error
    assert tb_snapshot(harness, dossier.id) != before
    assert tb_snapshot(harness, dossier.id) == _fresh_totals(harness)


def test_a_cursor_from_before_the_gate_without_its_sequence_is_a_full_read(harness: ContractHarness) -> None:
    dossier = _synced(harness)
    before = tb_snapshot(harness, dossier.id)
    _store_cursor_before_the_gate(harness, dossier.id, seen=False)
    night = harness.sync(dossier)
    assert night.status == "ok", night.error
    assert fetched(night, TB) > 0  # the open years read again, the closed one kept
    assert tb_snapshot(harness, dossier.id) == before
    assert harness.sync(dossier).requests == 4  # and quiet again
