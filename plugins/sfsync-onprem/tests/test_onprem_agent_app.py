"""The sync service's HTTP layer (Starlette): one route table, the request log, refusals as JSON."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import httpx
import pytest
from sfsync_onprem.agent import ROUTES, AgentApp, AgentService, ApiError
from sfsync_onprem.sandbox import sample_path

TOKEN = "app-test-token-0123456789"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "TORO").mkdir()
    (tmp_path / "TORO" / "audit.xml").write_bytes(sample_path("ExactOnline_V32_2016.xml").read_bytes())
    return tmp_path


def _get(app: AgentApp, raw_path: str, token: str = TOKEN) -> httpx.Response:
    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as client:
            request = client.build_request("GET", "http://agent/", headers={"Authorization": f"Bearer {token}"})
            request.url = request.url.copy_with(raw_path=raw_path.encode())
            return await client.send(request)

    return asyncio.run(go())


def test_every_route_answers_over_http_and_in_the_local_mode(root: Path) -> None:
    app, service = AgentApp(root, TOKEN), AgentService(root)
    for path, name in ROUTES:
        if name in ("opening_balances", "ledger"):
            continue  # they need parameters: covered by the sync tests
        raw = path.replace("{ref}", "TORO")
        over_http = _get(app, raw)
        assert over_http.status_code == 200, (raw, over_http.text)
        assert over_http.headers["content-type"] == "application/json"
        assert service.dispatch(raw, {}) is not None


def test_unknown_routes_are_json_404s_in_both_modes(root: Path) -> None:
    answer = _get(AgentApp(root, TOKEN), "/v1/companies/TORO/secrets")
    assert answer.status_code == 404 and answer.json()["error"] == "not_found"
    with pytest.raises(ApiError, match="no route"):
        AgentService(root).dispatch("/v1/companies/TORO/secrets", {})


@pytest.mark.parametrize("ref", ["a" * 300, "%00", "..%2F..%2Fetc", "%2Fetc%2Fpasswd"])
def test_references_outside_the_root_are_refused_before_any_file_is_touched(root: Path, ref: str) -> None:
    answer = _get(AgentApp(root, TOKEN), f"/v1/companies/{ref}/accounts")
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_sync_reference"


def test_the_token_is_compared_whatever_its_length(root: Path) -> None:
    app = AgentApp(root, TOKEN)
    for wrong in ("", "x", TOKEN[:-1], TOKEN + "x", "Bearer", TOKEN.upper()):
        assert _get(app, "/v1/ping", token=wrong).status_code == 401
    assert _get(app, "/v1/ping").json()["ok"] is True
    app.set_token("another-token-000")
    assert _get(app, "/v1/ping").status_code == 401
    assert _get(app, "/v1/ping", token="another-token-000").status_code == 200


def test_each_request_is_logged_without_secrets(root: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="sfsync.onprem.agent")
    app = AgentApp(root, TOKEN)
    _get(app, "/v1/companies/TORO/accounts?package=ExpertM")
    _get(app, "/v1/companies", token="a-wrong-secret-token")
    lines = [r.getMessage() for r in caplog.records if r.name == "sfsync.onprem.agent"]
    assert any(line.startswith("GET /v1/companies/TORO/accounts -> 200") for line in lines), lines
    assert any(line.startswith("GET /v1/companies -> 401") for line in lines), lines
    assert all(TOKEN not in line and "a-wrong-secret-token" not in line and "ExpertM" not in line for line in lines)
