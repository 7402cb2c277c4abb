from sfsync.models import Granularity
from sfsync.testing import ConnectorContract

_NO_BOOKING_PERIODS = (
    "e-conomic has no booking period apart from the date: an entry is in the period its date falls "
    "in, so no line can be booked in another year than its date's"
)


class TestEconomicContract(ConnectorContract):
    """Ledger lines (the accounting years' entries)."""

    connector = "economic"
    opt_out = {"booking_period": _NO_BOOKING_PERIODS}


class TestEconomicTrialBalanceContract(ConnectorContract):
    """Trial balances per period (the period totals)."""

    connector = "economic"
    granularity = Granularity.TRIAL_BALANCE
