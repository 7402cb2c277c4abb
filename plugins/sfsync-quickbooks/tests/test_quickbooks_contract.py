from sfsync.models import Granularity
from sfsync.testing import ConnectorContract


class TestQuickbooksContract(ConnectorContract):
    """Ledger lines (the GeneralLedger report)."""

    connector = "quickbooks"


class TestQuickbooksTrialBalanceContract(ConnectorContract):
    """Trial balances per month (the TrialBalance report)."""

    connector = "quickbooks"
    granularity = Granularity.TRIAL_BALANCE
