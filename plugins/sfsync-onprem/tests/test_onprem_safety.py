"""Refused sync references, hostile and damaged files, tokens, read-only service."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import httpx
import pytest
from lxml import etree
from sfsync.auth import AgentSpec
from sfsync.context import ConnectorContext, Secrets
from sfsync.errors import AuthError, FatalError, InvalidSyncReference, MalformedResponse
from sfsync.models import Company
from sfsync_onprem.agent import AgentApp
from sfsync_onprem.connector import OnpremFields, onprem
from sfsync_onprem.folder import check_reference
from sfsync_onprem.readers import UnreadableFile, source_for
from sfsync_onprem.readers.xmlsafe import _SAFE
from sfsync_onprem.sandbox import BASE_URL, OnpremSandbox, sample_path

TOKEN = "test-token-0123456789"


def _ctx(sandbox: OnpremSandbox, token: str | None = None) -> ConnectorContext:
    return ConnectorContext(
        connector="onprem", connection_id="c1", auth_spec=AgentSpec(fields=OnpremFields),
        config=sandbox.connection_config(), secrets=Secrets({"token": token or sandbox.token}),
        transports=sandbox.transports(),
    )


def _get(app: AgentApp, raw_path: str, token: str = TOKEN, method: str = "GET") -> httpx.Response:
    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://agent") as client:
            request = client.build_request(method, "http://agent/", headers={"Authorization": f"Bearer {token}"})
            request.url = httpx.URL(url=f"http://agent{raw_path}")
            # httpx would normalise "..": send the raw path as a hostile client would.
            request.url = request.url.copy_with(raw_path=raw_path.encode())
            return await client.send(request)

    return asyncio.run(go())


@pytest.fixture
def root(tmp_path: Path) -> Path:
    base = tmp_path / "root"
    (base / "TORO").mkdir(parents=True)
    (base / "TORO" / "audit.xml").write_bytes(sample_path("ExactOnline_V32_2016.xml").read_bytes())
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.xaf").write_bytes(sample_path("pyxaf-example-2024_XAF4.0.xaf").read_bytes())
    os.symlink(outside, base / "ESCAPE")
    os.symlink(base / "TORO", base / "ALIAS")
    return base


@pytest.mark.parametrize(
    "ref",
    ["..", ".", "", "../TORO", "/etc", "TORO/..", "a/b", "a\\b", "x\x00y", "C:\\dossiers", "C:", ".hidden", "~root"],
)
def test_onprem_refused_references(ref: str) -> None:
    with pytest.raises(InvalidSyncReference, match="refused"):
        check_reference(ref)


@pytest.mark.parametrize(
    "encoded",
    ["%2E%2E", "%2E", "..%2FTORO", "%2Fetc", "a%2Fb", "a%5Cb", "x%00y", "C%3A%5Cdossiers", ".hidden", "ESCAPE"],
)
def test_onprem_agent_refuses_references_with_400(root: Path, encoded: str) -> None:
    app = AgentApp(root, TOKEN)
    response = _get(app, f"/v1/companies/{encoded}/accounts")
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "invalid_sync_reference" and "refused" in body["message"]


def test_onprem_agent_never_serves_a_dot_dot_path(root: Path) -> None:
    # A client library may fold "/companies/../accounts" away; either way nothing is served.
    response = _get(AgentApp(root, TOKEN), "/v1/companies/../accounts")
    assert response.status_code in (400, 404)


def test_onprem_agent_reads_a_symlink_inside_the_root(root: Path) -> None:
    app = AgentApp(root, TOKEN)
    assert _get(app, "/v1/companies/ALIAS/accounts").status_code == 200
    listed = {c["ref"] for c in _get(app, "/v1/companies").json()}
    assert "ESCAPE" not in listed and {"TORO", "ALIAS"} <= listed


def test_onprem_connector_reraises_the_agents_refusal() -> None:
    sandbox = OnpremSandbox()
    os.symlink("/tmp", sandbox.root / "LEAK")
    ctx = _ctx(sandbox)
    with pytest.raises(InvalidSyncReference, match="outside the root"):
        asyncio.run(onprem.sfsync_fetch_accounts(ctx=ctx, company=Company(ref="LEAK")))
    with pytest.raises(InvalidSyncReference):  # refused before any request
        asyncio.run(onprem.sfsync_fetch_accounts(ctx=ctx, company=Company(ref="../DEMOBV")))
    assert ctx.stats.requests == 1


def test_onprem_agent_refuses_a_wrong_token(root: Path) -> None:
    app = AgentApp(root, TOKEN)
    assert _get(app, "/v1/companies", token="wrong-token-000000").status_code == 401
    assert _get(app, "/v1/companies", token=TOKEN[:-1]).status_code == 401
    assert _get(app, "/v1/companies").status_code == 200
    sandbox = OnpremSandbox()
    with pytest.raises(AuthError) as caught:
        asyncio.run(onprem.sfsync_check_connection(ctx=_ctx(sandbox, token="wrong-token-000000")))
    assert "wrong-token-000000" not in str(caught.value)


def test_onprem_agent_is_read_only(root: Path) -> None:
    app = AgentApp(root, TOKEN)
    assert _get(app, "/v1/companies", method="DELETE").status_code == 405
    assert _get(app, "/v1/companies/TORO", method="POST").status_code == 405


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<auditfile xmlns="http://www.auditfiles.nl/XAF/3.2"><header><fiscalYear>&lol4;</fiscalYear></header></auditfile>
"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE auditfile [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<auditfile xmlns="http://www.auditfiles.nl/XAF/3.2"><header><fiscalYear>&xxe;</fiscalYear></header></auditfile>
"""


