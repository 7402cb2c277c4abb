"""The balance check sums exactly at any size, on every store (issue 15, finding 2)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sfsync.models import LedgerBatch, LedgerLine

DAY = dt.date(2025, 3, 1)


def _line(entry: str, n: int, debit: str = "0", credit: str = "0") -> LedgerLine:
    return LedgerLine(id=f"{entry}-{n}", entry=entry, date=DAY, account="600000",
                      debit=Decimal(debit), credit=Decimal(credit))


def _unbalanced(store: Any, lines: list[LedgerLine], *, limit: int = 20) -> list[tuple[str, str]]:
    firm = store.create_firm("F")
    dossier = store.add_dossier(firm.id, "D")
    generation = store.begin_generation(dossier.id, keep_before=None)
    store.write_ledger_batch(dossier.id, generation, "src", LedgerBatch(lines=lines), stream="s")
    return store.unbalanced_entries(dossier.id, generation, "src", limit=limit)  # type: ignore[no-any-return]


def test_idr_sized_entries_do_not_overflow(store: Any) -> None:
    # 200 lines of 100 billion each: 2e13 units, past the 9.2e12 where the old SUM overflowed
    big = [_line("E1", n, debit="100000000000.00") for n in range(200)]
    big.append(_line("E1", 999, credit="20000000000000.00"))
    off = [_line("E2", n, debit="99999999999.99") for n in range(150)]
    off.append(_line("E2", 999, credit="14999999999998.51"))  # 0.01 short
    assert _unbalanced(store, big + off) == [("E2", "-0.01")]


def test_amounts_too_long_for_sql_are_still_exact(store: Any) -> None:
    huge = "123456789012345678901234.5"  # 24 integer digits: summed with Decimal
    lines = [
        _line("A", 1, debit=huge), _line("A", 2, credit=huge),  # balances
        _line("B", 1, debit=huge), _line("B", 2, credit="123456789012345678901234.4"),
        _line("C", 1, debit="0.0000000001"), _line("C", 2, credit="0.0000000002"),  # 10 fraction digits
        _line("D", 1, debit="999999999999999999.999999999"), _line("D", 2, credit="999999999999999999.999999999"),
    ]
    assert _unbalanced(store, lines) == [("B", "0.1"), ("C", "-0.0000000001")]


def test_many_balanced_suspects_do_not_hide_a_later_difference(store: Any) -> None:
    """The old filter looked at the first ``limit * 5`` suspects only."""
    huge = "1" + "0" * 20
    lines = [x for n in range(150) for x in (_line(f"A{n:03}", 1, debit=huge), _line(f"A{n:03}", 2, credit=huge))]
    lines += [_line("Z", 1, debit="1.00"), _line("Z", 2, credit="0.99")]
    assert _unbalanced(store, lines) == [("Z", "0.01")]


def test_carries_between_parts_balance(store: Any) -> None:
    lines = [_line("E", 1, debit="1000000000.5"), _line("E", 2, credit="999999999.75"), _line("E", 3, credit="0.75"),
             _line("F", 1, debit="1000000000000000000"), _line("F", 2, credit="999999999999999999.999999999"),
             _line("F", 3, credit="0.000000001")]
    assert _unbalanced(store, lines) == []


amounts = st.decimals(min_value=0, max_value=Decimal("1e20"), places=3, allow_nan=False, allow_infinity=False)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entries=st.lists(st.tuples(st.lists(amounts, min_size=1, max_size=6), st.lists(amounts, min_size=1, max_size=6)),
                        min_size=1, max_size=8))
def test_agrees_with_decimal(store: Any, entries: list[tuple[list[Decimal], list[Decimal]]]) -> None:
    lines, expected = [], []
    for e, (debits, credits) in enumerate(entries):
        lines += [_line(f"E{e}", n, debit=str(d)) for n, d in enumerate(debits)]
        lines += [_line(f"E{e}", 100 + n, credit=str(c)) for n, c in enumerate(credits)]
        difference = sum(debits, Decimal(0)) - sum(credits, Decimal(0))
        if difference != 0:
            expected.append((f"E{e}", difference))
    found = _unbalanced(store, lines, limit=100)
    assert [(entry, Decimal(diff)) for entry, diff in found] == expected
