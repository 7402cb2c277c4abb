"""A since link's opening balances follow an entry changed before its date (issue 16).

The ledger stream of a since link reads from its date on, so the change never comes through it;
the connector's history stamp (one ``read_group`` of the posted lines before the date) tells."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from sfsync.sandbox.base import Sandbox
from sfsync.testing.history import sync_after_history_edit
from sfsync_odoo.sandbox import OdooSandbox


def _correct_an_old_entry(sandbox: Sandbox, ref: str, before: dt.date) -> None:
    """Reset an entry dated before the date to draft, raise it by 10.00 and post it again."""
    assert isinstance(sandbox, OdooSandbox)
    db = sandbox.db
    lines = db.tables["account.move.line"]
    move = next(
        m for m in sandbox._posted_moves(ref)
        if m["date"] < before
        and any(lines[i]["debit"] > 0 for i in m["line_ids"]) and any(lines[i]["credit"] > 0 for i in m["line_ids"])
    )
    debit = next(i for i in move["line_ids"] if lines[i]["debit"] > 0)
    credit = next(i for i in move["line_ids"] if lines[i]["credit"] > 0)
    db.write("account.move", [move["id"]], {"state": "draft"})
    db.write("account.move.line", [debit], {"debit": lines[debit]["debit"] + Decimal("10.00"),
                                            "amount_currency": lines[debit]["amount_currency"] + Decimal("10.00")})
    db.write("account.move.line", [credit], {"credit": lines[credit]["credit"] + Decimal("10.00"),
                                             "amount_currency": lines[credit]["amount_currency"] - Decimal("10.00")})
    sandbox.post(move["id"])


def _package_balances(sandbox: Sandbox, ref: str, at: dt.date) -> dict[str, Decimal]:
    """Odoo's balances at ``at`` (the sandbox's truth gives none): posted items before it, the
    result of earlier years on the unaffected-earnings account, as Odoo's balance sheet shows."""
    assert isinstance(sandbox, OdooSandbox)
    db, company = sandbox.db, int(ref)
    accounts = db.tables["account.account"]
    unaffected = next(a["code_store"][company] for a in accounts.values() if a["account_type"] == "equity_unaffected")
    out: dict[str, Decimal] = {}
    for move in db.tables["account.move"].values():
        if move["company_id"] != company or move["state"] != "posted" or move["date"] >= at:
            continue
        for line_id in move["line_ids"]:
            line = db.tables["account.move.line"][line_id]
            account = accounts[line["account_id"]]
            pnl = account["account_type"].startswith(("income", "expense"))
            code = unaffected if pnl else account["code_store"][company]
            out[code] = out.get(code, Decimal(0)) + line["debit"] - line["credit"]
    return out


def test_odoo_since_opening_balances_follow_an_entry_changed_before_the_date(tmp_path: Path) -> None:
    outcome = sync_after_history_edit("odoo", tmp_path, _correct_an_old_entry, sandbox=OdooSandbox(18, "xmlrpc"),
                                      since=dt.date(2024, 1, 1), package_balances=_package_balances)
    assert "opening_balances_refreshed" not in outcome.quiet.counts
    assert outcome.run.counts.get("opening_balances_refreshed") == 1
    assert outcome.stored == outcome.after
