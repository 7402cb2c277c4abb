"""The core's contract suite against ``sage-accounting``, in both granularities it offers.

The sandbox runs on a clock sped up ten times, shared with the harness: Sage's 100 calls a minute
per business (declared on the client side, enforced by the sandbox) then pass in six seconds,
and the 5-minute access tokens expire every 30 seconds, so the suite's syncs refresh them for real.
"""

from __future__ import annotations

import pytest
from sfsync.clock import ScaledClock
from sfsync.models import Granularity
from sfsync.testing import ConnectorContract
from sfsync_sage.sandbox import SageSandbox

SPEED = 10
# Not faster: the retry after a 429 sleeps its 10 ms backoff in real time, which shortens the
# recorded wait for a 1 s Retry-After by SPEED ms of sandbox time (see the Xero contract tests).


NO_BOOKING_PERIOD = (
    "Sage has no booking period apart from the date: every line is booked in the month and year its "
    "date falls in, so no line can be booked in another year than its date"
)


class TestSageAccountingContract(ConnectorContract):
    connector = "sage-accounting"
    opt_out = {"booking_period": NO_BOOKING_PERIOD}

    @pytest.fixture(scope="class")
    @classmethod
    def contract_sandbox(cls) -> SageSandbox:
        return SageSandbox(clock=ScaledClock(SPEED))


class TestSageAccountingTrialBalanceContract(ConnectorContract):
    connector = "sage-accounting"
    granularity = Granularity.TRIAL_BALANCE

    @pytest.fixture(scope="class")
    @classmethod
    def contract_sandbox(cls) -> SageSandbox:
        return SageSandbox(clock=ScaledClock(SPEED))
