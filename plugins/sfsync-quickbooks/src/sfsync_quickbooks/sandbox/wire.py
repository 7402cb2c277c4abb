"""How the sandbox writes QuickBooks' JSON: entities, the IntuitResponse envelope, Faults and
reports, each the JSON rendering of the XSD type of the same name (``Finance.xsd``,
``IntuitRestServiceDef.xsd``, ``Report.xsd``): element and attribute names as keys, the text of a
``ReferenceType`` as ``value``, amounts as JSON numbers, dates ``yyyy-mm-dd``, stamps with offset.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sfsync.sandbox.responses import json_body

from sfsync_quickbooks.sandbox.books import SAccount, SCompany, STxn

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
CURRENCY_NAMES = {"EUR": "Euro", "USD": "United States Dollar"}
MAX_RESULTS = 1000
DEFAULT_RESULTS = 100


def dumps(value: Any) -> bytes:
    """JSON with Decimals written exactly, as numbers (the toolkit's encoder)."""
    return json_body(value)


def stamp(value: dt.datetime) -> str:
    """QuickBooks writes stamps in the company's zone with an offset; the sandbox keeps UTC."""
    return value.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "-00:00")


def response_time(now: dt.datetime) -> str:
    return now.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "-00:00")


def _ref(value: str, name: str | None = None) -> dict[str, str]:
    return {"value": value, "name": name} if name is not None else {"value": value}


def _meta(created: dt.datetime, updated: dt.datetime) -> dict[str, str]:
    return {"CreateTime": stamp(created), "LastUpdatedTime": stamp(updated)}


def fault(kind: str, code: str, message: str, detail: str, now: dt.datetime,
          element: str | None = None) -> dict[str, Any]:
    """``{"Fault": {"Error": [...], "type": ...}, "time": ...}`` (IntuitResponse with a Fault)."""
    error: dict[str, Any] = {"Message": message, "Detail": detail, "code": code}
    if element is not None:
        error["element"] = element
    return {"Fault": {"Error": [error], "type": kind}, "time": response_time(now)}


# --- entities ---------------------------------------------------------------------------------


def account(company: SCompany, item: SAccount, balance: Decimal) -> dict[str, Any]:
    return {
        "Name": item.name,
        "SubAccount": False,
        "FullyQualifiedName": item.name,
        "Active": item.active,
        "Classification": item.classification,
        "AccountType": item.type,
        "AccountSubType": item.subtype,
        "AcctNum": item.number,
        "CurrentBalance": balance,
        "CurrentBalanceWithSubAccounts": balance,
        "CurrencyRef": _ref(item.currency, CURRENCY_NAMES.get(item.currency)),
        "domain": "QBO",
        "sparse": False,
        "Id": item.id,
        "SyncToken": "0",
        "MetaData": _meta(item.created, item.updated),
    }


def company_info(company: SCompany) -> dict[str, Any]:
    address = {"Id": "1", "Line1": company.street, "City": company.city,
               "Country": company.country, "PostalCode": company.postal_code}
    return {
        "CompanyName": company.name,
        "LegalName": company.legal_name,
        "CompanyAddr": address,
        "LegalAddr": address,
        "PrimaryPhone": {"FreeFormNumber": company.phone},
        "CompanyStartDate": company.created.date().isoformat(),
        "EmployerId": company.vat_number,
        "FiscalYearStartMonth": MONTHS[company.fiscal_start_month - 1],
        "Country": company.country,
        "Email": {"Address": company.email},
        "SupportedLanguages": "en",
        "NameValue": [{"Name": "NeoEnabled", "Value": "true"},
                      {"Name": "OfferingSku", "Value": "QuickBooks Online Plus"}],
        "domain": "QBO",
        "sparse": False,
        "Id": "1",
        "SyncToken": "4",
        "MetaData": _meta(company.created, company.created),
    }


def preferences(company: SCompany) -> dict[str, Any]:
    accounting: dict[str, Any] = {
        "UseAccountNumbers": True,
        "TrackDepartments": False,
        "ClassTrackingPerTxn": False,
        "ClassTrackingPerTxnLine": False,
        "FirstMonthOfFiscalYear": MONTHS[company.fiscal_start_month - 1],
        "TaxYearMonth": MONTHS[company.fiscal_start_month - 1],
    }
    if company.book_close is not None:
        accounting["BookCloseDate"] = company.book_close.isoformat()
    return {
        "AccountingInfoPrefs": accounting,
        "CurrencyPrefs": {"MultiCurrencyEnabled": any(a.currency != company.currency for a in company.accounts),
                          "HomeCurrency": _ref(company.currency)},
        "domain": "QBO",
        "sparse": False,
        "Id": "1",
        "SyncToken": "2",
        "MetaData": _meta(company.created, company.created),
    }


