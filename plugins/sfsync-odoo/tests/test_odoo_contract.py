"""The core contract suite against the Odoo sandbox, for every version profile and transport."""

from __future__ import annotations

import pytest
from sfsync.models import Granularity
from sfsync.testing import ConnectorContract
from sfsync_odoo.sandbox import OdooSandbox

PROFILES = [
    (14, "xmlrpc", False), (14, "jsonrpc", False),
    (17, "xmlrpc", False), (17, "jsonrpc", False),
    (18, "xmlrpc", False), (18, "jsonrpc", False),
    (19, "xmlrpc", False), (19, "jsonrpc", False), (19, "json2", False),
    # Enterprise: account.fiscal.year records (an extended first year), company 2 linked.
    (17, "jsonrpc", True),
]


class TestOdooContract(ConnectorContract):
    connector = "odoo"

    @pytest.fixture(scope="class", params=PROFILES,
                    ids=[f"odoo{v}-{t}{'-enterprise' if e else ''}" for v, t, e in PROFILES])
    @classmethod
    def contract_sandbox(cls, request: pytest.FixtureRequest) -> OdooSandbox:
        version, transport, enterprise = request.param
        return OdooSandbox(version, transport, enterprise=enterprise)


class TestOdooTrialBalanceContract(ConnectorContract):
    """The same suite on trial-balance links."""

    connector = "odoo"
    granularity = Granularity.TRIAL_BALANCE

    @pytest.fixture(scope="class", params=[(17, "jsonrpc"), (19, "json2")], ids=["odoo17-jsonrpc", "odoo19-json2"])
    @classmethod
    def contract_sandbox(cls, request: pytest.FixtureRequest) -> OdooSandbox:
        version, transport = request.param
        return OdooSandbox(version, transport)
