from sfsync.models import Granularity
from sfsync.testing import ConnectorContract


class TestOnpremContract(ConnectorContract):
    connector = "onprem"


class TestOnpremTrialBalanceContract(ConnectorContract):
    """The same suite with links in trial-balance granularity (the connector offers both)."""

    connector = "onprem"
    granularity = Granularity.TRIAL_BALANCE
