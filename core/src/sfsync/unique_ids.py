"""The rule that a package id names one line: a batch holding two lines under one id is refused.

Stores upsert ledger lines on ``id``, so a line re-sent in a *later* batch is an edit and replaces
the stored one. Two lines under one id in the *same* batch are something else: the package (or
the connector's id scheme) cannot tell them apart, and an upsert would silently keep one and lose
the other, so the books would no longer add up. The runner refuses such a batch before anything of
it is written; the run fails with the ids, and what the dossier held stays as it was.
"""

from __future__ import annotations

from sfsync.errors import MalformedResponse
from sfsync.models import LedgerBatch

# How many of the repeated ids the error names; the count covers the rest.
_NAMED = 5


def refuse_repeated_ids(batch: LedgerBatch) -> None:
    """Raise :class:`MalformedResponse` when two lines of ``batch`` carry the same id.

    The runner adds the dossier and connector to the error (``SfsyncError.with_context``).
    """
    repeated = batch.lines.repeated_ids()
    if not repeated:
        return
    named = ", ".join(repr(line_id) for line_id in repeated[:_NAMED])
    more = f" and {len(repeated) - _NAMED} more" if len(repeated) > _NAMED else ""
    raise MalformedResponse(
        f"the package sent two or more lines with the same id in one batch ({named}{more}): "
        "a line id must be unique within a dossier, so the batch was refused and nothing of it stored"
    )
