"""The sandbox serves what clients built for the real Odoo call before or instead of ``/jsonrpc``:
the ``db`` service and the web client's JSON routes, with a session cookie."""

from __future__ import annotations

import asyncio
import xmlrpc.client
from typing import Any

import httpx
import pytest
from sfsync_odoo.sandbox import OdooSandbox
from sfsync_odoo.sandbox.seed import API_KEY, DB_NAME, LOGIN, PASSWORD


def _post_all(sandbox: OdooSandbox, calls: list[tuple[str, dict[str, Any]]]) -> list[httpx.Response]:
    """POST each JSON-RPC call in turn with one client (cookies kept, as a browser or odoorpc does)."""

    async def go() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=sandbox.app)
        async with httpx.AsyncClient(transport=transport, base_url="https://voorbeeld.odoo.example") as client:
            return [await client.post(path, json={"jsonrpc": "2.0", "method": "call", "params": params, "id": 1})
                    for path, params in calls]

    return asyncio.run(go())


def test_db_service_on_jsonrpc_and_xmlrpc():
    sandbox = OdooSandbox(17)
    listed, exists, missing, version, drop = (r.json() for r in _post_all(sandbox, [
        ("/jsonrpc", {"service": "db", "method": "list", "args": []}),
        ("/jsonrpc", {"service": "db", "method": "db_exist", "args": [DB_NAME]}),
        ("/jsonrpc", {"service": "db", "method": "db_exist", "args": ["other"]}),
        ("/jsonrpc", {"service": "db", "method": "server_version", "args": []}),
        ("/jsonrpc", {"service": "db", "method": "drop", "args": ["admin", DB_NAME]}),
    ]))
    assert listed["result"] == [DB_NAME] and exists["result"] is True and missing["result"] is False
    assert version["result"] == "17.0"
    assert drop["error"]["data"]["name"] == "odoo.exceptions.AccessDenied"

    async def xmlrpc_list() -> bytes:
        transport = httpx.ASGITransport(app=sandbox.app)
        async with httpx.AsyncClient(transport=transport, base_url="https://voorbeeld.odoo.example") as client:
            answer = await client.post("/xmlrpc/2/db", content=xmlrpc.client.dumps((), "list").encode())
            return answer.content

    assert xmlrpc.client.loads(asyncio.run(xmlrpc_list()))[0][0] == [DB_NAME]


def test_webclient_version_info_and_database_list():
    sandbox = OdooSandbox(18)
    version, databases = (r.json()["result"] for r in _post_all(sandbox, [
        ("/web/webclient/version_info", {}), ("/web/database/list", {})]))
    assert version["server_version"] == "18.0" and version["server_version_info"][0] == 18
    assert databases == [DB_NAME]


def test_session_authenticate_then_call_kw_with_the_cookie():
    sandbox = OdooSandbox(17)
    auth, info, read, read_path, destroyed, after = _post_all(sandbox, [
        ("/web/session/authenticate", {"db": DB_NAME, "login": LOGIN, "password": PASSWORD}),
        ("/web/session/get_session_info", {}),
        ("/web/dataset/call_kw", {"model": "res.company", "method": "search_read", "args": [[]],
                                  "kwargs": {"fields": ["name"]}}),
        ("/web/dataset/call_kw/account.account/search_count", {"model": "account.account", "method": "search_count",
                                                               "args": [[]], "kwargs": {}}),
        ("/web/session/destroy", {}),
        ("/web/dataset/call_kw", {"model": "res.company", "method": "search_read", "args": [[]], "kwargs": {}}),
    ])
    session = auth.json()["result"]
    assert session["uid"] and session["db"] == DB_NAME and session["username"] == LOGIN
    assert "session_id=" in auth.headers["set-cookie"] and "HttpOnly" in auth.headers["set-cookie"]
    assert session["user_context"]["lang"]
    assert info.json()["result"]["uid"] == session["uid"]
    companies = read.json()["result"]
    assert {c["name"] for c in companies} and all(set(c) == {"id", "name"} for c in companies)
    assert read_path.json()["result"] > 10
    assert destroyed.json()["result"] is None
    assert after.json()["error"]["code"] == 100 and after.json()["error"]["message"] == "Odoo Session Expired"
    assert ("web", "res.company", "search_read") in sandbox.calls


@pytest.mark.parametrize(("db", "password", "error"), [
    (DB_NAME, API_KEY, "odoo.exceptions.AccessDenied"),  # an API key is no interactive login
    (DB_NAME, "wrong", "odoo.exceptions.AccessDenied"),
    ("other", PASSWORD, "odoo.exceptions.AccessError"),
])
def test_session_authenticate_refuses(db: str, password: str, error: str):
    (answer,) = _post_all(OdooSandbox(17), [("/web/session/authenticate", {"db": db, "login": LOGIN, "password": password})])
    assert answer.status_code == 200 and answer.json()["error"]["data"]["name"] == error
    assert "set-cookie" not in answer.headers


def test_call_kw_without_a_session_is_expired():
    (answer,) = _post_all(OdooSandbox(17), [("/web/dataset/call_kw", {"model": "res.company", "method": "search_read",
                                                                      "args": [[]], "kwargs": {}})])
    assert answer.json()["error"]["data"]["name"] == "odoo.http.SessionExpiredException"


def test_unversioned_xmlrpc_routes_answer_with_string_fault_codes():
    sandbox = OdooSandbox(17)

    async def go(path: str, body: bytes) -> bytes:
        transport = httpx.ASGITransport(app=sandbox.app)
        async with httpx.AsyncClient(transport=transport, base_url="https://voorbeeld.odoo.example") as client:
            return (await client.post(path, content=body)).content

    version = xmlrpc.client.loads(asyncio.run(go("/xmlrpc/common", xmlrpc.client.dumps((), "version").encode())))
    assert version[0][0]["server_version"] == "17.0"
    denied = xmlrpc.client.dumps((DB_NAME, 2, "wrong", "res.company", "search", [[]]), "execute_kw").encode()
    with pytest.raises(xmlrpc.client.Fault) as legacy:
        xmlrpc.client.loads(asyncio.run(go("/xmlrpc/object", denied)))
    assert legacy.value.faultCode == "AccessDenied"
    with pytest.raises(xmlrpc.client.Fault) as versioned:
        xmlrpc.client.loads(asyncio.run(go("/xmlrpc/2/object", denied)))
    assert versioned.value.faultCode == 3
