"""What every reader shares: the summary of a source, its errors, and amount helpers."""

from __future__ import annotations

import abc
import calendar
import datetime as dt
import hashlib
import os
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from itertools import islice
from pathlib import Path
from typing import Any

from sfsync.errors import FatalError, MalformedResponse
from sfsync.ledger_columns import LedgerColumns
from sfsync.models import (
    Account,
    AccountKind,
    Company,
    FiscalYear,
    LedgerLine,
    OpeningBalance,
    Period,
    TrialBalanceLine,
)

CENT = Decimal("0.01")
BATCH_LINES = 2000
"""Lines validated at once: one ``LedgerColumns.from_records`` per this many records."""


class UnreadableFile(MalformedResponse):
    """A file in a dossier folder that cannot be read (truncated, hostile, not what it claims)."""


class UnsupportedStorage(FatalError):
    """A dossier folder holding nothing this plugin can read."""


def unsupported(package: str) -> UnsupportedStorage:
    return UnsupportedStorage(
        f"unsupported storage for {package}: drop an XAF or a balance export in the folder"
    )


MAX_WHOLE_DIGITS = 18
"""An amount has at most this many digits before the decimal point (below 10**18 in any currency)."""
MAX_DECIMALS = 6
"""And at most this many decimals that are not zero (kept exact by every sum a reader makes)."""
_SCALE = Decimal(1).scaleb(-MAX_DECIMALS)


def implausible(value: Decimal, *, rounds_to_cents: bool = False) -> str | None:
    """Why ``value`` is not a plausible amount (the one rule every reader applies), or ``None``.

    Magnitude and scale are bounded so that every sum of a file's amounts stays exact in
    :mod:`decimal`'s 28 digits: ``1e309`` or a 31-digit amount is a broken export, not money.
    ``rounds_to_cents``: the reader rounds the decimals itself (spreadsheet exports carry binary
    float artefacts such as ``76499.6199999999``, rounded to the cent and reported).
    """
    if not value.is_finite():
        return "is not a finite number"
    if value and value.adjusted() >= MAX_WHOLE_DIGITS:
        return f"is out of range (more than {MAX_WHOLE_DIGITS} digits before the decimal point)"
    if rounds_to_cents:
        return None
    if value.as_tuple().exponent < -MAX_DECIMALS and value != value.quantize(_SCALE):  # type: ignore[operator]
        return f"has more than {MAX_DECIMALS} decimals"
    return None


def plausible_amount(
    value: Decimal, *, raw: object, where: str, what: str = "amount", rounds_to_cents: bool = False
) -> Decimal:
    """``value`` when it is a plausible amount (see :func:`implausible`); else an
    :class:`UnreadableFile` naming the file and line (``where``) and the value as written."""
    reason = implausible(value, rounds_to_cents=rounds_to_cents)
    if reason is not None:
        raise UnreadableFile(f"{where}: {what} {str(raw).strip()!r} {reason}")
    return value if value else abs(value)  # no negative zero: -0.00 is 0.00


def to_decimal(text: str | None, *, what: str = "amount", where: str = "") -> Decimal:
    """An amount written as a plain decimal (XML's ``xs:decimal``: no exponent, no grouping)."""
    raw = (text or "").strip()
    if not raw:
        return Decimal(0)
    if "e" in raw or "E" in raw:
        raise UnreadableFile(f"{where}: {what} {raw!r} is not a plain decimal number (no exponents)")
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:
        raise UnreadableFile(f"{where}: {what} {raw!r} is not a number") from exc
    return plausible_amount(value, raw=raw, where=where, what=what)


def to_date(text: str | None, *, where: str = "") -> dt.date:
    raw = (text or "").strip()
    try:
        return dt.date.fromisoformat(raw[:10])
    except ValueError as exc:
        raise UnreadableFile(f"{where}: date {raw!r} is not a date (YYYY-MM-DD)") from exc


def column_batches(records: Iterable[dict[str, Any]], size: int = BATCH_LINES) -> Iterator[LedgerColumns]:
    """Validate a stream of plain line records a batch at a time (flat memory: one batch held).

    The records are keyed by ``LedgerLine``'s field names (``amount`` may stand for
    debit/credit); a bad value raises pydantic's ``ValidationError`` naming the field and value.
    """
    iterator = iter(records)
    while chunk := list(islice(iterator, size)):
        yield LedgerColumns.from_records(chunk)


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def fmt(amount: Decimal) -> str:
    return f"{amount.quantize(CENT, ROUND_HALF_UP):,.2f}"


