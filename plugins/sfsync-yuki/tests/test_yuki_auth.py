"""A wrong access key is an AuthError a person can act on, with no secret in it."""

from __future__ import annotations

import pytest
from sfsync.errors import AuthError
from sfsync.models import Company
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


def test_revoked_key_is_an_auth_error_when_the_session_switches_domain(connection, sandbox):
    # An administration of another domain needs a SetCurrentDomain first, which a dead session
    # fails too: the session is renewed (and the key refused), not retried as a transient fault.
    _check(connection)
    home = connection.state["home_domain"]
    ours = next(a for a in sandbox.admins.values() if a.domain_id == home)
    other = next(a for a in sandbox.admins.values() if a.domain_id != home)

    def accounts(admin):
        async def body(ctx):
            return await yuki.sfsync_fetch_accounts(ctx=ctx, company=Company(ref=admin.id))

        return connection.run(body)

    accounts(ours)
    accounts(other)  # the session now sits in the other domain; both administrations are known
    sandbox.revoke()
    with pytest.raises(AuthError, match="Invalid access key"):
        accounts(ours)


def test_a_revocation_regenerates_the_key_and_the_new_key_works(connection, sandbox):
    # Re-consent after a revocation: the portal gives a new key; the stored one stays refused.
    _check(connection)
    old = connection.secrets["access_key"]
    sandbox.revoke()
    new = sandbox.connection_secrets()["access_key"]
    assert new != old
    with pytest.raises(AuthError, match="Invalid access key"):
        _check(connection)
    connection.secrets = sandbox.connection_secrets()
    _check(connection)
    assert connection.state["home_domain"] == sandbox.keys[new]
    assert new not in str(connection.state)

    async def body(ctx):
        return await yuki.sfsync_list_companies(ctx=ctx)

    assert {company.ref for company in connection.run(body)} == set(sandbox.company_refs())
    sandbox.revoke()  # a second revocation refuses the key of the first
    with pytest.raises(AuthError, match="Invalid access key"):
        connection.run(body)
    assert sandbox.connection_secrets()["access_key"] not in (old, new)
