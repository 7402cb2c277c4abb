"""Helpers for tests and benchmarks: a connector context on a sandbox, and a dossier mirror that
applies ledger batches as the runner does (clear, deletions, upserts)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from sfsync.clock import Clock
from sfsync.context import ConnectorContext, Secrets
from sfsync.http.transport import RetryPolicy
from sfsync.models import Company, FiscalYear, LedgerBatch, LedgerLine
from sfsync.sandbox import Sandbox

__all__ = ["LedgerMirror", "make_context"]


def make_context(
    sandbox: Sandbox,
    *,
    secrets: dict[str, str] | None = None,
    config: dict[str, Any] | None = None,
    state: dict[str, Any] | None = None,
    clock: Clock | None = None,
) -> ConnectorContext:
    """A context as the runner builds it, with the sandbox mounted in-process."""
    from sfsync_odoo.connector import odoo

    return ConnectorContext(
        connector="odoo",
        connection_id="c1",
        auth_spec=odoo.sfsync_auth(),
        config={**sandbox.connection_config(), **(config or {})},
        secrets=Secrets(sandbox.connection_secrets() if secrets is None else secrets),
        state=state if state is not None else {},
        transports=sandbox.transports(),
        retry=RetryPolicy(attempts=2, wait_initial=0.0, wait_max=0.0),
        clock=clock or Clock(),
    )


@dataclass
class LedgerMirror:
    """The dossier's ledger as the runner would store it, with the last cursor."""

    lines: dict[str, LedgerLine] = field(default_factory=dict)
    cursor: str | None = None
    batches: list[LedgerBatch] = field(default_factory=list)

    def apply(self, batch: LedgerBatch) -> None:
        if batch.clear is not None:
            start, end = batch.clear
            for key in [k for k, line in self.lines.items() if start <= line.date <= end]:
                del self.lines[key]
        for line_id in batch.deleted:
            self.lines.pop(line_id, None)
        for line in batch.lines:
            self.lines[line.id] = line
        if batch.cursor is not None:
            self.cursor = batch.cursor
        self.batches.append(batch)

    async def sync(self, sandbox_ctx: ConnectorContext, company: str, *, since: dt.date | None = None,
                   years: list[FiscalYear] | None = None, stop_after: int | None = None) -> list[LedgerBatch]:
        """Run one ledger sync from the stored cursor; returns this run's batches."""
        from sfsync_odoo.connector import odoo

        company_model = Company(ref=company)
        if years is None:
            years = await odoo.sfsync_fetch_fiscal_years(ctx=sandbox_ctx, company=company_model)
        batches: AsyncIterator[LedgerBatch] = odoo.sfsync_fetch_ledger(
            ctx=sandbox_ctx, company=company_model, since=since, cursor=self.cursor, fiscal_years=years
        )
        seen: list[LedgerBatch] = []
        async for batch in batches:
            self.apply(batch)
            seen.append(batch)
            if stop_after is not None and len(seen) >= stop_after:
                await batches.aclose()  # type: ignore[attr-defined]
                break
        return seen
