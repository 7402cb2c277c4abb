import pytest
from sfsync.clock import ScaledClock
from sfsync.testing import ConnectorContract
from sfsync_xero.sandbox import XeroSandbox

SPEED = 10

# The suite runs against Xero's real limits (60 calls a minute per organisation, read from
# X-MinLimit-Remaining) on a clock SPEED times faster, which the harness shares with the sandbox: a
# minute's wait takes six seconds. One fiscal year of history keeps the syncs small while paging
# and periods are still exercised.
# Not faster: every real millisecond between a 429 and the wait for its Retry-After (the retry's
# own 10 ms backoff, which stamina sleeps in real time, and a busy machine's scheduling) shortens
# the recorded wait by SPEED ms of sandbox time, and the suite wants at least half of the 1 s
# Retry-After waited. At 30x that left ~16 ms of slack and failed on a loaded 2-core machine.
# Every request and response of the suite's runs is also checked against Xero's OpenAPI spec.


class TestXeroContract(ConnectorContract):
    connector = "xero"
    opt_out = {"booking_period": "Xero has no booking periods: a journal is always in the month of its date"}

    @pytest.fixture(scope="class")
    @classmethod
    def contract_sandbox(cls) -> XeroSandbox:
        return XeroSandbox("xero", years=1, spec_check=True, clock=ScaledClock(SPEED))

    def test_zz_everything_served_conformed_to_the_spec(self, contract) -> None:
        assert contract.sandbox.spec_violations == []
        assert len(contract.sandbox.api_requests("/Journals")) > 10


class TestXeroTBContract(ConnectorContract):
    connector = "xerotb"

    @pytest.fixture(scope="class")
    @classmethod
    def contract_sandbox(cls) -> XeroSandbox:
        return XeroSandbox("xerotb", years=1, spec_check=True, clock=ScaledClock(SPEED))

    def test_zz_everything_served_conformed_to_the_spec(self, contract) -> None:
        assert contract.sandbox.spec_violations == []
        assert len(contract.sandbox.api_requests("/Reports/TrialBalance")) > 10