@pytest.mark.parametrize("content", [BILLION_LAUGHS, XXE], ids=["billion-laughs", "external-entity"])
def test_onprem_hostile_xml_is_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "hostile.xaf"
    path.write_bytes(content)
    with pytest.raises(UnreadableFile, match=r"hostile\.xaf: refused.*DOCTYPE"):
        source_for(path)


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_onprem_hostile_xml_in_utf16_is_refused(tmp_path: Path, codec: str) -> None:
    path = tmp_path / "wide.xaf"
    path.write_bytes(XXE.decode().replace('version="1.0"', f'version="1.0" encoding="{codec}"').encode(codec))
    with pytest.raises(UnreadableFile, match=r"wide\.xaf"):
        source_for(path)


def test_onprem_parser_itself_expands_no_entity(tmp_path: Path) -> None:
    """The second wall: even past the prolog check, the parser resolves nothing."""
    path = tmp_path / "xxe.xml"
    path.write_bytes(XXE)
    with open(path, "rb") as fh:
        texts = [el.text or "" for _ev, el in etree.iterparse(fh, events=("end",), **_SAFE)]
    assert not any("root:" in t for t in texts)


def test_onprem_truncated_file_is_a_clear_error(tmp_path: Path) -> None:
    raw = sample_path("ExactOnline_V32_2016.xml").read_bytes()
    path = tmp_path / "cut.xml"
    path.write_bytes(raw[: len(raw) // 2])
    source = source_for(path)
    assert source is not None
    with pytest.raises(UnreadableFile, match=r"cut\.xml is truncated") as caught:
        source.summarize()
    assert isinstance(caught.value, MalformedResponse)


def test_onprem_wrong_encoding_falls_back_to_cp1252(tmp_path: Path) -> None:
    text = sample_path("pyxaf-example-2024_XAF4.0.xaf").read_text(encoding="utf-8")
    text = text.replace("Inventaris", "Inventaris café")
    path = tmp_path / "cp1252.xaf"
    path.write_bytes(text.encode("cp1252"))  # still declares UTF-8
    source = source_for(path)
    assert source is not None
    summary = source.summarize()
    assert any("cp1252" in w for w in summary.warnings)
    assert any(a.name == "Inventaris café" for a in summary.accounts)
    assert len(list(source.lines(summary))) == 36


def test_onprem_encoded_auditfile_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "audit.xfc"
    path.write_bytes(b"\x01\x02\x03")
    with pytest.raises(UnreadableFile, match="encoded auditfile"):
        source_for(path)


def test_onprem_unsupported_folder_is_an_error_not_an_empty_sync() -> None:
    sandbox = OnpremSandbox()
    ctx = _ctx(sandbox)

    async def go() -> None:
        async for _batch in onprem.sfsync_fetch_ledger(ctx=ctx, company=Company(ref="EXPERTM-CLIENT"),
                                                         since=None, cursor=None):
            pass

    with pytest.raises(FatalError, match=r"unsupported storage for .*drop an XAF or a balance export"):
        asyncio.run(go())


def test_onprem_unsupported_message_names_the_connections_package() -> None:
    sandbox = OnpremSandbox()
    ctx = _ctx(sandbox)
    ctx.config = {**ctx.config, "package": "ExpertM"}

    with pytest.raises(FatalError, match="unsupported storage for ExpertM: drop an XAF or a balance export"):
        asyncio.run(onprem.sfsync_fetch_accounts(ctx=ctx, company=Company(ref="EXPERTM-CLIENT")))
    companies = asyncio.run(onprem.sfsync_list_companies(ctx=ctx))
    listed = {c.ref: c.extra for c in companies}
    assert listed["EXPERTM-CLIENT"]["format"] == "unsupported"
    assert "unsupported storage for ExpertM" in listed["EXPERTM-CLIENT"]["error"]


def test_onprem_file_linked_from_outside_the_root_is_not_read(tmp_path: Path) -> None:
    sandbox = OnpremSandbox()
    outside = tmp_path / "elsewhere.xaf"
    outside.write_bytes(sample_path("pyxaf-example-2024_XAF4.0.xaf").read_bytes())
    os.symlink(outside, sandbox.root / "TORO-ROSSO" / "linked.xaf")
    ctx = _ctx(sandbox)
    sources = asyncio.run(connector_backend_json(ctx, "/v1/companies/TORO-ROSSO/sources"))
    assert [s["name"] for s in sources] == ["ExactOnline_V32_2016.xml"]


async def connector_backend_json(ctx: ConnectorContext, path: str):
    from sfsync_onprem.connector import _backend

    return await _backend(ctx).json(path)


def test_onprem_balance_only_folder_asks_for_trial_balance_granularity() -> None:
    sandbox = OnpremSandbox()
    ctx = _ctx(sandbox)

    async def go() -> None:
        async for _batch in onprem.sfsync_fetch_ledger(ctx=ctx, company=Company(ref="PARFILUX-EXPORTS"),
                                                         since=None, cursor=None):
            pass

    with pytest.raises(FatalError, match="trial-balance granularity"):
        asyncio.run(go())


def test_onprem_base_url_is_the_sandboxes() -> None:
    assert OnpremSandbox().connection_config() == {"url": BASE_URL}
