"""A form set up with a one-time code (``FormSpec.code_field``, ``sfsync_send_code``,
``Sfsync.send_code``): the package sends the code, the form goes again with it. Who may ask is who
may create the connection; the code itself never reaches the request hook; nothing is saved."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from pydantic import SecretStr
from sfsync.auth import ConnectionLevel, FormSpec
from sfsync.echo.connector import EchoConnector, EchoFields
from sfsync.errors import AuthError, ConfigurationError, PermissionDenied
from sfsync.hookspecs import hookimpl
from sfsync.metadata import ConnectorInfo


class CodeFields(EchoFields):
    code: SecretStr | None = None


class CodeEcho(EchoConnector):
    """Echo at support level whose key is confirmed with a mailed code, as AFAS's OTP."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    @hookimpl
    def sfsync_connector_info(self) -> ConnectorInfo:
        return dataclasses.replace(super().sfsync_connector_info(), name="echo-code")

    @hookimpl
    def sfsync_auth(self) -> FormSpec:
        return FormSpec(fields=CodeFields, level=ConnectionLevel.SUPPORT, code_field="code")

    @hookimpl
    async def sfsync_send_code(self, ctx: Any) -> str:
        if ctx.secrets["api_key"] != "right":
            raise AuthError("the package refused the key")
        self.sent.append({"config": dict(ctx.config), "secrets": set(ctx.secrets)})
        return "a code went to the mailbox"


@pytest.fixture
def code_echo(registry):  # type: ignore[no-untyped-def]
    made = CodeEcho()
    registry.register(made, "echo-code")
    return made


def test_support_staff_have_the_code_sent_and_nothing_is_saved(env, code_echo):
    staff = env.app.add_support_user("help@host.test")
    told = env.run(env.app.send_code(staff, "echo-code", {"api_key": "right", "code": "123"}, firm_id=env.firm.id))
    assert told == "a code went to the mailbox"
    assert code_echo.sent == [{"config": {"base_url": code_echo.sent[0]["config"]["base_url"]}, "secrets": {"api_key"}}]
    assert [c.connector for c in env.app.connections(staff, firm_id=env.firm.id)] == []


def test_a_firm_admin_may_not_ask_for_a_support_connection_s_code(env, code_echo):
    with pytest.raises(PermissionDenied, match="send the credentials to support"):
        env.run(env.app.send_code(env.admin, "echo-code", {"api_key": "right"}))
    assert code_echo.sent == []


def test_the_package_s_refusal_names_the_connector(env, code_echo):
    staff = env.app.add_support_user("help@host.test")
    with pytest.raises(AuthError, match="echo-code") as caught:
        env.run(env.app.send_code(staff, "echo-code", {"api_key": "wrong"}, firm_id=env.firm.id))
    assert "refused the key" in str(caught.value)


def test_a_connector_without_a_code_step_says_so(env):
    with pytest.raises(ConfigurationError, match="not set up with a one-time code"):
        env.run(env.app.send_code(env.admin, "echo", {"api_key": "x"}))
