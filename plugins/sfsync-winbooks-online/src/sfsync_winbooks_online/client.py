"""Talking to WinBooks on Web: the exchange token, the OAuth tokens it becomes, chunks and pages.

* ``POST /OAuth20/Token`` with ``Authorization: Basic base64(email)``: the exchange token (a
  form secret) gives an access token and a refresh token; both are kept in the connection's
  sealed state, the refresh token saved before the access token is used. An access token is
  refreshed 60 s before ``expires_in`` runs out, and once more on a 401.
* Get All answers come in chunks: a ``ContinuePath`` header asks for the request again with it.
* Criteria are paged with ``FirstResult``/``MaxResult`` (MaxResult needs FirstResult).
* Bodies are read with ``parse_float=Decimal``.
"""

from __future__ import annotations

import base64
import json
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

from sfsync_winbooks_online.assumed import PAGE_MAX
from sfsync_winbooks_online.facts import API_BASE, CONTINUE_HEADER, TOKEN_PATH, TYPE_GL_TRANS_HEADER

__all__ = ["WinbooksSession"]

RENEW_MARGIN = 60.0


class WinbooksSession:
    """One run's calls; the tokens live in ``ctx.state`` (sealed at rest)."""

    def __init__(self, ctx: ConnectorContext) -> None:
        self.ctx = ctx
        self.base_url = str(ctx.config.get("base_url", API_BASE)).rstrip("/")

    @property
    def http(self) -> httpx.AsyncClient:
        return self.ctx.http(self.base_url, headers={"Accept": "application/json"})

    def _now(self) -> float:
        return self.ctx.clock.now().timestamp()

    async def _token_call(self, grant: str, code: str) -> None:
        email = str(self.ctx.config.get("email", ""))
        response = await self.http.post(
            f"{self.base_url}{TOKEN_PATH}", data={"grant_type": grant, "code": code},
            headers={"Authorization": "Basic " + base64.b64encode(email.encode()).decode()},
        )
        if response.status_code != 200:
            what = "exchange token" if grant == "exchange_token" else "refresh token"
            if response.status_code == 429 or response.status_code >= 500:
                raise RetriableError(f"WinBooks on Web's token endpoint answered {response.status_code}", response=response)
            raise NeedsReconsent(
                f"WinBooks on Web refused the {what} ({response.status_code}): the licence administrator "
                "withdrew the application's access, or the e-mail is not the one the access was granted to; "
                "support staff must enter a new exchange token", response=response)
        try:
            body = response.json()
            tokens = {"access": str(body["access_token"]), "refresh": str(body.get("refresh_token") or code),
                      "expires_at": self._now() + int(body.get("expires_in", 900))}
        except (ValueError, KeyError, TypeError) as exc:
            raise MalformedResponse("WinBooks on Web's token answer has no usable access_token", response=response) from exc
        self.ctx.state["tokens"] = tokens
        await self.ctx.save_state()  # the refresh token is safe before the access token is used

    async def connect(self) -> None:
        """Turn the exchange token into OAuth tokens (the connection's first call)."""
        await self._token_call("exchange_token", self.ctx.secrets["exchange_token"])

    async def access_token(self, *, renew: bool = False) -> str:
        tokens = self.ctx.state.get("tokens")
        if not tokens:
            await self.connect()
        elif renew or float(tokens["expires_at"]) - self._now() <= RENEW_MARGIN:
            await self._token_call("refresh_token", str(tokens["refresh"]))
        return str(self.ctx.state["tokens"]["access"])

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        headers["Authorization"] = f"Bearer {await self.access_token()}"
        response = await self.http.request(method, f"{self.base_url}{path}", headers=headers, **kwargs)
        if response.status_code == 401:
            headers["Authorization"] = f"Bearer {await self.access_token(renew=True)}"
            response = await self.http.request(method, f"{self.base_url}{path}", headers=headers, **kwargs)
        return response

    @staticmethod
    def _json(response: httpx.Response, path: str) -> Any:
        status = response.status_code
        if status == 200:
            try:
                return json.loads(response.content, parse_float=Decimal)
            except ValueError as exc:
                raise MalformedResponse(f"WinBooks on Web's {path} is not valid JSON", response=response) from exc
        try:
            message = str(response.json().get("Message", ""))
        except (ValueError, AttributeError):
            message = ""
        if status == 401:
            raise AuthError(f"WinBooks on Web refused a fresh access token ({message})", response=response)
        if status == 404:
            raise NotFound(f"WinBooks on Web does not know {path} ({message})", response=response)
        if status == 429 or status >= 500:
            raise RetriableError(f"WinBooks on Web answered {status} ({message})", response=response)
        raise FatalError(f"WinBooks on Web refused {path} ({status}): {message}", response=response)

    async def folders(self, path: str) -> list[dict[str, Any]]:
        body = self._json(await self._send("GET", path), path)
        if not isinstance(body, list):
            raise MalformedResponse("WinBooks on Web's folder list is not a list")
        return body

    async def get_all(self, oms: str, folder: str) -> list[dict[str, Any]]:
        """Every object of a model in a folder, following ``ContinuePath`` chunk by chunk."""
        path, rows, seen = f"/app/{oms}/Folder/{folder}", [], set()
        headers: dict[str, str] = {}
        while True:
            response = await self._send("GET", path, params={"maxLevel": "1"}, headers=headers)
            body = self._json(response, path)
            if not isinstance(body, list):
                raise MalformedResponse(f"WinBooks on Web's {oms} of folder {folder} are not a list")
            rows.extend(body)
            following = response.headers.get(CONTINUE_HEADER)
            if not following:
                return rows
            if following in seen:
                raise MalformedResponse(f"WinBooks on Web sent the same ContinuePath twice for {oms}")
            seen.add(following)
            headers = {CONTINUE_HEADER: following}

    async def criteria_pages(self, folder: str, conditions: list[dict[str, Any]], *, max_level: int = 2,
                             projections: list[dict[str, Any]] | None = None) -> Any:
        """GLTransHeaders matching ``conditions``, in pages of ``MaxResult`` (ordered by Modified)."""
        path = f"/app/GLTransHeaders/Folder/{folder}/ExecuteCriteria"
        first = 0
        while True:
            query: dict[str, Any] = {
                "EntityType": TYPE_GL_TRANS_HEADER, "Conditions": conditions, "FirstResult": first, "MaxResult": PAGE_MAX,
                "Orders": [{"PropertyName": "Modified", "Alias": None, "Projections": None, "Ascending": True}],
            }
            if projections:
                query["ProjectionsList"] = projections
            body = self._json(await self._send("POST", path, params={"maxLevel": str(max_level)}, json=query), path)
            if not isinstance(body, list):
                raise MalformedResponse(f"WinBooks on Web's criteria answer of folder {folder} is not a list")
            yield body
            if len(body) < PAGE_MAX:
                return
            first += PAGE_MAX
