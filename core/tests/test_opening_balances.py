"""Opening balances hold on every path: replace mode, re-saved links, full resyncs, late changes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sfsync.echo.connector import EchoConnector
from sfsync.errors import FullResyncRequired
from sfsync.hookspecs import hookimpl
from sfsync.plugins import PluginRegistry

SINCE = dt.date(2025, 1, 1)
BROUGHT_FORWARD = {"100000": Decimal("-12500.00"), "550000": Decimal("12500.00")}


def _package_balances(env, at, ref="C1"):
    """What the echo package says the balances at ``at`` (a fiscal-year start) are: its own truth,
    which places a line by the year it is booked in and adds what was brought forward."""
    return dict(env.sandbox.truth(ref).opening_balances[at])


def _stored(env, dossier):
    return {b.account: b.amount for b in env.app.store.opening_balances(dossier.id) if b.amount}


def test_replace_mode_stores_the_opening_balances_of_its_first_year(env):
    env.sandbox.companies["C1"].brought_forward = dict(BROUGHT_FORWARD)
    dossier = env.dossier("d1", mode="replace")
    run = env.sync(dossier)
    assert run.status == "ok", run.error
    assert run.counts["opening_balances"] == 2
    balances = env.app.store.opening_balances(dossier.id)
    assert {b.account: b.amount for b in balances} == BROUGHT_FORWARD
    assert {b.date for b in balances} == {dt.date(2024, 1, 1)}  # the first day of the earliest year
    # A later full resync builds a new generation: the balances come again, not lost, not doubled.
    env.run(env.app.link(env.admin, dossier.id, env.connection.id, "C1", mode="replace"))
    assert env.sync(dossier).status == "ok"
    assert _stored(env, dossier) == BROUGHT_FORWARD


class _NoOpenings(EchoConnector):
    sfsync_fetch_opening_balances = None  # type: ignore[assignment]
    sfsync_history_stamp = None  # type: ignore[assignment]


def _env_with(env, connector):
    """Another app on the same store whose echo connector is ``connector``."""
    registry = PluginRegistry()
    registry.register(connector, "echo")
    return type(env)(env.app.store, registry, firm_name="Another firm")


def test_replace_mode_warns_naming_the_year_when_the_connector_cannot_bring_them(env):
    env = _env_with(env, _NoOpenings())
    dossier = env.dossier("d1", mode="replace")
    run = env.sync(dossier)
    assert run.status == "warning"
    assert any("cannot bring opening balances" in w and "FY2024" in w and "2024-01-01" in w for w in run.warnings)
    again = env.sync(dossier)  # an incremental run builds nothing new: no warning again
    assert not any("opening balances" in w for w in again.warnings)


def test_resaving_a_since_link_and_a_forced_full_resync_keep_the_opening_balances(env, registry):
    dossier = env.dossier("d1", mode="since", since=SINCE)
    assert env.sync(dossier).status == "ok"
    expected = _package_balances(env, SINCE)
    assert _stored(env, dossier) == expected and expected

    env.run(env.app.link(env.admin, dossier.id, env.connection.id, "C1", mode="since", since=SINCE))
    resaved = env.sync(dossier)
    assert resaved.status == "ok", resaved.error
    assert "opening_balances" not in resaved.counts  # not fetched again: kept with the history
    assert _stored(env, dossier) == expected

    class Moving:
        calls = 0

        @hookimpl(wrapper=True)
        def sfsync_fetch_ledger(self, cursor):
            result = yield
            Moving.calls += 1
            if Moving.calls == 1:

                async def moved():
                    raise FullResyncRequired("the division moved")
                    yield  # pragma: no cover

                return moved()
            return result

    registry.register(Moving(), "moving")
    forced = env.sync(dossier)
    assert any("full resync" in w for w in forced.warnings)
    assert _stored(env, dossier) == expected


def test_opening_balances_follow_a_change_before_the_date_the_package_stamps(env):
    dossier = env.dossier("d1", mode="since", since=SINCE)
    assert env.sync(dossier).status == "ok"
    quiet = env.sync(dossier)
    assert "opening_balances_refreshed" not in quiet.counts
    # The package recomputes a closed year without a modified stamp on any line (a year closed
    # again): only its history stamp tells.
    old = next(ln for ln in env.sandbox.companies["C1"].lines if ln.date < SINCE and ln.account == "400000")
    partner = next(ln for ln in env.sandbox.companies["C1"].lines if ln.entry == old.entry and ln.account == "700000")
    old.amount += Decimal("10.00")
    partner.amount -= Decimal("10.00")
    run = env.sync(dossier)
    assert run.counts.get("opening_balances_refreshed") == 1
    assert _stored(env, dossier) == _package_balances(env, SINCE)
    assert "opening_balances_refreshed" not in env.sync(dossier).counts  # the new stamp is kept


def test_opening_balances_follow_changed_lines_dated_before_the_date(env):
    env = _env_with(env, _NoStamp())
    dossier = env.dossier("d1", mode="since", since=SINCE)
    assert env.sync(dossier).status == "ok"
    company = env.sandbox.companies["C1"]
    old = next(ln for ln in company.lines if ln.date < SINCE and ln.account == "400000")
    partner = next(ln for ln in company.lines if ln.entry == old.entry and ln.account == "700000")
    old.amount += Decimal("5.00")
    partner.amount -= Decimal("5.00")
    old.modified, partner.modified = env.sandbox._next(), env.sandbox._next()  # a late correction
    run = env.sync(dossier)
    assert run.counts["lines_before_since_ignored"] == 2
    assert run.counts.get("opening_balances_refreshed") == 1
    assert _stored(env, dossier) == _package_balances(env, SINCE)


class _NoStamp(EchoConnector):
    sfsync_history_stamp = None  # type: ignore[assignment]
