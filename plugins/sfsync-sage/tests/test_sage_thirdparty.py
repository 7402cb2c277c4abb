"""Third-party clients built for Sage's real API, driven against the sandbox served by uvicorn.

Sage ships no Python SDK and no maintained Sage-specific client is on PyPI (``sageone-api-client``
0.0.2 dates from 2017 and predates API v3.1), so the clients are the ones a Python integration
of Sage uses: bravado loaded with Sage's own published swagger, and requests-oauthlib for the
token endpoint. They live in ``thirdparty/``, an environment of their own (``uv sync`` there), so
neither becomes a dependency of sfsync-sage.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
import uvicorn
from sfsync.clock import Clock
from sfsync_sage.sandbox import SageSandbox
from sfsync_sage.sandbox.harness import issue_tokens

pytestmark = pytest.mark.slow

HERE = Path(__file__).parent / "thirdparty"


@pytest.fixture
def served():
    sandbox = SageSandbox(clock=Clock())
    server = uvicorn.Server(uvicorn.Config(sandbox.app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield sandbox, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def thirdparty_python() -> Path:
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is needed to build the third-party clients' environment")
    built = subprocess.run([uv, "sync", "--quiet", "--project", str(HERE)], capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr[-2000:]
    return HERE / ".venv" / "bin" / "python"


def test_bravado_and_requests_oauthlib_work_against_the_served_sandbox(served, thirdparty_python, spec_checker_factory, tmp_path):
    sandbox, base = served
    checker = spec_checker_factory()
    sandbox.observers.append(checker)
    tokens = issue_tokens(sandbox)
    business = sandbox.businesses[0]
    config = tmp_path / "config.json"
    config.write_text(json.dumps({
        "base": base, "specs": str(checker.folder), "access_token": tokens["access_token"], "refresh_token": tokens["refresh_token"],
        "client_id": sandbox.client_id, "client_secret": sandbox.client_secret, "business": business.id,
        "from_date": business.years[-1][0].isoformat(),
    }))
    ran = subprocess.run([str(thirdparty_python), str(HERE / "drive.py"), str(config)], capture_output=True, text=True, timeout=300)
    assert ran.returncode == 0, ran.stderr[-3000:]
    got = json.loads(ran.stdout)

    assert [b["id"] for b in got["businesses"]["$items"]] == sandbox.company_refs()
    assert got["lead"]["id"] == business.id
    assert got["financial_settings"]["year_end_date"] == business.year_end.isoformat()
    assert len(got["ledger_accounts"]["$items"]) == len(business.accounts)
    pages = got["ledger_pages"]
    expected = sum(1 for e in business.entries.values() if e.date >= business.years[-1][0])
    assert pages[0]["total"] == expected and sum(p["count"] for p in pages) == expected
    assert len(pages) == -(-expected // 200) and pages[-1]["next"] is None
    assert {"debit", "credit", "ledger_account", "transaction", "updated_at"} <= set(got["first_entry"])
    assert got["too_many"] in ("ValidationError", "refused by Sage"), got["too_many"]
    assert got["unknown_business"][0]["$source"] == "X-Business"
    assert got["refreshed"] == {"token_type": "bearer", "expires_in": 300, "refresh_token_expires_in": 31 * 86_400,
                                "scope": ["full_access"]}
    assert got["rotated"] is True and got["reuse"] == "invalid_grant"
    assert sandbox.oauth_server.reuses == 1 and sandbox.oauth_server.grants[0].revoked
    assert checker.violations == [] and checker.checked.get("/v3.1/ledger_entries", 0) >= len(pages)
