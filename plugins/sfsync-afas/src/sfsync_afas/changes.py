"""What changed in an AFAS environment since a night: the gate, and period fingerprints.

* **The gate** is ``Profit_Fin_ChangedEntrydate`` (``EntryDate``, ``Modified``): AFAS's dataset of
  the entry dates that had financial mutations, deletions included (UNVERIFIED, facts). One small
  request filtered on ``Modified >=`` the last mark tells whether anything changed at all; rows at
  the mark itself that were already seen are not news (AFAS stamps to the second, so ``>=`` and
  the seen set lose nothing committed in the same second).
* **Period fingerprints** are digests of ``Profit_Period_balance`` per (year, period): debit and
  credit of every account. AFAS deletes for real, so a deletion is found as a period whose
  fingerprint moved; only such periods are read again.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sfsync_afas.client import AfasClient
from sfsync_afas.filters import Condition

__all__ = ["Gate", "fingerprints", "period_rows", "read_gate"]


@dataclass(frozen=True)
class Gate:
    """The newest ``Modified`` of the gate seen, and the entry dates seen at that moment."""

    mark: str | None
    seen: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"mark": self.mark, "seen": list(self.seen)}

    @classmethod
    def from_json(cls, raw: dict[str, Any] | None) -> Gate:
        return cls(None) if not raw else cls(raw.get("mark"), tuple(raw.get("seen") or ()))


async def read_gate(client: AfasClient, gate: Gate | None) -> Gate | None:
    """The gate after what changed since ``gate`` (``None``: read the newest mark), or ``None``
    when nothing changed since ``gate``."""
    if gate is None or gate.mark is None:
        rows = await client.first("Profit_Fin_ChangedEntrydate", order=("-Modified", "-EntryDate"), take=50)
        if not rows:
            return Gate(None)
        newest = str(rows[0]["Modified"])
        return Gate(newest, tuple(sorted(str(r["EntryDate"]) for r in rows if str(r["Modified"]) == newest)))
    rows = await client.all("Profit_Fin_ChangedEntrydate", order=("Modified", "EntryDate"),
                            where=[[Condition("Modified", 2, gate.mark.rstrip("Z"))]])
    news = [r for r in rows if not (str(r["Modified"]) == gate.mark and str(r["EntryDate"]) in gate.seen)]
    if not news:
        return None
    newest = max(str(r["Modified"]) for r in rows)
    seen = {str(r["EntryDate"]) for r in rows if str(r["Modified"]) == newest}
    if newest == gate.mark:
        seen |= set(gate.seen)
    return Gate(newest, tuple(sorted(seen)))


async def period_rows(client: AfasClient, unit: str, *, from_year: int | None = None,
                      before_year: int | None = None) -> list[dict[str, Any]]:
    """``Profit_Period_balance`` of one administration, from or before a fiscal year."""
    where = [Condition("UnitId", 1, unit)]
    if from_year is not None:
        where.append(Condition("Year", 2, str(from_year)))
    if before_year is not None:
        where.append(Condition("Year", 5, str(before_year)))
    return await client.all("Profit_Period_balance", order=("Year", "Period", "AccountNr"), where=[where])


def fingerprints(rows: Iterable[dict[str, Any]]) -> dict[str, str]:
    """A digest per ``"year-period"`` of its accounts' debit and credit."""
    parts: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        parts[f"{row['Year']}-{row['Period']}"].append(f"{row['AccountNr']}:{row['Debit']}:{row['Credit']}")
    return {key: hashlib.sha256("|".join(sorted(items)).encode()).hexdigest()[:20] for key, items in parts.items()}
