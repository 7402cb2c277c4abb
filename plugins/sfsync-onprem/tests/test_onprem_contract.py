from sfsync.models import Granularity
from sfsync.testing import ConnectorContract

# What the on-premise connector cannot pass yet, each for the issue that brings it.
_OPT_OUT = {
    "booking_period": "issue 16: the generated auditfiles hold no line booked in another fiscal year than its date yet",
}


class TestOnpremContract(ConnectorContract):
    connector = "onprem"
    opt_out = _OPT_OUT


class TestOnpremTrialBalanceContract(ConnectorContract):
    """The same suite with links in trial-balance granularity (the connector offers both)."""

    connector = "onprem"
    granularity = Granularity.TRIAL_BALANCE
    opt_out = _OPT_OUT
