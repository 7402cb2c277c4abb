"""``crm/Accounts``: the relations of a division, which clients built for the real Exact probe
(``$select=ID&$filter=Name eq 'DOES_NOT_EXIST'``) to check a division before they use it."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from sfsync.clock import FakeClock
from sfsync_exact.client import exact_error_message, unwrap
from sfsync_exact.sandbox import ExactSandbox
from sfsync_exact.sandbox.harness import connect
from sfsync_exact.wire import decode_json


def _get_all(sandbox: ExactSandbox, calls: list[tuple[str, dict[str, str]]]) -> list[httpx.Response]:
    ctx = asyncio.run(connect(sandbox))
    token = ctx.vault.tokens.access_token.get_secret_value()  # type: ignore[union-attr]

    async def go() -> list[httpx.Response]:
        async with httpx.AsyncClient(transport=next(iter(sandbox.transports().values()))) as client:
            return [await client.get(f"{sandbox.base_urls[0]}/api/v1/{path}", params=params,
                                     headers={"Accept": "application/json", "Authorization": f"Bearer {token}"})
                    for path, params in calls]

    return asyncio.run(go())


def _rows(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    return unwrap(decode_json(response.content))[0]


def test_crm_accounts_serves_the_relations_the_lines_point_to():
    sandbox = ExactSandbox("be", clock=FakeClock())
    code = sandbox.company_refs()[0]
    probe, suppliers, by_code, unfiltered, other = _get_all(sandbox, [
        (f"{code}/crm/Accounts", {"$select": "ID", "$filter": "Name eq 'DOES_NOT_EXIST'"}),
        (f"{code}/crm/Accounts", {"$select": "ID,Code,Name,IsSupplier", "$filter": "IsSupplier eq true"}),
        (f"{code}/crm/Accounts", {"$filter": "Name eq 'Garage Maes'"}),
        (f"{code}/crm/Accounts", {}),
        ("999999/crm/Accounts", {"$filter": "Name eq 'x'"}),
    ])
    assert _rows(probe) == []
    supplier_rows = _rows(suppliers)
    assert supplier_rows and all(r["IsSupplier"] is True for r in supplier_rows)
    (garage,) = _rows(by_code)
    assert garage["Name"] == "Garage Maes" and len(garage["Code"]) == 18 and garage["Code"].strip().isdigit()
    assert garage["__metadata"]["type"] == "Exact.Web.Api.Models.CRM.Account"
    assert unfiltered.status_code == 400 and "mandatory filtering" in exact_error_message(unfiltered)
    assert other.status_code == 404
    # Every relation a transaction line names is a crm account with that code and name.
    division = sandbox.store.divisions[int(code)]
    accounts = {r["ID"]: r for r in _rows(_get_all(sandbox, [(f"{code}/crm/Accounts", {"$filter": "Blocked eq false"})])[0])}
    named = {(ln["Account"], ln["AccountCode"], ln["AccountName"]) for ln in division.lines.values() if ln.get("Account")}
    assert named and all(accounts[i]["Code"] == c and accounts[i]["Name"] == n for i, c, n in named)
