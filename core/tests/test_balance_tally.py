"""The balance check a full run counts as it writes (sfsync.balance_tally) says what a scan says."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from sfsync.balance_tally import EntryTally
from sfsync.hookspecs import hookimpl
from sfsync.models import LedgerBatch
from sfsync.runner import balance_warnings


def _line(line_id: str, entry: str, amount: str) -> dict:
    return {"id": line_id, "entry": entry, "date": "2024-03-01", "account": "400000", "description": "x",
            "amount": amount}


def _feeding(registry, batches: list[list[dict]]) -> None:
    """Make the echo connector's ledger these batches, whatever it would have sent."""

    class Feed:
        @hookimpl(wrapper=True)
        def sfsync_fetch_ledger(self, cursor):
            yield

            async def fed():
                for number, lines in enumerate(batches, start=1):
                    yield LedgerBatch(lines=lines, cursor=str(number))

            return fed()

    registry.register(Feed(), "feed")


def test_an_entry_spanning_batches_balances_and_a_wrong_one_is_named():
    tally = EntryTally()
    tally.add(LedgerBatch(lines=[_line("1", "E1", "100.00"), _line("2", "E2", "5")]))
    assert tally.open_entries == 2  # both wait for their other half
    tally.add(LedgerBatch(lines=[_line("3", "E1", "-100.00"), _line("4", "E2", "-4.99")]))
    assert tally.open_entries == 1  # E1 closed and was let go
    assert tally.unbalanced() == [("E2", "0.01")]
    assert tally.lines == 4


def test_a_deletion_makes_the_tally_unusable():
    tally = EntryTally()
    tally.add(LedgerBatch(lines=[_line("1", "E1", "1")]))
    tally.add(LedgerBatch(deleted=["1"]))
    assert not tally.usable


def test_a_line_sent_again_with_a_new_amount_is_checked_by_the_store(env, registry):
    # Batch 2 re-sends line 2 (an edit): stored are +100 and -90, so E1 is 10 off. The tally,
    # which saw +100, -100 and -90, cannot know that; the stored count tells the runner so.
    _feeding(registry, [[_line("1", "E1", "100.00"), _line("2", "E1", "-100.00")], [_line("2", "E1", "-90.00")]])
    dossier = env.dossier("d1")
    run = env.sync(dossier)
    assert run.status == "warning", run.error
    assert [w for w in run.warnings if "does not balance" in w] == ["entry E1 does not balance: debit - credit = 10.00"]


def test_a_full_run_reports_what_a_scan_of_the_stored_lines_reports(env, registry):
    _feeding(registry, [
        [_line("1", "E1", "100.00"), _line("2", "E2", "7.50"), _line("3", "E3", "1")],
        [_line("4", "E1", "-99.99"), _line("5", "E2", "-7.50"), _line("6", "E3", "-1")],
    ])
    dossier = env.dossier("d1")
    run = env.sync(dossier)
    found = [w for w in run.warnings if "does not balance" in w]
    assert found == ["entry E1 does not balance: debit - credit = 0.01"]
    generation = env.app.store.active_generation(dossier.id)
    assert found == balance_warnings(env.app.store, dossier.id, generation, env.connection.id)


_amount = st.decimals(min_value=Decimal("-99999.99"), max_value=Decimal("99999.99"), places=2)


@settings(max_examples=40, deadline=None)
@given(
    entries=st.lists(st.lists(_amount, min_size=1, max_size=4), min_size=1, max_size=12),
    cut=st.integers(min_value=1, max_value=7),
    tweak=st.booleans(),
)
def test_the_tally_equals_exact_sums_per_entry(entries, cut, tweak):
    lines, expected = [], {}
    for number, amounts in enumerate(entries):
        balanced = [*amounts, -sum(amounts, Decimal(0))]
        if tweak and number % 3 == 0:
            balanced[0] += Decimal("0.01")
        entry = f"E{number:03d}"
        for leg, amount in enumerate(balanced):
            lines.append(_line(f"{entry}-{leg}", entry, format(amount, "f")))
        total = sum(balanced, Decimal(0))
        if total:
            expected[entry] = format(total, "f")
    tally = EntryTally()
    for at in range(0, len(lines), cut):
        tally.add(LedgerBatch(lines=lines[at:at + cut]))
    assert dict(tally.unbalanced(limit=1000)) == expected
    assert tally.open_entries == len(expected)
    assert tally.lines == len(lines)
