"""The sandbox refuses what WinBooks on Web refuses: a wrong exchange token or e-mail, MaxResult
without FirstResult, a page over the cap, a criteria on another entity, no bearer token."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import httpx
from sfsync_winbooks_online.facts import TYPE_GL_TRANS_HEADER
from sfsync_winbooks_online.sandbox import WinbooksSandbox


def _calls(sandbox: WinbooksSandbox) -> dict[str, int]:
    async def run() -> dict[str, int]:
        base = sandbox.base_urls[0]
        basic = {"Authorization": "Basic " + base64.b64encode(sandbox.email.encode()).decode()}
        async with httpx.AsyncClient(transport=sandbox.transports()[base], base_url=base) as client:
            out: dict[str, Any] = {
                "wrong token": await client.post("/OAuth20/Token", data={"grant_type": "exchange_token", "code": "x"}, headers=basic),
                "wrong e-mail": await client.post("/OAuth20/Token", data={"grant_type": "exchange_token", "code": sandbox.exchange_token},
                                                  headers={"Authorization": "Basic " + base64.b64encode(b"other@x.be").decode()}),
            }
            access = (await client.post("/OAuth20/Token", data={"grant_type": "exchange_token", "code": sandbox.exchange_token},
                                        headers=basic)).json()["access_token"]
            bearer = {"Authorization": f"Bearer {access}"}
            path = "/app/GLTransHeaders/Folder/ANKER/ExecuteCriteria"
            out["max without first"] = await client.post(path, json={"EntityType": TYPE_GL_TRANS_HEADER, "MaxResult": 10}, headers=bearer)
            out["page over the cap"] = await client.post(path, json={"EntityType": TYPE_GL_TRANS_HEADER, "FirstResult": 0,
                                                                     "MaxResult": 500}, headers=bearer)
            out["other entity"] = await client.post(path, json={"EntityType": "Winbooks.TORM.OM.Customer, Winbooks.TORM.OM"}, headers=bearer)
            out["unknown folder"] = await client.get("/app/BookYears/Folder/NOPE", headers=bearer)
            out["no bearer"] = await client.get("/app/BookYears/Folder/ANKER")
            return {name: response.status_code for name, response in out.items()}

    return asyncio.run(run())


def test_the_sandbox_refuses_what_winbooks_refuses():
    assert _calls(WinbooksSandbox()) == {"wrong token": 400, "wrong e-mail": 400, "max without first": 400,
                                         "page over the cap": 400, "other entity": 400, "unknown folder": 404, "no bearer": 401}
