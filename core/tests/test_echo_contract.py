from sfsync.models import Granularity
from sfsync.testing import ConnectorContract


class TestEchoContract(ConnectorContract):
    connector = "echo"


class TestEchoTrialBalanceContract(ConnectorContract):
    connector = "echo"
    granularity = Granularity.TRIAL_BALANCE
