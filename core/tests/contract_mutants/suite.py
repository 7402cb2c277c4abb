"""The contract classes of every broken case, for a pytest run of their own (see CASES)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sfsync.clock import ScaledClock
from sfsync.echo import EchoSandbox
from sfsync.plugins import PluginRegistry
from sfsync.testing import ConnectorContract

from contract_mutants import CASES, BrokenCase, registry_for


def _contract_class(case: BrokenCase) -> type[ConnectorContract]:
    registry = registry_for(case)

    class Broken(ConnectorContract):
        connector = case.connector_name
        granularity = case.granularity

        @classmethod
        def contract_registry(cls) -> PluginRegistry:
            return registry

        @pytest.fixture(scope="class")
        @classmethod
        def contract_sandbox(cls) -> EchoSandbox:
            return EchoSandbox(clock=ScaledClock(50))

        @pytest.fixture(scope="class", autouse=True)
        @classmethod
        def _broken_host(cls) -> Iterator[None]:
            with pytest.MonkeyPatch.context() as patch:
                if case.host is not None:
                    case.host(patch)
                yield

    Broken.__name__ = Broken.__qualname__ = "TestBroken_" + case.name.replace("-", "_")
    return Broken


def contract_classes() -> dict[str, Any]:
    """Every broken case's contract class, by its test class name."""
    made = (_contract_class(case) for case in CASES)
    return {cls.__name__: cls for cls in made}


def honest_classes() -> dict[str, Any]:
    """The honest echo, in both granularities, run beside the broken cases."""
    from sfsync.models import Granularity

    def honest(name: str, granularity: Granularity | None) -> type[ConnectorContract]:
        class Honest(ConnectorContract):
            connector = "echo"

            @pytest.fixture(scope="class")
            @classmethod
            def contract_sandbox(cls) -> EchoSandbox:
                return EchoSandbox(clock=ScaledClock(50))

        Honest.granularity = granularity
        Honest.__name__ = Honest.__qualname__ = name
        return Honest

    return {"TestHonestEcho": honest("TestHonestEcho", None),
            "TestHonestEchoTrialBalance": honest("TestHonestEchoTrialBalance", Granularity.TRIAL_BALANCE),
            "TestHonestEchoDetails": honest("TestHonestEchoDetails", Granularity.DETAILS)}
