"""The core contract suite against the Odoo sandbox, for every version profile and transport."""

from __future__ import annotations

import pytest
from sfsync.testing import ConnectorContract
from sfsync_odoo.sandbox import OdooSandbox

PROFILES = [
    (14, "xmlrpc"), (14, "jsonrpc"),
    (17, "xmlrpc"), (17, "jsonrpc"),
    (18, "xmlrpc"), (18, "jsonrpc"),
    (19, "xmlrpc"), (19, "jsonrpc"), (19, "json2"),
]


class TestOdooContract(ConnectorContract):
    connector = "odoo"

    @pytest.fixture(scope="class", params=PROFILES, ids=[f"odoo{v}-{t}" for v, t in PROFILES])
    @classmethod
    def contract_sandbox(cls, request: pytest.FixtureRequest) -> OdooSandbox:
        version, transport = request.param
        return OdooSandbox(version, transport)
