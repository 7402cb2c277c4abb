from sfsync.models import Granularity
from sfsync.testing import ConnectorContract

_NO_BOOKING_PERIODS = (
    "QuickBooks has no booking periods: every line is booked in the month of its date, so no line "
    "can be booked in another year than its date's"
)


class TestQuickbooksContract(ConnectorContract):
    """Ledger lines (the GeneralLedger report)."""

    connector = "quickbooks"
    opt_out = {"booking_period": _NO_BOOKING_PERIODS}


class TestQuickbooksTrialBalanceContract(ConnectorContract):
    """Trial balances per month (the TrialBalance report)."""

    connector = "quickbooks"
    granularity = Granularity.TRIAL_BALANCE