@dataclass
class Summary:
    """One full pass over a source: everything but the ledger lines themselves.

    ``kind`` is ``ledger`` (lines), ``balance`` (trial-balance totals) or ``subledger``
    (customer/supplier balances, used only to tie out the collective accounts).
    """

    format: str
    kind: str = "ledger"
    company: Company | None = None
    fiscal_years: list[FiscalYear] = field(default_factory=list)
    accounts: list[Account] = field(default_factory=list)
    opening_balances: list[OpeningBalance] = field(default_factory=list)
    trial_balance: list[TrialBalanceLine] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    line_count: int = 0
    transaction_count: int = 0
    total_debit: Decimal = Decimal(0)
    total_credit: Decimal = Decimal(0)
    first_date: dt.date | None = None
    last_date: dt.date | None = None
    declared: dict[str, str] = field(default_factory=dict)
    encoding: str | None = None
    covers: tuple[dt.date, dt.date] | None = None
    """The days the file's data covers when less than its fiscal years (a partial extract)."""
    subledger: list[tuple[str, str, Decimal]] = field(default_factory=list)
    extra: dict[str, str] = field(default_factory=dict)
    covered: tuple[dt.date, dt.date] | None = None

    @property
    def clear_range(self) -> tuple[dt.date, dt.date] | None:
        """The dates this source covers: what a re-read replaces."""
        if self.covered is not None:
            return self.covered
        starts = [fy.start for fy in self.fiscal_years]
        ends = [fy.end for fy in self.fiscal_years]
        if self.first_date:
            starts.append(self.first_date)
        if self.last_date:
            ends.append(self.last_date)
        if not starts or not ends:
            return None
        return min(starts), max(ends)


class Source(abc.ABC):
    """One readable thing in a dossier folder: a file, or a set of Winbooks tables."""

    format_hint: str = ""

    def __init__(self, paths: list[Path], name: str) -> None:
        self.paths = paths
        self.name = name

    @abc.abstractmethod
    def summarize(self) -> Summary:
        """Read the whole source once (validation, totals, chart); no lines kept."""

    def line_records(self, summary: Summary) -> Iterator[dict[str, Any]]:
        """The ledger lines as unvalidated records, streamed (none for a balance export)."""
        return iter(())

    def batches(self, summary: Summary) -> Iterator[LedgerColumns]:
        """The ledger lines, validated a batch at a time."""
        return column_batches(self.line_records(summary))

    def lines(self, summary: Summary) -> Iterator[LedgerLine]:
        """Stream the ledger lines as models, validated a batch at a time (:meth:`batches`)."""
        for batch in self.batches(summary):
            yield from batch

    def records(self, summary: Summary) -> Iterator[dict[str, Any]]:
        """The ledger lines as plain values (what the sync service sends): validated, without
        empty fields or the modification stamp, as ``LedgerLine.model_dump`` gives them."""
        for columns in self.batches(summary):
            for record in columns.to_records():
                yield {k: v for k, v in record.items() if v is not None and k != "modified"}

    def fingerprint(self) -> str:
        return fingerprint(self.paths)

    def peek(self) -> tuple[str, str]:
        """``(format, company name)`` from the start of the source only (cheap)."""
        return self.format_hint or type(self).__name__, ""


_HASH_CACHE: dict[tuple[str, int, int], str] = {}


