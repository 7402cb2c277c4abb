import pytest
from sfsync.clock import ScaledClock
from sfsync.echo import EchoSandbox
from sfsync.models import Granularity
from sfsync.testing import ConnectorContract

# A clock 50 times faster: the suite's 5 s Retry-After takes a tenth of a second.
SPEED = 50


class TestEchoContract(ConnectorContract):
    connector = "echo"

    @pytest.fixture(scope="class")
    @classmethod
    def contract_sandbox(cls) -> EchoSandbox:
        return EchoSandbox(clock=ScaledClock(SPEED))


class TestEchoTrialBalanceContract(ConnectorContract):
    connector = "echo"
    granularity = Granularity.TRIAL_BALANCE

    @pytest.fixture(scope="class")
    @classmethod
    def contract_sandbox(cls) -> EchoSandbox:
        return EchoSandbox(clock=ScaledClock(SPEED))
