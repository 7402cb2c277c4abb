"""The ledger path builds one ``LedgerColumns`` per fiscal year from plain records: the same lines
as the per-line ``LedgerLine`` mapping, and the same errors for a malformed TransactionInfo."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from lxml import etree
from pydantic import ValidationError
from sfsync.errors import MalformedResponse
from sfsync.ledger_columns import FIELDS
from sfsync.models import Company, LedgerColumns
from sfsync_yuki import books
from sfsync_yuki.client import YukiClient
from sfsync_yuki.wsdl import TNS


def _fetch(connection, ref):
    """Every fiscal year of ``ref``: the raw TransactionInfo nodes and what ``year_lines`` gives."""

    async def body(ctx):
        client = YukiClient.of(ctx)
        admin = await books.admin_info(client, Company(ref=ref))
        out = []
        for year in await books.fiscal_years(client, admin):
            result = await client.call("AccountingInfo", "GetTransactionDetails", {
                "administrationID": admin.id, "GLAccountCode": "", "StartDate": year.start,
                "EndDate": year.end, "financialMode": 0,
            }, domain=admin.domain)
            nodes = books._children(result, "TransactionInfo")
            columns, warnings = await books.year_lines(client, admin, year, 12)
            out.append((year, nodes, columns, warnings))
        return out

    return connection.run(body)


@pytest.mark.parametrize("index", [1, 2])  # a Dutch and a Belgian one, both with foreign currency
def test_year_batches_equal_the_line_by_line_mapping_of_the_seeded_data(connection, sandbox, index):
    ref = sandbox.company_refs()[index]
    admin = sandbox.admins[ref]
    seeded = {line.id: line for line in admin.lines()}
    entry_of = {line.id: entry for entry in admin.entries.values() for line in entry.lines}
    checked = foreign = 0
    for year, nodes, columns, warnings in _fetch(connection, ref):
        assert isinstance(columns, LedgerColumns)
        assert warnings == []
        seen: dict[str, int] = {}
        expected = [books.transaction_line(node, year, seen, []) for node in nodes]
        assert len(columns) == len(expected) > 0
        for name in FIELDS:  # field by field, with the exact Decimal (sign and exponent) kept
            got = columns.column(name)
            want = tuple(getattr(line, name) for line in expected)
            assert got == want, name
            if name in ("debit", "credit", "foreign_amount"):
                assert [str(v) for v in got] == [str(v) for v in want], name
        assert list(columns) == expected
        for line in columns:  # and what the sandbox seeded
            source = seeded[line.id]
            assert (line.date, line.account, line.description) == (source.date, source.account, source.description)
            assert line.debit - line.credit == source.amount and min(line.debit, line.credit) == 0
            assert line.entry == entry_of[line.id].document_id
            assert line.fiscal_year == year.label and year.start <= line.date <= year.end
            assert line.period == (line.date.year - year.start.year) * 12 + line.date.month - year.start.month + 1
            if source.currency != "EUR":
                assert (line.currency, line.foreign_amount) == (source.currency, source.amount_fc)
                foreign += 1
            else:
                assert (line.currency, line.foreign_amount) == (None, None)
            checked += 1
    assert checked == len(seeded)
    assert foreign > 0


def _node(**values: str) -> etree._Element:
    node = etree.Element(f"{{{TNS}}}TransactionInfo")
    for name, text in values.items():
        etree.SubElement(node, f"{{{TNS}}}{name}").text = text
    return node


YEAR = books.YukiYear(2025, dt.date(2025, 1, 1), dt.date(2025, 12, 31))
GOOD = {"id": "a1", "transactionDate": "2025-03-04T00:00:00", "glAccountCode": "110000",
        "transactionAmount": "-12.50", "documentID": "d1", "description": " Huur maart ", "currency": "EUR"}


def _columns(*nodes: etree._Element) -> tuple[LedgerColumns, list[str]]:
    seen: dict[str, int] = {}
    warnings: list[str] = []
    return LedgerColumns.from_records([books.transaction_record(n, YEAR, seen, warnings) for n in nodes]), warnings


def test_records_keep_sign_period_and_repeated_ids():
    columns, warnings = _columns(_node(**GOOD), _node(**{**GOOD, "transactionAmount": "12,50", "periodId": "7"}))
    assert columns.column("id") == ("a1", "a1#1")
    assert warnings == ["Yuki sent transaction id a1 twice; the copies are kept apart"]
    assert [str(v) for v in columns.column("debit")] == ["0", "12.50"]  # decimal comma read
    assert [str(v) for v in columns.column("credit")] == ["12.50", "0"]
    assert columns.column("debit") == (Decimal(0), Decimal("12.50"))
    assert columns.column("period") == (3, 7)
    assert columns.column("description") == ("Huur maart", "Huur maart")


def test_a_line_without_account_names_the_field():
    with pytest.raises(ValidationError) as caught:
        _columns(_node(**GOOD), _node(**{**GOOD, "id": "a2", "glAccountCode": ""}))
    errors = caught.value.errors()
    assert [e["loc"] for e in errors] == [(1, "account")]
    assert "account" in str(caught.value) and "'a2'" in str(caught.value)  # the field and the line's id


def test_a_line_without_id_is_malformed():
    with pytest.raises(MalformedResponse, match="without an id"):
        _columns(_node(**{**GOOD, "id": ""}))


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("transactionAmount", "12.5O", "'12.5O' where an amount belongs"),
        ("transactionAmount", "NaN", "'NaN' where an amount belongs"),
        ("transactionDate", "04-03-2025", "'04-03-2025' where a date belongs"),
    ],
)
def test_a_bad_amount_or_date_is_malformed_naming_the_line_and_the_value(field, value, says):
    with pytest.raises(MalformedResponse, match=f"transaction a1: Yuki sent {says}"):
        _columns(_node(**{**GOOD, field: value}))


def test_a_bad_foreign_amount_matters_only_on_a_foreign_line():
    odd = {"transactionAmountForeignCurrency": "n/a"}
    assert _columns(_node(**GOOD, **odd))[0].column("foreign_amount") == (None,)
    with pytest.raises(MalformedResponse, match="'n/a' where an amount belongs"):
        _columns(_node(**{**GOOD, "currency": "USD"}, **odd))
