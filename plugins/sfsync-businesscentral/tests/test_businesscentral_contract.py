"""The core's contract suite against ``businesscentral``, ``businesscentral-s2s`` and ``bocount``,
each in both granularities they offer.

The sandbox runs on a clock sped up ten times, shared with the harness, so waits (a 429's
Retry-After) pass quickly while staying measurable on the sandbox's side.
"""

from __future__ import annotations

import pytest
from sfsync.clock import ScaledClock
from sfsync.models import Granularity
from sfsync.testing import ConnectorContract
from sfsync_businesscentral.sandbox import (
    BoCountSandbox,
    BusinessCentralAppSandbox,
    BusinessCentralSandbox,
)

SPEED = 10

NO_BOOKING_PERIOD = (
    "Business Central books every G/L entry in the accounting period of its posting date (no separate "
    "booking period; closing entries on a closing date are served on the year's last day), so no line can "
    "be booked in another fiscal year than its date"
)


class TestBusinessCentralContract(ConnectorContract):
    connector = "businesscentral"
    opt_out = {"booking_period": NO_BOOKING_PERIOD}

    @pytest.fixture(scope="class")
    @classmethod
    def contract_sandbox(cls) -> BusinessCentralSandbox:
        return BusinessCentralSandbox(clock=ScaledClock(SPEED))


class TestBusinessCentralTrialBalanceContract(ConnectorContract):
    connector = "businesscentral"
    granularity = Granularity.TRIAL_BALANCE

    @pytest.fixture(scope="class")
    @classmethod
    def contract_sandbox(cls) -> BusinessCentralSandbox:
        return BusinessCentralSandbox(clock=ScaledClock(SPEED))


class TestBusinessCentralAppContract(ConnectorContract):
    connector = "businesscentral-s2s"
    opt_out = {"booking_period": NO_BOOKING_PERIOD}

    @pytest.fixture(scope="class")
    @classmethod
    def contract_sandbox(cls) -> BusinessCentralAppSandbox:
        return BusinessCentralAppSandbox(clock=ScaledClock(SPEED))


class TestBusinessCentralAppTrialBalanceContract(ConnectorContract):
    connector = "businesscentral-s2s"
    granularity = Granularity.TRIAL_BALANCE

    @pytest.fixture(scope="class")
    @classmethod
    def contract_sandbox(cls) -> BusinessCentralAppSandbox:
        return BusinessCentralAppSandbox(clock=ScaledClock(SPEED))


class TestBoCountContract(ConnectorContract):
    connector = "bocount"
    opt_out = {"booking_period": NO_BOOKING_PERIOD}

    @pytest.fixture(scope="class")
    @classmethod
    def contract_sandbox(cls) -> BoCountSandbox:
        return BoCountSandbox(clock=ScaledClock(SPEED))


class TestBoCountTrialBalanceContract(ConnectorContract):
    connector = "bocount"
    granularity = Granularity.TRIAL_BALANCE

    @pytest.fixture(scope="class")
    @classmethod
    def contract_sandbox(cls) -> BoCountSandbox:
        return BoCountSandbox(clock=ScaledClock(SPEED))
