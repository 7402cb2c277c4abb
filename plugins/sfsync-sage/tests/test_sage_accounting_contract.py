from sfsync.testing import ConnectorContract


class TestSageAccountingContract(ConnectorContract):
    connector = "sage-accounting"
