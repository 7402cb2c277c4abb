"""How the e-conomic REST API renders its resources and collections (see :mod:`.facts` for the
sources): camelCase names, ``self`` links on everything, numbers as JSON numbers (Decimal-exact),
false booleans left out, and the paged collection envelope."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from sfsync_economic.sandbox.books import SAccount, SCompany, SEntry, SPeriod, SVoucher, SYear
from sfsync_economic.sandbox.facts import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, REST_URL, year_path
from sfsync_economic.sandbox.filters import FilterError, parse_filter


def _true_only(document: dict[str, Any]) -> dict[str, Any]:
    # e-conomic leaves false booleans out of its bodies.
    return {k: v for k, v in document.items() if v is not False}


def year(y: SYear) -> dict[str, Any]:
    base = f"{REST_URL}/accounting-years/{year_path(y.label)}"
    return _true_only({
        "year": y.label, "fromDate": y.start.isoformat(), "toDate": y.end.isoformat(), "closed": y.closed,
        "periods": f"{base}/periods", "entries": f"{base}/entries", "totals": f"{base}/totals",
        "vouchers": f"{base}/vouchers", "self": base,
    })


def period(y: SYear, p: SPeriod) -> dict[str, Any]:
    base = f"{REST_URL}/accounting-years/{year_path(y.label)}"
    return _true_only({
        "periodNumber": p.number, "fromDate": p.start.isoformat(), "toDate": p.end.isoformat(), "closed": p.closed,
        "accountingYear": {"year": y.label, "self": base},
        "entries": f"{base}/periods/{p.number}/entries", "totals": f"{base}/periods/{p.number}/totals",
        "self": f"{base}/periods/{p.number}",
    })


def entry(y: SYear, voucher: SVoucher, e: SEntry) -> dict[str, Any]:
    return {
        "entryNumber": e.number,
        "account": {"accountNumber": e.account, "self": f"{REST_URL}/accounts/{e.account}"},
        "amount": e.amount,
        "amountInBaseCurrency": e.amount_base,
        "currency": e.currency,
        "date": voucher.date.isoformat(),
        "entryType": voucher.kind,
        "text": e.text,
        "voucherNumber": voucher.number,
        "self": f"{REST_URL}/accounting-years/{year_path(y.label)}/entries/{e.number}",
    }


def total(y: SYear, account: int, amount: Decimal, start: dt.date, end: dt.date, suffix: str) -> dict[str, Any]:
    return {
        "account": {"accountNumber": account, "self": f"{REST_URL}/accounts/{account}"},
        "fromDate": start.isoformat(), "toDate": end.isoformat(), "totalInBaseCurrency": amount,
        "self": f"{REST_URL}/accounting-years/{year_path(y.label)}{suffix}/totals/{account}",
    }


def account(a: SAccount, balance: Decimal) -> dict[str, Any]:
    return _true_only({
        "accountNumber": a.number, "accountType": a.kind, "balance": balance, "debitCredit": a.debit_credit,
        "name": a.name, "blockDirectEntries": a.kind != "status" and a.kind != "profitAndLoss",
        "accountingYears": f"{REST_URL}/accounts/{a.number}/accounting-years",
        "self": f"{REST_URL}/accounts/{a.number}",
    })


def self_document(company: SCompany, app_public_token: str, user_email: str) -> dict[str, Any]:
    return _true_only({
        "agreementNumber": company.agreement,
        "agreementType": {"agreementTypeNumber": 1, "name": "denmark"},
        "application": {"appNumber": 7701, "appPublicToken": app_public_token, "name": "sfsync",
                        "created": "2025-01-15", "self": f"{REST_URL}/apps/7701",
                        "requiredRoles": [{"name": "Bookkeeping", "roleNumber": 4, "self": f"{REST_URL}/roles/4"}]},
        "canSendElectronicInvoice": False,
        "company": {"name": company.name, "addressLine1": company.street, "zip": company.postal_code,
                    "city": company.city, "country": company.country, "email": company.email,
                    "phoneNumber": company.phone, "vatNumber": company.vat_number,
                    "companyIdentificationNumber": company.enterprise_number},
        "companyAffiliation": "E-conomic",
        "modules": [],
        "settings": {"baseCurrency": company.base_currency},
        "signupDate": company.years[0].start.isoformat(),
        "user": {"agreementNumber": company.agreement, "email": user_email, "loginId": "boekhouder",
                 "name": "Boekhouder", "language": {"culture": "en-GB", "languageNumber": 2, "name": "English",
                                                    "self": f"{REST_URL}/languages/2"}},
        "userName": "Boekhouder",
        "self": f"{REST_URL}/self",
    })


def error(status: int, message: str, hint: str, code: str | None = None,
          errors: Mapping[str, Any] | None = None, *, at: dt.datetime) -> dict[str, Any]:
    body: dict[str, Any] = {"message": message, "developerHint": hint}
    if code is not None:
        body["errorCode"] = code
    body.update(logId=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{message}{at.isoformat()}")), httpStatusCode=status,
                logTime=at.replace(microsecond=0, tzinfo=None).isoformat())
    if errors:
        body["errors"] = dict(errors)
    return body


class PagingRefused(ValueError):
    """A ``pagesize``, ``skippages``, ``filter`` or ``sort`` e-conomic refuses; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _whole(name: str, raw: str | None, default: int, low: int, high: int | None) -> int:
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or int(raw) < low or (high is not None and int(raw) > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise PagingRefused(name, f"{name} must be a whole number {bound}.")
    return int(raw)


def collection(
    items: Sequence[dict[str, Any]],
    *,
    url: str,
    params: Mapping[str, str],
    filterable: Mapping[str, str],
    sortable: Sequence[str] = (),
    default_sort: Callable[[dict[str, Any]], Any] | None = None,
) -> dict[str, Any]:
    """One page of a collection in e-conomic's envelope, after ``filter``, ``sort``,
    ``skippages`` and ``pagesize``."""
    size = _whole("pagesize", params.get("pagesize"), DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    skip = _whole("skippages", params.get("skippages"), 0, 0, None)
    chosen = list(items)
    if default_sort is not None:
        chosen.sort(key=default_sort)
    if params.get("filter") is not None:
        try:
            test = parse_filter(params["filter"], filterable)
        except FilterError as exc:
            raise PagingRefused("filter", str(exc)) from None
        chosen = [item for item in chosen if test(item)]
    for key in reversed([k for k in (params.get("sort") or "").split(",") if k]):
        name = key.lstrip("-~")
        if name not in sortable:
            raise PagingRefused("sort", f"the property {name!r} is not sortable")
        alphabetical = "~" in key

        def order(item: dict[str, Any], name: str = name, alphabetical: bool = alphabetical) -> tuple[bool, Any]:
            value = item.get(name)
            return value is None, str(value) if alphabetical or isinstance(value, str) else (value or 0)

        chosen.sort(key=order, reverse=key.startswith("-"))
    pages = max(1, -(-len(chosen) // size))

    def page_url(n: int) -> str:
        query = "&".join(f"{k}={v}" for k, v in (("skippages", str(n)), ("pagesize", str(size))))
        extra = "".join(f"&{k}={params[k]}" for k in ("filter", "sort") if params.get(k))
        return f"{url}?{query}{extra}"

    pagination: dict[str, Any] = {
        "skipPages": skip, "pageSize": size, "maxPageSizeAllowed": MAX_PAGE_SIZE, "results": len(chosen),
        "resultsWithoutFilter": len(items), "firstPage": page_url(0),
    }
    if skip + 1 < pages:
        pagination["nextPage"] = page_url(skip + 1)
    pagination["lastPage"] = page_url(pages - 1)
    return {"collection": chosen[skip * size:(skip + 1) * size], "pagination": pagination, "self": page_url(skip)}
