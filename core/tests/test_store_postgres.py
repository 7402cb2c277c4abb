"""The store's behaviours, run against SQLite and a real PostgreSQL server alike.

The PostgreSQL parameter needs ``SFSYNC_TEST_POSTGRES_DSN`` (``eval "$(bash .ci/services.sh)"``);
without it those cases are skipped with that reason.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import sys
import textwrap
import time
import uuid
from decimal import Decimal
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib puts nothing on sys.path
from conftest_stores import STORE_KINDS, drop_store, make_store, postgres_dsn
from sfsync.errors import NotFound
from sfsync.models import (
    Account,
    AccountKind,
    FiscalYear,
    Granularity,
    LedgerBatch,
    LedgerColumns,
    LedgerLine,
    OpeningBalance,
    Period,
    SyncMode,
    TrialBalanceBatch,
    TrialBalanceLine,
)
from sfsync.store.base import ConnectionRecord, LinkRecord, RunRecord

try:
    import psycopg

    DB_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error, psycopg.Error)
except ImportError:  # pragma: no cover - without psycopg the postgres cases are skipped
    DB_ERRORS = (sqlite3.Error,)


@pytest.fixture(params=STORE_KINDS)
def store(request, tmp_path):
    made = make_store(request.param, tmp_path)
    yield made
    drop_store(made)


def _dossier(store, name="Dossier"):
    firm = store.create_firm("Fiduciaire Dupont")
    return store.add_dossier(firm.id, name)


def _line(i, entry, account, date, debit="0", credit="0", **extra):
    return LedgerLine(
        id=f"L{i}",
        entry=entry,
        account=account,
        date=date,
        debit=Decimal(debit),
        credit=Decimal(credit),
        **extra,
    )


def _lines(store, dossier_id, generation=None):
    return {ln.id: ln for ln in store.ledger_lines(dossier_id, generation)}


# --- firms, users, connections, dossiers, links ----------------------------------------------------


def test_firms_users_round_trip(store):
    firm = store.create_firm("Fiduciaire Dupont")
    other = store.create_firm("Accountants & Co")
    assert store.get_firm(firm.id) == firm
    assert [f.name for f in store.list_firms()] == ["Accountants & Co", "Fiduciaire Dupont"]
    admin = store.add_user(firm.id, "anne@dupont.be", "admin")
    assert store.get_user(admin.id) == admin
    assert store.find_user(firm.id, "anne@dupont.be") == admin
    assert store.find_user(other.id, "anne@dupont.be") is None
    with pytest.raises(NotFound):
        store.get_firm("firm_missing")
    with pytest.raises(NotFound):
        store.get_user("user_missing")
    with pytest.raises(NotFound):
        store.add_user("firm_missing", "x@y.be", "member")


def test_connections_round_trip(store):
    firm = store.create_firm("F")
    record = ConnectionRecord(
        id="conn_1",
        firm_id=firm.id,
        connector="exact-be",
        label="Exact",
        level="firm",
        config={"region": "be", "nested": {"a": [1, 2]}},
        sealed=b"\x00\x01sealed\xff",
    )
    store.add_connection(record)
    got = store.get_connection("conn_1")
    assert (got.connector, got.label, got.level, got.config, got.sealed, got.status) == (
        "exact-be",
        "Exact",
        "firm",
        {"region": "be", "nested": {"a": [1, 2]}},
        b"\x00\x01sealed\xff",
        "ok",
    )
    assert got.created_at is not None and got.created_at.tzinfo is not None
    store.update_connection("conn_1", sealed=b"new", status="needs_reconsent")
    got = store.get_connection("conn_1")
    assert (got.sealed, got.status) == (b"new", "needs_reconsent")
    assert [c.id for c in store.list_connections(firm.id)] == ["conn_1"]
    store.delete_connection("conn_1")
    assert store.list_connections(firm.id) == []
    with pytest.raises(NotFound):
        store.get_connection("conn_1")


def test_dossiers_and_links_round_trip(store):
    firm = store.create_firm("F")
    b = store.add_dossier(firm.id, "Bakkerij Peeters")
    a = store.add_dossier(firm.id, "Atelier Janssens")
    assert store.get_dossier(a.id) == a
    assert store.find_dossier(firm.id, "Bakkerij Peeters") == b
    assert store.find_dossier(firm.id, "nope") is None
    assert [d.name for d in store.list_dossiers(firm.id)] == [
        "Atelier Janssens",
        "Bakkerij Peeters",
    ]
    assert {d.id for d in store.list_dossiers()} >= {a.id, b.id}
    assert store.get_link(a.id) is None
    override = [
        FiscalYear(
            start=dt.date(2023, 7, 1),
            end=dt.date(2024, 6, 30),
            label="2023-24",
            periods=(Period(number=1, start=dt.date(2023, 7, 1), end=dt.date(2023, 7, 31)),),
        )
    ]
    link = LinkRecord(
        dossier_id=a.id,
        connection_id="conn_x",
        company_ref="123",
        company_name="Janssens BV",
        mode=SyncMode.SINCE,
        granularity=Granularity.TRANSACTIONS,
        since=dt.date(2023, 7, 1),
        first_year_end=dt.date(2024, 6, 30),
        fiscal_years_override=override,
    )
    store.save_link(link)
    got = store.get_link(a.id)
    assert got is not None
    assert (
        got.connection_id,
        got.company_ref,
        got.company_name,
        got.mode,
        got.granularity,
        got.since,
        got.first_year_end,
        got.fiscal_years_override,
        got.needs_full_sync,
        got.opening_balances_done,
    ) == (
        "conn_x",
        "123",
        "Janssens BV",
        SyncMode.SINCE,
        Granularity.TRANSACTIONS,
        dt.date(2023, 7, 1),
        dt.date(2024, 6, 30),
        override,
        True,
        False,
    )
    link.needs_full_sync = False
    link.opening_balances_done = True
    link.mode = SyncMode.REPLACE
    link.since = None
    link.fiscal_years_override = None
    store.save_link(link)
    got = store.get_link(a.id)
    assert (
        got.mode,
        got.since,
        got.fiscal_years_override,
        got.needs_full_sync,
        got.opening_balances_done,
    ) == (SyncMode.REPLACE, None, None, False, True)
    store.delete_link(a.id)
    assert store.get_link(a.id) is None
    with pytest.raises(NotFound):
        store.get_dossier("dos_missing")
    with pytest.raises(NotFound):
        store.active_generation("dos_missing")


# --- generations ---------------------------------------------------------------------------------


def test_generation_begin_swap_discard(store):
    dossier = _dossier(store)
    assert store.active_generation(dossier.id) is None
    g1 = store.begin_generation(dossier.id, keep_before=None)
    assert store.building_generation(dossier.id) == g1
    store.write_accounts(
        dossier.id, g1, [Account(code="400000", name="Klanten", kind=AccountKind.BALANCE_SHEET)]
    )
    store.write_ledger_batch(
        dossier.id,
        g1,
        "c1",
        LedgerBatch(lines=[_line(1, "E1", "400000", dt.date(2024, 1, 5), debit="10")]),
        stream="ledger",
    )
    assert store.count_ledger_lines(dossier.id, g1) == 1
    store.swap_generation(dossier.id, g1)
    assert (store.active_generation(dossier.id), store.building_generation(dossier.id)) == (
        g1,
        None,
    )
    assert list(_lines(store, dossier.id)) == ["L1"]

    # a failed replace: the new generation is discarded and the old data is untouched
    g2 = store.begin_generation(dossier.id, keep_before=None)
    assert g2 != g1
    store.write_ledger_batch(
        dossier.id,
        g2,
        "c1",
        LedgerBatch(
            lines=[_line(2, "E2", "400000", dt.date(2024, 2, 5), debit="5")], cursor="half"
        ),
        stream="ledger",
    )
    store.discard_generation(dossier.id, g2)
    assert (store.active_generation(dossier.id), store.building_generation(dossier.id)) == (
        g1,
        None,
    )
    assert list(_lines(store, dossier.id)) == ["L1"]
    assert store.count_ledger_lines(dossier.id, g2) == 0
    assert store.get_checkpoint(dossier.id, g2, "ledger") is None

    # a successful replace drops the old generation
    g3 = store.begin_generation(dossier.id, keep_before=None)
    assert g3 not in (g1, g2)
    store.swap_generation(dossier.id, g3)
    assert store.count_ledger_lines(dossier.id) == 0
    assert store.count_ledger_lines(dossier.id, g1) == 0
    assert store.accounts(dossier.id, g1) == []


def test_begin_generation_keep_before_copies_older_data(store):
    dossier = _dossier(store)
    g1 = store.begin_generation(dossier.id, keep_before=None)
    accounts = [
        Account(code="550000", name="Bank", kind=AccountKind.BALANCE_SHEET),
        Account(code="700000", name="Omzet", kind=AccountKind.PROFIT_LOSS),
    ]
    store.write_accounts(dossier.id, g1, accounts)
    old = [
        _line(1, "E1", "550000", dt.date(2022, 12, 31), debit="100.10"),
        _line(2, "E1", "700000", dt.date(2022, 12, 31), credit="100.10"),
        _line(3, "E2", "550000", dt.date(2023, 1, 1), debit="7"),
        _line(4, "E2", "700000", dt.date(2023, 1, 1), credit="7"),
    ]
    store.write_ledger_batch(
        dossier.id, g1, "import:old.xaf", LedgerBatch(lines=old[:2]), stream="import"
    )
    store.write_ledger_batch(dossier.id, g1, "c1", LedgerBatch(lines=old[2:]), stream="ledger")
    tb = [
        TrialBalanceLine(
            account="700000",
            period_start=dt.date(2022, 1, 1),
            period_end=dt.date(2022, 12, 31),
            credit=Decimal("100.10"),
            closing=Decimal("-100.10"),
        ),
        TrialBalanceLine(
            account="700000",
            period_start=dt.date(2023, 1, 1),
            period_end=dt.date(2023, 12, 31),
            credit=Decimal("7"),
            closing=Decimal("-7"),
        ),
    ]
    store.write_trial_balance_batch(dossier.id, g1, "c1", TrialBalanceBatch(lines=tb), stream="tb")
    store.write_opening_balances(
        dossier.id,
        g1,
        "c1",
        [
            OpeningBalance(account="550000", date=dt.date(2023, 1, 1), amount=Decimal("100.10")),
            OpeningBalance(account="550000", date=dt.date(2024, 1, 1), amount=Decimal("107.10")),
        ],
    )
    store.swap_generation(dossier.id, g1)

    g2 = store.begin_generation(dossier.id, keep_before=dt.date(2023, 1, 1))
    kept = _lines(store, dossier.id, g2)
    assert sorted(kept) == ["L1", "L2"]  # before the date, whatever the source
    assert kept["L1"].debit == Decimal("100.10")
    assert [t.period_end for t in store.trial_balance(dossier.id, g2)] == [dt.date(2022, 12, 31)]
    assert store.accounts(dossier.id, g2) == accounts
    # Opening balances are history too: those at the date (the balance before it) are kept,
    # later ones come again from the package.
    assert store.opening_balances(dossier.id, g2) == [
        OpeningBalance(account="550000", date=dt.date(2023, 1, 1), amount=Decimal("100.10"))
    ]
    assert store.active_generation(dossier.id) == g1  # untouched until swapped

    # beginning again while one is building drops the unfinished one
    g3 = store.begin_generation(dossier.id, keep_before=None)
    assert store.building_generation(dossier.id) == g3
    assert store.count_ledger_lines(dossier.id, g2) == 0


def test_begin_generation_keep_outside_copies_what_lies_outside_the_dates(store):
    dossier = _dossier(store)
    g1 = store.begin_generation(dossier.id, keep_before=None)
    days = [dt.date(2022, 12, 31), dt.date(2023, 1, 1), dt.date(2023, 12, 31), dt.date(2024, 1, 1)]
    lines = [_line(i, f"E{i}", "550000", day, debit="1") for i, day in enumerate(days)]
    store.write_ledger_batch(dossier.id, g1, "import:a.xaf", LedgerBatch(lines=lines), stream="import")
    store.write_opening_balances(
        dossier.id, g1, "import:a.xaf",
        [OpeningBalance(account="550000", date=day, amount=Decimal("3")) for day in days[1:]],
    )
    tb = [TrialBalanceLine(account="550000", period_start=day.replace(month=1, day=1), period_end=day,
                           debit=Decimal(1), closing=Decimal(1)) for day in days if day.month == 12]
    store.write_trial_balance_batch(dossier.id, g1, "import:a.xaf", TrialBalanceBatch(lines=tb), stream="tb")
    store.swap_generation(dossier.id, g1)

    g2 = store.begin_generation(dossier.id, keep_before=None, keep_outside=(dt.date(2023, 1, 1), dt.date(2023, 12, 31)))
    assert sorted(_lines(store, dossier.id, g2)) == ["L0", "L3"]  # 2023 comes from the new source
    assert [b.date for b in store.opening_balances(dossier.id, g2)] == [dt.date(2024, 1, 1)]
    assert [t.period_end for t in store.trial_balance(dossier.id, g2)] == [dt.date(2022, 12, 31)]


# --- ledger batches and checkpoints ----------------------------------------------------------------


def test_ledger_batch_upsert_delete_clear_with_cursor(store):
    dossier = _dossier(store)
    gen = store.begin_generation(dossier.id, keep_before=None)
    day = dt.date(2024, 3, 1)
    first = LedgerBatch(
        lines=[
            _line(
                1,
                "E1",
                "400000",
                day,
                debit="121",
                journal="VF",
                period=3,
                fiscal_year="2024",
                description="Factuur 1",
                currency="USD",
                foreign_amount=Decimal("-130.55"),
                counterparty="K1",
                vat_code="21",
                modified=dt.datetime(2024, 3, 1, 10, 0, tzinfo=dt.UTC),
            ),
            _line(2, "E1", "700000", day, credit="100"),
            _line(3, "E1", "451000", day, credit="21"),
            _line(4, "E2", "400000", dt.date(2024, 4, 1), debit="50"),
            _line(5, "E2", "700000", dt.date(2024, 4, 1), credit="50"),
            _line(6, "E3", "400000", dt.date(2024, 5, 1), debit="9"),
            _line(7, "E3", "700000", dt.date(2024, 5, 1), credit="9"),
        ],
        cursor='{"page": 1}',
    )
    store.write_ledger_batch(dossier.id, gen, "c1", first, stream="ledger")
    assert store.get_checkpoint(dossier.id, gen, "ledger") == '{"page": 1}'
    got = _lines(store, dossier.id, gen)
    assert got["L1"] == first.lines[0]
    assert (
        list(
            store.ledger_lines(dossier.id, gen, start=dt.date(2024, 4, 1), end=dt.date(2024, 4, 30))
        )
        == first.lines[3:5]
    )

    second = LedgerBatch(
        lines=[
            _line(2, "E1", "700000", day, credit="99"),
            _line(8, "E1", "740000", day, credit="1"),
        ],
        deleted=["L6", "L7"],
        cursor='{"page": 2}',
    )
    store.write_ledger_batch(dossier.id, gen, "c1", second, stream="ledger")
    got = _lines(store, dossier.id, gen)
    assert sorted(got) == ["L1", "L2", "L3", "L4", "L5", "L8"]
    assert got["L2"].credit == Decimal("99")
    assert store.get_checkpoint(dossier.id, gen, "ledger") == '{"page": 2}'

    # no cursor keeps the previous one; whole entries go
    store.write_ledger_batch(
        dossier.id, gen, "c1", LedgerBatch(deleted_entries=["E2"]), stream="ledger"
    )
    assert sorted(_lines(store, dossier.id, gen)) == ["L1", "L2", "L3", "L8"]
    assert store.get_checkpoint(dossier.id, gen, "ledger") == '{"page": 2}'

    # clear wipes a date range of this source only, then writes
    store.write_ledger_batch(
        dossier.id,
        gen,
        "other",
        LedgerBatch(lines=[_line(9, "X", "400000", day, debit="1")]),
        stream="x",
    )
    store.write_ledger_batch(
        dossier.id,
        gen,
        "c1",
        LedgerBatch(
            lines=[_line(10, "E9", "400000", day, debit="3")],
            clear=(dt.date(2024, 1, 1), dt.date(2024, 12, 31)),
        ),
        stream="ledger",
    )
    assert sorted(_lines(store, dossier.id, gen)) == ["L10", "L9"]
    assert store.count_ledger_lines(dossier.id, gen) == 2

    store.clear_checkpoints(dossier.id, gen)
    assert store.get_checkpoint(dossier.id, gen, "ledger") is None


def test_same_line_twice_in_a_batch_keeps_the_last(store):
    dossier = _dossier(store)
    gen = store.begin_generation(dossier.id, keep_before=None)
    day = dt.date(2024, 3, 1)
    batch = LedgerBatch(
        lines=[_line(1, "E1", "400000", day, debit="1"), _line(1, "E1", "400000", day, debit="2")]
    )
    store.write_ledger_batch(dossier.id, gen, "c1", batch, stream="ledger")
    assert [ln.debit for ln in store.ledger_lines(dossier.id, gen)] == [Decimal("2")]


def test_failed_batch_leaves_neither_rows_nor_cursor(store):
    dossier = _dossier(store)
    gen = store.begin_generation(dossier.id, keep_before=None)
    day = dt.date(2024, 3, 1)
    store.write_ledger_batch(
        dossier.id,
        gen,
        "c1",
        LedgerBatch(
            lines=[
                _line(1, "E1", "400000", day, debit="5"),
                _line(2, "E1", "700000", day, credit="5"),
            ],
            cursor="c1",
        ),
        stream="ledger",
    )
    # A line the database refuses (no account) after a delete and a good line, in one batch.
    broken = LedgerLine.model_construct(
        id="L4",
        entry="E2",
        journal=None,
        date=day,
        period=None,
        fiscal_year=None,
        account=None,
        description="",
        debit=Decimal(0),
        credit=Decimal(1),
        currency=None,
        foreign_amount=None,
        counterparty=None,
        vat_code=None,
        modified=None,
    )
    bad = LedgerBatch.model_construct(
        lines=LedgerColumns.from_lines([_line(3, "E2", "400000", day, debit="1"), broken]),
        deleted=["L1"],
        deleted_entries=[],
        clear=None,
        cursor="c2",
        warnings=[],
    )
    with pytest.raises(DB_ERRORS):
        store.write_ledger_batch(dossier.id, gen, "c1", bad, stream="ledger")
    assert sorted(_lines(store, dossier.id, gen)) == ["L1", "L2"]
    assert store.get_checkpoint(dossier.id, gen, "ledger") == "c1"
    # the store is usable afterwards
    store.write_ledger_batch(
        dossier.id, gen, "c1", LedgerBatch(deleted=["L1"], cursor="c3"), stream="ledger"
    )
    assert sorted(_lines(store, dossier.id, gen)) == ["L2"]
    assert store.get_checkpoint(dossier.id, gen, "ledger") == "c3"


def test_trial_balance_batches_and_checkpoint(store):
    dossier = _dossier(store)
    gen = store.begin_generation(dossier.id, keep_before=None)
    y1 = (dt.date(2023, 7, 1), dt.date(2024, 6, 30))
    lines = [
        TrialBalanceLine(
            account="700000",
            period_start=y1[0],
            period_end=y1[1],
            period=12,
            fiscal_year="23-24",
            opening=Decimal("0.00"),
            debit=Decimal("1.10"),
            credit=Decimal("1000.20"),
            closing=Decimal("-999.10"),
        ),
        TrialBalanceLine(
            account="100000", period_start=y1[0], period_end=y1[1], closing=Decimal("0")
        ),
    ]
    store.write_trial_balance_batch(
        dossier.id, gen, "c1", TrialBalanceBatch(lines=lines, cursor="y1"), stream="tb"
    )
    assert store.trial_balance(dossier.id, gen) == sorted(lines, key=lambda t: t.account)
    assert str(store.trial_balance(dossier.id, gen)[1].opening) == "0.00"
    assert store.get_checkpoint(dossier.id, gen, "tb") == "y1"
    store.write_trial_balance_batch(
        dossier.id, gen, "c1", TrialBalanceBatch(lines=[], clear=y1), stream="tb"
    )
    assert store.trial_balance(dossier.id, gen) == []


def test_fiscal_years_accounts_opening_balances(store):
    dossier = _dossier(store)
    gen = store.begin_generation(dossier.id, keep_before=None)
    years = [
        FiscalYear(start=dt.date(2024, 7, 1), end=dt.date(2025, 6, 30), label="2024-25"),
        FiscalYear(
            start=dt.date(2023, 7, 1),
            end=dt.date(2024, 6, 30),
            label="2023-24",
            closed=True,
            periods=(Period(number=0, start=dt.date(2023, 7, 1), end=dt.date(2023, 7, 1)),),
        ),
    ]
    store.write_fiscal_years(dossier.id, gen, years)
    assert store.fiscal_years(dossier.id, gen) == sorted(years, key=lambda y: y.start)
    store.write_fiscal_years(dossier.id, gen, years[:1])  # replaces
    assert store.fiscal_years(dossier.id, gen) == years[:1]
    store.write_accounts(
        dossier.id, gen, [Account(code="7000", name="Omzet"), Account(code="1000", name="Kapitaal")]
    )
    store.write_accounts(
        dossier.id,
        gen,
        [
            Account(
                code="7000",
                name="Omzet binnenland",
                kind=AccountKind.PROFIT_LOSS,
                parent="70",
                ref="guid-1",
            )
        ],
    )
    assert store.accounts(dossier.id, gen) == [
        Account(code="1000", name="Kapitaal"),
        Account(
            code="7000",
            name="Omzet binnenland",
            kind=AccountKind.PROFIT_LOSS,
            parent="70",
            ref="guid-1",
        ),
    ]
    balances = [
        OpeningBalance(account="1000", date=dt.date(2024, 7, 1), amount=Decimal("-18500.00"))
    ]
    store.write_opening_balances(dossier.id, gen, "c1", balances)
    assert store.opening_balances(dossier.id, gen) == balances
    assert str(store.opening_balances(dossier.id, gen)[0].amount) == "-18500.00"


# --- exact amounts and balance checks --------------------------------------------------------------


def test_amounts_are_exact(store):
    dossier = _dossier(store)
    gen = store.begin_generation(dossier.id, keep_before=None)
    day = dt.date(2024, 1, 31)
    # 18 significant digits: more than a float holds (it would lose the last ones)
    amounts = [
        Decimal("0.10"),
        Decimal("0.20"),
        Decimal("123456789012.345678"),
        Decimal("9876543210.12345678"),
        Decimal("0.000001"),
        Decimal("1E+2"),
    ]
    assert Decimal(float(amounts[2])) != amounts[2]
    lines = [_line(i, f"E{i}", "400000", day, debit=str(a)) for i, a in enumerate(amounts)]
    store.write_ledger_batch(dossier.id, gen, "c1", LedgerBatch(lines=lines), stream="ledger")
    got = _lines(store, dossier.id, gen)
    for i, amount in enumerate(amounts):
        assert got[f"L{i}"].debit == amount
        assert isinstance(got[f"L{i}"].debit, Decimal)
    assert str(got["L0"].debit) == "0.10"  # the scale survives
    assert got["L0"].debit + got["L1"].debit == Decimal("0.30")


def test_amounts_of_eighteen_integer_digits(request, store):
    dossier = _dossier(store)
    gen = store.begin_generation(dossier.id, keep_before=None)
    day = dt.date(2024, 1, 31)
    lines = [
        _line(1, "E1", "400000", day, debit="123456789012345678"),
        _line(2, "E1", "700000", day, credit="123456789012345677.99"),
    ]
    store.write_ledger_batch(dossier.id, gen, "c1", LedgerBatch(lines=lines), stream="ledger")
    assert [ln.debit + ln.credit for ln in store.ledger_lines(dossier.id, gen)] == [
        Decimal("123456789012345678"),
        Decimal("123456789012345677.99"),
    ]
    assert store.unbalanced_entries(dossier.id, gen, "c1") == [("E1", "0.01")]


def test_unbalanced_entries_are_exact(store):
    dossier = _dossier(store)
    gen = store.begin_generation(dossier.id, keep_before=None)
    day = dt.date(2024, 1, 31)
    lines = [
        _line(1, "OK", "400000", day, debit="0.10"),
        _line(2, "OK", "400000", day, debit="0.20"),
        _line(3, "OK", "700000", day, credit="0.30"),
        _line(4, "BIG", "400000", day, debit="123456789012.01"),
        _line(5, "BIG", "700000", day, credit="123456789012.00"),
        _line(6, "CENT", "400000", day, debit="100.00"),
        _line(7, "CENT", "700000", day, credit="100.01"),
        _line(8, "OTHER", "400000", day, debit="5"),
    ]
    store.write_ledger_batch(dossier.id, gen, "c1", LedgerBatch(lines=lines), stream="ledger")
    store.write_ledger_batch(
        dossier.id,
        gen,
        "c2",
        LedgerBatch(lines=[_line(9, "X", "400000", day, debit="1")]),
        stream="ledger",
    )
    found = store.unbalanced_entries(dossier.id, gen, "c1")
    assert sorted(found) == [("BIG", "0.01"), ("CENT", "-0.01"), ("OTHER", "5")]
    assert len(store.unbalanced_entries(dossier.id, gen, "c1", limit=2)) == 2
    assert store.unbalanced_entries(dossier.id, gen, "c2") == [("X", "1")]


# --- runs and locks ----------------------------------------------------------------------------------


def test_runs_are_kept(store):
    dossier = _dossier(store)
    t0 = dt.datetime(2026, 1, 15, 2, 0, tzinfo=dt.UTC)
    first = RunRecord(id="run_1", dossier_id=dossier.id, started_at=t0)
    store.start_run(first)
    assert store.last_run(dossier.id).status == "running"
    first.finished_at = t0 + dt.timedelta(seconds=42.5)
    first.status = "waiting"
    first.stage = "ledger"
    first.counts = {"lines_fetched": 10}
    first.requests = 3
    first.rate_limit_waits = 1
    first.warnings = ["entry E1 does not balance"]
    first.error = "budget spent"
    first.error_kind = "BudgetExhausted"
    first.resume_at = t0 + dt.timedelta(hours=22)
    store.finish_run(first)
    second = RunRecord(id="run_2", dossier_id=dossier.id, started_at=t0 + dt.timedelta(days=1))
    store.start_run(second)
    got = store.list_runs(dossier.id)
    assert [r.id for r in got] == ["run_2", "run_1"]
    kept = got[1]
    assert (
        kept.status,
        kept.stage,
        kept.counts,
        kept.requests,
        kept.rate_limit_waits,
        kept.warnings,
        kept.error,
        kept.error_kind,
        kept.resume_at,
        kept.duration,
    ) == (
        "waiting",
        "ledger",
        {"lines_fetched": 10},
        3,
        1,
        ["entry E1 does not balance"],
        "budget spent",
        "BudgetExhausted",
        t0 + dt.timedelta(hours=22),
        42.5,
    )
    assert kept.started_at == t0
    assert store.last_run(dossier.id).id == "run_2"
    assert store.list_runs(dossier.id, limit=1)[0].id == "run_2"
    assert store.last_run("dos_other") is None


def test_lock_refuses_a_second_owner_and_expires(store):
    dossier = _dossier(store)
    assert store.try_lock(dossier.id, "run_a", ttl=3600)
    assert not store.try_lock(dossier.id, "run_b", ttl=3600)
    assert store.try_lock(dossier.id, "run_a", ttl=3600)  # the holder renews
    store.release_lock(dossier.id, "run_b")  # not the holder: nothing happens
    assert not store.try_lock(dossier.id, "run_b", ttl=3600)
    store.release_lock(dossier.id, "run_a")
    assert store.try_lock(dossier.id, "run_b", ttl=0)  # ttl 0: expired as soon as taken
    assert store.try_lock(dossier.id, "run_c", ttl=3600)
    assert not store.try_lock(dossier.id, "run_b", ttl=3600)
    other = _dossier(store, "Other")
    assert store.try_lock(other.id, "run_b", ttl=3600)  # locks are per dossier


# --- PostgreSQL only: migrations and locks across processes ----------------------------------------


@pytest.fixture
def pg_schema(tmp_path):
    made = make_store("postgres", tmp_path)
    yield made
    drop_store(made)


@pytest.mark.postgres
def test_postgres_schema_is_versioned_and_reopened(pg_schema):
    from sfsync.store.postgres import SCHEMA_VERSION, PostgresStore

    assert pg_schema.schema_version() == SCHEMA_VERSION
    dossier = _dossier(pg_schema)
    again = PostgresStore(postgres_dsn(), schema=pg_schema.schema)
    try:
        assert again.schema_version() == SCHEMA_VERSION
        assert again.get_dossier(dossier.id) == dossier  # reopening keeps the data
        assert "sfsync-ci" not in repr(again) and "password" not in repr(again).lower()
    finally:
        again.close()


@pytest.mark.postgres
def test_postgres_version_1_database_is_migrated_in_place(tmp_path):
    from sfsync.store import postgres as pg

    schema = f"sfsync_t_v1_{uuid.uuid4().hex[:12]}"
    first = pg.MIGRATIONS[:1]
    with pytest.MonkeyPatch.context() as patch:  # a database as sfsync with schema version 1 left it
        patch.setattr(pg, "MIGRATIONS", first)
        patch.setattr(pg, "SCHEMA_VERSION", 1)
        old = pg.PostgresStore(postgres_dsn(), schema=schema)
        dossier = _dossier(old)
        old._db.execute(
            "INSERT INTO links (dossier_id, connection_id, company_ref, company_name, mode, granularity,"
            " needs_full_sync, opening_balances_done) VALUES (%s, 'con', 'C', 'Co', 'since', 'transactions',"
            " false, true)",
            (dossier.id,),
        )
        assert old.schema_version() == 1
        old.close()
    store = pg.PostgresStore(postgres_dsn(), schema=schema)
    try:
        assert store.schema_version() == pg.SCHEMA_VERSION == 4
        # Version 3: the connection levels (support staff, administrative links, company details).
        support = store.add_support_user("help@host.test")
        assert store.get_user(support.id) == support and store.get_admin_link(dossier.id) is None
        link = store.get_link(dossier.id)
        assert link is not None and link.opening_balances_done and link.opening_balances_stamp is None
        link.opening_balances_stamp = "s1"
        store.save_link(link)
        assert store.get_link(dossier.id).opening_balances_stamp == "s1"
    finally:
        store._db.execute(f'DROP SCHEMA "{schema}" CASCADE')
        store.close()


@pytest.mark.postgres
def test_postgres_version_3_ledger_is_moved_into_sets(tmp_path):
    """Migration 4 rewrites the ledger table (dossier, generation and source on every line) into
    integer sets: every line, amount and booking-period day kept, per dossier, generation and
    source, and the store reads and writes them as before."""
    from sfsync.store import postgres as pg

    schema = f"sfsync_t_v3_{uuid.uuid4().hex[:12]}"
    with pytest.MonkeyPatch.context() as patch:  # a database as sfsync with schema version 3 left it
        patch.setattr(pg, "MIGRATIONS", pg.MIGRATIONS[:3])
        patch.setattr(pg, "SCHEMA_VERSION", 3)
        old = pg.PostgresStore(postgres_dsn(), schema=schema)
        first, second = _dossier(old, "A"), _dossier(old, "B")
        rows = [  # dossier, generation, source, id, entry, date, account, debit, credit, placed_on
            (first.id, 1, "c1", "L1", "E1", dt.date(2024, 1, 31), "400000", "121.10", "0", dt.date(2024, 2, 1)),
            (first.id, 1, "c1", "L2", "E1", dt.date(2024, 1, 31), "700000", "0", "121.10", None),
            (first.id, 1, "tb", "L1", "T1", dt.date(2024, 3, 1), "400000", "0.10", "0", None),
            (first.id, 2, "c1", "L1", "E1", dt.date(2024, 1, 31), "400000", "5", "0", None),
            (second.id, 1, "c1", "L1", "E1", dt.date(2023, 6, 1), "400000", "7", "7", None),
        ]
        old._db.execute("UPDATE dossiers SET active_generation = 1, next_generation = 3")
        for dossier_id, gen, source, line, entry, day, account, debit, credit, placed in rows:
            old._db.execute(
                "INSERT INTO ledger_lines (dossier_id, generation, source, id, entry, date, account, description,"
                " debit, credit, currency, placed_on) VALUES (%s, %s, %s, %s, %s, %s, %s, 'd', %s, %s, 'EUR', %s)",
                (dossier_id, gen, source, line, entry, day, account, Decimal(debit), Decimal(credit), placed),
            )
        old.close()
    store = pg.PostgresStore(postgres_dsn(), schema=schema)
    try:
        assert store.schema_version() == 4
        assert store.count_ledger_lines(first.id) == 3 and store.count_ledger_lines(first.id, 2) == 1
        assert store.count_ledger_lines(first.id, source="tb") == 1 and store.count_ledger_lines(second.id) == 1
        lines = list(store.ledger_lines(first.id))
        assert [(ln.id, ln.entry, ln.debit, ln.credit, ln.currency) for ln in lines] == [
            ("L1", "E1", Decimal("121.10"), Decimal("0"), "EUR"),
            ("L2", "E1", Decimal("0"), Decimal("121.10"), "EUR"),
            ("L1", "T1", Decimal("0.10"), Decimal("0"), "EUR"),
        ]
        # The booking-period day came along: L1 counts on 1 February, L2 on its date.
        assert [ln.id for ln in store.ledger_lines(first.id, start=dt.date(2024, 2, 1), end=dt.date(2024, 2, 28))] == ["L1"]
        assert store.unbalanced_entries(first.id, 1, "tb") == [("T1", "0.10")]
        indexes = {r[0] for r in store._all("SELECT indexname FROM pg_indexes WHERE tablename = 'ledger_lines'"
                                             " AND schemaname = %s", (schema,))}
        assert indexes == {"ledger_lines_pkey", "ledger_by_entry"}
        assert store._one("SELECT to_regclass('ledger_lines_v3')")[0] is None
        # The migrated set takes an edit of a line it holds.
        store.write_ledger_batch(first.id, 1, "c1", LedgerBatch(lines=[
            _line(2, "E1", "700000", dt.date(2024, 1, 31), credit="121.10", description="edited")]), stream="ledger")
        assert store.count_ledger_lines(first.id) == 3
        assert _lines(store, first.id)["L2"].description == "edited"
        store.delete_dossier(first.id)
        assert store._one("SELECT count(*) FROM ledger_sets WHERE dossier_id = %s", (first.id,))[0] == 0
        assert store.count_ledger_lines(second.id) == 1
    finally:
        store._db.execute(f'DROP SCHEMA "{schema}" CASCADE')
        store.close()


@pytest.mark.postgres
def test_postgres_refuses_a_newer_schema(pg_schema):
    from sfsync.errors import ConfigurationError
    from sfsync.store.postgres import SCHEMA_VERSION, PostgresStore

    pg_schema._db.execute(
        "INSERT INTO sfsync_schema_version (version, description) VALUES (%s, 'from the future')",
        (SCHEMA_VERSION + 1,),
    )
    with pytest.raises(ConfigurationError, match="newer"):
        PostgresStore(postgres_dsn(), schema=pg_schema.schema)


def _takes_lock_soon(store, dossier_id, owner):
    # A dead session's advisory lock goes when the server has noticed the closed socket, which
    # takes it a moment: poll (this bounds the wait, it does not time anything).
    for _ in range(400):
        if store.try_lock(dossier_id, owner, ttl=3600):
            return True
        time.sleep(0.025)
    return False


@pytest.mark.postgres
def test_postgres_lock_holds_across_stores_and_frees_when_the_holder_dies(pg_schema):
    from sfsync.store.postgres import PostgresStore

    dossier = _dossier(pg_schema)
    other = PostgresStore(postgres_dsn(), schema=pg_schema.schema)
    try:
        assert other.try_lock(dossier.id, "run_a", ttl=3600)
        assert not pg_schema.try_lock(dossier.id, "run_b", ttl=3600)
        other.close()  # its sessions end, as when a worker dies: the lock goes, whatever its ttl
        assert _takes_lock_soon(pg_schema, dossier.id, "run_b")
    finally:
        other.close()

    # a real process killed while holding the lock
    script = textwrap.dedent(f"""
        import sys, time
        from sfsync.store.postgres import PostgresStore
        store = PostgresStore(sys.argv[1], schema={pg_schema.schema!r})
        print(store.try_lock({dossier.id!r}, "run_dead", ttl=3600), flush=True)
        time.sleep(600)
    """)
    pg_schema.release_lock(dossier.id, "run_b")
    child = subprocess.Popen(
        [sys.executable, "-c", script, postgres_dsn()], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout.readline().strip() == "True"
        assert not pg_schema.try_lock(dossier.id, "run_c", ttl=3600)
    finally:
        child.kill()
        child.wait(timeout=30)
        child.stdout.close()
    assert _takes_lock_soon(pg_schema, dossier.id, "run_c"), "the lock of a killed process was not freed"
    # a live holder in the same process is still guarded by the row
    assert not pg_schema.try_lock(dossier.id, "run_d", ttl=3600)


@pytest.mark.postgres
def test_postgres_store_reconnects_after_its_session_is_cut(pg_schema):
    dossier = _dossier(pg_schema)
    with psycopg.connect(postgres_dsn(), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pg_schema._db.info.backend_pid,))
    with pytest.raises(psycopg.OperationalError):
        pg_schema.get_dossier(dossier.id)  # the operation that meets the cut fails...
    assert pg_schema.get_dossier(dossier.id) == dossier  # ...and the next one reconnects
    assert pg_schema.try_lock(dossier.id, "run_a", ttl=60)
