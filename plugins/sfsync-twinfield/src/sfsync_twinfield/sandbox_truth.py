"""The Twinfield sandbox's own figures (``Sandbox.truth``), added up from its seeded books.

Every transaction of status ``normal`` counts in its book year and period as Twinfield books it
(period 0 holds the balances carried forward), in base currency.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sfsync.truth import PackageTruth, TruthBuilder

if TYPE_CHECKING:
    from sfsync_twinfield.sandbox_data import Office


def office_truth(office: Office) -> PackageTruth:
    """The trial balance and line places of one office."""
    starts = {year.number: year.start for year in office.years}
    books = TruthBuilder()
    for txn in office.transactions.values():
        if txn.status != "normal":
            continue
        for line in txn.lines:
            books.add(line.dim1, starts[txn.year], txn.period, line.base, line_id=f"{txn.code}/{txn.number}/{line.line}")
    return books.build()
