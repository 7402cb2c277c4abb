"""A wrong access key is an AuthError a person can act on, with no secret in it."""

from __future__ import annotations

import pytest
from sfsync.errors import AuthError
from sfsync_yuki.connector import yuki
from sfsync_yuki.sandbox import VALID_KEY


def _check(connection):
    async def body(ctx):
        await yuki.sfsync_check_connection(ctx=ctx)

    return connection.run(body)


def test_wrong_key_is_an_auth_error_without_the_key(connection, sandbox):
    connection.secrets = sandbox.bad_connection_secrets()
    with pytest.raises(AuthError) as caught:
        _check(connection)
    text = str(caught.value)
    assert "Invalid access key" in text  # Yuki's own words are kept
    assert "Settings > Web services" in text  # and what to do about it
    assert sandbox.bad_connection_secrets()["access_key"] not in text
    assert "session" not in connection.state


def test_good_key_stores_session_and_home_domain(connection, sandbox):
    _check(connection)
    assert connection.state["home_domain"] == sandbox.keys[VALID_KEY]
    assert connection.state["session"]["id"] in sandbox.sessions
    assert VALID_KEY not in str(connection.state)


def test_revoked_key_is_an_auth_error(connection, sandbox):
    _check(connection)
    sandbox.revoke()

    async def body(ctx):
        return await yuki.sfsync_list_companies(ctx=ctx)

    with pytest.raises(AuthError, match="Invalid access key"):
        connection.run(body)


def test_missing_key_is_an_auth_error(connection):
    connection.secrets = {}
    with pytest.raises(AuthError, match="no Yuki web-service access key"):
        _check(connection)
