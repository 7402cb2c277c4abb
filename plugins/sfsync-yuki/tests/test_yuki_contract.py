from __future__ import annotations

from sfsync.models import Granularity
from sfsync.testing import ConnectorContract


class TestYukiContract(ConnectorContract):
    connector = "yuki"


class TestYukiTrialBalanceContract(ConnectorContract):
    """The same suite with links in the trial-balance granularity (GLAccountBalance per month)."""

    connector = "yuki"
    granularity = Granularity.TRIAL_BALANCE
