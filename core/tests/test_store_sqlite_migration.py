"""An SQLite file written by an older sfsync opens migrated, with every ledger line kept."""

from __future__ import annotations

import datetime as dt
import sqlite3
from decimal import Decimal

import pytest
from sfsync.errors import ConfigurationError
from sfsync.models import Granularity, LedgerBatch, LedgerLine, OpeningBalance, SyncMode
from sfsync.store.base import ConnectionRecord, LinkRecord
from sfsync.store.sqlite import SCHEMA_VERSION, SQLiteStore

# Schema version 1 of ledger_lines, as sfsync 0.1 wrote it.
_V1_LEDGER = """
CREATE TABLE ledger_lines (
    dossier_id TEXT NOT NULL, generation INTEGER NOT NULL, source TEXT NOT NULL, id TEXT NOT NULL,
    entry TEXT NOT NULL, journal TEXT, date TEXT NOT NULL, period INTEGER, fiscal_year TEXT,
    account TEXT NOT NULL, description TEXT NOT NULL, debit TEXT NOT NULL, credit TEXT NOT NULL,
    currency TEXT, foreign_amount TEXT, counterparty TEXT, vat_code TEXT, modified TEXT,
    UNIQUE (dossier_id, generation, source, id));
CREATE INDEX ledger_by_entry ON ledger_lines (dossier_id, generation, source, entry)
"""


# What version 4 added, taken away again (connection levels).
_BEFORE_V4 = """
ALTER TABLE connections DROP COLUMN owner_dossier_id;
ALTER TABLE connections DROP COLUMN created_by;
ALTER TABLE connections DROP COLUMN status_cause;
DROP TABLE support_users; DROP TABLE admin_links; DROP TABLE company_details
"""


def _v1_file(path):
    """A store file turned back into version 1, holding three lines of two sources."""
    store = SQLiteStore(path)
    firm = store.create_firm("F")
    dossier = store.add_dossier(firm.id, "D")
    generation = store.begin_generation(dossier.id, keep_before=None)
    store.swap_generation(dossier.id, generation)
    store.close()
    db = sqlite3.connect(path)
    db.executescript("DROP TABLE ledger_lines; DROP TABLE ledger_sets;" + _V1_LEDGER + ";" + _BEFORE_V4)
    rows = [
        ("L1", "E1", "con_a", "2024-01-31", "400000", "100.10", "0", "USD", "-110.5"),
        ("L2", "E1", "con_a", "2024-01-31", "700000", "0", "100.10", None, None),
        ("L9", "E9", "con_b", "2023-12-31", "400000", "5", "0", None, None),
    ]
    db.executemany(
        "INSERT INTO ledger_lines (dossier_id, generation, source, id, entry, journal, date, period, account,"
        " description, debit, credit, currency, foreign_amount) VALUES (?, ?, ?, ?, ?, 'VKP', ?, 1, ?, 'x', ?, ?, ?, ?)",
        [(dossier.id, generation, src, i, e, day, acc, d, c, cur, fx) for i, e, src, day, acc, d, c, cur, fx in rows],
    )
    db.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    db.commit()
    db.close()
    return dossier.id, generation


def test_a_version_1_file_is_migrated_with_every_line_kept(tmp_path):
    path = tmp_path / "old.sqlite3"
    dossier_id, generation = _v1_file(path)
    store = SQLiteStore(path)
    assert store.schema_version() == SCHEMA_VERSION == 4
    lines = {line.id: line for line in store.ledger_lines(dossier_id)}
    assert sorted(lines) == ["L1", "L2", "L9"]
    assert lines["L1"].debit == Decimal("100.10") and lines["L1"].foreign_amount == Decimal("-110.5")
    assert lines["L2"].credit == Decimal("100.10") and lines["L9"].date == dt.date(2023, 12, 31)
    assert store.unbalanced_entries(dossier_id, generation, "con_a") == []
    assert store.unbalanced_entries(dossier_id, generation, "con_b") == [("E9", "5")]
    # The migrated sets take new batches as any other: an upsert replaces, it does not double.
    edited = LedgerLine(id="L9", entry="E9", date=dt.date(2023, 12, 31), account="400000", credit=Decimal(5))
    store.write_ledger_batch(dossier_id, generation, "con_b", LedgerBatch(lines=[edited]), stream="ledger")
    assert store.count_ledger_lines(dossier_id) == 3
    assert store.unbalanced_entries(dossier_id, generation, "con_b") == [("E9", "-5")]
    store.close()
    assert SQLiteStore(path).count_ledger_lines(dossier_id) == 3  # reopening migrates nothing twice


