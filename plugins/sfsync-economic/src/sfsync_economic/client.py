"""The e-conomic REST calls for one agreement: the two token headers on every call, JSON with
Decimal amounts, collections paged with ``pagesize`` (at most 1,000) and ``skippages`` by
following ``pagination.nextPage``, and e-conomic's error bodies turned into the core's errors."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sfsync.context import ConnectorContext
from sfsync.errors import AuthError, FatalError, MalformedResponse, NeedsReconsent, NotFound

API_URL = "https://restapi.e-conomic.com"
PAGE_SIZE = 1000
GRANT_ERROR_CODES = frozenset({"E04020"})
"""UNVERIFIED: the errorCode of a missing, unknown or revoked agreement grant token."""


class EconomicError(FatalError):
    """e-conomic refused the call (a 400 names what it refused)."""


def year_path(label: str) -> str:
    """An accounting year in a URL: e-conomic's self links write ``/`` as ``_6_``."""
    return label.replace("_", "_8_").replace("/", "_6_")


def _problem(body: Any) -> tuple[str, str]:
    """(errorCode, a readable text) of an error body; field errors named, values never echoed."""
    if not isinstance(body, dict):
        return "", ""
    text = str(body.get("message") or "")
    if body.get("developerHint"):
        text += f" ({str(body['developerHint'])[:200]})"
    fields = body.get("errors")
    if isinstance(fields, dict):
        named = []
        for name, found in list(fields.items())[:5]:
            errors = found.get("errors") if isinstance(found, dict) else None
            first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
            named.append(f"{name}: {first.get('message') or first.get('errorCode') or 'refused'}")
        if named:
            text += "; " + "; ".join(named)
    return str(body.get("errorCode") or ""), text


class EconomicClient:
    """Calls for the agreement a connection's grant is for."""

    def __init__(self, ctx: ConnectorContext, grant: str) -> None:
        self.ctx = ctx
        self.api_url = str(ctx.config.get("api_url", API_URL)).rstrip("/")
        secret = ctx.secrets["client_secret"] if "client_secret" in set(ctx.secrets) else None
        if not secret:
            raise AuthError("the e-conomic connection has no app secret token; connect it again")
        # e-conomic counts per agreement and app, whichever dossier's grant calls. Before the
        # approval's /self names the agreement, the grant's digest stands in (no secret in it).
        agreement = ctx.state.get("agreement") or hashlib.sha256(grant.encode()).hexdigest()[:16]
        key = f"economic/{ctx.config.get('client_id', '')}/{agreement}"
        self.http = ctx.http(self.api_url, authenticated=False, limit_key=key, headers={
            "X-AppSecretToken": secret, "X-AgreementGrantToken": grant, "Accept": "application/json",
        })

    @classmethod
    async def for_context(cls, ctx: ConnectorContext) -> EconomicClient:
        tokens = await ctx.vault.load() if ctx.vault is not None else None
        if tokens is None:
            raise NeedsReconsent("the dossier has no e-conomic agreement grant; approve the app again from the "
                                 "dossier's link")
        return cls(ctx, tokens.access_token.get_secret_value())

    async def get(self, path: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        response = await self.http.get(path, params=params)
        body: Any = None
        if response.content:
            if "json" not in response.headers.get("content-type", ""):
                raise MalformedResponse(
                    f"e-conomic answered {response.headers.get('content-type') or 'without a content type'} "
                    f"instead of JSON on {path}", response=response)
            try:
                body = json.loads(response.content, parse_float=Decimal)
            except ValueError as exc:
                raise MalformedResponse(f"e-conomic sent a body that is not JSON on {path}", response=response) from exc
        if response.status_code == 200:
            if not isinstance(body, dict):
                raise MalformedResponse(f"e-conomic's answer on {path} is not an object", response=response)
            return body
        code, text = _problem(body)
        status = response.status_code
        if status == 401:
            if code in GRANT_ERROR_CODES or "grant" in text.lower() or code == "":
                raise NeedsReconsent(
                    f"e-conomic refused the dossier's agreement grant ({code or 'HTTP 401'}: the agreement's user "
                    "removed the app or the grant was never valid); approve the app again from the dossier's link",
                    response=response)
            raise AuthError(f"e-conomic refused the app's secret token ({code}); check the app secret token",
                            response=response)
        if status == 403:
            raise NeedsReconsent(f"e-conomic refused access to {path} ({code or 'HTTP 403'}: {text}); the app's role "
                                 "does not cover it: approve an app with the bookkeeping role", response=response)
        if status == 404:
            raise NotFound(f"e-conomic has no {path}", response=response)
        raise EconomicError(f"e-conomic answered {status} on {path}: {code} {text}".strip(), response=response)

    async def pages(self, path: str, params: dict[str, str] | None = None) -> AsyncIterator[list[dict[str, Any]]]:
        """The collection at ``path``, one page (up to 1,000 items) at a time."""
        query = {**(params or {}), "pagesize": str(PAGE_SIZE), "skippages": "0"}
        seen: set[str] = set()
        while True:
            body = await self.get(path, query)
            items = body.get("collection")
            paging = body.get("pagination")
            if not isinstance(items, list) or not isinstance(paging, dict):
                raise MalformedResponse(f"e-conomic's {path} is not a collection (no collection/pagination)")
            yield items
            following = paging.get("nextPage")
            if not following:
                return
            skip = (parse_qs(urlsplit(str(following)).query).get("skippages") or [""])[0]
            if not skip.isdigit() or skip in seen or int(skip) <= int(query["skippages"]):
                raise MalformedResponse(f"e-conomic's {path} pages in a loop (nextPage {following})")
            seen.add(skip)
            query["skippages"] = skip

    async def collect(self, path: str, params: dict[str, str] | None = None) -> list[dict[str, Any]]:
        return [item async for page in self.pages(path, params) for item in page]
