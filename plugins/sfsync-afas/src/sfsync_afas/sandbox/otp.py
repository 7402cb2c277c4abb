"""AFAS's one-time-password flow, as the sandbox serves it (Inrichting.json, "OTP Authorization").

``POST /OtpRequest`` with ``{apiKey, apiToken, userId}`` (the App Connector's API key and
environment key, the AFAS user) answers 200 with an empty body and mails the user an eight-digit
code; ``POST /OtpValidation`` with the same and ``otp`` answers ``{"token": "<token>…</token>\\r\\n"}``
(the spec's example keeps the trailing CRLF). The sandbox's mailbox (:attr:`OtpDesk.mailbox`) is
what the user would read. UNVERIFIED (facts.UNVERIFIED["otp_host"]): the host, the code's 10-minute
life, one use per code, and the 401 with AFAS's error body for a wrong key or code.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field

from sfsync.clock import Clock
from sfsync.sandbox.responses import exact
from sfsync.sandbox.routing import Request, Response

from sfsync_afas.sandbox.wire import afas_error

__all__ = ["OtpDesk"]

CODE_SECONDS = 600


@dataclass
class OtpDesk:
    """The App Connector's OTP settings and the codes in flight."""

    api_key: str
    api_token: str
    users: dict[str, str]
    """AFAS user id → the token XML the validation hands out for them."""
    clock: Clock
    mailbox: list[tuple[str, str]] = field(default_factory=list)
    """(user, code) of every code mailed, newest last."""
    _codes: dict[str, tuple[str, float]] = field(default_factory=dict)

    async def _body(self, request: Request, *names: str) -> dict[str, str] | Response:
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            return afas_error(400, "The request body is not valid JSON.")
        # The spec's own example writes "userid"; its schema "userId": both are read.
        if "userid" in body and "userId" not in body:
            body["userId"] = body["userid"]
        missing = [n for n in names if not str(body.get(n) or "")]
        if missing:
            return afas_error(400, f"Missing field(s): {', '.join(missing)}.")
        if not (secrets.compare_digest(str(body["apiKey"]), self.api_key)
                and secrets.compare_digest(str(body["apiToken"]), self.api_token)):
            return afas_error(401, "The App Connector's API key or environment key is not valid.")
        if str(body["userId"]) not in self.users:
            return afas_error(401, "The user is not known in this environment.")
        return {n: str(body[n]) for n in names}

    async def request_code(self, request: Request) -> Response:
        got = await self._body(request, "apiKey", "apiToken", "userId")
        if isinstance(got, Response):
            return got
        code = f"{secrets.randbelow(10**8):08d}"
        self._codes[got["userId"]] = (code, self.clock.now().timestamp() + CODE_SECONDS)
        self.mailbox.append((got["userId"], code))
        return exact(b"", 200, [("Cache-Control", "no-store, no-cache"), ("Content-Type", "application/xml; charset=utf-8")])

    async def validate(self, request: Request) -> Response:
        got = await self._body(request, "apiKey", "apiToken", "userId", "otp")
        if isinstance(got, Response):
            return got
        issued = self._codes.get(got["userId"])
        if issued is None or issued[1] < self.clock.now().timestamp() or not secrets.compare_digest(issued[0], got["otp"]):
            return afas_error(401, "The one-time password is not valid or has expired.")
        del self._codes[got["userId"]]  # one use
        from sfsync.sandbox.responses import json_response

        return json_response({"token": self.users[got["userId"]] + "\r\n"})
