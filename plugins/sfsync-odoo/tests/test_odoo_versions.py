"""Per-version field profiles (14, 17, 18, 19): the sandbox exposes each version's fields, the
connector asks for the right ones, and the synced data is the same whatever the version."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from sfsync.models import AccountKind, Company
from sfsync_odoo.connector import odoo
from sfsync_odoo.sandbox import OdooSandbox
from sfsync_odoo.sandbox.testing import LedgerMirror, make_context
from sfsync_odoo.transports import loads_xmlrpc
from sfsync_odoo.versions import Profile, major_version

EXPECTED = {
    14: ({"user_type_id", "company_id", "deprecated", "internal_group"}, {"account_type", "company_ids", "active"}),
    17: ({"account_type", "company_id", "deprecated"}, {"user_type_id", "company_ids", "active"}),
    18: ({"account_type", "company_ids", "deprecated"}, {"user_type_id", "company_id", "active"}),
    19: ({"account_type", "company_ids", "active", "placeholder_code"}, {"user_type_id", "company_id", "deprecated"}),
}


@pytest.mark.parametrize("version", sorted(EXPECTED))
def test_odoo_fields_get_follows_the_version(version: int) -> None:
    sandbox = OdooSandbox(version)
    fields = sandbox.db.execute(3, "account.account", "fields_get", [], {"attributes": ["type", "relation"]})
    present, absent = EXPECTED[version]
    assert present <= set(fields)
    assert not absent & set(fields)
    if version >= 18:
        assert fields["company_ids"] == {"type": "many2many", "relation": "res.company"}
    line_fields = set(sandbox.db.execute(3, "account.move.line", "fields_get", [], {}))
    assert ("move_name" in line_fields) == (version >= 17)
    assert ("analytic_distribution" in line_fields) == (version >= 16)
    assert ("account.account.type" in {f.get("relation") for f in fields.values()}) == (version < 16)


@pytest.mark.parametrize("version", sorted(EXPECTED))
def test_odoo_connector_field_names_exist_in_the_sandbox(version: int) -> None:
    sandbox = OdooSandbox(version)
    profile = Profile(version)
    account_fields = set(sandbox.db.execute(3, "account.account", "fields_get", [], {}))
    line_fields = set(sandbox.db.execute(3, "account.move.line", "fields_get", [], {}))
    assert set(profile.account_fields()) <= account_fields
    assert set(profile.line_fields()) <= line_fields
    assert profile.account_type_field == ("account_type" if version >= 16 else "user_type_id")
    assert profile.account_company_field == ("company_ids" if version >= 18 else "company_id")


@pytest.mark.parametrize("version", sorted(EXPECTED))
def test_odoo_version_is_read_from_version_call(version: int) -> None:
    sandbox = OdooSandbox(version, "xmlrpc")
    ctx = make_context(sandbox)
    asyncio.run(odoo.sfsync_check_connection(ctx=ctx))
    assert ctx.state["odoo"]["major"] == version
    assert major_version({"server_serie": "saas~17.2", "server_version": "saas~17.2+e"}) == 17


def test_odoo_accounts_and_ledger_agree_across_versions() -> None:
    charts = {}
    ledgers = {}
    for version, transport in ((14, "xmlrpc"), (17, "jsonrpc"), (18, "jsonrpc"), (19, "json2")):
        sandbox = OdooSandbox(version, transport)
        ctx = make_context(sandbox)
        accounts = asyncio.run(odoo.sfsync_fetch_accounts(ctx=ctx, company=Company(ref="1")))
        charts[version] = {(a.code, a.name, a.kind) for a in accounts}
        mirror = LedgerMirror()
        asyncio.run(mirror.sync(ctx, "1"))
        ledgers[version] = {k: (v.date, v.account, v.debit, v.credit, v.entry) for k, v in mirror.lines.items()}
    assert charts[14] == charts[17] == charts[18] == charts[19]
    assert ("499000", "Wachtrekening (oud)", AccountKind.BALANCE_SHEET) in charts[17]  # archived: kept
    assert ("700000", "Omzet", AccountKind.PROFIT_LOSS) in charts[19]
    assert ledgers[14] == ledgers[17] == ledgers[18] == ledgers[19]
    assert "499000" in {v[1] for v in ledgers[14].values()}


def test_odoo_xmlrpc_doubles_become_exact_decimals() -> None:
    body = (b"<?xml version='1.0'?><methodResponse><params><param><value><array><data>"
            b"<value><double>0.1</double></value><value><double>1234567.89</double></value>"
            b"<value><double>1e-2</double></value></data></array></value></param></params></methodResponse>")
    assert loads_xmlrpc(body) == [Decimal("0.1"), Decimal("1234567.89"), Decimal("0.01")]
    assert all(isinstance(v, Decimal) for v in loads_xmlrpc(body))
