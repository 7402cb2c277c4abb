"""The relations (customers and suppliers) of a sandbox division, as ``crm/Accounts`` serves them.

The same ids and codes the transaction lines carry in ``Account`` and ``AccountCode``: one
relation per customer and supplier of the division's chart. Codes are right-aligned to 18
characters, as Exact writes crm account codes.
"""

from __future__ import annotations

import uuid
import zlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sfsync_exact.sandbox.data import DivisionData


def relation_id(division_code: int, name: str) -> str:
    """The relation's ``ID`` (the ``Account`` of its lines), stable across runs."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"exact:{division_code}:{name}"))


def relation_code(name: str) -> str:
    """The relation's ``Code`` (the ``AccountCode`` of its lines), right-aligned to 18."""
    return f"{zlib.crc32(name.encode()) % 100000:>18}"


def relations(division: DivisionData) -> list[dict[str, Any]]:
    """The division's crm accounts: customers first, then suppliers, in the chart's order."""
    row = division.row
    out = []
    for names, supplier in ((division.chart.customers, False), (division.chart.suppliers, True)):
        for name in names:
            out.append({
                "ID": relation_id(division.code, name),
                "Code": relation_code(name),
                "Name": name,
                "SearchCode": name.upper()[:10],
                "Division": division.code,
                "Country": row.get("Country"),
                "Blocked": False,
                "IsSupplier": supplier,
                "IsSales": not supplier,
                "IsAccountant": 0,
                "IsReseller": False,
                "Status": "A" if supplier else "C",  # C: customer; A: none (a supplier only)
                "Type": "A",
                "Created": row.get("Created"),
                "Modified": row.get("Created"),
            })
    return out
