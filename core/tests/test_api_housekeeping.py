"""The API behind the command's flows: unique firm names, users, companies by code or name, an
explicit switch, deleting a dossier whole, run history, and the trial balance of a dossier that
syncs transactions (computed from its lines)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sfsync.errors import ConfigurationError, NotFound, PermissionDenied
from sfsync.fiscal_years import monthly_periods
from sfsync.models import Account, AccountKind, FiscalYear, LedgerBatch, LedgerLine, OpeningBalance
from sfsync.store.housekeeping_rows import DOSSIER_TABLES
from sfsync.trial_balance_view import totals


def test_firm_names_are_unique_ignoring_case(env):
    with pytest.raises(ConfigurationError, match="already a firm named 'Firm'"):
        env.app.create_firm(" firm ")
    assert [f.name for f in env.app.store.list_firms()] == ["Firm"]


def test_users_lists_the_firm_admins_first_then_by_email(env):
    env.app.add_user(env.firm.id, "aaron@firm.test", "member")
    assert [(u.email, u.role) for u in env.app.users(env.member)] == [
        ("admin@firm.test", "admin"), ("aaron@firm.test", "member"), ("member@firm.test", "member")]


def test_a_company_is_found_by_ref_code_or_name(env):
    find = env.app.find_company
    assert env.run(find(env.admin, env.connection.id, "C2")).ref == "C2"
    assert env.run(find(env.admin, env.connection.id, "brux")).ref == "C2"
    assert env.run(find(env.admin, env.connection.id, "acme trading bv")).ref == "C1"
    with pytest.raises(NotFound, match=r"no company 'Nope'.*C1 \(Acme Trading BV\)"):
        env.run(find(env.admin, env.connection.id, "Nope"))
    dossier = env.app.create_dossier(env.admin, "By code")
    link = env.run(env.app.link(env.admin, dossier.id, env.connection.id, "ACME", mode="replace"))
    assert link.company_ref == "C1"


def test_linking_to_another_source_is_a_switch_said_explicitly(env):
    dossier = env.dossier("Jansen")
    env.sync(dossier)
    before = env.app.store.count_ledger_lines(dossier.id)
    with pytest.raises(ConfigurationError) as refused:
        env.run(env.app.link(env.admin, dossier.id, env.connection.id, "C2", mode="replace"))
    message = str(refused.value)
    label = env.connection.label
    assert f"from echo ({label}) company Acme Trading BV to echo ({label}) company Bruxelles Services SRL" in message
    assert "switch=True" in message and "replaced" in message
    assert env.app.store.get_link(dossier.id).company_ref == "C1"  # nothing changed
    assert env.app.store.count_ledger_lines(dossier.id) == before
    # The same source again (another mode) is no switch; another company with switch=True is.
    env.run(env.app.link(env.admin, dossier.id, env.connection.id, "C1", mode="since", since=dt.date(2025, 1, 1)))
    env.run(env.app.link(env.admin, dossier.id, env.connection.id, "C2", mode="replace", switch=True))
    assert env.app.store.get_link(dossier.id).company_ref == "C2"


def test_deleting_a_dossier_removes_everything_kept_for_it_and_nothing_else(env):
    gone, kept = env.dossier("Gone"), env.dossier("Kept", ref="C2")
    env.sync(gone)
    env.sync(kept)
    with pytest.raises(PermissionDenied):
        env.app.delete_dossier(env.member, gone.id)
    kept_lines = env.app.store.count_ledger_lines(kept.id)
    env.app.delete_dossier(env.admin, gone.id)
    store = env.app.store
    with pytest.raises(NotFound):
        store.get_dossier(gone.id)
    assert _rows_of(store, gone.id) == {}
    assert _rows_of(store, kept.id).keys() >= {"fiscal_years", "accounts", "runs", "links", "ledger_lines"}
    assert store.count_ledger_lines(kept.id) == kept_lines and store.list_runs(kept.id)
    assert store.get_connection(env.connection.id)  # a firm connection stays


def _rows_of(store, dossier_id):
    """Rows kept for the dossier, per table (read with SQL: the store refuses a deleted dossier)."""
    found = {}
    for table in (*DOSSIER_TABLES, "dossiers"):
        column = "id" if table == "dossiers" else "dossier_id"
        count = store._one(store._q(f"SELECT COUNT(*) FROM {table} WHERE {column} = ?"), (dossier_id,))[0]
        if count:
            found[table] = count
    # Both stores keep lines by set (dossier, generation, source).
    lines = "SELECT COUNT(*) FROM ledger_lines WHERE set_id IN (SELECT id FROM ledger_sets WHERE dossier_id = ?)"
    if store._one(store._q(lines), (dossier_id,))[0]:
        found["ledger_lines"] = True
    return found


def test_runs_of_the_whole_firm_newest_first(env):
    first, second = env.dossier("A"), env.dossier("B", ref="C2")
    env.sync(first)
    env.sync(second)
    history = env.app.runs(env.admin)
    assert [r.dossier_id for r in history] == [second.id, first.id]
    assert all(r.duration is not None and r.requests > 0 for r in history)
    assert env.app.runs(env.admin, first.id)[0].dossier_id == first.id


def test_status_says_what_a_dossier_syncs_and_why_it_failed(env):
    dossier = env.dossier("Jansen")
    env.sandbox.revoke()
    env.sync(dossier)
    [shown] = env.app.status(env.admin)
    assert shown.granularity == "transactions" and "refused" in (shown.last_error or "")


def _write(store, dossier_id, years, accounts, lines, openings=()):
    generation = store.begin_generation(dossier_id, keep_before=None)
    store.write_fiscal_years(dossier_id, generation, years)
    store.write_accounts(dossier_id, generation, accounts)
    if openings:
        store.write_opening_balances(dossier_id, generation, "test", list(openings))
    store.write_ledger_batch(dossier_id, generation, "test", LedgerBatch(lines=lines), stream="test")
    store.swap_generation(dossier_id, generation)


def _line(n, day, account, debit="0", credit="0", period=None):
    return LedgerLine(id=f"L{n}", entry=f"E{n // 2}", date=day, account=account, description="x",
                      debit=Decimal(debit), credit=Decimal(credit), period=period)


def test_the_trial_balance_of_a_transactions_dossier_is_computed_from_its_lines(env):
    dossier = env.app.create_dossier(env.admin, "Lines")
    years = [FiscalYear(start=dt.date(y, 1, 1), end=dt.date(y, 12, 31), label=str(y),
                        periods=monthly_periods(dt.date(y, 1, 1), dt.date(y, 12, 31))) for y in (2024, 2025)]
    accounts = [Account(code="550000", name="Bank", kind=AccountKind.BALANCE_SHEET),
                Account(code="700000", name="Sales", kind=AccountKind.PROFIT_LOSS)]
    lines = [
        _line(0, dt.date(2024, 3, 5), "550000", debit="100.10"), _line(1, dt.date(2024, 3, 5), "700000", credit="100.10"),
        # dated in January, booked in period 12 of 2024: it counts in December 2024
        _line(2, dt.date(2025, 1, 3), "550000", debit="50.00", period=12),
        _line(3, dt.date(2025, 1, 3), "700000", credit="50.00", period=12),
        _line(4, dt.date(2025, 2, 1), "550000", credit="20.00"), _line(5, dt.date(2025, 2, 1), "700000", debit="20.00"),
    ]
    _write(env.app.store, dossier.id, years, accounts, lines,
           [OpeningBalance(account="550000", date=dt.date(2024, 1, 1), amount=Decimal("1000.00"))])
    rows = env.app.trial_balance(env.admin, dossier.id)
    by = {(r.account, r.period_end): r for r in rows}
    march = by[("550000", dt.date(2024, 3, 31))]
    assert (march.account_name, march.opening, march.debit, march.closing) == (
        "Bank", Decimal("1000.00"), Decimal("100.10"), Decimal("1100.10"))
    assert by[("550000", dt.date(2024, 12, 31))].debit == Decimal("50.00")
    assert by[("550000", dt.date(2025, 1, 31))].debit == Decimal(0)
    # A balance-sheet account carries its closing into the next year; a P&L account starts at zero.
    assert by[("550000", dt.date(2025, 1, 31))].opening == Decimal("1150.10")
    assert by[("700000", dt.date(2025, 1, 31))].opening == Decimal(0)
    assert by[("550000", dt.date(2025, 2, 28))].closing == Decimal("1130.10")
    assert all(r.source == "lines" and isinstance(r.closing, Decimal) for r in rows)
    assert all(r.opening + r.debit - r.credit == r.closing for r in rows)
    debit, credit = totals(rows)
    assert debit == credit == Decimal("170.10")
    only_2025 = env.app.trial_balance(env.admin, dossier.id, start=dt.date(2025, 1, 1), end=dt.date(2025, 12, 31))
    assert {r.period_end.year for r in only_2025} == {2025}


def test_a_trial_balance_dossier_shows_the_packages_totals_with_names(env):
    dossier = env.app.create_dossier(env.admin, "Totals")
    env.run(env.app.link(env.admin, dossier.id, env.connection.id, "C1", mode="replace", granularity="trial_balance"))
    env.sync(dossier)
    rows = env.app.trial_balance(env.admin, dossier.id)
    assert rows and {r.source for r in rows} == {"package"} and any(r.account_name for r in rows)
