"""The core's contract suite against each Exact connector and its sandbox.

The sandboxes run with a time-scaled rate window (a "minute" of one second, Exact's limits
otherwise unchanged) so the suite's many syncs of one division do not wait whole minutes.
"""

from __future__ import annotations

import pytest
from sfsync.models import Granularity
from sfsync.testing import ConnectorContract
from sfsync_exact.sandbox import ExactSandbox, LimitConfig


def _scaled(region: str) -> ExactSandbox:
    return ExactSandbox(region, limits=LimitConfig(window_seconds=1.0))


class TestExactBeContract(ConnectorContract):
    connector = "exact-be"

    @pytest.fixture(scope="class")
    @classmethod
    def contract_sandbox(cls) -> ExactSandbox:
        return _scaled("be")


class TestExactBeTrialBalanceContract(ConnectorContract):
    """The same suite on trial-balance links (ReportingBalance per period)."""

    connector = "exact-be"
    granularity = Granularity.TRIAL_BALANCE

    @pytest.fixture(scope="class")
    @classmethod
    def contract_sandbox(cls) -> ExactSandbox:
        return _scaled("be")


class TestExactNlContract(ConnectorContract):
    connector = "exact-nl"

    @pytest.fixture(scope="class")
    @classmethod
    def contract_sandbox(cls) -> ExactSandbox:
        return _scaled("nl")


class TestExactFrContract(ConnectorContract):
    connector = "exact-fr"

    @pytest.fixture(scope="class")
    @classmethod
    def contract_sandbox(cls) -> ExactSandbox:
        return _scaled("fr")
