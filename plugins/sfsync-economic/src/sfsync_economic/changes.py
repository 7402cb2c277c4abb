"""How an e-conomic dossier finds what changed without a modified-since filter.

e-conomic's entries carry no change stamp, so the cheapest honest signal is the totals:

1. Every night, one call per accounting year in the dossier's range: the year's totals per account
   (``/accounting-years/:y/totals``). Equal to what the last read saw: nothing in that year moved.
2. A year whose totals moved: its new entries come from ``entryNumber$gt:<high-water mark>``
   (entry numbers grow with every booking: UNVERIFIED). If the old totals plus the new entries
   make the new totals, that was all.
3. Otherwise an older entry was changed or deleted: each period's totals
   (``/periods/:p/totals``) are held against what the dossier holds per period, and only the
   periods that moved are read again in full (their stored lines replaced), closed or open.

An edit that changes only an entry's text moves no total and is not seen until its period is read
again (a known limit). The state is kept in the ledger cursor, per year: the high-water mark, the
year's totals per account, and a digest of each period's totals.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

Totals = dict[str, Decimal]


def add_up(pairs: Iterable[tuple[str, Decimal]]) -> Totals:
    out: Totals = {}
    for account, amount in pairs:
        out[account] = out.get(account, Decimal(0)) + amount
    return {k: v for k, v in out.items() if v != 0}


def digest(totals: Mapping[str, Decimal]) -> str:
    """A short digest of totals per account (zeros left out, 1.50 equal to 1.5)."""
    text = ";".join(f"{a}={format(v.normalize(), 'f')}" for a, v in sorted(totals.items()) if v != 0)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def plus(a: Mapping[str, Decimal], b: Mapping[str, Decimal]) -> Totals:
    return add_up([*a.items(), *b.items()])


@dataclass
class YearState:
    """What the dossier last read of one accounting year."""

    high_water: int = 0
    totals: Totals = field(default_factory=dict)
    periods: dict[int, str] = field(default_factory=dict)
    """Period number -> digest of the period's totals as read."""

    def dump(self) -> dict[str, Any]:
        return {"hwm": self.high_water, "totals": {k: str(v) for k, v in sorted(self.totals.items())},
                "periods": {str(k): v for k, v in sorted(self.periods.items())}}

    @classmethod
    def load(cls, raw: Mapping[str, Any]) -> YearState:
        return cls(int(raw.get("hwm", 0)), {k: Decimal(v) for k, v in (raw.get("totals") or {}).items()},
                   {int(k): str(v) for k, v in (raw.get("periods") or {}).items()})
