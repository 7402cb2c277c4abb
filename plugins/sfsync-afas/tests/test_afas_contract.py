from sfsync.models import Granularity
from sfsync.testing import ConnectorContract

# Every check of the contract suite runs; `pytest --sfsync-report` prints what each one covers.
# A check the package cannot pass is opted out of by name, with the reason a reader needs:
#     opt_out = {"reconsent": "the package's keys cannot be regenerated"}


class TestAfasContract(ConnectorContract):
    connector = "afas"


class TestAfasTrialBalanceContract(ConnectorContract):
    """The same suite on trial-balance links."""

    connector = "afas"
    granularity = Granularity.TRIAL_BALANCE
