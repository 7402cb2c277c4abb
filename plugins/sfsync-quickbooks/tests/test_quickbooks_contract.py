from sfsync.testing import ConnectorContract


class TestQuickbooksContract(ConnectorContract):
    connector = "quickbooks"
