"""A consent that hands back the grant itself (``OAuth2Spec.tokens_from_callback``, e-conomic's
agreement grant token): ``state`` is still checked, nothing is exchanged, the grant is sealed and
the connection bound to its dossier; a spec without it still needs a code."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Any

import pytest
from pydantic import SecretStr
from sfsync.auth import ConnectionLevel, OAuth2Spec, TokenSet
from sfsync.echo.connector import EchoConnector
from sfsync.errors import AuthError
from sfsync.hookspecs import hookimpl
from sfsync.metadata import ConnectorInfo

NOWHERE = "https://token-endpoint.invalid/token"
"""Never called: a request there would fail the test with a network error."""


@dataclasses.dataclass(frozen=True)
class HandedGrant(OAuth2Spec):
    def tokens_from_callback(self, query: Mapping[str, list[str]], *, now: dt.datetime) -> TokenSet | None:
        token = (query.get("grant") or [""])[0]
        return TokenSet(access_token=SecretStr(token), expires_at=now + dt.timedelta(days=36500)) if token else None


class GrantEcho(EchoConnector):
    def __init__(self, spec: OAuth2Spec) -> None:
        self.spec = spec
        self.seen: list[str] = []

    @hookimpl
    def sfsync_connector_info(self) -> ConnectorInfo:
        return dataclasses.replace(super().sfsync_connector_info(), name="echo-grant")

    @hookimpl
    def sfsync_auth(self) -> OAuth2Spec:
        return self.spec

    @hookimpl
    async def sfsync_check_connection(self, ctx: Any) -> None:
        tokens = await ctx.vault.load()
        self.seen.append(tokens.access_token.get_secret_value())


def _connector(registry: Any, spec_class: type[OAuth2Spec]) -> GrantEcho:
    made = GrantEcho(spec_class(authorize_url="https://package.example/approve", token_url=NOWHERE,
                                level=ConnectionLevel.DOSSIER, pkce=False))
    registry.register(made, "echo-grant")
    return made


def test_the_handed_grant_is_kept_without_an_exchange(env, registry):
    connector = _connector(registry, HandedGrant)
    dossier = env.app.create_dossier(env.member, "Approved")
    pending = env.app.start_oauth(env.member, "echo-grant", redirect_uri="http://127.0.0.1:8765/callback",
                                  client_id="app", client_secret="app-secret", dossier_id=dossier.id)
    record = env.run(env.app.finish_oauth(env.member, f"http://127.0.0.1:8765/callback?state={pending.state}&grant=g-123456789"))
    assert connector.seen == ["g-123456789"]
    assert record.level == "dossier" and record.owner_dossier_id == dossier.id
    assert b"g-123456789" not in record.sealed
    assert env.app.box.open(record.sealed)["tokens"]["access_token"] == "g-123456789"


def test_a_forged_state_is_refused_before_the_grant_is_looked_at(env, registry):
    connector = _connector(registry, HandedGrant)
    dossier = env.app.create_dossier(env.member, "Forged")
    env.app.start_oauth(env.member, "echo-grant", redirect_uri="http://127.0.0.1:8765/callback",
                        client_id="app", dossier_id=dossier.id)
    with pytest.raises(AuthError):
        env.run(env.app.finish_oauth(env.member, "http://127.0.0.1:8765/callback?state=forged&grant=g-1"))
    assert connector.seen == []


def test_a_spec_that_hands_back_nothing_still_needs_a_code(env, registry):
    _connector(registry, OAuth2Spec)
    dossier = env.app.create_dossier(env.member, "Coded")
    pending = env.app.start_oauth(env.member, "echo-grant", redirect_uri="http://127.0.0.1:8765/callback",
                                  client_id="app", dossier_id=dossier.id)
    with pytest.raises(AuthError, match="without a code"):
        env.run(env.app.finish_oauth(env.member, f"http://127.0.0.1:8765/callback?state={pending.state}&grant=g-1"))