def fingerprint(paths: list[Path]) -> str:
    """Name, size and content hash of the files. The hash is cached on (path, size, mtime), so an
    unchanged folder costs a ``stat`` per file; a file only touched (same bytes) is unchanged."""
    outer = hashlib.sha256()
    for path in sorted(paths):
        st = os.stat(path)
        key = (str(path), st.st_size, st.st_mtime_ns)
        digest = _HASH_CACHE.get(key)
        if digest is None:
            inner = hashlib.sha256()
            with open(path, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    inner.update(chunk)
            digest = inner.hexdigest()
            if len(_HASH_CACHE) > 10000:
                _HASH_CACHE.clear()
            _HASH_CACHE[key] = digest
        outer.update(f"{path.name}|{st.st_size}|{digest}\n".encode())
    return outer.hexdigest()[:32]


def kind_from_code(code: str) -> AccountKind:
    """Belgian (PCMN) and Dutch charts: classes 6 and 7 (BE) / 4, 7, 8, 9 (NL) are P&L. Only
    used where the source does not say; Belgian rule by default."""
    if code[:1] in {"6", "7"}:
        return AccountKind.PROFIT_LOSS
    if code[:1] in {"1", "2", "3", "4", "5"}:
        return AccountKind.BALANCE_SHEET
    return AccountKind.UNKNOWN


class Aggregator:
    """Adds lines up per account and period while a source is read (for the trial balance)."""

    def __init__(self) -> None:
        self.buckets: dict[tuple[str, int | None, str], list[Decimal]] = defaultdict(
            lambda: [Decimal(0), Decimal(0)]
        )
        self.bucket_dates: dict[tuple[str | None, int | None], tuple[dt.date, dt.date]] = {}
        self.line_count = 0
        self.total_debit = Decimal(0)
        self.total_credit = Decimal(0)
        self.first: dt.date | None = None
        self.last: dt.date | None = None
        self.accounts_used: set[str] = set()

    def add(self, line: Any) -> None:  # a LedgerLine, or a reader's light record of one
        self.line_count += 1
        self.total_debit += line.debit
        self.total_credit += line.credit
        if self.first is None or line.date < self.first:
            self.first = line.date
        if self.last is None or line.date > self.last:
            self.last = line.date
        self.accounts_used.add(line.account)
        period = line.period if line.period is not None else line.date.month
        bucket = self.buckets[(line.fiscal_year or "", period, line.account)]
        bucket[0] += line.debit
        bucket[1] += line.credit
        key = (line.fiscal_year or "", period)
        if key not in self.bucket_dates:
            self.bucket_dates[key] = (line.date.replace(day=1), month_end(line.date))

    def add_columns(self, lines: LedgerColumns) -> None:
        """:meth:`add` for a whole validated batch, read column by column."""
        buckets, bucket_dates, used = self.buckets, self.bucket_dates, self.accounts_used
        first, last = self.first, self.last
        total_debit, total_credit = self.total_debit, self.total_credit
        for date, period, fiscal_year, account, debit, credit in zip(
            lines.column("date"), lines.column("period"), lines.column("fiscal_year"),
            lines.column("account"), lines.column("debit"), lines.column("credit"), strict=True,
        ):
            total_debit += debit
            total_credit += credit
            if first is None or date < first:
                first = date
            if last is None or date > last:
                last = date
            used.add(account)
            if period is None:
                period = date.month
            label = fiscal_year or ""
            bucket = buckets[(label, period, account)]
            bucket[0] += debit
            bucket[1] += credit
            key = (label, period)
            if key not in bucket_dates:
                bucket_dates[key] = (date.replace(day=1), month_end(date))
        self.line_count += len(lines)
        self.first, self.last = first, last
        self.total_debit, self.total_credit = total_debit, total_credit

    def trial_balance(
        self, fiscal_years: list[FiscalYear], openings: list[OpeningBalance]
    ) -> list[TrialBalanceLine]:
        """Lines per account and period, opening carried from the year's opening balance."""
        opening_by_account: dict[str, Decimal] = defaultdict(Decimal)
        for ob in openings:
            opening_by_account[ob.account] += ob.amount
        by_fy: dict[str, dict[int | None, dict[str, list[Decimal]]]] = defaultdict(
            lambda: defaultdict(dict)
        )
        for (label, period, account), amounts in self.buckets.items():
            by_fy[label][period][account] = amounts
        fy_by_label = {fy.label: fy for fy in fiscal_years}
        out: list[TrialBalanceLine] = []
        for fy_label, periods in by_fy.items():
            fy = fy_by_label.get(fy_label)
            period_dates = {p.number: (p.start, p.end) for p in (fy.periods if fy else ())}
            running: dict[str, Decimal] = defaultdict(Decimal)
            first_fy = fy is not None and fiscal_years and fy is fiscal_years[0]
            if first_fy or len(fiscal_years) <= 1:
                running.update(opening_by_account)
            for period in sorted(periods, key=lambda p: -1 if p is None else p):
                start, end = (period_dates.get(period) if period is not None else None) or self.bucket_dates[
                    (fy_label, period)
                ]
                for account in sorted(set(periods[period]) | set(running)):
                    debit, credit = periods[period].get(account, (Decimal(0), Decimal(0)))
                    opening = running[account]
                    if not (opening or debit or credit):
                        continue
                    closing = opening + debit - credit
                    out.append(
                        TrialBalanceLine(
                            account=account,
                            period_start=start,
                            period_end=end,
                            period=period,
                            fiscal_year=fy_label or None,
                            opening=opening,
                            debit=debit,
                            credit=credit,
                            closing=closing,
                        )
                    )
                    running[account] = closing
        return out


def monthly_periods(start: dt.date, end: dt.date) -> tuple[Period, ...]:
    periods = []
    cur = start
    n = 1
    while cur <= end and n <= 99:
        pend = min(month_end(cur), end)
        periods.append(Period(number=n, start=cur, end=pend))
        cur = pend + dt.timedelta(days=1)
        n += 1
    return tuple(periods)
