"""Auth flavours and connection levels: what a connector declares about how it connects.

A connector answers :func:`~sfsync.hookspecs.sfsync_auth` with one of :class:`OAuth2Spec`,
:class:`FormSpec` or :class:`AgentSpec`. The core runs the flow (authorize URL with ``state`` and
PKCE, code exchange, refresh with rotation; a form's fields; an agent's address and token) so that
no connector has to get it right on its own.
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal
from urllib.parse import urlencode

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_serializer

from sfsync.errors import AuthError, MalformedResponse, NeedsReconsent, RetriableError, SfsyncError

__all__ = [
    "AgentFields",
    "AgentSpec",
    "AuthSpec",
    "ConnectionLevel",
    "FormSpec",
    "OAuth2Spec",
    "OAuthClientFields",
    "PendingAuthorization",
    "TokenSet",
    "secret_field_names",
]


class ConnectionLevel(str, enum.Enum):
    """Who connects, and how often."""

    FIRM = "firm"
    """An admin connects once; many dossiers use the connection."""
    DOSSIER = "dossier"
    """Each dossier logs in itself (Xero, QuickBooks, e-conomic): linking *is* the login."""
    SUPPORT = "support"
    """Credentials provisioned by support staff."""
    AGENT = "agent"
    """An on-premise sync service on the firm's server."""


class TokenSet(BaseModel):
    """OAuth2 tokens of a connection. Secrets are ``SecretStr``: masked in reprs and logs."""

    model_config = ConfigDict(frozen=True)

    access_token: SecretStr
    refresh_token: SecretStr | None = None
    expires_at: dt.datetime
    scope: str | None = None
    extra: dict[str, str] = Field(default_factory=dict)

    def expires_within(self, seconds: float, now: dt.datetime) -> bool:
        """Whether the access token expires within ``seconds`` of ``now``."""
        return self.expires_at - now <= dt.timedelta(seconds=seconds)

    def reveal(self) -> dict[str, Any]:
        """The tokens in clear, for encryption at rest only."""
        return {
            "access_token": self.access_token.get_secret_value(),
            "refresh_token": self.refresh_token.get_secret_value() if self.refresh_token else None,
            "expires_at": self.expires_at.isoformat(),
            "scope": self.scope,
            "extra": dict(self.extra),
        }

    @field_serializer("access_token", "refresh_token", when_used="json")
    def _masked(self, value: SecretStr | None) -> str | None:
        return None if value is None else "**********"


class OAuthClientFields(BaseModel):
    """The app registration a firm-level OAuth2 connection is made with."""

    client_id: str = Field(description="The client id of the app registered with the package")
    client_secret: SecretStr | None = Field(
        default=None, description="The app's client secret (public apps with PKCE have none)"
    )


class AgentFields(BaseModel):
    """Where an on-premise sync service listens and the token it requires."""

    url: str = Field(description="Address of the sync service, e.g. http://server:8765")
    token: SecretStr = Field(description="The token the service was started with")


@dataclass(frozen=True)
class PendingAuthorization:
    """An OAuth2 authorization in flight: what to send the user to and what to check on return."""

    authorize_url: str
    state: str
    code_verifier: str | None
    redirect_uri: str


def _token_error_text(response: httpx.Response) -> tuple[str, str]:
    try:
        body = response.json()
    except ValueError:
        return "", response.text[:200]
    if not isinstance(body, dict):
        return "", str(body)[:200]
    return str(body.get("error", "")), str(body.get("error_description", "") or body.get("error", ""))


