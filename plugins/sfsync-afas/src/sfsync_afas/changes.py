"""What changed in an AFAS environment since a night: the gate, and period fingerprints.

* **The gate** is ``Profit_Fin_ChangedEntrydate`` (``EntryDate``, ``Modified``): AFAS's dataset of
  the entry dates that had financial mutations, deletions included (UNVERIFIED, facts). One small
  request filtered on ``Modified >=`` the last mark tells whether anything changed at all
  (:func:`read_gate` says how the mark's own second is treated).
* **Period fingerprints** are digests of ``Profit_Period_balance`` per (year, period): debit and
  credit of every account. AFAS deletes for real, so a deletion is found as a period whose
  fingerprint moved; only such periods are read again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sfsync_afas.client import AfasClient
from sfsync_afas.filters import Condition

__all__ = ["GRACE_SECONDS", "Gate", "amsterdam_now", "fingerprints", "period_rows", "read_gate", "row_digest"]


GRACE_SECONDS = 300
"""A mark younger than this (on the connector's clock, in Amsterdam time) is looked behind."""


@dataclass(frozen=True)
class Gate:
    """The newest ``Modified`` of the gate seen."""

    mark: str | None

    def to_json(self) -> dict[str, Any]:
        return {"mark": self.mark}

    @classmethod
    def from_json(cls, raw: dict[str, Any] | None) -> Gate:
        return cls(raw.get("mark") if raw else None)


def _moment(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.rstrip("Z"))


async def read_gate(client: AfasClient, gate: Gate | None, now: dt.datetime) -> Gate | None:
    """The gate after what changed since ``gate`` (``None``: read the newest mark), or ``None``
    when nothing changed since ``gate``.

    AFAS stamps to the second and a row of this dataset is only a date and a moment, so a second
    change on the same day in the same second as the mark looks like the row already seen. While
    the mark is younger than :data:`GRACE_SECONDS` (``now`` is Amsterdam time), its own second
    counts as news: the night reads on, and finds out from the lines and balances themselves.
    """
    if gate is None or gate.mark is None:
        rows = await client.first("Profit_Fin_ChangedEntrydate", order=("-Modified", "-EntryDate"), take=1)
        return Gate(str(rows[0]["Modified"]) if rows else None)
    rows = await client.all("Profit_Fin_ChangedEntrydate", order=("Modified", "EntryDate"),
                            where=[[Condition("Modified", 2, gate.mark.rstrip("Z"))]])
    newest = max((str(r["Modified"]) for r in rows), default=gate.mark)
    young = (now - _moment(gate.mark)).total_seconds() < GRACE_SECONDS
    if newest == gate.mark and not (young and rows):
        return None
    return Gate(newest)


def row_digest(row: dict[str, Any]) -> str:
    """A digest of a row's content (a line read again at the mark's second is news only if it
    differs)."""
    return hashlib.sha256(json.dumps(row, sort_keys=True, default=str).encode()).hexdigest()[:16]


def amsterdam_now(client: AfasClient) -> dt.datetime:
    """The connector's clock in AFAS's time (Amsterdam, without a zone)."""
    return client.ctx.clock.now().astimezone(ZoneInfo("Europe/Amsterdam")).replace(tzinfo=None)


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
