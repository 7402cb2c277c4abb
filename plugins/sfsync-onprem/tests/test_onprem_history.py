"""A since link's opening balances follow a line changed before its date in a dossier file
(issue 16). The package exports the changed year and the next one again; the next one's new
fingerprint has it read again, its lines that count before the date reach the runner, and the
runner fetches the opening balances again: no history stamp is needed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from sfsync.sandbox.base import Sandbox
from sfsync.testing.history import sync_after_history_edit
from sfsync_onprem.sandbox import OnpremSandbox, _carry_forward


def _correct_an_old_entry(sandbox: Sandbox, ref: str, before: dt.date) -> None:
    """The bookkeeper raises an entry of an earlier year by 10.00; the package exports that year
    again and the next one, whose opening balances carry the change forward."""
    assert isinstance(sandbox, OnpremSandbox)
    book = next(b for b in sandbox.books if b.end < before)
    entry = next(e for e in book.entries if e.date < before and len({ln.account for ln in e.lines}) > 1)
    entry.lines[0].amount += Decimal("10.00")
    entry.lines[1].amount -= Decimal("10.00")
    sandbox._write(book)
    following = next(b for b in sandbox.books if b.start == before)
    following.opening = _carry_forward(book)
    sandbox._write(following)


def test_onprem_since_opening_balances_follow_a_file_changed_before_the_date(tmp_path: Path) -> None:
    (tmp_path / "folders").mkdir()
    outcome = sync_after_history_edit("onprem", tmp_path / "store", _correct_an_old_entry,
                                      sandbox=OnpremSandbox(root=tmp_path / "folders"))
    assert "opening_balances_refreshed" not in outcome.quiet.counts
    assert outcome.run.counts["lines_before_since_ignored"] > 0, outcome.run.counts  # through the stream
    assert outcome.run.counts.get("opening_balances_refreshed") == 1
    assert outcome.stored == outcome.after
