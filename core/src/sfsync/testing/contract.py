"""The checks every connector must pass, as a base test class (see :mod:`sfsync.testing`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

from sfsync.models import Granularity
from sfsync.plugins import PluginRegistry, get_registry
from sfsync.sandbox import Sandbox
from sfsync.testing.checks import CHECKS, MARKER
from sfsync.testing.checks_books import BooksChecks
from sfsync.testing.checks_details import DetailsChecks
from sfsync.testing.checks_faults import FaultChecks
from sfsync.testing.checks_sync import SyncChecks
from sfsync.testing.harness import ContractHarness, SimulatedKill

__all__ = ["ConnectorContract", "SimulatedKill"]

OPTED_OUT = "opted out: "
NOT_APPLICABLE = "not applicable: "


class ConnectorContract(BooksChecks, SyncChecks, FaultChecks, DetailsChecks):
    """Subclass with ``connector = "<name>"``; every ``test_*`` here runs against its sandbox.

    Each test is one check of :data:`sfsync.testing.checks.CHECKS`. Opt out of a check by naming
    it with the reason, which the suite's summary prints::

        opt_out = {"reconsent": "the package has no way to revoke a key (issue 18)"}
    """

    connector: str = ""
    granularity: Granularity | None = None
    """Link with this granularity instead of the connector's default (run the suite twice, once
    per granularity, by subclassing twice)."""
    opt_out: ClassVar[dict[str, str]] = {}
    """Checks this connector does not take, each with the reason a reader of the report needs."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        unknown = sorted(set(cls.opt_out) - set(CHECKS))
        if unknown:
            raise TypeError(f"{cls.__name__}.opt_out names no check: {', '.join(unknown)} (checks: {', '.join(CHECKS)})")
        silent = sorted(name for name, reason in cls.opt_out.items() if not str(reason).strip())
        if silent:
            raise TypeError(f"{cls.__name__}.opt_out must say why for: {', '.join(silent)}")

    @classmethod
    def contract_registry(cls) -> PluginRegistry:
        """The plugin registry the connector is found in (the installed plugins by default)."""
        return get_registry()

    # --- fixtures -------------------------------------------------------------------------------

    @pytest.fixture(scope="class")
    @classmethod
    def contract_sandbox(cls) -> Sandbox:
        """A fresh sandbox from the connector's ``sfsync_sandbox`` hook.

        Override it (as a class-scoped classmethod fixture, optionally with ``params``) to run the
        suite against several sandboxes, e.g. one per API version."""
        return cls.contract_registry().call(cls.connector, "sfsync_sandbox")  # type: ignore[no-any-return]

    @pytest.fixture(scope="class")
    @classmethod
    def contract(cls, contract_sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ContractHarness]:
        """The harness, connected, with one dossier linked in *replace* mode and synced once; the
        sandbox's truth is taken right after, before any check changes the sandbox."""
        if not cls.connector:
            pytest.fail("set `connector = \"<name>\"` on the contract class")
        harness = ContractHarness.create(cls.connector, tmp_path_factory.mktemp(cls.connector), sandbox=contract_sandbox,
                                         registry=cls.contract_registry())
        harness.granularity_override = cls.granularity
        harness.first_dossier = harness.new_dossier()  # type: ignore[attr-defined]
        harness.first_run = harness.sync(harness.first_dossier)  # type: ignore[attr-defined]
        try:
            harness.first_truth = contract_sandbox.truth(contract_sandbox.company_refs()[0])  # type: ignore[attr-defined]
        except Exception as exc:  # a sandbox without truth, or a broken one: only the truth checks fail
            harness.first_truth = exc  # type: ignore[attr-defined]
        yield harness
        harness.close()

    @pytest.fixture(autouse=True)
    def _contract_check_gate(self, request: pytest.FixtureRequest) -> None:
        """Skip a check the class opted out of, or that does not apply, saying which and why."""
        marker = request.node.get_closest_marker(MARKER)
        if marker is None:
            return
        reason = self.not_taken(marker.args[0])
        if reason:
            pytest.skip(reason)

    @classmethod
    def not_taken(cls, name: str) -> str | None:
        """Why the check ``name`` is not run for this class (``None``: it runs)."""
        if name in cls.opt_out:
            return OPTED_OUT + cls.opt_out[name]
        item = CHECKS[name]
        registry = cls.contract_registry()
        info = registry.connector(cls.connector).info
        granularity = cls.granularity or info.default_granularity
        if item.granularity is not None and granularity is not item.granularity:
            return f"{NOT_APPLICABLE}checked on {item.granularity.value} links only"
        if granularity is Granularity.DETAILS and item.granularity is None and not item.administrative:
            return f"{NOT_APPLICABLE}an administrative (details) link brings no figures"
        if item.hook is not None and not registry.supports(cls.connector, item.hook):
            return f"{NOT_APPLICABLE}{cls.connector} does not implement {item.hook}"
        if item.declared is not None and item.declared not in info.granularities:
            return f"{NOT_APPLICABLE}{cls.connector} offers no {item.declared.value} links"
        return None
