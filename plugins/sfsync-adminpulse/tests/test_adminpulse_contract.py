"""The contract suite against the AdminPulse sandbox: an administrative-only connector, so its
links are ``details`` links and the suite runs its administrative checks (the figure checks say
they do not apply)."""

from sfsync.testing import ConnectorContract


class TestAdminpulseContract(ConnectorContract):
    connector = "adminpulse"
