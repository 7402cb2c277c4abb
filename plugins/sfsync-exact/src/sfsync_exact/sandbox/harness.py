"""Driving an Exact connector against the sandbox without the host: an in-memory token vault,
the OAuth connect flow as a person would do it, and a miniature store that applies ledger
batches. Used by the plugin's tests and its benchmark."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from sfsync.context import ConnectorContext, Secrets
from sfsync.models import LedgerLine
from sfsync.sandbox.vault import MemoryVault

from sfsync_exact.connector import ExactConnector, exact_be, exact_fr, exact_nl
from sfsync_exact.sandbox import ExactSandbox

__all__ = ["MemoryVault", "MiniStore", "connect", "connector_for", "sandbox_view", "store_view"]

REDIRECT_URI = "https://firm.example/sfsync/oauth/callback"




def connector_for(region: str) -> ExactConnector:
    return {"be": exact_be, "nl": exact_nl, "fr": exact_fr}[region]


async def connect(
    sandbox: ExactSandbox, *, secrets: dict[str, str] | None = None, connection_id: str = "c1"
) -> ConnectorContext:
    """Authorize at the sandbox, exchange the code, check the connection; return the context."""
    connector = connector_for(sandbox.region)
    spec = connector.sfsync_auth()
    config = sandbox.connection_config()
    secret_values = secrets if secrets is not None else sandbox.connection_secrets()
    pending = spec.start(client_id=config["client_id"], redirect_uri=REDIRECT_URI)
    transport = next(iter(sandbox.transports().values()))
    async with httpx.AsyncClient(transport=transport) as browser:
        redirect = await sandbox.authorize(browser, pending.authorize_url)
        query = parse_qs(urlsplit(redirect).query)
        if query.get("state", [""])[0] != pending.state:
            raise AssertionError("the sandbox returned another state")
        request = spec.token_request(
            {
                "grant_type": "authorization_code",
                "code": query["code"][0],
                "redirect_uri": REDIRECT_URI,
            },
            client_id=config["client_id"],
            client_secret=secret_values.get("client_secret"),
        )
        response = await browser.send(request)
        if response.status_code != 200:
            raise spec.classify_token_error(response)
        tokens = spec.parse_token_response(response, now=sandbox.clock.now())
    vault = MemoryVault()
    await vault.save(tokens)
    ctx = ConnectorContext(
        connector=connector.name,
        connection_id=connection_id,
        auth_spec=spec,
        config=config,
        secrets=Secrets(secret_values),
        vault=vault,
        transports=sandbox.transports(),
        rate_limits=connector.sfsync_connector_info().rate_limits,
        clock=sandbox.clock,
    )
    await connector.sfsync_check_connection(ctx=ctx)
    return ctx


@dataclass
class MiniStore:
    """Applies ledger batches as the runner would: upsert lines, drop deleted ones, keep cursor."""

    lines: dict[str, LedgerLine] = field(default_factory=dict)
    cursor: str | None = None
    batches: int = 0

    def apply(self, batch: Any) -> None:
        for line in batch.lines:
            self.lines[line.id] = line
        for line_id in batch.deleted:
            self.lines.pop(line_id, None)
        if batch.deleted_entries:
            gone = set(batch.deleted_entries)
            self.lines = {k: v for k, v in self.lines.items() if v.entry not in gone}
        if batch.cursor is not None:
            self.cursor = batch.cursor
        self.batches += 1

    async def sync(self, iterator: AsyncIterator[Any], *, stop_after: int | None = None) -> int:
        """Apply every batch (or stop after ``stop_after`` batches, as a killed run would)."""
        applied = 0
        async for batch in iterator:
            self.apply(batch)
            applied += 1
            if stop_after is not None and applied >= stop_after:
                break
        closer = getattr(iterator, "aclose", None)
        if closer is not None:
            await closer()
        return applied


def sandbox_view(sandbox: ExactSandbox, ref: str, since: Any = None) -> dict[str, tuple[Any, ...]]:
    """What the sandbox holds for a division, in the shape :func:`store_view` gives."""
    return {
        row["ID"]: (
            row["EntryID"],
            row["Date"],
            row["GLAccountCode"].strip(),
            row["AmountDC"],
            row["Description"],
            row["FinancialPeriod"],
            str(row["FinancialYear"]),
        )
        for row in sandbox.division(ref).lines.values()
        if since is None or row["Date"] >= since
    }


def store_view(store: MiniStore) -> dict[str, tuple[Any, ...]]:
    """What the connector delivered, in the shape :func:`sandbox_view` gives."""
    return {
        line.id: (
            line.entry,
            line.date,
            line.account,
            line.debit - line.credit,
            line.description,
            line.period,
            line.fiscal_year,
        )
        for line in store.lines.values()
    }
