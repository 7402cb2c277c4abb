from __future__ import annotations

import pytest
from sfsync.models import Granularity
from sfsync.testing import ConnectorContract
from sfsync_yuki.sandbox import YukiSandbox

# What the Yuki connector cannot pass yet, each for the issue that brings it.
_OPT_OUT = {
    "booking_period": "issue 16: the sandbox seeds no line booked in another fiscal year than its date yet",
}

SUITE_DAILY_LIMIT = 5000
"""The whole suite shares one sandbox and, with the re-consent check's extra full syncs, makes more
than Yuki's 1,000 calls a domain a day; the budget itself is checked in test_yuki_budget.py."""


class TestYukiContract(ConnectorContract):
    connector = "yuki"
    opt_out = _OPT_OUT

    @pytest.fixture(scope="class")
    @classmethod
    def contract_sandbox(cls) -> YukiSandbox:
        return YukiSandbox(daily_limit=SUITE_DAILY_LIMIT)


class TestYukiTrialBalanceContract(TestYukiContract):
    """The same suite with links in the trial-balance granularity (GLAccountBalance per month)."""

    granularity = Granularity.TRIAL_BALANCE
