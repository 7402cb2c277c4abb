"""How a support-level AFAS connection is made: the form support staff fill in, and the token.

An App Connector token belongs to one environment and one user (authentication.md). Support gets
it one of two ways, both through :meth:`sfsync.api.Sfsync.connect_form`:

* the firm's AFAS administrator made a token in the App Connector and sent it: support enters the
  environment number, its type and the token XML;
* with AFAS's one-time-password flow: support enters the environment, the App Connector's API key
  and environment key and the AFAS user, asks for the code (:meth:`sfsync.api.Sfsync.send_code`,
  ``POST /OtpRequest``: AFAS mails it to that user), then enters the code: the check exchanges it
  for the user's token (``POST /OtpValidation``, :mod:`sfsync_afas.otp`), which is kept encrypted
  with the connection's state.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from sfsync.context import ConnectorContext
from sfsync.errors import AuthError

from sfsync_afas.facts import ENVIRONMENT_HOSTS, EnvironmentType, authorization_header, base_url

__all__ = ["AfasFields", "environment_base", "secret", "token_header"]


class AfasFields(BaseModel):
    """The support form of an AFAS connection."""

    environment: str = Field(description="The environment number: the 5 digits of 12345.rest.afas.online")
    environment_type: EnvironmentType = Field(
        default="production", description="production, test or accept (the host the environment is on)"
    )
    token: SecretStr | None = Field(
        default=None, description="The App Connector token XML (<token><version>1</version><data>…</data></token>)"
    )
    user_id: str | None = Field(default=None, description="OTP: the AFAS user (e-mail address or 12345.user)")
    api_key: SecretStr | None = Field(default=None, description="OTP: the App Connector's API key (API-sleutel)")
    api_token: SecretStr | None = Field(
        default=None, description="OTP: the App Connector's environment key (omgevingssleutel)"
    )
    otp: SecretStr | None = Field(default=None, description="OTP: the one-time code AFAS mailed to the user")
    result_account: str = Field(
        default="0610", description="The account the year-end closing carries the result to (Onverdeelde winst)"
    )

    @field_validator("environment")
    @classmethod
    def _five_digits(cls, value: str) -> str:
        value = value.strip()
        if not re.fullmatch(r"[0-9]{5,6}", value):
            raise ValueError("the environment number is the 5 digits in 12345.rest.afas.online")
        return value

    @field_validator("token")
    @classmethod
    def _token_xml(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(
            r"\s*<token><version>\d+</version><data>[0-9A-Fa-f]+</data></token>\s*", value.get_secret_value()
        ):
            raise ValueError("the token is the XML AFAS shows: <token><version>1</version><data>…</data></token>")
        return value

    @model_validator(mode="after")
    def _token_or_otp(self) -> AfasFields:
        if self.token is None and not (self.user_id and self.api_key and self.api_token):
            raise ValueError("give the token, or for a one-time code the user, API key and environment key")
        return self


def environment_base(ctx: ConnectorContext) -> str:
    """The REST base of the connection's environment."""
    kind = str(ctx.config.get("environment_type") or "production")
    if kind not in ENVIRONMENT_HOSTS:
        raise AuthError(f"AFAS has no {kind!r} environments (production, test or accept)")
    return base_url(str(ctx.config["environment"]), kind)


def secret(ctx: ConnectorContext, name: str) -> str | None:
    """A secret of the form, ``None`` when it was left empty (``Secrets`` raises on a missing key)."""
    return ctx.secrets[name] if name in set(ctx.secrets) else None


def token_header(ctx: ConnectorContext) -> str:
    """The ``Authorization`` value: the token support entered, else the one the OTP flow gave."""
    token = secret(ctx, "token") or ctx.state.get("token")
    if not token:
        raise AuthError(
            "the AFAS connection has no token yet: enter the token, or the one-time code AFAS mailed "
            "(ask for it with send_code / `sfsync support connect`)"
        )
    return authorization_header(str(token))
