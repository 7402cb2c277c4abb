from sfsync.testing import ConnectorContract


class TestXeroContract(ConnectorContract):
    connector = "xero"


class TestXeroTBContract(ConnectorContract):
    connector = "xerotb"
