"""Yuki sessions: one Authenticate a day, reused across runs, renewed when Yuki says it expired."""

from __future__ import annotations

import datetime as dt

import pytest
from sfsync_yuki.connector import yuki
from sfsync_yuki.soap import SessionExpired


def _companies(connection):
    async def body(ctx):
        return await yuki.sfsync_list_companies(ctx=ctx)

    return connection.run(body)


def test_session_is_reused_across_runs_within_a_day(connection, sandbox, clock):
    first = _companies(connection)
    session = connection.state["session"]["id"]
    clock.advance(6 * 3600)
    second = _companies(connection)
    assert [c.ref for c in first] == [c.ref for c in second] == sandbox.company_refs()
    assert sandbox.operation_counts["Authenticate"] == 1
    assert connection.state["session"]["id"] == session
    assert session not in repr(connection.context())


def test_session_is_renewed_before_its_24_hours_end(connection, sandbox, clock):
    _companies(connection)
    old = connection.state["session"]["id"]
    clock.advance(23.5 * 3600)  # within the renew margin of a 24-hour session
    _companies(connection)
    assert sandbox.operation_counts["Authenticate"] == 2
    assert connection.state["session"]["id"] != old
    # The renewal was planned: Yuki never had to refuse the old session.
    assert sandbox.operation_counts["Administrations"] == 2


def test_expired_session_fault_renews_the_session_once(connection, sandbox, clock):
    _companies(connection)
    old = connection.state["session"]["id"]
    sandbox.expire_sessions()  # Yuki forgot the session early (a restart, a logout elsewhere)
    companies = _companies(connection)
    assert [c.ref for c in companies] == sandbox.company_refs()
    assert sandbox.operation_counts["Authenticate"] == 2
    assert sandbox.operation_counts["Administrations"] == 3  # the refused call, then the retry
    assert connection.state["session"]["id"] != old


def test_session_fault_after_a_fresh_session_is_not_retried_forever(connection, sandbox):
    _companies(connection)
    sandbox.inject_fault("Server was unable to process request. ---> The session ID is invalid or the session has expired.",
                         operation="Administrations", times=5)
    with pytest.raises(SessionExpired, match="session"):
        _companies(connection)
    assert sandbox.operation_counts["Authenticate"] == 2
    assert sandbox.operation_counts["Administrations"] == 3


def test_sandbox_session_lifetime_is_24_hours(connection, sandbox, clock):
    _companies(connection)
    session = sandbox.sessions[connection.state["session"]["id"]]
    assert session.expires_at - clock.now() == dt.timedelta(hours=24)
