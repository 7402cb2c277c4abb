"""A dossier's figures: the trial balance by account and period (names, opening, debit, credit,
closing) of a fiscal year, the ledger lines behind one of its cells, the administrative data, and
the trial balance as CSV or XLSX."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from sfsync.figures import DossierFigures, periods_of
from sfsync.models import FiscalYear
from sfsync.store.base import User
from sfsync.trial_balance_view import TrialBalanceRow
from sfsync.web.host import Host
from sfsync.web.pages import host_of

__all__ = ["download", "figures", "lines"]

COLUMNS = ("account", "name", "period", "period_start", "period_end", "opening", "debit", "credit", "closing")


def _year(figures: DossierFigures, request: Request) -> FiscalYear | None:
    start = request.query_params.get("year")
    try:
        return figures.year(dt.date.fromisoformat(start) if start else None)
    except ValueError:
        raise HTTPException(404) from None


def _trial_balance(host: Host, user: User, figures: DossierFigures, year: FiscalYear) -> list[TrialBalanceRow]:
    """The year's trial balance as the store has it now. Nothing is kept between requests, so a
    page never shows figures from before a sync; adding the year up is fast enough for a page
    (issue 27: the store's movements, ``benchmarks/bench_web.py``)."""
    return host.app.trial_balance(user, figures.dossier.id, start=year.start, end=year.end)


def _rows(host: Host, user: User, figures: DossierFigures, year: FiscalYear, period: int | None) -> list[TrialBalanceRow]:
    lines = _trial_balance(host, user, figures, year)
    return lines if period is None else [t for t in lines if t.period == period]


def _period(request: Request) -> int | None:
    value = request.query_params.get("period", "")
    return int(value) if value.isdigit() else None


async def figures(request: Request) -> Response:
    """The trial balance of a fiscal year, one period or all of them; the administrative data."""
    host = host_of(request)
    user = host.require_firm_user(request)
    found = host.app.figures(user, request.path_params["dossier_id"])
    year = _year(found, request)
    period = _period(request)
    rows = _rows(host, user, found, year, period) if year else []
    totals = {
        "debit": sum((t.debit for t in rows), Decimal(0)),
        "credit": sum((t.credit for t in rows), Decimal(0)),
    }
    return host.render(
        request, "figures.html", dossier=found.dossier, years=found.fiscal_years(), year=year,
        periods=periods_of(year) if year else (), period=period, rows=rows, totals=totals,
        details=host.app.company_details(user, found.dossier.id),
    )


async def lines(request: Request) -> Response:
    """The ledger lines of one account in one period (or the whole year)."""
    host = host_of(request)
    user = host.require_firm_user(request)
    found = host.app.figures(user, request.path_params["dossier_id"])
    year = _year(found, request)
    if year is None:
        raise HTTPException(404)
    account = request.path_params["account"]
    period = _period(request)
    span = next(((p.start, p.end) for p in periods_of(year) if p.number == period), (year.start, year.end))
    names = {a.code: a.name for a in found.accounts()}
    shown = found.lines(account, span[0], span[1])
    return host.render(request, "lines.html", dossier=found.dossier, year=year, period=period, account=account,
                       name=names.get(account, ""), lines=shown, span=span)


async def download(request: Request) -> Response:
    """The trial balance shown, as ``.csv`` or ``.xlsx`` (amounts exact, as text in CSV and as
    numbers with two decimals in XLSX)."""
    host = host_of(request)
    user = host.require_firm_user(request)
    found = host.app.figures(user, request.path_params["dossier_id"])
    year = _year(found, request)
    if year is None:
        raise HTTPException(404)
    rows = _rows(host, user, found, year, _period(request))
    table = [[t.account, t.account_name, t.period, t.period_start.isoformat(), t.period_end.isoformat(),
              t.opening, t.debit, t.credit, t.closing] for t in rows]
    stem = f"trial-balance-{year.start.isoformat()}"
    if request.path_params["format"] == "csv":
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(COLUMNS)
        writer.writerows([[str(cell) if cell is not None else "" for cell in row] for row in table])
        return Response(text.getvalue(), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{stem}.csv"'})
    if request.path_params["format"] != "xlsx":
        raise HTTPException(404)
    from openpyxl import Workbook  # type: ignore[import-untyped]  # no stubs are published with it

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Trial balance"
    sheet.append(list(COLUMNS))
    for row in table:
        sheet.append(row)
    for column in "FGHI":
        for cell in sheet[column][1:]:
            cell.number_format = "#,##0.00"
    out = io.BytesIO()
    book.save(out)
    return Response(out.getvalue(), media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{stem}.xlsx"'})
