"""Trial balances and opening balances, aggregated with ``read_group`` (Community has no
trial-balance API). Odoo posts no closing entry: the P&L of earlier years is carried on the
``equity_unaffected`` account, as Odoo's reports show it.

A sync first takes the month summary of the posted lines (one ``read_group``); years are re-read
from the earliest month whose summary changed since the last sync (a change carries into every
later year's opening), so an unchanged company costs that one call."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

from sfsync.context import ConnectorContext
from sfsync.models import (
    AccountKind,
    Company,
    FiscalYear,
    OpeningBalance,
    TrialBalanceBatch,
    TrialBalanceLine,
)

from sfsync_odoo import values
from sfsync_odoo.client import OdooClient, client_for
from sfsync_odoo.ledger import _month_bounds, month_summary

__all__ = ["fetch_opening_balances", "fetch_trial_balance", "history_stamp"]


class _Chart:
    def __init__(self) -> None:
        self.code: dict[int, str] = {}
        self.kind: dict[int, AccountKind] = {}
        self.unaffected: int | None = None


async def _chart(client: OdooClient, company: int) -> _Chart:
    profile = await client.connect()
    rows = await client.search_read_all("account.account", profile.account_domain(company), profile.account_fields(),
                                        company=company, archived=True)
    chart = _Chart()
    for row in rows:
        code = values.text(row.get("code"))
        if not code:
            continue
        chart.code[int(row["id"])] = code
        chart.kind[int(row["id"])] = profile.account_kind(row)
        if chart.unaffected is None and profile.is_unaffected_earnings(row):
            chart.unaffected = int(row["id"])
    return chart


def _posted(company: int) -> list[Any]:
    return ["&", "&", ["company_id", "=", company], ["parent_state", "=", "posted"],
            ["display_type", "not in", ["line_section", "line_note"]]]


async def _balances_before(client: OdooClient, company: int, chart: _Chart, day: dt.date,
                           warnings: list[str]) -> dict[int, Decimal]:
    """Balance of every balance-sheet account before ``day``; earlier P&L on unaffected earnings."""
    rows = await client.call("account.move.line", "read_group", ["&", ["date", "<", day.isoformat()], *_posted(company)],
                             company=company, fields=["balance:sum"], groupby=["account_id"], lazy=False)
    out: dict[int, Decimal] = defaultdict(Decimal)
    profit = Decimal(0)
    for row in rows or []:
        account = values.m2o_id(row.get("account_id"))
        if account is None or account not in chart.code:
            continue
        balance = values.amount(row.get("balance"))
        if chart.kind.get(account) is AccountKind.PROFIT_LOSS:
            profit += balance
        else:
            out[account] += balance
    if profit:
        if chart.unaffected is None:
            warnings.append(f"earlier years' result ({profit}) has no unaffected-earnings account to go to")
        else:
            out[chart.unaffected] += profit
    return out


async def fetch_trial_balance(
    ctx: ConnectorContext, company: Company, fiscal_years: list[FiscalYear], cursor: str | None
) -> AsyncIterator[TrialBalanceBatch]:
    client = client_for(ctx)
    cid = int(company.ref)
    chart: _Chart | None = None
    years = sorted(fiscal_years, key=lambda y: y.start)
    state: dict[str, Any] = json.loads(cursor) if cursor else {"done": True, "months": None}
    if state.get("done"):
        summary = await month_summary(client, cid, _posted(cid))
        previous = state.get("months")
        if previous is None:
            start_index = 0
        else:
            changed = sorted(m for m in set(previous) | set(summary) if previous.get(m) != summary.get(m))
            if not changed:
                yield TrialBalanceBatch(cursor=json.dumps({"done": True, "months": summary}))
                return
            earliest = dt.date.fromisoformat(changed[0])
            start_index = next((i for i, y in enumerate(years) if y.end >= earliest), len(years))
        state = {"done": False, "next": start_index, "months": summary}
    for index in range(int(state["next"]), len(years)):
        year = years[index]
        if chart is None:
            chart = await _chart(client, cid)
        warnings: list[str] = []
        opening = await _balances_before(client, cid, chart, year.start, warnings)
        rows = await client.call(
            "account.move.line", "read_group",
            ["&", "&", ["date", ">=", year.start.isoformat()], ["date", "<=", year.end.isoformat()], *_posted(cid)],
            company=cid, fields=["debit:sum", "credit:sum"], groupby=["account_id", "date:month"], lazy=False,
        )
        moves: dict[int, dict[dt.date, tuple[Decimal, Decimal]]] = defaultdict(dict)
        for row in rows or []:
            account = values.m2o_id(row.get("account_id"))
            if account is None or account not in chart.code:
                continue
            first, _ = _month_bounds(row)
            moves[account][dt.date.fromisoformat(first)] = (values.amount(row.get("debit")), values.amount(row.get("credit")))
        lines: list[TrialBalanceLine] = []
        for account in sorted(set(moves) | {a for a, b in opening.items() if b}, key=lambda a: chart.code[a]):
            running = opening.get(account, Decimal(0))
            for period in year.periods:
                month = period.start.replace(day=1)
                debit, credit = moves[account].get(month, (Decimal(0), Decimal(0)))
                if not debit and not credit and not running:
                    continue
                closing = running + debit - credit
                lines.append(TrialBalanceLine(account=chart.code[account], period_start=period.start,
                                              period_end=period.end, period=period.number, fiscal_year=year.label,
                                              opening=running, debit=debit, credit=credit, closing=closing))
                running = closing
        state["next"] = index + 1
        state["done"] = index + 1 == len(years)
        yield TrialBalanceBatch(lines=lines, clear=(year.start, year.end), cursor=json.dumps(state),
                                warnings=warnings)
    if not state["done"]:
        state["done"] = True
        yield TrialBalanceBatch(cursor=json.dumps(state))


async def fetch_opening_balances(ctx: ConnectorContext, company: Company, at: dt.date) -> list[OpeningBalance]:
    client = client_for(ctx)
    cid = int(company.ref)
    chart = await _chart(client, cid)
    warnings: list[str] = []
    balances = await _balances_before(client, cid, chart, at, warnings)
    for warning in warnings:
        ctx.warn(warning)
    return [OpeningBalance(account=chart.code[a], date=at, amount=b) for a, b in sorted(balances.items()) if b]


async def history_stamp(ctx: ConnectorContext, company: Company, before: dt.date) -> str | None:
    """``count:debit:credit:newest write_date`` of the posted lines dated before ``before``: one
    ``read_group``. The ledger stream of a since link reads from its date on, so this is what
    tells the runner that an older entry was changed, reset to draft or deleted."""
    cid = int(company.ref)
    rows = await client_for(ctx).call(
        "account.move.line", "read_group", ["&", ["date", "<", before.isoformat()], *_posted(cid)],
        company=cid, fields=["debit:sum", "credit:sum", "write_date:max"], groupby=[], lazy=False,
    )
    if not rows:
        return None
    row = rows[0]
    return ":".join((str(row.get("__count", 0)), str(values.amount(row.get("debit"))),
                     str(values.amount(row.get("credit"))), str(row.get("write_date") or "")))
