"""Re-read only what moved: the cursor and the decision behind a trial-balance night.

A package's trial-balance report rarely has a modified filter, so a connector that read every
open year each night would re-read hundreds of totals that did not change. Where the package has
a change signal (modified stamps, a sequence, a deletion feed), a night can instead ask it what
moved since the last read and read again only the fiscal years it touched. The part every such
connector shares lives here; the connector keeps what is its package's:

- which request gives the signal, and the **marks** it resumes from (a timestamp, a sequence);
- how a moved item maps to a fiscal year (a book year named, a date, or "somewhere").

One night with a gate::

    gate = TrialBalanceGate.load(cursor, fiscal_years, marks={"seen": int})
    if gate.plan is TrialBalancePlan.PROBE:
        moved, seen = await ask_the_package(gate.marks["seen"])  # the connector's own request
        gate.moved(moved, {"seen": seen})                         # labels, or None: "somewhere"
    elif gate.plan is TrialBalancePlan.FULL:
        gate.marks = {"seen": await current_sequence()}           # taken before the read
    for year in gate.to_read(fiscal_years):
        yield TrialBalanceBatch(lines=..., clear=(year.start, year.end), cursor=gate.read(year))
    if (idle := gate.idle_cursor(cursor)) is not None:
        yield TrialBalanceBatch(cursor=idle)                      # the marks moved, no year did

The fallbacks are the gate's, so that no connector gets them wrong on its own: no cursor, one that
cannot be read, one without the marks the connector needs, or fiscal years that changed since it
was written, all give a **full read** (:attr:`TrialBalancePlan.FULL`); a read cut off before its
last year **resumes** with the years it had left, keeping the marks taken before it started
(:attr:`TrialBalancePlan.RESUME`), so a change made while it ran is still seen the next night.
Only after a complete read does the night **probe** (:attr:`TrialBalancePlan.PROBE`). Whatever the
probe names is read again (the years re-read are always a superset of the years that moved); a
signal that cannot say where (``None``) reads every year a full read would.

The cursor is JSON: ``{"gate": 1, "years": [labels], "pending": [labels], "done": [labels],
"marks": {…}}``. ``pending`` lists the years the read in progress has still to store (empty: the
read is complete); ``done`` the closed years already stored, which a full read or a probe that
cannot say where leaves out when closed years are final (``closed_final=True``). A connector whose
older cursors are stored by users passes ``upgrade``, which turns one into this shape (or ``None``
for a full read).

.. versionadded:: 0.6
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeGuard

from sfsync.models import FiscalYear

__all__ = ["TrialBalanceGate", "TrialBalancePlan", "Upgrade"]

FORMAT = 1
"""The version of the cursor's shape, stored under ``"gate"``."""

Upgrade = Callable[[Any, list[str]], Mapping[str, Any] | None]
"""Turns a cursor of a connector's own older format (decoded JSON, or the raw text when it is not
JSON) and tonight's year labels into the gate's shape (``years``, ``pending``, ``done``,
``marks``), or ``None`` when it is not one: a full read."""


class TrialBalancePlan(StrEnum):
    """What tonight's read starts from, decided by :meth:`TrialBalanceGate.load`."""

    FULL = "full"
    """No usable cursor, or the fiscal years changed: read every year (closed ones already done
    left out when they are final). The connector takes fresh marks before the first batch."""
    RESUME = "resume"
    """A read was cut off: read the years it had left. The marks stay those taken before it."""
    PROBE = "probe"
    """The last read was complete: ask the package what moved since the marks, then call
    :meth:`TrialBalanceGate.moved`. Until it is called nothing is to be read."""


