"""The contract suite every connector runs, shipped as a pytest plugin.

Adopt it in three lines::

    from sfsync.testing import ConnectorContract

    class TestMyPackageContract(ConnectorContract):
        connector = "my-package"

It takes a fresh sandbox from the connector's ``sfsync_sandbox`` hook (override the
``contract_sandbox`` fixture to parametrize), connects through the real flow, links the first of
``company_refs()``, syncs once per class and checks the result, holding it against the sandbox's
own figures (``Sandbox.truth``). Each test is one check of :data:`sfsync.testing.checks.CHECKS`;
opt out of one by name with its reason (``opt_out = {"reconsent": "why"}``): every run lists the
checks not taken, and ``pytest --sfsync-report`` prints a table of all of them. Overriding a check
is otherwise allowed only as an expected failure with a reason
(``pytest.mark.xfail(reason=..., strict=True)``).
"""

from sfsync.testing.checks import CHECKS, Check
from sfsync.testing.contract import ConnectorContract
from sfsync.testing.harness import ContractHarness, RecordingClock, SimulatedKill, connect_sandbox

__all__ = ["CHECKS", "Check", "ConnectorContract", "ContractHarness", "RecordingClock", "SimulatedKill", "connect_sandbox"]
