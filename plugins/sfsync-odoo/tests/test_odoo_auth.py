"""Credentials and errors on each transport: wrong keys, 2FA users, wrong database, revoked keys,
access rights, and Odoo's faults mapped to the core's errors with Odoo's message kept."""

from __future__ import annotations

import asyncio

import pytest
from sfsync.errors import AuthError, ConfigurationError, FatalError
from sfsync.models import Company
from sfsync_odoo.connector import odoo
from sfsync_odoo.sandbox import OdooAccessError, OdooSandbox, OdooUserError, OdooValueError
from sfsync_odoo.sandbox.seed import (
    PASSWORD,
    TOTP_API_KEY,
    TOTP_LOGIN,
    TOTP_PASSWORD,
    VIEWER_API_KEY,
    VIEWER_LOGIN,
)
from sfsync_odoo.sandbox.testing import make_context

TRANSPORTS = [(14, "xmlrpc"), (14, "jsonrpc"), (17, "xmlrpc"), (17, "jsonrpc"), (19, "xmlrpc"), (19, "jsonrpc"),
              (19, "json2")]
IDS = [f"odoo{v}-{t}" for v, t in TRANSPORTS]


def check(sandbox: OdooSandbox, **kwargs: object) -> dict[str, object]:
    ctx = make_context(sandbox, **kwargs)  # type: ignore[arg-type]
    asyncio.run(odoo.sfsync_check_connection(ctx=ctx))
    return ctx.state


@pytest.mark.parametrize(("version", "transport"), TRANSPORTS, ids=IDS)
def test_odoo_good_credentials_detect_version_and_transport(version: int, transport: str) -> None:
    state = check(OdooSandbox(version, transport))
    assert state["odoo"]["major"] == version  # type: ignore[index]
    assert state["odoo"]["transport"] == transport  # type: ignore[index]
    assert state["odoo"]["uid"] == 3  # type: ignore[index]


@pytest.mark.parametrize(("version", "transport"), TRANSPORTS, ids=IDS)
def test_odoo_wrong_key_is_an_auth_error_that_names_api_keys(version: int, transport: str) -> None:
    sandbox = OdooSandbox(version, transport)
    secret = sandbox.bad_connection_secrets()["api_key"]
    with pytest.raises(AuthError) as caught:
        check(sandbox, secrets=sandbox.bad_connection_secrets())
    assert "API key" in str(caught.value)
    assert secret not in str(caught.value) and secret not in repr(caught.value)


@pytest.mark.parametrize("version", [14, 17, 19])
def test_odoo_auto_transport_picks_json2_from_19(version: int) -> None:
    state = check(OdooSandbox(version))
    assert state["odoo"]["transport"] == ("json2" if version >= 19 else "jsonrpc")  # type: ignore[index]


@pytest.mark.parametrize(("version", "transport"), [(17, "xmlrpc"), (17, "jsonrpc")])
def test_odoo_password_works_for_a_user_without_2fa(version: int, transport: str) -> None:
    state = check(OdooSandbox(version, transport), secrets={"api_key": PASSWORD})
    assert state["odoo"]["uid"] == 3  # type: ignore[index]


@pytest.mark.parametrize(("version", "transport"), [(17, "xmlrpc"), (17, "jsonrpc"), (14, "xmlrpc")])
def test_odoo_2fa_user_needs_an_api_key(version: int, transport: str) -> None:
    sandbox = OdooSandbox(version, transport)
    with pytest.raises(AuthError, match="two-factor authentication must use an API key"):
        check(sandbox, secrets={"api_key": TOTP_PASSWORD}, config={"login": TOTP_LOGIN})
    state = check(sandbox, secrets={"api_key": TOTP_API_KEY}, config={"login": TOTP_LOGIN})
    assert state["odoo"]["uid"] == 4  # type: ignore[index]


def test_odoo_json2_refuses_a_password_and_says_to_use_a_key() -> None:
    with pytest.raises(AuthError, match="JSON-2 takes an API key, not a password"):
        check(OdooSandbox(19, "json2"), secrets={"api_key": PASSWORD})


def test_odoo_json2_before_19_is_refused_clearly() -> None:
    sandbox = OdooSandbox(17, "jsonrpc")
    with pytest.raises(ConfigurationError, match="JSON-2 exists from 19"):
        check(sandbox, config={"transport": "json2"})


