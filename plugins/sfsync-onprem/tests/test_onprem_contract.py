from sfsync.testing import ConnectorContract


class TestOnpremContract(ConnectorContract):
    connector = "onprem"
