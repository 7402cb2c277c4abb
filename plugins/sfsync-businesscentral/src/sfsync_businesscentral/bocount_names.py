"""What the BoCount connector assumes about the BoCount extension: ALL of it in this module.

Known (help.billtobox.com/hc/fr-be/articles/13773845767580; intercom-help.eu/unifiedpost/en/
articles/31669, via ``shared/reference/providers/business-central.md``): BoCount is Business
Central with the BoCount extension, reached at a base URL that differs per accountant, with a
web-service user name and password (Basic), and a firm's client companies are named by their
company (VAT) number.

UNVERIFIED, every name below: the extension's pages are not published. The most plausible shape
is an OData v4 API page set of its own beside the standard one, with the standard v2.0 entity
names and a VAT number on each company; correct these constants when a firm's ``$metadata`` is
seen, and the engine follows.
"""

from __future__ import annotations

__all__ = ["API_PATH", "COMPANY_VAT", "ENTITY_SETS", "SANDBOX_BASE"]

API_PATH = "/api/bocount/accounting/v1.0"
"""Appended to the firm's base URL when the URL the firm gives does not end in it already."""

COMPANY_VAT = "vatRegistrationNumber"
"""The company's VAT number (``BE0123456789``), the firm's key for it."""

ENTITY_SETS = {
    "companies": "companies",
    "companyInformation": "companyInformation",
    "accountingPeriods": "accountingPeriods",
    "accounts": "accounts",
    "generalLedgerEntries": "generalLedgerEntries",
    "trialBalances": "trialBalances",
    "generalLedgerSetup": "generalLedgerSetup",
}
"""Standard entity set name → the extension's (assumed equal)."""

SANDBOX_BASE = "https://fiduciaire-dupont.bocount.sandbox.example/BC"
"""The sandbox's per-firm base URL (a firm's own would be given by its BoCount partner)."""