@dataclass(frozen=True)
class OAuth2Spec:
    """OAuth2 authorization-code flow of a package.

    Subclass and override :meth:`classify_token_error` or :meth:`parse_token_response` where the
    package deviates from RFC 6749 (Exact sends ``expires_in`` as a string; the core copes).

    Attributes:
        authorize_url: Where the user logs in.
        token_url: Where codes and refresh tokens are exchanged.
        scopes: Scopes to ask for.
        pkce: Whether to send an S256 code challenge.
        refresh_margin: Refresh when the access token has fewer seconds left than this. Packages
            that refuse early refreshes (Exact's guard) set it below their limit.
        rotates_refresh_token: The package issues a new refresh token on every refresh and the old
            one dies: the new one is saved *before* the new access token is used.
        client_auth: ``"body"`` sends client id and secret as form fields, ``"basic"`` as HTTP
            basic auth.
        callback_params: Query parameters of the login's callback the connector needs besides
            ``code`` and ``state`` (QuickBooks' ``realmId``: the company the token is bound to).
            They are in ``ctx.state["callback"]`` when ``sfsync_check_connection`` runs, and
            stay in the connection's state.

    .. versionchanged:: 0.2 ``callback_params``.
    """

    flavour: ClassVar[Literal["oauth2"]] = "oauth2"
    authorize_url: str
    token_url: str
    level: ConnectionLevel = ConnectionLevel.FIRM
    scopes: tuple[str, ...] = ()
    pkce: bool = True
    refresh_margin: float = 60.0
    rotates_refresh_token: bool = True
    client_auth: Literal["body", "basic"] = "body"
    extra_authorize_params: dict[str, str] = field(default_factory=dict)
    fields: type[BaseModel] = OAuthClientFields
    callback_params: tuple[str, ...] = ()

    def start(self, *, client_id: str, redirect_uri: str) -> PendingAuthorization:
        """Build the authorize URL with a fresh ``state`` (and PKCE verifier)."""
        state = secrets.token_urlsafe(24)
        params = {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "state": state,
            **self.extra_authorize_params,
        }
        if self.scopes:
            params["scope"] = " ".join(self.scopes)
        verifier = None
        if self.pkce:
            verifier = secrets.token_urlsafe(48)
            digest = hashlib.sha256(verifier.encode()).digest()
            params["code_challenge"] = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
            params["code_challenge_method"] = "S256"
        sep = "&" if "?" in self.authorize_url else "?"
        return PendingAuthorization(
            authorize_url=f"{self.authorize_url}{sep}{urlencode(params)}",
            state=state,
            code_verifier=verifier,
            redirect_uri=redirect_uri,
        )

    def token_request(
        self, data: dict[str, str], *, client_id: str, client_secret: str | None
    ) -> httpx.Request:
        """The POST to the token endpoint, with the client authenticated as the package wants."""
        headers = {"Accept": "application/json"}
        data = dict(data)
        if self.client_auth == "basic" and client_secret is not None:
            raw = f"{client_id}:{client_secret}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(raw).decode()
        else:
            data["client_id"] = client_id
            if client_secret is not None:
                data["client_secret"] = client_secret
        return httpx.Request("POST", self.token_url, data=data, headers=headers)

    def parse_token_response(
        self, response: httpx.Response, *, now: dt.datetime, previous: TokenSet | None = None
    ) -> TokenSet:
        """Turn a successful token response into a :class:`TokenSet`."""
        try:
            body = response.json()
            access = str(body["access_token"])
            # Some packages (Exact) send expires_in as a string: int() takes both.
            expires_in = int(body.get("expires_in", 1800))
        except (ValueError, KeyError, TypeError) as exc:
            raise MalformedResponse(
                "the token endpoint answered without a usable access_token/expires_in",
                response=response,
            ) from exc
        refresh = body.get("refresh_token")
        if refresh is None and previous is not None and not self.rotates_refresh_token:
            refresh_secret = previous.refresh_token
        else:
            refresh_secret = SecretStr(str(refresh)) if refresh else None
        return TokenSet(
            access_token=SecretStr(access),
            refresh_token=refresh_secret,
            expires_at=now + dt.timedelta(seconds=expires_in),
            scope=body.get("scope"),
        )

    def tokens_from_callback(
        self, query: Mapping[str, list[str]], *, now: dt.datetime
    ) -> TokenSet | None:
        """The tokens a callback carries itself, for packages whose consent hands back the grant
        instead of a code (e-conomic's agreement grant token); ``None``, the default, means the
        callback carries a ``code`` to exchange at :attr:`token_url`.

        Args:
            query: The callback's query parameters (each a list, as ``parse_qs`` gives them);
                ``state`` has been checked already.
            now: The time the callback arrived.

        .. versionadded:: 0.3
        """
        return None

    def classify_token_error(self, response: httpx.Response) -> SfsyncError:
        """Map a failed token call to the core's errors.

        ``invalid_grant`` (revoked, expired or already-used refresh token or code) means a person
        must log in again; ``invalid_client`` is a wrong app registration; 429 and 5xx are
        transient.
        """
        code, description = _token_error_text(response)
        if response.status_code == 429 or response.status_code >= 500:
            return RetriableError(
                f"the token endpoint is unavailable ({response.status_code}): {description}",
                response=response,
            )
        if code == "invalid_grant":
            return NeedsReconsent(
                f"the package no longer accepts this connection's grant ({description or code}); "
                "an admin must connect it again",
                response=response,
            )
        return AuthError(
            f"the package refused the app's credentials ({code or response.status_code}: "
            f"{description}); check the client id and secret",
            response=response,
        )


@dataclass(frozen=True)
class FormSpec:
    """Credentials typed into a form whose fields are a pydantic model.

    Fields typed ``SecretStr`` are secrets: asked without echo, encrypted at rest, never shown.

    Attributes:
        code_field: The field that takes a one-time code the package sends the person connecting
            (AFAS mails an OTP that is exchanged for a token): the form is filled in without it,
            :meth:`sfsync.api.Sfsync.send_code` has the package send the code (the connector's
            ``sfsync_send_code``), and the form is sent again with the code in this field.
            ``None``: the form has no such step.

    .. versionchanged:: 0.2 ``code_field``.
    """

    flavour: ClassVar[Literal["form"]] = "form"
    fields: type[BaseModel]
    level: ConnectionLevel = ConnectionLevel.FIRM
    code_field: str | None = None


@dataclass(frozen=True)
class AgentSpec:
    """An on-premise sync service: its address and token (:class:`AgentFields`)."""

    flavour: ClassVar[Literal["agent"]] = "agent"
    level: ConnectionLevel = ConnectionLevel.AGENT
    fields: type[BaseModel] = AgentFields


AuthSpec = OAuth2Spec | FormSpec | AgentSpec
"""What :func:`~sfsync.hookspecs.sfsync_auth` returns."""


def secret_field_names(model: type[BaseModel]) -> set[str]:
    """The names of a form model's fields that hold secrets (typed ``SecretStr``)."""
    names = set()
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if annotation is SecretStr or (
            getattr(annotation, "__args__", None) and SecretStr in annotation.__args__  # type: ignore[union-attr]
        ):
            names.add(name)
    return names
