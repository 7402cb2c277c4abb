"""The sandbox refuses what Octopus refuses: no software house, a wrong password, a stamp in
another format, an unknown bookyear; the refusals are Octopus's ErrorResult."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from sfsync_octopus.sandbox import OctopusSandbox


def _calls(sandbox: OctopusSandbox) -> dict[str, Any]:
    async def run() -> dict[str, Any]:
        base = sandbox.base_urls[0]
        async with httpx.AsyncClient(transport=sandbox.transports()[base], base_url=base) as client:
            body = {"user": sandbox.user, "password": sandbox.password}
            out: dict[str, Any] = {
                "no software house": await client.post("/authentication", json=body),
                "wrong password": await client.post("/authentication", json={**body, "password": "x"},
                                                    headers={"softwareHouseUuid": sandbox.software_house}),
            }
            token = (await client.post("/authentication", json=body,
                                       headers={"softwareHouseUuid": sandbox.software_house})).json()["token"]
            dossier = (await client.post("/dossiers", params={"dossierId": "1001"}, headers={"Token": token})).json()["Dossiertoken"]
            headers = {"dossierToken": dossier}
            out["iso stamp"] = await client.get("/dossiers/1001/bookyears/1/bookings/modified",
                                                params={"modifiedTimeStamp": "2024-01-01T00:00:00"}, headers=headers)
            out["unknown bookyear"] = await client.get("/dossiers/1001/bookyears/99/bookings/modified",
                                                       params={"modifiedTimeStamp": "2000-01-01 00:00:00.000"}, headers=headers)
            out["no token"] = await client.get("/dossiers/1001/bookyears")
            return out

    return asyncio.run(run())


def test_the_sandbox_refuses_what_octopus_refuses():
    answers = _calls(OctopusSandbox())
    statuses = {name: response.status_code for name, response in answers.items()}
    assert statuses == {"no software house": 401, "wrong password": 401, "iso stamp": 400,
                        "unknown bookyear": 404, "no token": 401}
    for response in answers.values():
        assert set(response.json()) == {"errorCode", "errorMessage"}
