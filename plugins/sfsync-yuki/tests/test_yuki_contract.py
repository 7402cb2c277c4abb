from sfsync.testing import ConnectorContract


class TestYukiContract(ConnectorContract):
    connector = "yuki"
