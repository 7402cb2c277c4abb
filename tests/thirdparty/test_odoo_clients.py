"""Two maintained Odoo clients against the served Odoo sandbox: OCA's ``odoorpc`` (version probe on
``/web/webclient/version_info``, the ``db`` service, JSON-RPC login with an API key, the ORM
proxies) and Odoo SA's ``odoo-client-lib`` (XML-RPC, JSON-RPC and JSON-2)."""

from __future__ import annotations

from urllib.parse import urlsplit

import odoolib
import odoorpc
import pytest
from odoolib.tools import AuthenticationError
from sfsync_odoo.sandbox import OdooSandbox
from sfsync_odoo.sandbox.seed import API_KEY, DB_NAME, LOGIN, PASSWORD


def _visible_companies(sandbox: OdooSandbox) -> set[str]:
    """The names of the companies the seeded sync user may see (Odoo's record rules)."""
    user = next(u for u in sandbox.db.users.values() if u.login == LOGIN)
    return {sandbox.db.tables["res.company"][c]["name"] for c in {user.company_id, *user.company_ids}}


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    assert parts.hostname and parts.port
    return parts.hostname, parts.port


def test_odoorpc_lists_databases_logs_in_and_reads_the_ledger(serve):
    sandbox = OdooSandbox(17)
    host, port = _host_port(serve(sandbox.app))
    odoo = odoorpc.ODOO(host, port=port)  # probes /web/webclient/version_info
    assert odoo.version == "17.0"
    assert odoo.db.list() == [DB_NAME]  # the db service
    odoo.login(DB_NAME, LOGIN, API_KEY)
    assert odoo.env.uid and odoo.env.context["lang"]
    Company = odoo.env["res.company"]  # fields_get behind the proxy
    companies = Company.search_read([], ["name"])
    assert {c["name"] for c in companies} == _visible_companies(sandbox)
    lines = odoo.execute_kw("account.move.line", "search_read", [[["parent_state", "=", "posted"]]],
                            {"fields": ["debit", "credit", "account_id", "move_id"], "limit": 50})
    assert len(lines) == 50 and all(isinstance(line["account_id"], list) for line in lines)
    entry = odoo.execute_kw("account.move.line", "search_read", [[["move_id", "=", lines[0]["move_id"][0]]]],
                            {"fields": ["debit", "credit"]})
    assert len(entry) >= 2 and round(sum(line["debit"] - line["credit"] for line in entry), 2) == 0
    assert ("jsonrpc", "account.move.line", "search_read") in sandbox.calls


def test_odoorpc_session_routes_with_a_password(serve):
    """odoorpc's ``json`` helper on the web client's session routes, as Odoo < 10 clients use them."""
    sandbox = OdooSandbox(17)
    host, port = _host_port(serve(sandbox.app))
    odoo = odoorpc.ODOO(host, port=port)
    session = odoo.json("/web/session/authenticate", {"db": DB_NAME, "login": LOGIN, "password": PASSWORD})
    assert session["result"]["uid"] and session["result"]["db"] == DB_NAME
    answer = odoo.json("/web/dataset/call_kw", {"model": "res.company", "method": "search_count",
                                                "args": [[]], "kwargs": {}})
    assert answer["result"] == len(_visible_companies(sandbox))
    with pytest.raises(odoorpc.error.RPCError, match="Access Denied"):
        odoo.json("/web/session/authenticate", {"db": DB_NAME, "login": LOGIN, "password": API_KEY})


@pytest.mark.parametrize("protocol", ["xmlrpc", "jsonrpc"])
def test_odoo_client_lib_over_xmlrpc_and_jsonrpc(serve, protocol: str):
    sandbox = OdooSandbox(17)
    host, port = _host_port(serve(sandbox.app))
    connection = odoolib.get_connection(hostname=host, port=port, protocol=protocol, database=DB_NAME,
                                        login=LOGIN, password=API_KEY)
    connection.check_login()
    assert connection.get_user_context()["lang"]
    accounts = connection.get_model("account.account").search_read([], ["code", "name"], limit=20, order="code")
    assert len(accounts) == 20 and [a["code"] for a in accounts] == sorted(a["code"] for a in accounts)
    bad = odoolib.get_connection(hostname=host, port=port, protocol=protocol, database=DB_NAME,
                                 login=LOGIN, password="0" * 40)
    with pytest.raises(AuthenticationError):
        bad.check_login()


def test_odoo_client_lib_over_json2(serve):
    sandbox = OdooSandbox(19)
    host, port = _host_port(serve(sandbox.app))
    connection = odoolib.get_connection(hostname=host, port=port, protocol="json2", database=DB_NAME,
                                        password=API_KEY)
    assert connection.check_login()
    rows = connection.get_model("res.company").search_read(domain=[], fields=["name"])
    assert {r["name"] for r in rows} == _visible_companies(sandbox)
    assert not odoolib.get_connection(hostname=host, port=port, protocol="json2", database=DB_NAME,
                                      password="0" * 40).check_login()
