"""The onprem sandbox: a temporary root of dossier folders served by the real sync service app.

The root holds copies of the real sample files (XAF 3.2 and 4.0, SAF-T NO, Winbooks balance
exports), a Winbooks DBF dossier rebuilt from PARFILUX's real balance, an unsupported folder, and
DEMOBV: a generated Dutch company with two non-calendar fiscal years (July–June) as XAF files,
which ``add_entry``/``edit_line``/``delete_entry`` rewrite so the contract suite can check re-syncs.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
import weakref
from collections import defaultdict
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from sfsync.clock import Clock
from sfsync.sandbox import ASGIApp, Sandbox
from sfsync.truth import PackageTruth

from sfsync_onprem.agent import AgentApp
from sfsync_onprem.fixtures import (
    DEMO_ACCOUNTS,
    XafBook,
    XafEntry,
    XafLine,
    build_winbooks_parfilux,
    demo_book,
)
from sfsync_onprem.sandbox_truth import books_truth

BASE_URL = "http://onprem-agent.sandbox"

SAMPLE_FOLDERS = {
    "TORO-ROSSO": ["ExactOnline_V32_2016.xml"],
    "BANANA-NL": ["auditfile_v3.2_nl_20180101_20181231.xaf"],
    "VOORBEELD-XAF4": ["pyxaf-example-2024_XAF4.0.xaf"],
    "XAF32-DOC-EXAMPLE": ["XmlAuditfileFinancieel3.2_test.xml"],
    "SELSKAPET-AS": ["ExampleFile_SAF-T_Financial_999999999_20161125213512.xml"],
    "PARFILUX-EXPORTS": ["PARFILUX_Balance_periodique_generale.csv", "PARFILUX_Balance_courante_clients.csv",
                         "PARFILUX_Balance_courante_fournisseurs.csv"],
}


def sample_path(name: str) -> Path:
    return Path(str(resources.files("sfsync_onprem") / "sandbox_data" / name))


TOKEN = "sbx-onprem-agent-token-0001"


class OnpremSandbox(Sandbox):
    connector = "onprem"
    base_urls = (BASE_URL,)

    def __init__(self, clock: Clock | None = None, *, root: Path | None = None) -> None:
        self.clock = clock or Clock()
        # A fixed fake token: the docs and `sfsync sandbox serve` show the one a client must send.
        self.token = TOKEN
        if root is None:
            root = Path(tempfile.mkdtemp(prefix="sfsync-onprem-"))
            self._finalizer = weakref.finalize(self, shutil.rmtree, str(root), True)
        self.root = root
        self.books: list[XafBook] = []
        self._seed()
        super().__init__()

    # --- seeding --------------------------------------------------------------------------------

    def _seed(self) -> None:
        for folder, files in SAMPLE_FOLDERS.items():
            target = self.root / folder
            target.mkdir(exist_ok=True)
            for name in files:
                shutil.copyfile(sample_path(name), target / name)
        build_winbooks_parfilux(self.root / "PARFILUX", sample_path("PARFILUX_Balance_periodique_generale.csv"))
        unsupported = self.root / "EXPERTM-CLIENT"
        unsupported.mkdir(exist_ok=True)
        (unsupported / "DOSSIER.DAT").write_bytes(b"\x00\x01EXPERTM\x00" * 8)
        today = self.clock.now().date()
        start = dt.date(today.year if today.month >= 7 else today.year - 1, 7, 1)
        prev_start = dt.date(start.year - 1, 7, 1)
        prev = demo_book(f"{prev_start.year}-{start.year}", prev_start, start - dt.timedelta(days=1),
                         until=start - dt.timedelta(days=1), seed=1, late_invoice=True)
        current = demo_book(f"{start.year}-{start.year + 1}", start, dt.date(start.year + 1, 6, 30),
                            until=today, seed=2, opening=_carry_forward(prev))
        self.books = [prev, current]
        (self.root / "DEMOBV").mkdir(exist_ok=True)
        for book in self.books:
            self._write(book)

    def _path(self, book: XafBook) -> Path:
        return self.root / "DEMOBV" / f"auditfile_{book.start:%Y%m%d}_{book.end:%Y%m%d}.xaf"

    def _write(self, book: XafBook) -> None:
        path = self._path(book)
        before = path.stat().st_mtime_ns if path.exists() else 0
        book.write(path)
        # A rewrite must look changed even within the file system's timestamp resolution.
        stamp = max(before + 1_000_000_000, path.stat().st_mtime_ns)
        os.utime(path, ns=(stamp, stamp))

    # --- the Sandbox contract -------------------------------------------------------------------

    def build_app(self) -> ASGIApp:
        self.agent = AgentApp(self.root, self.token)
        return self.agent  # type: ignore[return-value]

    def revoke(self) -> None:
        # The service restarted with a new token: the stored one is refused until it is given.
        self._revocations = getattr(self, "_revocations", 0) + 1
        self.token = f"{TOKEN}-{self._revocations}"
        self.agent.set_token(self.token)

    def rotate_token(self) -> str:
        """Restart the sync service with a new token, as an admin rotating it does; the old
        token is refused from now on. Returns the new token."""
        prefix, _, number = self.token.rpartition("-")
        self.token = f"{prefix}-{int(number) + 1:04d}"
        self.faults.app = self.build_app()
        return self.token

    def connection_config(self) -> dict[str, Any]:
        return {"url": BASE_URL}

    def connection_secrets(self) -> dict[str, str]:
        return {"token": self.token}

    def bad_connection_secrets(self) -> dict[str, str]:
        return {"token": "not-the-agent-token-42"}

    def company_refs(self) -> list[str]:
        return ["DEMOBV", "PARFILUX", "TORO-ROSSO", "BANANA-NL", "VOORBEELD-XAF4", "SELSKAPET-AS",
                "PARFILUX-EXPORTS", "XAF32-DOC-EXAMPLE"]

    def truth(self, company_ref: str) -> PackageTruth:
        self._book(company_ref)  # only DEMOBV is generated, so only its truth is known
        return books_truth(self.books)

    def _book(self, company_ref: str) -> XafBook:
        if company_ref != "DEMOBV":
            raise NotImplementedError(f"only DEMOBV is generated (and changeable); not {company_ref}")
        return self.books[-1]

    @staticmethod
    def _ids(book: XafBook, entry: XafEntry) -> list[str]:
        return [f"{book.label}:{entry.journal}:{entry.nr}:{i}" for i in range(1, len(entry.lines) + 1)]

    def add_entry(self, company_ref: str) -> list[str]:
        book = self._book(company_ref)
        today = min(max(self.clock.now().date(), book.start), book.end)
        n = sum(1 for e in book.entries if e.journal == "MEM") + 1
        entry = XafEntry("MEM", f"{book.start.year % 100:02d}ADD{n:04d}", today, book.period_of(today),
                         "Correctie (sandbox)", [XafLine("4200", Decimal("123.45")), XafLine("1000", Decimal("-123.45"))])
        book.entries.append(entry)
        self._write(book)
        return self._ids(book, entry)

    def edit_line(self, company_ref: str) -> str:
        book = self._book(company_ref)
        entry = book.entries[len(book.entries) // 2]
        line = entry.lines[0]
        line.desc = (line.desc or entry.desc) + " (gewijzigd)"
        self._write(book)
        return self._ids(book, entry)[0]

    def delete_entry(self, company_ref: str) -> list[str]:
        book = self._book(company_ref)
        entry = book.entries.pop(1)
        self._write(book)
        return self._ids(book, entry)


def _carry_forward(book: XafBook) -> list[tuple[str, Decimal]]:
    kinds = {code: tp for code, _name, tp in DEMO_ACCOUNTS}
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for code, amount in book.opening:
        totals[code] += amount
    for entry in book.entries:
        for line in entry.lines:
            target = line.account if kinds.get(line.account) == "B" else "0500"
            totals[target] += line.amount
    return [(code, amt) for code, amt in sorted(totals.items()) if amt]
