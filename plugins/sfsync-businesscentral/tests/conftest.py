"""Shared helpers: a connected harness over a fresh sandbox, and the published contracts read by
path from ``shared/reference/specs/business-central`` (``SFSYNC_BC_SPECS`` points elsewhere)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sfsync.clock import FakeClock
from sfsync.testing.harness import ContractHarness
from sfsync_businesscentral.sandbox import BoCountSandbox, BusinessCentralSandbox

SPECS = Path(os.environ.get("SFSYNC_BC_SPECS") or Path(__file__).resolve().parents[3].parent
             / "shared/reference/specs/business-central")


@pytest.fixture
def bc(tmp_path):  # type: ignore[no-untyped-def]
    """(sandbox, connected harness) for businesscentral on a fake clock, connected without naming
    the tenant: it comes from the id_token."""
    sandbox = BusinessCentralSandbox(clock=FakeClock())
    sandbox.connection_config = lambda: {"client_id": sandbox.client_id}  # type: ignore[method-assign]
    harness = ContractHarness.create("businesscentral", tmp_path, sandbox=sandbox)
    harness.connect()
    yield sandbox, harness
    harness.close()


@pytest.fixture
def bocount(tmp_path):  # type: ignore[no-untyped-def]
    """(sandbox, connected harness) for bocount on a fake clock."""
    sandbox = BoCountSandbox(clock=FakeClock())
    harness = ContractHarness.create("bocount", tmp_path, sandbox=sandbox)
    harness.connect()
    yield sandbox, harness
    harness.close()


@pytest.fixture(scope="session")
def openapi_v1():  # type: ignore[no-untyped-def]
    """Microsoft's official v1.0 OpenAPI contract (BCOAS1.0.yaml), parsed."""
    path = SPECS / "BCOAS1.0.yaml"
    if not path.exists():
        pytest.skip(f"the v1.0 OpenAPI contract is not at {path} (set SFSYNC_BC_SPECS)")
    yaml = pytest.importorskip("yaml")
    return yaml.safe_load(path.read_text())
