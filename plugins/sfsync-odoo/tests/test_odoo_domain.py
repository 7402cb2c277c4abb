"""The sandbox's domain evaluator and search methods, checked against plain Python filters over
the seeded records (so a wrong operator or a lost NULL rule fails)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sfsync_odoo.sandbox import OdooSandbox, OdooUserError, OdooValueError
from sfsync_odoo.sandbox.domain import normalize, parse

UID = 3


@pytest.fixture(scope="module")
def sandbox() -> OdooSandbox:
    return OdooSandbox(17)


def ids(sandbox: OdooSandbox, domain: list[Any], model: str = "account.move.line", **context: Any) -> set[int]:
    return set(sandbox.db.execute(UID, model, "search", [domain], {"context": context}))


def lines(sandbox: OdooSandbox) -> list[dict[str, Any]]:
    return list(sandbox.db.tables["account.move.line"].values())


def move(sandbox: OdooSandbox, line: dict[str, Any]) -> dict[str, Any]:
    return sandbox.db.tables["account.move"][line["move_id"]]


def test_odoo_normalize_adds_implicit_and() -> None:
    assert normalize([("a", "=", 1), ("b", "=", 2), ("c", "=", 3)]) == ["&", "&", ("a", "=", 1), ("b", "=", 2), ("c", "=", 3)]
    assert normalize(["|", ("a", "=", 1), ("b", "=", 2), ("c", "=", 3)]) == ["&", "|", ("a", "=", 1), ("b", "=", 2), ("c", "=", 3)]
    assert normalize([]) == [(1, "=", 1)]


@pytest.mark.parametrize(
    "domain",
    [["|", ("a", "=", 1)], ["&", ("a", "=", 1)], [("a", "==", 1)], ["!"], "not a list", [("a", "=")]],
)
def test_odoo_bad_domains_are_refused(domain: Any) -> None:
    with pytest.raises(OdooValueError):
        parse(domain)


def test_odoo_prefix_operators(sandbox: OdooSandbox) -> None:
    domain = ["|", ("journal_id.code", "=", "VF"), "!", ("debit", ">", 100), ("company_id", "=", 1)]
    expected = {
        line["id"] for line in lines(sandbox)
        if move(sandbox, line)["company_id"] == 1
        and (sandbox.db.tables["account.journal"][move(sandbox, line)["journal_id"]]["code"] == "VF"
             or not line["debit"] > 100)
    }
    assert ids(sandbox, domain, allowed_company_ids=[1, 2]) == expected
    assert expected and len(expected) < len([line for line in lines(sandbox) if move(sandbox, line)["company_id"] == 1])


def test_odoo_comparisons_on_dates_and_amounts(sandbox: OdooSandbox) -> None:
    domain = [("date", ">=", "2024-01-01"), ("date", "<", "2024-02-01"), ("credit", ">=", 1000.5)]
    expected = {
        line["id"] for line in lines(sandbox)
        if dt.date(2024, 1, 1) <= move(sandbox, line)["date"] < dt.date(2024, 2, 1)
        and line["credit"] >= Decimal("1000.5") and move(sandbox, line)["company_id"] in (1, 2)
    }
    assert expected and ids(sandbox, domain) == expected


def test_odoo_not_equal_and_not_in_match_empty_values(sandbox: OdooSandbox) -> None:
    partner = next(line["partner_id"] for line in lines(sandbox) if line["partner_id"])
    visible = [line for line in lines(sandbox) if move(sandbox, line)["company_id"] in (1, 2)]
    no_partner = {line["id"] for line in visible if line["partner_id"] is None}
    assert no_partner
    assert no_partner <= ids(sandbox, [("partner_id", "!=", partner)])
    assert no_partner <= ids(sandbox, [("partner_id", "not in", [partner])])
    assert not no_partner & ids(sandbox, [("partner_id", "not in", [partner, False])])
    assert ids(sandbox, [("partner_id", "=", False)]) == no_partner
    assert ids(sandbox, [("partner_id", "in", [partner])]) == {line["id"] for line in visible if line["partner_id"] == partner}


def test_odoo_like_operators(sandbox: OdooSandbox) -> None:
    visible = [line for line in lines(sandbox) if move(sandbox, line)["company_id"] in (1, 2)]
    assert ids(sandbox, [("name", "ilike", "factuur")]) == {
        line["id"] for line in visible if "factuur" in (line["name"] or "").lower()
    }
    assert ids(sandbox, [("name", "like", "factuur")]) == set()  # like is case-sensitive
    assert ids(sandbox, [("name", "=like", "Lonen __/2024")]) == {
        line["id"] for line in visible if (line["name"] or "").startswith("Lonen ") and line["name"].endswith("/2024")
    }
    assert ids(sandbox, [("name", "not ilike", "factuur")]) == {line["id"] for line in visible} - ids(
        sandbox, [("name", "ilike", "factuur")]
    )
    # On a many2one, like matches the display name.
    assert ids(sandbox, [("account_id", "ilike", "KBC")]) == {
        line["id"] for line in visible if "KBC" in sandbox.db.tables["account.account"][line["account_id"]]["name"]
    }


def test_odoo_child_of_on_companies(sandbox: OdooSandbox) -> None:
    db = OdooSandbox(17).db
    db.tables["res.company"][2]["parent_id"] = 1  # company 2 becomes a branch of 1
    assert set(db.execute(UID, "res.company", "search", [[("id", "child_of", 1)]], {})) == {1, 2}
    assert set(db.execute(UID, "res.company", "search", [[("id", "parent_of", 2)]], {})) == {1, 2}
    assert set(db.execute(UID, "res.company", "search", [[("id", "child_of", 2)]], {})) == {2}


def test_odoo_invalid_field_and_model_are_odoo_errors(sandbox: OdooSandbox) -> None:
    with pytest.raises(OdooValueError, match="Invalid field"):
        ids(sandbox, [("bestaat_niet", "=", 1)])
    with pytest.raises(OdooValueError, match="Invalid field"):
        sandbox.db.execute(UID, "account.move.line", "search_read", [[]], {"fields": ["bestaat_niet"]})
    with pytest.raises(OdooUserError, match="doesn't exist"):
        sandbox.db.execute(UID, "account.asset", "search", [[]], {})


def test_odoo_offset_limit_and_order_page_through_everything(sandbox: OdooSandbox) -> None:
    domain = [("parent_state", "=", "posted")]
    everything = sandbox.db.execute(UID, "account.move.line", "search", [domain], {"order": "date desc, id asc"})
    pages: list[int] = []
    offset = 0
    while True:
        page = sandbox.db.execute(UID, "account.move.line", "search_read", [domain],
                                  {"fields": ["id"], "offset": offset, "limit": 97, "order": "date desc, id asc"})
        pages += [row["id"] for row in page]
        offset += 97
        if len(page) < 97:
            break
    assert pages == everything
    dates = [move(sandbox, sandbox.db.tables["account.move.line"][i])["date"] for i in everything]
    assert dates == sorted(dates, reverse=True)
    assert sandbox.db.execute(UID, "account.move.line", "search_count", [domain], {}) == len(everything)


def test_odoo_read_group_sums_match(sandbox: OdooSandbox) -> None:
    rows = sandbox.db.execute(UID, "account.move.line", "read_group",
                              [[("parent_state", "=", "posted")], ["debit:sum", "credit:sum"], ["account_id"]],
                              {"lazy": False, "context": {"allowed_company_ids": [2]}})
    truth: dict[int, Decimal] = {}
    for line in lines(sandbox):
        if move(sandbox, line)["company_id"] == 2 and move(sandbox, line)["state"] == "posted":
            truth[line["account_id"]] = truth.get(line["account_id"], Decimal(0)) + line["debit"]
    assert {row["account_id"][0]: Decimal(str(row["debit"])) for row in rows} == truth
    assert all(isinstance(row["account_id"], list) and row["__count"] > 0 for row in rows)


def test_odoo_read_encodes_values_as_the_external_api(sandbox: OdooSandbox) -> None:
    line = next(line for line in lines(sandbox) if line["partner_id"] is None and move(sandbox, line)["company_id"] == 1)
    row = sandbox.db.execute(UID, "account.move.line", "read", [[line["id"]]],
                             {"fields": ["partner_id", "account_id", "date", "write_date", "debit", "ref"]})[0]
    assert row["partner_id"] is False
    assert isinstance(row["account_id"], list) and isinstance(row["account_id"][1], str)
    assert row["date"] == move(sandbox, line)["date"].isoformat()
    assert len(row["write_date"]) == 19 and row["write_date"][10] == " "
    assert isinstance(row["debit"], float)


def test_odoo_14_search_count_takes_no_limit_and_read_group_has_no_range() -> None:
    db = OdooSandbox(14).db
    with pytest.raises(OdooValueError, match="unexpected keyword argument 'limit'"):
        db.execute(UID, "account.move.line", "search_count", [[]], {"limit": 1})
    rows = db.execute(UID, "account.move.line", "read_group", [[], ["debit:sum"], ["date:month"]], {"lazy": False})
    assert rows and "__range" not in rows[0] and rows[0]["__domain"][0] == "&"
