"""The entities the sandbox serves: properties and their ``Edm`` types, page sizes, restrictions.

Property lists follow the scraped Exact metadata (``specs/exact/…/meta-data.json`` for the classic
endpoints, the Airbyte schemas for ``sync/…``). Properties the sandbox has no value for are sent
as explicit nulls, as Exact does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ENTITIES", "Entity"]

_LINE_FIELDS: dict[str, str] = {
    "ID": "Guid",
    "Account": "Guid",
    "AccountCode": "String",
    "AccountName": "String",
    "AmountDC": "Double",
    "AmountFC": "Double",
    "AmountVATBaseFC": "Double",
    "AmountVATFC": "Double",
    "Asset": "Guid",
    "AssetCode": "String",
    "AssetDescription": "String",
    "CostCenter": "String",
    "CostCenterDescription": "String",
    "CostUnit": "String",
    "CostUnitDescription": "String",
    "Created": "DateTime",
    "Creator": "Guid",
    "CreatorFullName": "String",
    "Currency": "String",
    "Date": "DateTime",
    "Description": "String",
    "Division": "Int32",
    "Document": "Guid",
    "DocumentNumber": "Int32",
    "DocumentSubject": "String",
    "DueDate": "DateTime",
    "EntryID": "Guid",
    "EntryNumber": "Int32",
    "ExchangeRate": "Double",
    "FinancialPeriod": "Int16",
    "FinancialYear": "Int16",
    "GLAccount": "Guid",
    "GLAccountCode": "String",
    "GLAccountDescription": "String",
    "InvoiceNumber": "Int32",
    "Item": "Guid",
    "ItemCode": "String",
    "ItemDescription": "String",
    "JournalCode": "String",
    "JournalDescription": "String",
    "LineNumber": "Int32",
    "LineType": "Int16",
    "Modified": "DateTime",
    "Modifier": "Guid",
    "ModifierFullName": "String",
    "Notes": "String",
    "OffsetID": "Guid",
    "OrderNumber": "Int32",
    "PaymentDiscountAmount": "Double",
    "PaymentReference": "String",
    "Project": "Guid",
    "ProjectCode": "String",
    "ProjectDescription": "String",
    "Quantity": "Double",
    "SerialNumber": "String",
    "Status": "Int16",
    "Subscription": "Guid",
    "SubscriptionDescription": "String",
    "TrackingNumber": "Guid",
    "TrackingNumberDescription": "String",
    "Type": "Int32",
    "VATCode": "String",
    "VATCodeDescription": "String",
    "VATPercentage": "Double",
    "VATType": "String",
    "YourRef": "String",
}

_GL_FIELDS: dict[str, str] = {
    "ID": "Guid",
    "BalanceSide": "String",
    "BalanceType": "String",
    "BelcotaxType": "Int32",
    "Code": "String",
    "Compress": "Boolean",
    "Costcenter": "String",
    "Costunit": "String",
    "Created": "DateTime",
    "Creator": "Guid",
    "Description": "String",
    "Division": "Int32",
    "IsBlocked": "Boolean",
    "Matching": "Boolean",
    "Modified": "DateTime",
    "Modifier": "Guid",
    "ReportingCode": "String",
    "RevalueCurrency": "Boolean",
    "SearchCode": "String",
    "Type": "Int32",
    "TypeDescription": "String",
    "VATCode": "String",
    "VATDescription": "String",
    "VATGLAccountType": "String",
}

_DIVISION_FIELDS: dict[str, str] = {
    "Code": "Int32",
    "ArchiveDate": "DateTime",
    "BlockingStatus": "Int32",
    "ChamberOfCommerceNumber": "String",
    "Class_01": "String",
    "Class_02": "String",
    "Country": "String",
    "Created": "DateTime",
    "Currency": "String",
    "Current": "Boolean",
    "Customer": "Guid",
    "CustomerCode": "String",
    "CustomerName": "String",
    "Description": "String",
    "DivisionHRLinkUnlinkDate": "DateTime",
    "DivisionMoveDate": "DateTime",
    "Hid": "Int64",
    "IsDossierDivision": "Boolean",
    "IsMainDivision": "Boolean",
    "IsPracticeDivision": "Boolean",
    "Legislation": "String",
    "Modified": "DateTime",
    "StartDate": "DateTime",
    "Status": "Int32",
    "TemplateCode": "String",
    "VATNumber": "String",
}


# crm/Accounts: the properties of Exact's metadata the sandbox fills, and the fields its mandatory
# filter accepts (the list Exact's 400 names, recorded in picqer/exact-php-client#591).
_ACCOUNT_FIELDS: dict[str, str] = {
    "ID": "Guid",
    "Blocked": "Boolean",
    "ChamberOfCommerce": "String",
    "City": "String",
    "Code": "String",
    "Country": "String",
    "Created": "DateTime",
    "Division": "Int32",
    "Email": "String",
    "IsAccountant": "Byte",
    "IsReseller": "Boolean",
    "IsSales": "Boolean",
    "IsSupplier": "Boolean",
    "Modified": "DateTime",
    "Name": "String",
    "Phone": "String",
    "Postcode": "String",
    "SearchCode": "String",
    "Status": "String",
    "Type": "String",
    "VATNumber": "String",
}
_ACCOUNT_MANDATORY = frozenset(
    ["Accountant", "AccountManager", "AddressLine1", "AddressLine2", "AddressLine3", "Blocked", "BRIN", "BSN", "ChamberOfCommerce", "City", "Classification1", "Classification2", "Classification3", "Classification4", "Classification5", "Classification6", "Classification7", "Classification8", "Classification", "Code", "CodeAtSupplier", "Country", "Created", "Email", "EndDate", "Fax", "ID", "InvoiceAccount", "IsAccountant", "IsReseller", "IsSales", "IsSupplier", "MainContact", "Modified", "Name", "Parent", "Phone", "Postcode", "PriceList", "Reseller", "RSIN", "SearchCode", "StartDate", "Status", "Type", "VATNumber"]
)


@dataclass(frozen=True)
class Entity:
    """One endpoint: where it lives, what it holds, how it pages and what it refuses."""

    path: str  # "financial/GLAccounts" (below /api/v1/{division}/)
    type_name: str  # Exact.Web.Api.Models.<type_name>
    fields: dict[str, str]
    key: str = "ID"
    page_size: int = 60
    order: tuple[str, ...] = ()  # default order; () = by primary key
    filter_fields: frozenset[str] | None = None  # None = any property
    mandatory_filter: frozenset[str] = frozenset()
    requires_select: bool = False
    allows_orderby: bool = True
    source: str = ""  # what data it lists
    extra_fields: dict[str, str] = field(default_factory=dict)

    @property
    def all_fields(self) -> dict[str, str]:
        return {**self.fields, **self.extra_fields}


_TS = {"Timestamp": "Int64"}
_LINE_FILTERS = frozenset({"Date", "FinancialYear", "FinancialPeriod", "Modified", "EntryID", "ID"})

ENTITIES: dict[str, Entity] = {
    e.path: e
    for e in (
        Entity(
            "system/Divisions", "System.Division", _DIVISION_FIELDS, key="Code", source="divisions"
        ),
        Entity(
            "system/AllDivisions",
            "System.AllDivision",
            _DIVISION_FIELDS,
            key="Code",
            source="alldivisions",
        ),
        Entity("hrm/Divisions", "HRM.Division", _DIVISION_FIELDS, key="Code", source="divisions"),
        Entity(
            "crm/Accounts",
            "CRM.Account",
            _ACCOUNT_FIELDS,
            mandatory_filter=_ACCOUNT_MANDATORY,
            source="accounts",
        ),
        Entity(
            "financial/FinancialPeriods",
            "Financial.FinancialPeriod",
            {
                "ID": "Guid",
                "Created": "DateTime",
                "Division": "Int32",
                "EndDate": "DateTime",
                "FinPeriod": "Int16",
                "FinYear": "Int16",
                "Modified": "DateTime",
                "StartDate": "DateTime",
            },
            source="periods",
        ),
        Entity("financial/GLAccounts", "Financial.GLAccount", _GL_FIELDS, source="glaccounts"),
        Entity(
            "bulk/Financial/GLAccounts",
            "Financial.GLAccount",
            _GL_FIELDS,
            page_size=1000,
            requires_select=True,
            source="glaccounts",
        ),
        Entity(
            "sync/Financial/GLAccounts",
            "Financial.GLAccount",
            _GL_FIELDS,
            page_size=1000,
            order=("Timestamp",),
            filter_fields=frozenset({"Timestamp"}),
            allows_orderby=False,
            source="glaccounts",
            extra_fields=_TS,
        ),
        Entity(
            "financialtransaction/TransactionLines",
            "Financial.TransactionLine",
            _LINE_FIELDS,
            mandatory_filter=_LINE_FILTERS,
            source="lines",
        ),
        Entity(
            "bulk/Financial/TransactionLines",
            "Financial.TransactionLine",
            _LINE_FIELDS,
            page_size=1000,
            mandatory_filter=_LINE_FILTERS,
            filter_fields=_LINE_FILTERS | {"GLAccountCode", "JournalCode", "Type"},
            requires_select=True,
            source="lines",
        ),
        Entity(
            "sync/Financial/TransactionLines",
            "Financial.TransactionLine",
            _LINE_FIELDS,
            page_size=1000,
            order=("Timestamp",),
            filter_fields=frozenset({"Timestamp"}),
            allows_orderby=False,
            source="lines",
            extra_fields=_TS,
        ),
        Entity(
            "financialtransaction/Transactions",
            "Financial.Transaction",
            {
                "EntryID": "Guid",
                "Date": "DateTime",
                "Description": "String",
                "Division": "Int32",
                "EntryNumber": "Int32",
                "FinancialPeriod": "Int16",
                "FinancialYear": "Int16",
                "JournalCode": "String",
                "Modified": "DateTime",
                "Status": "Int16",
                "Type": "Int32",
            },
            key="EntryID",
            source="transactions",
        ),
        Entity(
            "sync/Deleted",
            "Sync.Deleted",
            {
                "ID": "Guid",
                "DeletedBy": "Guid",
                "DeletedDate": "DateTime",
                "Division": "Int32",
                "EntityKey": "Guid",
                "EntityType": "Int32",
                "Timestamp": "Int64",
            },
            page_size=1000,
            order=("Timestamp",),
            filter_fields=frozenset({"Timestamp"}),
            allows_orderby=False,
            source="deleted",
        ),
        Entity(
            "financial/ReportingBalance",
            "Financial.ReportingBalance",
            {
                "ID": "Int64",
                "Amount": "Double",
                "AmountCredit": "Double",
                "AmountDebit": "Double",
                "BalanceType": "String",
                "CostCenterCode": "String",
                "CostCenterDescription": "String",
                "CostUnitCode": "String",
                "CostUnitDescription": "String",
                "Count": "Int32",
                "Division": "Int32",
                "GLAccount": "Guid",
                "GLAccountCode": "String",
                "GLAccountDescription": "String",
                "ReportingPeriod": "Int32",
                "ReportingYear": "Int32",
                "Status": "Int32",
                "Type": "Int32",
            },
            source="reporting",
        ),
    )
}
