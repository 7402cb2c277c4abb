"""AFAS's one-time-password flow from the connector's side (Inrichting.json "OTP Authorization").

Support asks for a code (``POST /OtpRequest`` with the App Connector's API key and environment key
and the AFAS user: AFAS mails the user a code), then enters it: ``POST /OtpValidation`` answers the
user's token XML, which the connection keeps (encrypted, in its state) instead of a typed token.
Neither call carries a token; both go to the environment's own host (UNVERIFIED, facts).
"""

from __future__ import annotations

import json

import httpx
from sfsync.context import ConnectorContext
from sfsync.errors import AuthError, MalformedResponse, RetriableError

from sfsync_afas.auth import environment_base, secret
from sfsync_afas.client import afas_answer, afas_error_text

__all__ = ["request_code", "validate_code"]


def _app_connector(ctx: ConnectorContext) -> dict[str, str]:
    user, key, environment_key = ctx.config.get("user_id"), secret(ctx, "api_key"), secret(ctx, "api_token")
    if not (user and key and environment_key):
        raise AuthError("a one-time code needs the AFAS user, the App Connector's API key and its environment key")
    return {"apiKey": key, "apiToken": environment_key, "userId": str(user)}


async def _post(ctx: ConnectorContext, path: str, body: dict[str, str]) -> httpx.Response:
    base = environment_base(ctx)
    client = ctx.http(base, headers={"Accept": "application/json"}, retry_statuses=frozenset({500, 502, 503, 504}),
                      keeps=afas_answer)
    response = await client.post(f"{base}{path}", json=body)
    if response.status_code in (401, 403, 400):
        raise AuthError(f"AFAS refused the one-time-password request ({afas_error_text(response)})", response=response)
    if response.status_code != 200:
        raise RetriableError(f"AFAS could not handle {path} ({afas_error_text(response)})", response=response)
    return response


async def request_code(ctx: ConnectorContext) -> str:
    """Ask AFAS to mail the user a one-time code; returns where it went."""
    body = _app_connector(ctx)
    await _post(ctx, "/OtpRequest", body)
    return f"AFAS mailed a one-time code to {body['userId']}; enter it as otp to finish the connection"


async def validate_code(ctx: ConnectorContext, code: str) -> str:
    """Exchange the code for the user's token XML."""
    response = await _post(ctx, "/OtpValidation", {**_app_connector(ctx), "otp": code.strip()})
    try:
        token = json.loads(response.content)["token"]
    except (ValueError, KeyError, TypeError) as exc:
        raise MalformedResponse("AFAS's OTP validation answered without a token", response=response) from exc
    return str(token).strip()
