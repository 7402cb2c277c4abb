"""Talking to Octopus: the login token, a dossier token per dossier, and Octopus's errors.

* ``POST /authentication`` (software house in its header, user and password in the body) gives a
  login token; ``POST /dossiers?dossierId=N`` with it gives that dossier's token. Both live 10
  minutes. A token is renewed 60 s before it expires and, when Octopus refuses one anyway (401),
  renewed once and the same call sent again: a sync that outlives its tokens keeps its place.
* Bodies are read with ``parse_float=Decimal``: an amount never passes through a float.
* Errors are Octopus's ErrorResult ``{errorCode, errorMessage}``; its message goes into ours (it
  names a dossier or a field, never a secret). Too many simultaneous connections (−51) is waited
  out a few times, then reported as its own error.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import httpx
from sfsync.context import ConnectorContext
from sfsync.errors import (
    AuthError,
    FatalError,
    MalformedResponse,
    NeedsReconsent,
    NotFound,
    RetriableError,
)

from sfsync_octopus.assumed import STATUS_TOO_MANY_CONNECTIONS
from sfsync_octopus.facts import (
    API_BASE,
    AUTH_TOKEN_HEADER,
    DOSSIER_TOKEN_HEADER,
    SOFTWARE_HOUSE_HEADER,
    TOKEN_SECONDS,
)

__all__ = ["OctopusSession", "error_result"]

RENEW_MARGIN = 60.0
"""Renew a token this many seconds before Octopus lets it expire."""
CONNECTION_RETRIES = 3
"""How often a call refused for too many connections is sent again before giving up."""


def error_result(response: httpx.Response) -> tuple[int | None, str]:
    """Octopus's ``errorCode`` and ``errorMessage`` (``None`` and the status when it sent none)."""
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        return None, f"HTTP {response.status_code}"
    if not isinstance(body, dict):
        return None, f"HTTP {response.status_code}"
    code = body.get("errorCode")
    return (code if isinstance(code, int) else None), str(body.get("errorMessage") or f"HTTP {response.status_code}")


def _octopus_error(response: httpx.Response) -> bool:
    """A 503 that is Octopus's own answer (too many connections), not a gateway's: returned to
    the session rather than retried blindly by the transport."""
    return response.status_code == STATUS_TOO_MANY_CONNECTIONS and error_result(response)[0] == -51


