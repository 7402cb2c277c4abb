"""Which entries of a run's lines do not balance, counted as the lines pass (no second read).

The runner's closing check (debits equal credits per entry, or the sync says so) reads every line
of the dossier back from the store: a full scan that costs about as much as a fifth of writing them.
A full run builds a new generation from nothing, so the lines it writes are exactly the lines it
fetched, and the check can be counted on the way: each batch's debits minus credits per entry,
added to the entries still open from earlier batches (an entry may span batches). An entry that
comes to zero is dropped, so memory holds only the entries open at the moment, not every entry.

The tally is only the answer when nothing but the run's own inserts shaped the stored lines:
no deletion, no cleared range, no line replacing another under the same id (a re-sent line is an
edit, which the tally cannot see). The runner checks that at the end (the stored count equals the
written count) and falls back to the store's check otherwise.
"""

from __future__ import annotations

import operator
from decimal import Decimal
from itertools import compress

from sfsync.models import LedgerBatch

__all__ = ["EntryTally"]

_ZERO = Decimal(0)


class EntryTally:
    """Debits minus credits per entry over the batches of one run, holding only open entries."""

    def __init__(self) -> None:
        self._open: dict[str, Decimal] = {}
        self.lines = 0
        self.usable = True
        """False once a batch did something the tally cannot follow (a deletion, a cleared range)."""

    def add(self, batch: LedgerBatch) -> None:
        """Count one batch, as it is written."""
        if batch.deleted or batch.deleted_entries or batch.clear is not None:
            self.usable = False
        if not self.usable or not batch.lines:
            return
        lines = batch.lines
        sums: dict[str, Decimal] = {}
        get = sums.get
        signed = map(operator.sub, lines.column("debit"), lines.column("credit"))  # at C speed
        for entry, amount in zip(lines.column("entry"), signed, strict=True):
            sums[entry] = get(entry, _ZERO) + amount
        still_open = self._open
        # Only entries whose lines here do not cancel out, or that were open already, change
        # what is open: in a batch of whole entries that is none of them.
        touched = set(compress(sums, sums.values()))
        touched.update(still_open.keys() & sums.keys())
        for entry in touched:
            total = still_open.pop(entry, _ZERO) + sums[entry]
            if total:
                still_open[entry] = total
        self.lines += len(lines)

    @property
    def open_entries(self) -> int:
        """How many entries do not balance so far (all the tally holds in memory)."""
        return len(self._open)

    def unbalanced(self, *, limit: int = 20) -> list[tuple[str, str]]:
        """The entries whose debits and credits differ, in entry order, as the stores give them."""
        return [(entry, format(self._open[entry], "f")) for entry in sorted(self._open)[:limit]]
