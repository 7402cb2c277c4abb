import pytest
from sfsync.testing import ConnectorContract
from sfsync_xero.sandbox import XeroSandbox

# The suite runs on real time against Xero's real limits (60 calls a minute per organisation, read
# from X-MinLimit-Remaining), so it gets a sandbox with one fiscal year of history: a few pages of
# journals and a handful of trial-balance periods per sync, the paging and periods still exercised.
# Every request and response of the suite's runs is also checked against Xero's OpenAPI spec.


class TestXeroContract(ConnectorContract):
    connector = "xero"

    @pytest.fixture(scope="class")
    @classmethod
    def contract_sandbox(cls) -> XeroSandbox:
        return XeroSandbox("xero", years=1, spec_check=True)

    def test_zz_everything_served_conformed_to_the_spec(self, contract) -> None:
        assert contract.sandbox.spec_violations == []
        assert len(contract.sandbox.api_requests("/Journals")) > 10


class TestXeroTBContract(ConnectorContract):
    connector = "xerotb"

    @pytest.fixture(scope="class")
    @classmethod
    def contract_sandbox(cls) -> XeroSandbox:
        return XeroSandbox("xerotb", years=1, spec_check=True)

    def test_zz_everything_served_conformed_to_the_spec(self, contract) -> None:
        assert contract.sandbox.spec_violations == []
        assert len(contract.sandbox.api_requests("/Reports/TrialBalance")) > 10