def _head(company: SCompany, txn: STxn) -> dict[str, Any]:
    head: dict[str, Any] = {
        "domain": "QBO",
        "sparse": False,
        "Id": txn.id,
        "SyncToken": str(txn.sync_token),
        "MetaData": _meta(txn.created, txn.updated),
        "DocNumber": txn.doc,
        "TxnDate": txn.date.isoformat(),
        "CurrencyRef": _ref(txn.currency, CURRENCY_NAMES.get(txn.currency)),
    }
    if txn.currency != company.currency:
        head["ExchangeRate"] = txn.rate
    return head


def _amount(value: Decimal, txn: STxn) -> Decimal:
    """An entity shows its amounts in the transaction currency."""
    return abs(value) if txn.currency == "EUR" or txn.rate == 1 else abs((value / txn.rate).quantize(Decimal("0.01")))


def transaction(company: SCompany, txn: STxn) -> dict[str, Any]:
    """The entity of a live transaction (what a query or CDC returns for it)."""
    body = _head(company, txn)
    accounts = {a.id: a for a in company.accounts}
    postings = txn.postings
    if txn.kind == "JournalEntry":
        body["Line"] = [
            {"Id": str(n), "Description": p.memo, "Amount": abs(p.amount), "DetailType": "JournalEntryLineDetail",
             "JournalEntryLineDetail": {"PostingType": "Debit" if p.amount >= 0 else "Credit",
                                        "AccountRef": _ref(p.account, accounts[p.account].name)}}
            for n, p in enumerate(postings)
        ]
        body["TotalAmt"] = sum((p.amount for p in postings if p.amount > 0), Decimal(0))
    elif txn.kind == "Invoice":
        gross = postings[0].amount
        body["Line"] = [
            {"Id": "1", "LineNum": 1, "Description": postings[1].memo, "Amount": -postings[1].amount,
             "DetailType": "SalesItemLineDetail",
             "SalesItemLineDetail": {"ItemRef": _ref("1", "Verkoop"), "TaxCodeRef": _ref("21")}},
            {"Amount": -postings[1].amount, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}},
        ]
        body["TxnTaxDetail"] = {"TotalTax": -postings[2].amount}
        body["CustomerRef"] = _ref(str(10 + sum(map(ord, txn.party)) % 90), txn.party)
        body["DueDate"] = (txn.date + dt.timedelta(days=30)).isoformat()
        body["TotalAmt"] = gross
        body["Balance"] = Decimal(0)
    elif txn.kind in ("Bill", "Purchase"):
        expense = [p for p in postings if p.amount > 0]
        body["Line"] = [
            {"Id": str(n), "Description": p.memo, "Amount": _amount(p.amount, txn),
             "DetailType": "AccountBasedExpenseLineDetail",
             "AccountBasedExpenseLineDetail": {"AccountRef": _ref(p.account, accounts[p.account].name)}}
            for n, p in enumerate(expense, start=1)
        ]
        if txn.kind == "Bill":
            body["VendorRef"] = _ref("56", txn.party)
            body["TotalAmt"] = _amount(-postings[-1].amount, txn)
            body["Balance"] = Decimal(0)
        else:
            body["AccountRef"] = _ref(postings[-1].account, accounts[postings[-1].account].name)
            body["PaymentType"] = "Check"
            body["EntityRef"] = {"value": "56", "name": txn.party, "type": "Vendor"}
            body["TotalAmt"] = -postings[-1].amount
    elif txn.kind == "Payment":
        body["Line"] = [{"Amount": postings[0].amount, "LinkedTxn": [{"TxnId": "0", "TxnType": "Invoice"}]}]
        body["CustomerRef"] = _ref("10", txn.party)
        body["DepositToAccountRef"] = _ref(postings[0].account, accounts[postings[0].account].name)
        body["TotalAmt"] = postings[0].amount
        body["UnappliedAmt"] = Decimal(0)
    else:  # pragma: no cover - the seeder books no other kind
        raise ValueError(txn.kind)
    return body


def deleted(txn: STxn) -> dict[str, Any]:
    """What CDC returns for a deleted object: its Id and a few metadata fields only."""
    assert txn.deleted is not None
    return {"domain": "QBO", "status": "Deleted", "Id": txn.id,
            "MetaData": {"LastUpdatedTime": stamp(txn.deleted)}}


def query_response(entity: str, items: list[dict[str, Any]], start: int, total: int | None,
                   now: dt.datetime) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if items:
        body[entity] = items
        body["startPosition"] = start
        body["maxResults"] = len(items)
    if total is not None:
        body["totalCount"] = total
    return {"QueryResponse": body, "time": response_time(now)}


# --- reports ----------------------------------------------------------------------------------


def report_header(name: str, start: dt.date, end: dt.date, currency: str, now: dt.datetime,
                  basis: str, empty: bool) -> dict[str, Any]:
    return {
        "Time": stamp(now),
        "ReportName": name,
        "ReportBasis": basis,
        "StartPeriod": start.isoformat(),
        "EndPeriod": end.isoformat(),
        "Currency": currency,
        "Option": [{"Name": "NoReportData", "Value": "true" if empty else "false"}],
    }


def money(value: Decimal) -> str:
    """Report cells hold amounts as strings with two decimals; an empty cell is ``""``."""
    return format(value.quantize(Decimal("0.01")), "f")
