"""Faults on a package's own calls, decided after the body is read: an RPC method on a model
(Odoo's ``account.move.line.search_read``), a SOAP operation (Yuki's ``GetPeriodDateTable``).

The HTTP faults of :mod:`sfsync.sandbox.faults` match on the path; these match on what the call
*is*, with the same vocabulary (``times``, ``after``, what was served). What a fault answers is
the package's own (an Odoo exception, a SOAP fault text), so the queue holds any value::

    faults: CallFaults[OdooError] = CallFaults()
    faults.inject(OdooAccessError("..."), model="account.move.line", method="search_read", times=2)
    ...
    error = faults.take(model=model, method=method)   # in the dispatcher, per call
    if error is not None:
        raise error
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

__all__ = ["CallFault", "CallFaults"]

T = TypeVar("T")


@dataclass(kw_only=True)
class CallFault(Generic[T]):
    """One queued fault: what it answers, which calls it takes (``""``: any value of that part),
    ``times`` it answers after letting ``after`` matching calls pass, and the calls it served."""

    answer: T
    match: dict[str, str]
    times: int = 1
    after: int = 0
    served: list[str] = field(default_factory=list)

    def matches(self, call: dict[str, str]) -> bool:
        """Whether this fault takes ``call`` (``after`` not yet counted)."""
        return self.times > 0 and all(not want or call.get(part) == want for part, want in self.match.items())


class CallFaults(Generic[T]):
    """The queue of faults on a sandbox's calls, first match first."""

    def __init__(self) -> None:
        """An empty queue."""
        self.queued: list[CallFault[T]] = []

    def inject(self, answer: T, *, times: int = 1, after: int = 0, **match: str) -> CallFault[T]:
        """Answer ``answer`` to the next ``times`` calls whose parts equal ``match`` (after ``after``)."""
        fault = CallFault(answer=answer, match=dict(match), times=times, after=after)
        self.queued.append(fault)
        return fault

    def take(self, **call: str) -> T | None:
        """The answer to give ``call`` (its parts by name), counted; ``None`` when no fault takes it."""
        for fault in self.queued:
            if fault.matches(call):
                if fault.after > 0:
                    fault.after -= 1
                    continue
                fault.times -= 1
                fault.served.append(".".join(value for value in call.values() if value))
                return fault.answer
        return None

    def clear(self) -> None:
        """Drop every queued fault."""
        self.queued.clear()
