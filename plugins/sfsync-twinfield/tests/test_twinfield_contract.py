from sfsync.models import Granularity
from sfsync.testing import ConnectorContract


class TestTwinfieldContract(ConnectorContract):
    connector = "twinfield"


class TestTwinfieldTrialBalanceContract(ConnectorContract):
    """The same suite on trial-balance links (browse 040_1, one book year per batch)."""

    connector = "twinfield"
    granularity = Granularity.TRIAL_BALANCE