@pytest.mark.parametrize(("version", "transport"), [(17, "xmlrpc"), (17, "jsonrpc"), (19, "json2")])
def test_odoo_wrong_database_is_an_auth_error(version: int, transport: str) -> None:
    with pytest.raises(AuthError, match="database"):
        check(OdooSandbox(version, transport), config={"database": "onbestaand"})


@pytest.mark.parametrize(("version", "transport"), TRANSPORTS, ids=IDS)
def test_odoo_revoked_key_on_object_calls_is_an_auth_error(version: int, transport: str) -> None:
    sandbox = OdooSandbox(version, transport)
    state = check(sandbox)
    sandbox.db.users[3].api_keys.clear()  # the key is deleted after connecting
    ctx = make_context(sandbox, state=state)
    with pytest.raises(AuthError, match=r"Access Denied|Invalid apikey"):
        asyncio.run(odoo.sfsync_list_companies(ctx=ctx))
    served = [c for c in sandbox.calls if c[0] != "common"]
    assert served and served[-1][1] == "res.company"


def test_odoo_user_without_accounting_rights_is_refused_when_connecting() -> None:
    sandbox = OdooSandbox(17, "xmlrpc")
    with pytest.raises(FatalError, match=r"(?s)Journal Item.*Accounting / Read-only"):
        check(sandbox, secrets={"api_key": VIEWER_API_KEY}, config={"login": VIEWER_LOGIN})


@pytest.mark.parametrize(("version", "transport"), TRANSPORTS, ids=IDS)
def test_odoo_access_error_keeps_odoos_message(version: int, transport: str) -> None:
    sandbox = OdooSandbox(version, transport)
    ctx = make_context(sandbox, secrets={"api_key": VIEWER_API_KEY}, config={"login": VIEWER_LOGIN})
    with pytest.raises(FatalError, match=r"You are not allowed to access 'Account' \(account.account\) records"):
        asyncio.run(odoo.sfsync_fetch_accounts(ctx=ctx, company=Company(ref="1")))


@pytest.mark.parametrize(("version", "transport"), TRANSPORTS, ids=IDS)
@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (OdooUserError("Het boekjaar is afgesloten."), "Het boekjaar is afgesloten."),
        (OdooAccessError("Access to unauthorized or invalid companies."), "unauthorized or invalid companies"),
        (OdooValueError("Invalid leaf ('x', '=', 1)"), "Invalid leaf"),
    ],
    ids=["user-error", "access-error", "value-error"],
)
def test_odoo_faults_map_to_fatal_errors_on_every_transport(
    version: int, transport: str, error: Exception, expected: str
) -> None:
    sandbox = OdooSandbox(version, transport)
    # Deterministic errors recur: on JSON-2 a 500 is retried by the core before it surfaces.
    sandbox.inject(error, model="account.account", method="search_read", times=99)  # type: ignore[arg-type]
    ctx = make_context(sandbox)
    with pytest.raises(FatalError) as caught:
        asyncio.run(odoo.sfsync_fetch_accounts(ctx=ctx, company=Company(ref="1")))
    assert expected in caught.value.message
    assert "Traceback" not in caught.value.message


def test_odoo_traceback_fault_keeps_only_the_exception_line() -> None:
    from sfsync_odoo.errors import from_fault

    text = 'Traceback (most recent call last):\n  File "x.py", line 1, in y\nValueError: Invalid field foo on model bar\n'
    error = from_fault(1, text)
    assert isinstance(error, FatalError)
    assert error.message.endswith("Invalid field foo on model bar")
    assert isinstance(from_fault(3, "Access Denied"), AuthError)
    assert isinstance(from_fault("AccessDenied", "AccessDenied"), AuthError)


def test_odoo_without_jsonrpc_the_version_comes_from_json2() -> None:
    # Odoo plans to remove /xmlrpc and /jsonrpc in 22: JSON-2 still tells the version.
    sandbox = OdooSandbox(19, "json2", legacy_rpc=False)
    state = check(sandbox)
    assert state["odoo"] == {**state["odoo"], "major": 19, "transport": "json2"}  # type: ignore[dict-item]
    assert ("common", "", "version") not in sandbox.calls
    assert ("json2", "ir.module.module", "search_read") in sandbox.calls
    with pytest.raises(AuthError):
        check(sandbox, secrets=sandbox.bad_connection_secrets())
