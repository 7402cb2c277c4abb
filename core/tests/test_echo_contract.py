from sfsync.testing import ConnectorContract


class TestEchoContract(ConnectorContract):
    connector = "echo"
