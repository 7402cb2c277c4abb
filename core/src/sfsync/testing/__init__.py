"""The contract suite every connector runs, shipped as a pytest plugin.

Adopt it in three lines::

    from sfsync.testing import ConnectorContract

    class TestMyPackageContract(ConnectorContract):
        connector = "my-package"

It takes a fresh sandbox from the connector's ``sfsync_sandbox`` hook (override the
``contract_sandbox`` fixture to parametrize), connects through the real flow, links the first of
``company_refs()``, syncs once per class and checks the result. Overriding a check is allowed only
as an expected failure with a reason (``pytest.mark.xfail(reason=..., strict=True)``).
"""

from sfsync.testing.contract import ConnectorContract
from sfsync.testing.harness import ContractHarness, RecordingClock, connect_sandbox

__all__ = ["ConnectorContract", "ContractHarness", "RecordingClock", "connect_sandbox"]