@dataclass
class TrialBalanceGate:
    """The state of a trial-balance read between nights, and which years tonight reads.

    Build it with :meth:`load`; the fields are what the cursor stores.
    """

    years: list[str]
    """The labels of the fiscal years the read covers, in the package's order."""
    pending: list[str]
    """The years still to read and store tonight (a resumed or probed read's, or a full read's)."""
    done: list[str]
    """Closed years already stored by an earlier batch."""
    marks: dict[str, Any] = field(default_factory=dict)
    """The connector's change marks: where its next probe asks from."""
    plan: TrialBalancePlan = TrialBalancePlan.FULL
    """Why tonight reads what it reads (not stored)."""
    closed_final: bool = True
    """Whether a closed year, once stored, is left out of a full read (not stored)."""

    @classmethod
    def load(
        cls,
        cursor: str | None,
        years: list[FiscalYear],
        *,
        marks: Mapping[str, type],
        upgrade: Upgrade | None = None,
        closed_final: bool = True,
    ) -> TrialBalanceGate:
        """The gate for tonight's read from the stored ``cursor`` and the company's ``years``.

        Args:
            cursor: The cursor of the last batch stored, or ``None`` before the first read.
            years: Tonight's fiscal years of the company.
            marks: The name and type of each mark the connector's probe needs, e.g.
                ``{"seen": int}``; a cursor without them (or of another type) is not probed
                from: tonight is a full read.
            upgrade: Reads a cursor of the connector's own older format (see :data:`Upgrade`).
            closed_final: ``False`` when a closed year must be read again with the others (its
                totals feed a later year's openings, say); done years are then not recorded.

        Returns:
            A gate whose :attr:`plan` says what to do first. Never raises on a bad cursor.
        """
        labels = [year.label for year in years]
        state = _decode(cursor, labels, upgrade)
        if state is None:
            gate = cls([], [], [], {}, closed_final=closed_final)
        else:
            gate = cls(*state, closed_final=closed_final)
        if not closed_final:
            gate.done = []
        if state is None or sorted(gate.years) != sorted(labels) or not _has(gate.marks, marks):
            gate.years, gate.marks, gate.plan = labels, {}, TrialBalancePlan.FULL
            gate.pending = [year.label for year in years if not gate.final(year)]
        elif gate.pending:
            gate.years, gate.plan = labels, TrialBalancePlan.RESUME
            gate.pending = [label for label in labels if label in set(gate.pending)]
        else:
            gate.years, gate.plan = labels, TrialBalancePlan.PROBE
        return gate

    def final(self, year: FiscalYear) -> bool:
        """Whether ``year`` is closed and stored, so that only a probe naming it reads it again."""
        return self.closed_final and year.closed and year.label in self.done

    def moved(self, labels: Iterable[str] | None, marks: Mapping[str, Any] | None = None) -> None:
        """Record what the probe found: the years to read tonight, and the marks to ask from next.

        Args:
            labels: The labels of the years something moved in (empty: nothing moved); labels of
                years outside tonight's are ignored. ``None`` when something moved but the
                signal cannot say where (or cannot be trusted): every year a full read reads.
            marks: The marks after the probe (the newest stamp seen, say); ``None`` keeps them.
        """
        if marks is not None:
            self.marks = dict(marks)
        if labels is None:
            self.pending = [label for label in self.years if not (self.closed_final and label in self.done)]
            return
        named = set(labels)
        self.pending = [label for label in self.years if label in named]

    def to_read(self, years: list[FiscalYear]) -> list[FiscalYear]:
        """The fiscal years tonight's read covers, in ``years``' order (none when nothing moved)."""
        pending = set(self.pending)
        return [year for year in years if year.label in pending]

    def read(self, year: FiscalYear) -> str:
        """The cursor to store with ``year``'s batch: that year no longer pending."""
        self.pending = [label for label in self.pending if label != year.label]
        if self.closed_final and year.closed:
            self.done = sorted({*self.done, year.label})
        return self.dump()

    def idle_cursor(self, stored: str | None) -> str | None:
        """The cursor to store in an empty batch when the marks moved on but no year was read
        (a change outside the years, say), or ``None`` when ``stored`` still says it all."""
        if self.pending:
            return None  # years are still to be read: their batches carry the cursor
        dumped = self.dump()
        return None if dumped == stored else dumped

    def dump(self) -> str:
        """The cursor as stored with a batch."""
        return json.dumps(
            {"gate": FORMAT, "years": self.years, "pending": self.pending, "done": self.done, "marks": self.marks},
            sort_keys=True,
        )


def _decode(
    cursor: str | None, labels: list[str], upgrade: Upgrade | None
) -> tuple[list[str], list[str], list[str], dict[str, Any]] | None:
    """The stored state (years, pending, done, marks), or ``None`` when there is none to trust."""
    if not cursor:
        return None
    raw: Any
    try:
        raw = json.loads(cursor)
    except ValueError:
        raw = cursor
    if not (isinstance(raw, dict) and raw.get("gate") == FORMAT):
        if upgrade is None:
            return None
        raw = upgrade(raw, list(labels))
    if not isinstance(raw, Mapping):
        return None
    years, pending, done, marks = (raw.get(key) for key in ("years", "pending", "done", "marks"))
    if not (_labels(years) and _labels(pending) and _labels(done) and isinstance(marks, dict)):
        return None
    if not set(pending) <= set(years):
        return None
    return list(years), list(pending), list(done), dict(marks)


def _labels(value: object) -> TypeGuard[list[str]]:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _has(marks: Mapping[str, Any], wanted: Mapping[str, type]) -> bool:
    """Whether every wanted mark is there with its type (a bool is not taken for an int)."""
    return all(
        name in marks and isinstance(marks[name], kind) and not (kind is int and isinstance(marks[name], bool))
        for name, kind in wanted.items()
    )
