"""A link's effective fiscal years: the package's, or the firm's override of them.

A package does not always know a company's real years: a first year that was longer or shorter
than the others, or years the firm keeps otherwise. A link may carry

* ``first_year_end``: the end of the first fiscal year. A *long* first year absorbs the package's
  years that end on or before that day and cuts the year it falls in so that it starts the day
  after; a *short* first year ends on that day and the rest of the package's first year becomes
  a year of its own. Every day stays in exactly one year; later years stay as the package says.
* ``fiscal_years_override``: the whole list of years (for anything else).

Every year whose dates differ from the package's gets its periods rebuilt: the package's own
periods where they tile the new year exactly (renumbered from 1), monthly periods otherwise.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Sequence
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from sfsync.errors import ConfigurationError
from sfsync.models import FiscalYear, Period

__all__ = [
    "check_years",
    "effective_years",
    "merge_years",
    "monthly_periods",
    "read_fiscal_years_file",
    "span",
    "with_first_year_end",
]

_DAY = dt.timedelta(days=1)


def monthly_periods(start: dt.date, end: dt.date) -> tuple[Period, ...]:
    """Calendar months from ``start`` to ``end`` (the first and last clipped to the year)."""
    periods: list[Period] = []
    day = start
    while day <= end:
        next_month = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
        last = min(next_month - _DAY, end)
        periods.append(Period(number=len(periods) + 1, start=day, end=last))
        day = last + _DAY
    return tuple(periods)


def _rebuilt(year: FiscalYear, package: Sequence[FiscalYear]) -> FiscalYear:
    """``year`` with periods: the package's own where they tile it exactly, else monthly."""
    same = next((y for y in package if y.start == year.start and y.end == year.end), None)
    if same is not None and same.periods and not year.periods:
        return year.model_copy(update={"periods": same.periods})
    if year.periods:
        return year
    inside = sorted(
        (p for y in package for p in y.periods if p.number not in (0, 99) and year.start <= p.start and p.end <= year.end),
        key=lambda p: p.start,
    )
    day = year.start
    for period in inside:
        if period.start != day:
            break
        day = period.end + _DAY
    else:
        if inside and day == year.end + _DAY:
            renumbered = tuple(Period(number=i, start=p.start, end=p.end) for i, p in enumerate(inside, start=1))
            return year.model_copy(update={"periods": renumbered})
    return year.model_copy(update={"periods": monthly_periods(year.start, year.end)})


def with_first_year_end(years: Sequence[FiscalYear], first_end: dt.date) -> list[FiscalYear]:
    """The package's years (sorted) with the first one ending on ``first_end``."""
    if not years:
        return []
    first = years[0]
    if first_end < first.start:
        raise ConfigurationError(
            f"the first fiscal year cannot end on {first_end.isoformat()}: it starts on {first.start.isoformat()}"
        )
    result = [FiscalYear(start=first.start, end=first_end, label=first.label, closed=first.closed)]
    if first_end < first.end:  # short: the rest of the package's first year stands on its own
        result.append(FiscalYear(start=first_end + _DAY, end=first.end, label=first.label, closed=first.closed))
    for year in years[1:]:
        if year.end <= first_end:
            continue  # absorbed by a long first year
        if year.start <= first_end:
            year = FiscalYear(start=first_end + _DAY, end=year.end, label=year.label, closed=year.closed)
        result.append(year)
    # Two years that would carry one label (a split year) are told apart by their end.
    labels = [y.label for y in result]
    return [
        y.model_copy(update={"label": f"{y.label} ({y.end.isoformat()})"}) if y.label and labels.count(y.label) > 1 else y
        for y in result
    ]


def check_years(years: Sequence[FiscalYear], *, what: str) -> list[FiscalYear]:
    """Sorted years that neither overlap nor leave a gap, or a clear error naming ``what``."""
    ordered = sorted(years, key=lambda y: y.start)
    if not ordered:
        raise ConfigurationError(f"{what} lists no fiscal year")
    for before, after in itertools.pairwise(ordered):
        if after.start <= before.end:
            raise ConfigurationError(
                f"{what}: fiscal years {before.start}..{before.end} and {after.start}..{after.end} overlap"
            )
        if after.start != before.end + _DAY:
            raise ConfigurationError(
                f"{what}: nothing covers {before.end + _DAY}..{after.start - _DAY} between two fiscal years"
            )
    return ordered


def effective_years(
    package: Sequence[FiscalYear],
    *,
    override: Sequence[FiscalYear] | None = None,
    first_year_end: dt.date | None = None,
) -> list[FiscalYear]:
    """The years a link syncs: the override, or the package's with the first-year end applied,
    every year with its periods (see the module docstring)."""
    package = sorted(package, key=lambda y: y.start)
    if override:
        years = sorted(override, key=lambda y: y.start)
    elif first_year_end is not None:
        years = with_first_year_end(package, first_year_end)
    else:
        return list(package)
    return [_rebuilt(y, package) for y in years]


def read_fiscal_years_file(path: Path) -> list[FiscalYear]:
    """Fiscal years from a file: JSON (a list of ``{"start", "end", "label"}``) or text with one
    ``start,end[,label]`` a line (``#`` starts a comment). Checked for overlaps and gaps."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"cannot read the fiscal-years file {path}: {exc.strerror}") from None
    try:
        if text.lstrip().startswith("["):
            years = TypeAdapter(list[FiscalYear]).validate_json(text)
        else:
            years = []
            for number, raw in enumerate(text.splitlines(), start=1):
                line = raw.split("#", 1)[0].strip()
                if not line:
                    continue
                cells = [c.strip() for c in line.split(",")]
                if len(cells) not in (2, 3):
                    raise ConfigurationError(f"{path.name} line {number}: expected start,end[,label], got {raw!r}")
                years.append(FiscalYear(start=dt.date.fromisoformat(cells[0]), end=dt.date.fromisoformat(cells[1]),
                                        label=cells[2] if len(cells) == 3 else ""))
    except (ValidationError, ValueError, json.JSONDecodeError) as exc:
        if isinstance(exc, ConfigurationError):
            raise
        raise ConfigurationError(f"{path.name} is not a list of fiscal years: {exc}") from None
    return check_years(years, what=path.name)


def span(years: Sequence[FiscalYear]) -> tuple[dt.date, dt.date] | None:
    """The first day and the last day the years cover (``None`` without years)."""
    if not years:
        return None
    return min(y.start for y in years), max(y.end for y in years)


def merge_years(kept: Sequence[FiscalYear], new: Sequence[FiscalYear]) -> list[FiscalYear]:
    """``new`` plus every year of ``kept`` that overlaps none of them, sorted: the years of a
    dossier whose history outside the new source's dates stays (an earlier import, another
    package)."""
    outside = [k for k in kept if all(k.end < n.start or k.start > n.end for n in new)]
    return sorted([*outside, *new], key=lambda y: y.start)
