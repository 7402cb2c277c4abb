"""The entity model the sandbox serves and publishes as ``$metadata``: Business Central API v2.0.

Properties are those of the v2.0 resource pages copied in
``shared/reference/specs/business-central/api-v2.0-resources/`` (dynamics_company.md,
dynamics_companyinformation.md, dynamics_accountingperiod.md, dynamics_account.md,
dynamics_generalLedgerEntry.md, dynamics_trialbalance.md, dynamics_generalledgersetup.md); ``MaxLength`` where the official v1.0
OpenAPI contract (BCOAS1.0.yaml) gives one for the same property. Namespace ``Microsoft.NAV`` and
enum types ``glAccountCategory``, ``glAccountType`` and ``genJournalDocumentType`` as the pages
name them; member names encode a space as ``_x0020_`` as OData identifiers must (their JSON
values are those names: UNVERIFIED beyond the resource pages' spelling with spaces).

Every entity but ``company`` is contained in a company (``companies({id})/accounts``); each also
has an entity set, as Business Central answers ``/accounts?company={id}`` too
(api-endpoint-structure.md). BoCount's model adds the company's VAT number
(:mod:`sfsync_businesscentral.bocount_names`).
"""

from __future__ import annotations

from sfsync.sandbox.odata import EntityType, EnumType, NavigationProperty, Property, ServiceModel

from sfsync_businesscentral.bocount_names import COMPANY_VAT, ENTITY_SETS

__all__ = ["CATEGORIES", "service_model"]

NS = "Microsoft.NAV"
CATEGORIES = ("_x0020_", "Assets", "Liabilities", "Equity", "Income", "Cost_x0020_of_x0020_Goods_x0020_Sold", "Expense")
ENUMS = (
    EnumType("glAccountCategory", CATEGORIES),
    EnumType("glAccountType", ("Posting", "Heading", "Total", "Begin_x0020_Total", "End_x0020_Total")),
    EnumType("genJournalDocumentType", ("_x0020_", "Payment", "Invoice", "Credit_x0020_Memo",
                                        "Finance_x0020_Charge_x0020_Memo", "Reminder", "Refund")),
)


def _p(name: str, kind: str, *, key: bool = False, length: int | None = None) -> Property:
    return Property(name, kind, nullable=not key, max_length=length)


CONTAINED = ("companyInformation", "accountingPeriods", "accounts", "generalLedgerEntries", "trialBalances",
             "generalLedgerSetup")


