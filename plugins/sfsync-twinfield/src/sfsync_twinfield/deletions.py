"""Deleted transactions since a marker (``DeletedTransactionsService.svc``), for both streams.

The ledger applies each deletion; the trial-balance gate only needs to know that one happened
and in which year. Both keep the same marker: the newest ``DeletionDate`` seen and the deletions
seen at exactly that time (the query's ``DateFrom`` is inclusive, so they come back each night).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from lxml import etree  # type: ignore[import-untyped,unused-ignore]  # no stubs
from sfsync.context import ConnectorContext

from sfsync_twinfield import client
from sfsync_twinfield.client import NS_DELETED, q, text


class DeletionMarker(Protocol):
    """Where a stream stands in the deletions: ``deleted_from`` and ``deleted_seen``."""

    deleted_from: str
    deleted_seen: list[str]


@dataclass(frozen=True)
class Deletion:
    """A deleted transaction: its entry (``daybook/number``) and the date it was booked on."""

    entry: str
    booked: dt.date | None


async def deletions_since(
    ctx: ConnectorContext, office: str, marker: DeletionMarker
) -> list[Deletion]:
    """Transactions deleted since ``marker`` and not seen before; moves ``marker`` on."""
    result = await client.wcf_query(
        ctx,
        client.DELETED,
        "DeletedTransactionsService",
        "GetDeletedTransactions",
        NS_DELETED,
        {"CompanyCode": office, "DateFrom": marker.deleted_from},
        office=office,
    )
    found: list[tuple[str, str, str]] = []
    for item in result.iter(q(NS_DELETED, "DeletedTransaction")):
        entry = f"{_field(item, 'Daybook')}/{_field(item, 'TransactionNumber')}"
        when = _field(item, "DeletionDate")[:19]
        found.append((when, entry, _field(item, "TransactionDate")[:10]))
    seen = set(marker.deleted_seen)
    fresh = {entry: booked for when, entry, booked in found if f"{when}|{entry}" not in seen}
    if found:
        newest = max(when for when, _, _ in found)
        if newest > marker.deleted_from:
            marker.deleted_from = newest
            seen = set()
        seen |= {f"{when}|{entry}" for when, entry, _ in found if when == marker.deleted_from}
        marker.deleted_seen = sorted(seen)
    return [Deletion(entry, _day(booked)) for entry, booked in sorted(fresh.items())]


def _field(item: etree._Element, name: str) -> str:
    return text(item.find(q(NS_DELETED, name)))


def _day(value: str) -> dt.date | None:
    """The booking date, or None when Twinfield sent none we can read (the caller then
    assumes any year may have moved)."""
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None