def test_a_file_of_a_newer_sfsync_is_refused_and_left_as_it_is(tmp_path):
    path = tmp_path / "new.sqlite3"
    SQLiteStore(path).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    db.commit()
    db.close()
    with pytest.raises(ConfigurationError, match="newer than this sfsync knows"):
        SQLiteStore(path)
    db = sqlite3.connect(path)
    assert db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (str(SCHEMA_VERSION + 1),)


def _v2_file(path):
    """A store file turned back into version 2 (no booking-period day, no opening-balance stamp)."""
    store = SQLiteStore(path)
    firm = store.create_firm("F")
    dossier = store.add_dossier(firm.id, "D")
    store.save_link(LinkRecord(dossier.id, "con_a", "C1", "Company", SyncMode.SINCE, Granularity.TRANSACTIONS,
                               since=dt.date(2024, 1, 1), opening_balances_done=True))
    generation = store.begin_generation(dossier.id, keep_before=None)
    line = LedgerLine(id="L1", entry="E1", date=dt.date(2024, 1, 31), account="400000", debit=Decimal("1.10"))
    store.write_ledger_batch(dossier.id, generation, "con_a", LedgerBatch(lines=[line]), stream="ledger")
    store.write_opening_balances(dossier.id, generation, "con_a",
                                 [OpeningBalance(account="550000", date=dt.date(2024, 1, 1), amount=Decimal("5.00"))])
    store.swap_generation(dossier.id, generation)
    store.close()
    db = sqlite3.connect(path)
    db.executescript(
        "ALTER TABLE ledger_lines DROP COLUMN placed_on; ALTER TABLE links DROP COLUMN opening_balances_stamp;"
        " UPDATE meta SET value = '2' WHERE key = 'schema_version';"
    )
    db.commit()
    db.close()
    return dossier.id


def test_a_version_2_file_is_migrated_in_place(tmp_path):
    path = tmp_path / "v2.sqlite3"
    dossier_id = _v2_file(path)
    store = SQLiteStore(path)
    assert store.schema_version() == SCHEMA_VERSION
    columns = {row[1] for row in store._all("PRAGMA table_info(ledger_lines)")}
    assert "placed_on" in columns
    link = store.get_link(dossier_id)
    assert link is not None and link.opening_balances_done and link.opening_balances_stamp is None
    [line] = store.ledger_lines(dossier_id, start=dt.date(2024, 1, 1), end=dt.date(2024, 12, 31))
    assert line.debit == Decimal("1.10")  # a line of before the migration counts by its date
    assert [b.amount for b in store.opening_balances(dossier_id)] == [Decimal("5.00")]
    link.opening_balances_stamp = "stamp-1"
    store.save_link(link)
    store.close()
    again = SQLiteStore(path)
    assert again.get_link(dossier_id).opening_balances_stamp == "stamp-1"  # reopening migrates nothing twice


def test_a_version_2_file_gains_the_connection_levels_and_binds_dossier_logins(tmp_path):
    path = tmp_path / "v2.sqlite3"
    store = SQLiteStore(path)
    firm = store.create_firm("F")
    d1, d2 = store.add_dossier(firm.id, "D1"), store.add_dossier(firm.id, "D2")
    for cid, level in (("con_x", "dossier"), ("con_e", "firm")):
        store.add_connection(ConnectionRecord(id=cid, firm_id=firm.id, connector="c", label=cid, level=level,
                                              config={}, sealed=b"x"))
    for dossier in (d1, d2):
        store.save_link(LinkRecord(dossier_id=dossier.id, connection_id="con_e" if dossier is d2 else "con_x",
                                   company_ref="1", company_name="", mode=SyncMode.REPLACE,
                                   granularity=Granularity.TRANSACTIONS))
    store.close()
    db = sqlite3.connect(path)
    db.executescript(_BEFORE_V4)
    db.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    db.commit()
    db.close()
    store = SQLiteStore(path)
    assert store.schema_version() == 4
    # The dossier that logged in to a dossier-level connection owns it; a firm-level one has no owner.
    assert store.get_connection("con_x").owner_dossier_id == d1.id
    assert store.get_connection("con_e").owner_dossier_id is None
    support = store.add_support_user("help@host.test")
    assert store.get_user(support.id) == support and support.role == "support" and support.firm_id == ""
    store.close()
