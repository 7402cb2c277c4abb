from collections.abc import Iterator

import pytest
from sfsync.models import Granularity
from sfsync.sandbox import Sandbox
from sfsync.testing import ConnectorContract
from sfsync.testing.harness import ContractHarness


class TestOnpremContract(ConnectorContract):
    connector = "onprem"


class _TrialBalanceHarness(ContractHarness):
    @property
    def granularity(self) -> Granularity:
        return Granularity.TRIAL_BALANCE


class TestOnpremTrialBalanceContract(ConnectorContract):
    """The same suite with links in trial-balance granularity (the connector offers both)."""

    connector = "onprem"

    @pytest.fixture(scope="class")
    @classmethod
    def contract(cls, contract_sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ContractHarness]:
        harness = _TrialBalanceHarness.create(cls.connector, tmp_path_factory.mktemp("onprem-tb"), sandbox=contract_sandbox)
        harness.first_dossier = harness.new_dossier()  # type: ignore[attr-defined]
        harness.first_run = harness.sync(harness.first_dossier)  # type: ignore[attr-defined]
        yield harness
        harness.close()
