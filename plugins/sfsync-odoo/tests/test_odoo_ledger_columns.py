"""The ledger's batch path (one ``LedgerColumns`` per page) against the per-line mapping it replaced.

``_per_line`` is the mapping as it stood before the move to ``LedgerColumns`` (one ``LedgerLine(...)``
per journal item), kept here as the oracle: a first sync of the seeded sandbox must give, for
every journal item, exactly the line it gave, field by field and value by value (Decimal
exponents and time zones included); bad data must give the same warnings and errors.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError
from sfsync.context import ConnectorContext
from sfsync.ledger_columns import FIELDS, LedgerColumns
from sfsync.models import Company, FiscalYear, LedgerBatch, LedgerLine
from sfsync_odoo import values
from sfsync_odoo.client import client_for
from sfsync_odoo.connector import odoo
from sfsync_odoo.fiscal import period_of
from sfsync_odoo.ledger import _Maps
from sfsync_odoo.sandbox import OdooSandbox
from sfsync_odoo.sandbox.testing import LedgerMirror, make_context


def _per_line(row: dict[str, Any], maps: _Maps, years: list[FiscalYear], warnings: list[str]) -> LedgerLine | None:
    """The per-line mapping as it was (``sfsync_odoo.ledger._line`` before LedgerColumns)."""
    assert maps.accounts is not None
    account_id = values.m2o_id(row.get("account_id"))
    code = maps.accounts.get(account_id) if account_id is not None else None
    if code is None:
        warnings.append(f"journal item {row['id']} has no account of this company ({row.get('account_id')!r}); skipped")
        return None
    day = values.date(row.get("date"))
    if day is None:
        raise AssertionError("the seeded data has no journal item without a date")
    period, year_label = period_of(day, years)
    currency = values.m2o_id(row.get("currency_id"))
    company_currency = values.m2o_id(row.get("company_currency_id"))
    foreign = currency is not None and company_currency is not None and currency != company_currency
    journal = values.m2o_id(row.get("journal_id"))
    description = values.text(row.get("name")) or values.text(row.get("ref")) or values.m2o_name(row.get("move_id")) or ""
    return LedgerLine(
        id=str(row["id"]),
        entry=str(values.m2o_id(row.get("move_id"))),
        journal=maps.journals.get(journal) if journal is not None else None,
        date=day,
        period=period,
        fiscal_year=year_label,
        account=code,
        description=description,
        debit=values.amount(row.get("debit")),
        credit=values.amount(row.get("credit")),
        currency=values.m2o_name(row.get("currency_id")) if foreign else None,
        foreign_amount=values.amount(row.get("amount_currency")) if foreign else None,
        counterparty=values.m2o_name(row.get("partner_id")),
        modified=values.datetime(row.get("write_date")),
    )


async def _expected(ctx: ConnectorContext, company: str,
                    years: list[FiscalYear]) -> tuple[dict[str, LedgerLine], list[str]]:
    """Every posted journal item of ``company`` read straight from the API, mapped line by line."""
    client = client_for(ctx)
    profile = await client.connect()
    cid = int(company)
    rows = await client.search_read_all(
        "account.move.line",
        ["&", "&", ["company_id", "=", cid], ["parent_state", "=", "posted"],
         ["display_type", "not in", ["line_section", "line_note"]]],
        profile.line_fields(), company=cid)
    maps = _Maps(client, cid)
    await maps.ensure()
    warnings: list[str] = []
    lines = {line.id: line for row in rows if (line := _per_line(row, maps, years, warnings)) is not None}
    return lines, warnings


def _sync(sandbox: OdooSandbox, company: str, page_size: int) -> tuple[list[LedgerBatch], dict[str, LedgerLine], list[str]]:
    ctx = make_context(sandbox, config={"page_size": page_size})
    years = asyncio.run(odoo.sfsync_fetch_fiscal_years(ctx=ctx, company=Company(ref=company)))
    batches = asyncio.run(LedgerMirror().sync(ctx, company, years=years))
    expected, warnings = asyncio.run(_expected(make_context(sandbox), company, years))
    return batches, expected, warnings


@pytest.mark.parametrize(("version", "transport"), [(14, "xmlrpc"), (17, "jsonrpc"), (19, "json2")])
def test_odoo_batches_hold_exactly_the_lines_the_per_line_mapping_gave(version: int, transport: str) -> None:
    sandbox = OdooSandbox(version, transport)
    for company in ("1", "2"):
        batches, expected, warnings = _sync(sandbox, company, page_size=400)
        assert len([b for b in batches if len(b.lines)]) > 1, "a single page would not test the paging"
        assert all(isinstance(b.lines, LedgerColumns) for b in batches)
        got = [line for b in batches for line in b.lines]
        assert [line.id for line in got] == sorted(expected, key=int)  # read by id, each once
        for line in got:
            old = expected[line.id]
            for name in FIELDS:
                mine, theirs = getattr(line, name), getattr(old, name)
                # repr: Decimal('1.00') == Decimal('1.0') and time zones compare by offset only.
                assert (type(mine), repr(mine)) == (type(theirs), repr(theirs)), (line.id, name, mine, theirs)
        assert [w for b in batches for w in b.warnings] == warnings
    # The data covers what the mapping branches on (company 2 books in USD, lines have partners).
    assert any(line.currency == "USD" and line.foreign_amount for line in got)
    assert any(line.counterparty for line in got) and any(line.period for line in got)


def _line_of_company(sandbox: OdooSandbox, company: int, index: int) -> dict[str, Any]:
    moves = sandbox.db.tables["account.move"]
    rows = [r for r in sandbox.db.tables["account.move.line"].values()
            if moves[r["move_id"]]["company_id"] == company and moves[r["move_id"]]["state"] == "posted"]
    return rows[index]


def test_odoo_a_negative_debit_fails_as_building_that_line_did() -> None:
    sandbox = OdooSandbox(17, "jsonrpc")
    bad = _line_of_company(sandbox, 1, 700)
    bad["debit"] = Decimal("-5.00")
    with pytest.raises(ValidationError) as caught:
        _sync(sandbox, "1", page_size=400)
    # What LedgerLine(...) said for that item: the field and the value, not a position in a page.
    assert [(e["loc"], e["input"]) for e in caught.value.errors()] == [(("debit",), Decimal("-5.00"))]
    assert "debit" in str(caught.value) and "-5.00" in str(caught.value)
    assert f"journal item {bad['id']} " in "\n".join(getattr(caught.value, "__notes__", []))


def test_odoo_an_item_on_another_companys_account_is_skipped_with_the_same_warning() -> None:
    sandbox = OdooSandbox(17, "jsonrpc")
    accounts = sandbox.db.tables["account.account"]
    foreign_account = next(i for i, a in accounts.items() if a["company_ids"] == [2])
    bad = _line_of_company(sandbox, 1, 300)
    bad["account_id"] = foreign_account
    batches, expected, warnings = _sync(sandbox, "1", page_size=400)
    got = {line.id: line for b in batches for line in b.lines}
    assert str(bad["id"]) not in got and set(got) == set(expected)
    assert [w for b in batches for w in b.warnings] == warnings
    assert len(warnings) == 1 and warnings[0].startswith(f"journal item {bad['id']} has no account of this company")

