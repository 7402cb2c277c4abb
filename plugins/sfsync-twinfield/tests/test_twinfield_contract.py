from sfsync.testing import ConnectorContract


class TestTwinfieldContract(ConnectorContract):
    connector = "twinfield"
