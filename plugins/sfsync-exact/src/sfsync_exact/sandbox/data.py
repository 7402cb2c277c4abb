"""The sandbox's seeded administrations: divisions, fiscal periods, GL accounts, transaction lines,
deletions, and the per-division ``Timestamp`` row-version counter that the sync endpoints page on.

Everything is generated from a seed and the clock's date, so two sandboxes built on the same day
hold the same data. Values are kept in their wire types (GUID strings, padded char fields,
Decimal amounts, dates and aware stamps) and rendered by the app.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sfsync_exact.sandbox.charts import CHARTS, Chart
from sfsync_exact.sandbox.relations import relation_code, relation_id
from sfsync_exact.wire import AMSTERDAM

__all__ = ["DivisionData", "DivisionPlan", "Store"]

_CENT = Decimal("0.01")
_FX = {"USD": Decimal("0.9234"), "GBP": Decimal("1.1712")}


@dataclass(frozen=True)
class DivisionPlan:
    """What to seed for one division."""

    code: int
    description: str
    chart: str  # "BE", "NL", "FR"
    years: str  # "calendar", "july" (July–June), "13p" (13 four-week periods)
    entries: int
    vat_number: str | None = None
    foreign_share: float = 0.12


def _guid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


@dataclass
class DivisionData:
    code: int
    description: str
    chart: Chart
    currency: str
    hid: int
    row: dict[str, Any]  # the system/Divisions row
    periods: list[dict[str, Any]] = field(default_factory=list)
    glaccounts: dict[str, dict[str, Any]] = field(default_factory=dict)  # by Code
    lines: dict[str, dict[str, Any]] = field(default_factory=dict)  # by ID
    deleted: list[dict[str, Any]] = field(default_factory=list)
    next_ts: int = 0
    last_event: dt.datetime | None = None
    entry_seq: dict[tuple[int, str], int] = field(default_factory=lambda: defaultdict(int))
    version: int = 0
    today: dt.date = dt.date(2026, 1, 1)
    rng: random.Random = field(default_factory=random.Random)

    def stamp(self, when: dt.datetime) -> tuple[int, dt.datetime]:
        """The next Timestamp, and a modification time that never goes back."""
        if self.last_event is not None and when <= self.last_event:
            when = self.last_event + dt.timedelta(milliseconds=10)
        self.last_event = when
        self.next_ts += 1
        self.version += 1
        return self.next_ts, when

    def period_of(self, day: dt.date) -> dict[str, Any]:
        for period in self.periods:
            if period["StartDate"] <= day <= period["EndDate"]:
                return period
        raise ValueError(f"{day} is in no fiscal period of division {self.code}")

    @property
    def first_day(self) -> dt.date:
        first: dt.date = min(p["StartDate"] for p in self.periods)
        return first

    @property
    def last_day(self) -> dt.date:
        last: dt.date = max(p["EndDate"] for p in self.periods)
        return last


def _fiscal_periods(kind: str, today: dt.date) -> list[tuple[int, int, dt.date, dt.date]]:
    """(FinYear, FinPeriod, start, end) from two years back up to the year holding today."""
    rows: list[tuple[int, int, dt.date, dt.date]] = []
    if kind == "calendar":
        for year in range(today.year - 2, today.year + 1):
            for month in range(1, 13):
                start = dt.date(year, month, 1)
                end = (dt.date(year + month // 12, month % 12 + 1, 1)) - dt.timedelta(days=1)
                rows.append((year, month, start, end))
    elif kind == "july":
        first = today.year - 3 if today.month < 7 else today.year - 2
        for start_year in range(first, first + 3):
            for index in range(12):
                month = (6 + index) % 12 + 1
                year = start_year + (6 + index) // 12
                start = dt.date(year, month, 1)
                end = dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
                rows.append((start_year + 1, index + 1, start, end))
    elif kind == "13p":
        start = dt.date(today.year - 2, 1, 1)
        fin_year = today.year - 2
        while start <= today:
            for number in range(1, 14):
                rows.append((fin_year, number, start, start + dt.timedelta(days=27)))
                start += dt.timedelta(days=28)
            fin_year += 1
    else:  # pragma: no cover - plans are ours
        raise ValueError(kind)
    return rows


class Store:
    """All divisions of one sandbox (one region), with their data."""

    def __init__(
        self, plans: list[DivisionPlan], *, today: dt.date, now: dt.datetime, seed: int
    ) -> None:
        self.seed = seed
        self.divisions: dict[int, DivisionData] = {}
        self.user_id = str(uuid.UUID(int=random.Random(seed).getrandbits(128), version=4))
        for hid, plan in enumerate(plans, start=1):
            self.divisions[plan.code] = _seed_division(plan, hid, today=today, now=now, seed=seed)

    # --- views the endpoints list -----------------------------------------------------------

    def transactions(self, division: DivisionData) -> list[dict[str, Any]]:
        heads: dict[str, dict[str, Any]] = {}
        for line in division.lines.values():
            head = heads.get(line["EntryID"])
            if head is None:
                heads[line["EntryID"]] = {
                    k: line[k]
                    for k in (
                        "EntryID",
                        "Date",
                        "Division",
                        "EntryNumber",
                        "FinancialPeriod",
                        "FinancialYear",
                        "JournalCode",
                        "Modified",
                        "Status",
                        "Type",
                    )
                } | {"Description": line.get("Description")}
            elif line["Modified"] > head["Modified"]:
                head["Modified"] = line["Modified"]
        return list(heads.values())

    def reporting_balance(self, division: DivisionData) -> list[dict[str, Any]]:
        groups: dict[tuple[Any, ...], dict[str, Any]] = {}
        for line in division.lines.values():
            key = (
                line["GLAccountCode"],
                line["FinancialYear"],
                line["FinancialPeriod"],
                line["Status"],
                line["Type"],
            )
            row = groups.get(key)
            if row is None:
                account = division.glaccounts[line["GLAccountCode"]]
                row = groups[key] = {
                    "Amount": Decimal(0),
                    "AmountCredit": Decimal(0),
                    "AmountDebit": Decimal(0),
                    "BalanceType": account["BalanceType"],
                    "Count": 0,
                    "Division": division.code,
                    "GLAccount": account["ID"],
                    "GLAccountCode": account["Code"],
                    "GLAccountDescription": account["Description"],
                    "ReportingPeriod": line["FinancialPeriod"],
                    "ReportingYear": line["FinancialYear"],
                    "Status": line["Status"],
                    "Type": line["Type"],
                }
            amount = line["AmountDC"]
            row["Amount"] += amount
            if amount >= 0:
                row["AmountDebit"] += amount
            else:
                row["AmountCredit"] -= amount
            row["Count"] += 1
        rows = sorted(
            groups.values(),
            key=lambda r: (
                r["ReportingYear"],
                r["ReportingPeriod"],
                r["GLAccountCode"],
                r["Status"],
                r["Type"],
            ),
        )
        for number, row in enumerate(rows, start=1):
            row["ID"] = division.code * 1_000_000 + number
        return rows

    # --- mutations ------------------------------------------------------------------------------

    def book_entry(
        self, division: DivisionData, day: dt.date, now: dt.datetime, kind: str = "sales"
    ) -> list[str]:
        lines = _entry_lines(division, division.rng, day, kind, foreign=False)
        ts_now = now
        ids = []
        for line in lines:
            ts, when = division.stamp(ts_now)
            line.update(Timestamp=ts, Created=when, Modified=when)
            division.lines[line["ID"]] = line
            ids.append(line["ID"])
        return ids

    def edit_line(
        self, division: DivisionData, line_id: str, now: dt.datetime, description: str
    ) -> None:
        line = division.lines[line_id]
        ts, when = division.stamp(now)
        line.update(Description=description, Timestamp=ts, Modified=when)

    def delete_entry(self, division: DivisionData, entry_id: str, now: dt.datetime) -> list[str]:
        ids = [i for i, line in division.lines.items() if line["EntryID"] == entry_id]
        for line_id in ids:
            del division.lines[line_id]
            ts, when = division.stamp(now)
            division.deleted.append(
                {
                    "ID": _guid(division.rng),
                    "DeletedBy": self.user_id,
                    "DeletedDate": when,
                    "Division": division.code,
                    "EntityKey": line_id,
                    "EntityType": 1,
                    "Timestamp": ts,
                }
            )
        return ids

    def move_division(
        self, division: DivisionData, now: dt.datetime, *, field: str = "DivisionMoveDate"
    ) -> None:
        """Exact moved the division to another database: every Timestamp is regenerated (new
        values, new order) and ``DivisionMoveDate`` is set (reference §4.2, §7.3)."""
        rows = list(division.glaccounts.values()) + list(division.lines.values()) + division.deleted
        division.rng.shuffle(rows)
        base = division.next_ts + 10_000_000
        for offset, row in enumerate(rows, start=1):
            row["Timestamp"] = base + offset
        division.next_ts = base + len(rows)
        division.row[field] = now
        division.row["Modified"] = now
        division.version += 1


def _entry_lines(
    division: DivisionData, rng: random.Random, day: dt.date, kind: str, *, foreign: bool
) -> list[dict[str, Any]]:
    chart = division.chart
    period = division.period_of(day)
    journal, journal_description = chart.journals[kind]
    division.entry_seq[(period["FinYear"], journal)] += 1
    entry_number = (
        (period["FinYear"] % 100) * 1_000_000
        + int(journal[:2]) * 10_000
        + division.entry_seq[(period["FinYear"], journal)]
    )
    entry_id = _guid(rng)
    net = Decimal(rng.randint(2_000, 500_000)) / 100
    vat = (net * chart.vat_rate).quantize(_CENT)
    currency = division.currency
    rate = Decimal(1)
    if foreign and kind == "sales":
        currency = rng.choice(sorted(_FX))
        rate = _FX[currency]
    legs: list[
        tuple[str, Decimal, Decimal | None, str | None]
    ] = []  # account, AmountDC, AmountFC, vat
    relation: str | None = None
    if kind == "sales":
        relation = rng.choice(chart.customers)
        net_dc = (net * rate).quantize(_CENT)
        vat_dc = (vat * rate).quantize(_CENT)
        legs = [
            (chart.receivable, net_dc + vat_dc, net + vat, None),
            (rng.choice(chart.revenue), -net_dc, -net, chart.vat_code),
            (chart.vat_out, -vat_dc, -vat, chart.vat_code),
        ]
        description = f"Factuur {relation}"
    elif kind == "purchase":
        relation = rng.choice(chart.suppliers)
        legs = [
            (rng.choice(chart.expense), net, net, chart.vat_code),
            (chart.vat_in, vat, vat, chart.vat_code),
            (chart.payable, -(net + vat), -(net + vat), None),
        ]
        description = f"Aankoopfactuur {relation}"
    elif kind == "bank":
        relation = rng.choice(chart.customers)
        amount = net + vat
        legs = [(chart.bank, amount, amount, None), (chart.receivable, -amount, -amount, None)]
        description = f"Betaling {relation}"
    else:
        legs = [(rng.choice(chart.expense), net, net, None), (chart.cash, -net, -net, None)]
        description = "Kasuitgave"
    status = 50 if (division.today - day).days > 60 else 20
    type_ = {"sales": 20, "purchase": 30, "bank": 40, "general": 90}[kind]
    lines = []
    for number, (code, amount_dc, amount_fc, vat_code) in enumerate(legs, start=1):
        account = division.glaccounts[code]
        line: dict[str, Any] = {
            "ID": _guid(rng),
            "EntryID": entry_id,
            "EntryNumber": entry_number,
            "LineNumber": number,
            "LineType": 0,
            "Date": day,
            "FinancialYear": period["FinYear"],
            "FinancialPeriod": period["FinPeriod"],
            "GLAccount": account["ID"],
            "GLAccountCode": account["Code"],
            "GLAccountDescription": account["Description"],
            "AmountDC": amount_dc,
            "AmountFC": amount_fc,
            "Currency": currency,
            "ExchangeRate": rate,
            "Description": description,
            "JournalCode": journal,
            "JournalDescription": journal_description,
            "Type": type_,
            "Status": status,
            "VATCode": vat_code,
            "VATPercentage": chart.vat_rate if vat_code else None,
            "Division": division.code,
            "Creator": division.row["Customer"],
            "CreatorFullName": "Sandbox Boekhouder",
        }
        if relation is not None:
            line["AccountCode"] = relation_code(relation)
            line["AccountName"] = relation
            line["Account"] = relation_id(division.code, relation)
        if kind == "sales":
            line["InvoiceNumber"] = entry_number
            line["YourRef"] = f"PO-{rng.randint(1000, 9999)}"
        lines.append(line)
    return lines


def _seed_division(
    plan: DivisionPlan, hid: int, *, today: dt.date, now: dt.datetime, seed: int
) -> DivisionData:
    rng = random.Random(f"{seed}:{plan.code}")
    chart = CHARTS[plan.chart]
    created = dt.datetime(today.year - 3, 1, 2, 9, 0, tzinfo=AMSTERDAM).astimezone(dt.UTC)
    row = {
        "Code": plan.code,
        "Description": plan.description,
        "Hid": hid,
        "Current": hid == 1,
        "Country": chart.country,
        "Legislation": chart.country,
        "Currency": "EUR",
        "TemplateCode": chart.template,
        "Status": 1,
        "BlockingStatus": 0,
        "IsDossierDivision": False,
        "IsPracticeDivision": False,
        "IsMainDivision": hid == 1,
        "StartDate": dt.date(today.year - 3, 1, 1),
        "ArchiveDate": None,
        "Created": created,
        "Modified": created,
        "DivisionMoveDate": None,
        "DivisionHRLinkUnlinkDate": None,
        "Customer": _guid(rng),
        "CustomerCode": f"{rng.randint(100000, 9999999):>18}",
        "CustomerName": plan.description,
        "VATNumber": plan.vat_number,
        "ChamberOfCommerceNumber": None,
        "Class_01": None,
        "Class_02": None,
    }
    division = DivisionData(
        code=plan.code,
        description=plan.description,
        chart=chart,
        currency="EUR",
        hid=hid,
        row=row,
        next_ts=5_000_000_000 + hid * 100_000_000,
        rng=rng,
        today=today,
    )
    for fin_year, fin_period, start, end in _fiscal_periods(plan.years, today):
        division.periods.append(
            {
                "ID": _guid(rng),
                "Division": plan.code,
                "FinYear": fin_year,
                "FinPeriod": fin_period,
                "StartDate": start,
                "EndDate": end,
                "Created": created,
                "Modified": created,
            }
        )
    for code, description, balance_type, side, type_ in chart.accounts:
        ts, when = division.stamp(created)
        division.glaccounts[code] = {
            "ID": _guid(rng),
            "Code": code,
            "Description": description,
            "BalanceType": balance_type,
            "BalanceSide": side,
            "Type": type_,
            "TypeDescription": None,
            "IsBlocked": code == "999999",
            "Division": plan.code,
            "Created": when,
            "Modified": when,
            "Timestamp": ts,
            "SearchCode": code[:4],
            "Compress": False,
            "Matching": type_ in (20, 22),
            "RevalueCurrency": False,
        }
    # Events (creations, edits, deletions) in time order, so Timestamp and Modified agree.
    first, last = division.first_day, min(today - dt.timedelta(days=1), division.last_day)
    span = max((last - first).days, 1)
    kinds = ["sales"] * 40 + ["purchase"] * 30 + ["bank"] * 25 + ["general"] * 5
    entries: list[tuple[dt.datetime, list[dict[str, Any]]]] = []
    days = sorted(first + dt.timedelta(days=rng.randrange(span + 1)) for _ in range(plan.entries))
    for day in days:
        kind = rng.choice(kinds)
        lines = _entry_lines(division, rng, day, kind, foreign=rng.random() < plan.foreign_share)
        when = dt.datetime(day.year, day.month, day.day, 9, tzinfo=AMSTERDAM) + dt.timedelta(
            minutes=rng.randrange(8 * 60)
        )
        entries.append((when.astimezone(dt.UTC), lines))
    events: list[tuple[dt.datetime, int, str, Any]] = []
    for order, (when, lines) in enumerate(entries):
        events.append((when, order, "create", lines))
    limit = now - dt.timedelta(hours=1)
    for order, (when, lines) in enumerate(entries):
        roll = rng.random()
        later = min(when + dt.timedelta(days=rng.randint(1, 40), minutes=rng.randrange(600)), limit)
        if later <= when:
            continue
        if roll < 0.03:
            events.append((later, order, "edit", lines[0]))
        elif roll < 0.04:
            events.append((later, order, "delete", lines))
    events.sort(key=lambda e: (e[0], e[1]))
    deleted_entries: set[str] = set()
    for when, _, what, payload in events:
        if what == "create":
            for line in payload:
                ts, stamp = division.stamp(when)
                line.update(Timestamp=ts, Created=stamp, Modified=stamp)
                division.lines[line["ID"]] = line
        elif what == "edit":
            if payload["EntryID"] in deleted_entries:
                continue
            ts, stamp = division.stamp(when)
            payload.update(
                Description=payload["Description"] + " (gecorrigeerd)", Timestamp=ts, Modified=stamp
            )
        else:
            deleted_entries.add(payload[0]["EntryID"])
            for line_id in [line["ID"] for line in payload]:
                del division.lines[line_id]
                ts, stamp = division.stamp(when)
                division.deleted.append(
                    {
                        "ID": _guid(rng),
                        "DeletedBy": row["Customer"],
                        "DeletedDate": stamp,
                        "Division": plan.code,
                        "EntityKey": line_id,
                        "EntityType": 1,
                        "Timestamp": ts,
                    }
                )
    _seed_late_invoice(division, plan, seed=seed, when=limit)
    return division


def _seed_late_invoice(division: DivisionData, plan: DivisionPlan, *, seed: int, when: dt.datetime) -> None:
    """A sales invoice dated in the first days of a fiscal year but booked in the last period of
    the year before (Exact lets a bookkeeper pick the period), so its period lies in another
    fiscal year than its date. Its own generator leaves the rest of the seed as it was."""
    years = sorted({p["FinYear"] for p in division.periods})
    if len(years) < 2:
        return
    previous = max((p for p in division.periods if p["FinYear"] == years[0]), key=lambda p: p["FinPeriod"])
    day = previous["EndDate"] + dt.timedelta(days=3)
    lines = _entry_lines(division, random.Random(f"{seed}:{plan.code}:late"), day, "sales", foreign=False)
    for line in lines:
        ts, stamp = division.stamp(when)
        line.update(FinancialYear=previous["FinYear"], FinancialPeriod=previous["FinPeriod"],
                    Description=line["Description"] + " (laat geboekt)", Timestamp=ts, Created=stamp, Modified=stamp)
        division.lines[line["ID"]] = line