class OctopusSession:
    """One run's tokens and calls. Tokens live in memory only: they die within 10 minutes."""

    def __init__(self, ctx: ConnectorContext) -> None:
        self.ctx = ctx
        self.base_url = str(ctx.config.get("base_url", API_BASE)).rstrip("/")
        self._login: tuple[str, float] | None = None
        self._dossier_tokens: dict[str, tuple[str, float]] = {}
        self.renewals = 0
        """Tokens renewed because Octopus refused one mid-run (for tests and logs)."""

    @property
    def http(self) -> httpx.AsyncClient:
        return self.ctx.http(self.base_url, headers={"Accept": "application/json"}, keeps=_octopus_error)

    def _now(self) -> float:
        return self.ctx.clock.now().timestamp()

    def _fresh(self, token: tuple[str, float] | None) -> str | None:
        return token[0] if token is not None and token[1] - self._now() > RENEW_MARGIN else None

    # --- tokens ---------------------------------------------------------------------------------

    async def login_token(self, *, renew: bool = False) -> str:
        """A live login token (``renew``: a new one even if the old one looks alive)."""
        token = None if renew else self._fresh(self._login)
        if token is not None:
            return token
        started = self._now()
        response = await self._send(
            "POST", "/authentication",
            headers={SOFTWARE_HOUSE_HEADER: self.ctx.secrets["software_house_uuid"]},
            json={"user": str(self.ctx.config.get("user", "")), "password": self.ctx.secrets["password"]},
        )
        if response.status_code in (401, 403):
            _, message = error_result(response)
            raise NeedsReconsent(
                f"Octopus refused the login ({message}): the software house identification, the user or its "
                "password is no longer valid, or the user lacks the webservice module; support staff must "
                "enter the new credentials",
                response=response,
            )
        body = self._json(response, "/authentication")
        if not isinstance(body, dict) or not body.get("token"):
            raise MalformedResponse("Octopus's /authentication answered without a token", response=response)
        self._login = (str(body["token"]), started + TOKEN_SECONDS)
        return self._login[0]

    async def dossier_token(self, dossier: str, *, renew: bool = False) -> str:
        """A live dossier token of ``dossier`` (``renew``: a new one)."""
        token = None if renew else self._fresh(self._dossier_tokens.get(dossier))
        if token is not None:
            return token
        started = self._now()
        response = await self._with_login("POST", "/dossiers", params={"dossierId": dossier})
        if response.status_code in (403, 404):
            _, message = error_result(response)
            raise AuthError(f"the Octopus user may not open dossier {dossier} ({message}); give the user "
                            "access to the dossier in Octopus", response=response)
        body = self._json(response, "/dossiers")
        value = body.get("Dossiertoken") or body.get("dossiertoken") if isinstance(body, dict) else None
        if not value:
            raise MalformedResponse(f"Octopus gave no Dossiertoken for dossier {dossier}", response=response)
        self._dossier_tokens[dossier] = (str(value), started + TOKEN_SECONDS)
        return str(value)

    # --- calls ----------------------------------------------------------------------------------

    async def dossiers(self) -> list[dict[str, Any]]:
        """Every dossier the user may open (``GET /dossiers``, the login token only)."""
        body = self._json(await self._with_login("GET", "/dossiers"), "/dossiers")
        if not isinstance(body, list):
            raise MalformedResponse("Octopus's /dossiers is not a list")
        return body

    async def get(self, dossier: str, path: str, params: Mapping[str, str] | None = None) -> Any:
        """GET a path of one dossier (``/dossiers/{dossier}/…``) with its dossier token."""
        url = f"/dossiers/{dossier}/{path.lstrip('/')}"
        token = await self.dossier_token(dossier)
        response = await self._send("GET", url, params=params, headers={DOSSIER_TOKEN_HEADER: token})
        if response.status_code == 401:
            # The dossier token died (ten minutes passed, or Octopus restarted): a new one, and
            # with it a new login when that died too, then the same call again.
            self.renewals += 1
            token = await self.dossier_token(dossier, renew=True)
            response = await self._send("GET", url, params=params, headers={DOSSIER_TOKEN_HEADER: token})
        return self._json(response, url)

    async def _with_login(self, method: str, url: str, params: Mapping[str, str] | None = None) -> httpx.Response:
        response = await self._send(method, url, params=params, headers={AUTH_TOKEN_HEADER: await self.login_token()})
        if response.status_code == 401:
            self.renewals += 1
            token = await self.login_token(renew=True)
            response = await self._send(method, url, params=params, headers={AUTH_TOKEN_HEADER: token})
        return response

    async def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        for attempt in range(CONNECTION_RETRIES + 1):
            response = await self.http.request(method, f"{self.base_url}{url}", **kwargs)
            if not _octopus_error(response):
                return response
            if attempt < CONNECTION_RETRIES:
                await self.ctx.clock.sleep(2.0 * (attempt + 1))
        raise RetriableError(
            "Octopus refuses more simultaneous connections for this user (ERR_TO_MANY_CONNECTIONS, -51): "
            "another program is using the same Octopus user; the sync resumes from its checkpoint",
            response=response,
        )

    @staticmethod
    def _json(response: httpx.Response, url: str) -> Any:
        status = response.status_code
        if status == 200:
            try:
                return json.loads(response.content, parse_float=Decimal)
            except ValueError as exc:
                raise MalformedResponse(f"Octopus's {url} is not valid JSON", response=response) from exc
        _, message = error_result(response)
        if status == 401:
            raise AuthError(f"Octopus refused a fresh token ({message})", response=response)
        if status == 404:
            raise NotFound(f"Octopus does not know {url} ({message})", response=response)
        if status == 429 or status >= 500:
            raise RetriableError(f"Octopus answered {status} ({message})", response=response)
        raise FatalError(f"Octopus refused {url} ({status}): {message}", response=response)