def service_model(*, bocount: bool = False) -> ServiceModel:
    """The model of the standard API v2.0, or of BoCount's (with the company's VAT number)."""
    company_props = [
        _p("id", "Edm.Guid", key=True), _p("systemVersion", "Edm.String"), _p("timestamp", "Edm.Int64"),
        _p("name", "Edm.String", length=30), _p("displayName", "Edm.String", length=250),
        _p("businessProfileId", "Edm.String", length=250), _p("systemCreatedAt", "Edm.DateTimeOffset"),
        _p("systemCreatedBy", "Edm.Guid"), _p("systemModifiedAt", "Edm.DateTimeOffset"), _p("systemModifiedBy", "Edm.Guid"),
    ]
    if bocount:
        company_props.append(_p(COMPANY_VAT, "Edm.String", length=20))
    types = [
        EntityType("company", ("id",), tuple(company_props), tuple(
            NavigationProperty(ENTITY_SETS[name], entity) for name, entity in zip(
                CONTAINED, ("companyInformation", "accountingPeriod", "account", "generalLedgerEntry", "trialBalance",
                            "generalLedgerSetup"),
                strict=True))),
        EntityType("companyInformation", ("id",), (
            _p("id", "Edm.Guid", key=True), _p("displayName", "Edm.String", length=100),
            _p("addressLine1", "Edm.String", length=100), _p("addressLine2", "Edm.String", length=50),
            _p("city", "Edm.String", length=30), _p("state", "Edm.String", length=30),
            _p("country", "Edm.String", length=10), _p("postalCode", "Edm.String", length=20),
            _p("phoneNumber", "Edm.String", length=30), _p("faxNumber", "Edm.String", length=30),
            _p("email", "Edm.String", length=80), _p("website", "Edm.String", length=80),
            _p("taxRegistrationNumber", "Edm.String", length=20), _p("currencyCode", "Edm.String", length=10),
            _p("currentFiscalYearStartDate", "Edm.Date"), _p("industry", "Edm.String", length=30),
            _p("experience", "Edm.String"), _p("lastModifiedDateTime", "Edm.DateTimeOffset"),
        )),
        EntityType("accountingPeriod", ("id",), (
            _p("id", "Edm.Guid", key=True), _p("startingDate", "Edm.Date"), _p("name", "Edm.String", length=10),
            _p("newFiscalYear", "Edm.Boolean"), _p("closed", "Edm.Boolean"), _p("dateLocked", "Edm.Boolean"),
            _p("lastModifiedDateTime", "Edm.DateTimeOffset"),
        )),
        EntityType("account", ("id",), (
            _p("id", "Edm.Guid", key=True), _p("number", "Edm.String", length=20),
            _p("displayName", "Edm.String", length=100), _p("category", f"{NS}.glAccountCategory"),
            _p("subCategory", "Edm.String", length=80), _p("blocked", "Edm.Boolean"),
            _p("accountType", f"{NS}.glAccountType"), _p("directPosting", "Edm.Boolean"),
            _p("netChange", "Edm.Decimal"), _p("consolidationTranslationMethod", "Edm.String"),
            _p("consolidationDebitAccount", "Edm.String", length=20), _p("consolidationCreditAccount", "Edm.String", length=20),
            _p("excludeFromConsolidation", "Edm.Boolean"), _p("lastModifiedDateTime", "Edm.DateTimeOffset"),
        )),
        EntityType("generalLedgerEntry", ("id",), (
            _p("id", "Edm.Guid", key=True), _p("entryNumber", "Edm.Int32"), _p("postingDate", "Edm.Date"),
            _p("documentNumber", "Edm.String", length=20), _p("documentType", f"{NS}.genJournalDocumentType"),
            _p("accountId", "Edm.Guid"), _p("accountNumber", "Edm.String", length=20),
            _p("description", "Edm.String", length=100), _p("debitAmount", "Edm.Decimal"),
            _p("creditAmount", "Edm.Decimal"), _p("additionalCurrencyDebitAmount", "Edm.Decimal"),
            _p("additionalCurrencyCreditAmount", "Edm.Decimal"), _p("lastModifiedDateTime", "Edm.DateTimeOffset"),
        )),
        EntityType("trialBalance", ("number",), (
            _p("number", "Edm.String", key=True, length=20), _p("accountId", "Edm.Guid"),
            _p("accountType", f"{NS}.glAccountType"), _p("display", "Edm.String", length=100),
            _p("totalDebit", "Edm.String", length=30), _p("totalCredit", "Edm.String", length=30),
            _p("balanceAtDateDebit", "Edm.String", length=30), _p("balanceAtDateCredit", "Edm.String", length=30),
            _p("dateFilter", "Edm.Date"),
        )),
        EntityType("generalLedgerSetup", ("id",), (
            _p("id", "Edm.Guid", key=True), _p("allowPostingFrom", "Edm.Date"), _p("allowPostingTo", "Edm.Date"),
            _p("additionalReportingCurrency", "Edm.String", length=10), _p("localCurrencyCode", "Edm.String", length=10),
            _p("localCurrencySymbol", "Edm.String", length=10), _p("lastModifiedDateTime", "Edm.DateTimeOffset"),
        )),
    ]
    sets = {"companies": "company", **{ENTITY_SETS[name]: t.name for name, t in zip(CONTAINED, types[1:], strict=True)}}
    return ServiceModel(NS, types, sets=sets, enums=ENUMS, container="NAV")
