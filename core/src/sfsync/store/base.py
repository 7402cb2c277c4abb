"""The Store protocol and the records it keeps.

A store keeps every dossier's figures in *generations*. Incremental syncs write into the active
generation. A *replace* sync, and the first sync of a *since* link, write into a new generation
(a *since* one starts with a copy of the data dated before the date, ``keep_before``; a replace
or a manual import one with a copy of the data outside the dates it brings, ``keep_outside``)
that is swapped in only when complete, so a failed run leaves the old data untouched. Every batch is written together with its
cursor in one transaction (:meth:`Store.write_ledger_batch`), so a crash resumes from the last
checkpoint with nothing lost and nothing doubled.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from sfsync.models import (
    Account,
    CompanyDetails,
    FiscalYear,
    Granularity,
    LedgerBatch,
    LedgerLine,
    OpeningBalance,
    SyncMode,
    TrialBalanceBatch,
    TrialBalanceLine,
)
from sfsync.store.movement_rows import LedgerMovement, PeriodTotal, YearSpan

__all__ = [
    "CompanyDetailsRecord",
    "ConnectionRecord",
    "DossierRecord",
    "Firm",
    "LinkRecord",
    "RunRecord",
    "Store",
    "User",
]

Role = Literal["admin", "member", "support"]
"""``admin`` and ``member`` belong to a firm; ``support`` is staff of the host, across firms (its
``firm_id`` is empty), and the only role that creates or changes a support-level connection."""


@dataclass(frozen=True)
class Firm:
    """An accounting office."""

    id: str
    name: str


@dataclass(frozen=True)
class User:
    """A person of a firm (``admin`` may add and remove connections), or support staff of the
    host (``role="support"``, ``firm_id=""``)."""

    id: str
    firm_id: str
    email: str
    role: Role


@dataclass
class ConnectionRecord:
    """A firm's authorised link to one package account. ``sealed`` is the encrypted blob of
    secrets, tokens and connection state; nothing secret is kept in clear.

    Attributes:
        owner_dossier_id: For a dossier-level connection (Xero), the one dossier whose login made
            it; no other dossier may link to it.
        created_by: The id of the user who created it (support staff for a support-level one).
        status_cause: Why the connection needs re-consent (the package's refusal, in words).
    """

    id: str
    firm_id: str
    connector: str
    label: str
    level: str
    config: dict[str, Any]
    sealed: bytes
    status: Literal["ok", "needs_reconsent"] = "ok"
    created_at: dt.datetime | None = None
    owner_dossier_id: str | None = None
    created_by: str | None = None
    status_cause: str | None = None

    def __repr__(self) -> str:  # the blob is encrypted, but there is no reason to print it
        return f"ConnectionRecord(id={self.id!r}, connector={self.connector!r}, status={self.status!r})"


@dataclass(frozen=True)
class DossierRecord:
    """The firm's client file."""

    id: str
    firm_id: str
    name: str


@dataclass
class LinkRecord:
    """A dossier's sync settings."""

    dossier_id: str
    connection_id: str
    company_ref: str
    company_name: str
    mode: SyncMode
    granularity: Granularity
    since: dt.date | None = None
    first_year_end: dt.date | None = None
    fiscal_years_override: list[FiscalYear] | None = None
    needs_full_sync: bool = True
    opening_balances_done: bool = False
    opening_balances_stamp: str | None = None
    """What the connector said about the figures before the date when the opening balances were
    fetched (:func:`~sfsync.hookspecs.sfsync_history_stamp`); a different answer re-fetches them."""
    created_at: dt.datetime | None = None


@dataclass(frozen=True)
class CompanyDetailsRecord:
    """One kept version of a dossier's company details: what came, from which connection, when."""

    dossier_id: str
    source: str
    fetched_at: dt.datetime
    details: CompanyDetails


@dataclass
class RunRecord:
    """The result of one sync run of one dossier."""

    id: str
    dossier_id: str
    started_at: dt.datetime
    finished_at: dt.datetime | None = None
    status: Literal["running", "ok", "warning", "failed", "skipped", "waiting"] = "running"
    stage: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    requests: int = 0
    rate_limit_waits: int = 0
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    error_kind: str | None = None
    resume_at: dt.datetime | None = None

    @property
    def duration(self) -> float | None:
        """Seconds from start to finish."""
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


@runtime_checkable
class Store(Protocol):
    """What the runner and the API need from a store. Amounts are stored exactly."""

    # --- firms, users, connections, dossiers, links ---------------------------------------------
    def create_firm(self, name: str) -> Firm: ...
    def get_firm(self, firm_id: str) -> Firm: ...
    def list_firms(self) -> list[Firm]: ...
    def add_user(self, firm_id: str, email: str, role: Role) -> User: ...
    def get_user(self, user_id: str) -> User: ...
    def find_user(self, firm_id: str, email: str) -> User | None: ...
    def list_users(self, firm_id: str) -> list[User]: ...
    def add_support_user(self, email: str) -> User: ...
    def find_support_user(self, email: str) -> User | None: ...
    def add_connection(self, record: ConnectionRecord) -> None: ...
    def get_connection(self, connection_id: str) -> ConnectionRecord: ...
    def list_connections(self, firm_id: str) -> list[ConnectionRecord]: ...
    def update_connection(
        self,
        connection_id: str,
        *,
        sealed: bytes | None = None,
        status: str | None = None,
        cause: str | None = None,
        config: dict[str, Any] | None = None,
    ) -> None:
        """Change what is given; a new ``status`` sets ``status_cause`` to ``cause`` (``None``
        clears it)."""
        ...
    def delete_connection(self, connection_id: str) -> None: ...
    def add_dossier(self, firm_id: str, name: str) -> DossierRecord: ...
    def get_dossier(self, dossier_id: str) -> DossierRecord: ...
    def find_dossier(self, firm_id: str, name: str) -> DossierRecord | None: ...
    def list_dossiers(self, firm_id: str | None = None) -> list[DossierRecord]: ...
    def delete_dossier(self, dossier_id: str) -> None: ...
    def save_link(self, link: LinkRecord) -> None: ...
    def get_link(self, dossier_id: str) -> LinkRecord | None: ...
    def delete_link(self, dossier_id: str) -> None: ...
    def save_admin_link(self, link: LinkRecord) -> None:
        """Save a dossier's administrative link (granularity ``details``), beside its accounting one."""
        ...
    def get_admin_link(self, dossier_id: str) -> LinkRecord | None: ...
    def delete_admin_link(self, dossier_id: str) -> None: ...

    # --- administrative data --------------------------------------------------------------------
    def save_company_details(
        self, dossier_id: str, source: str, details: CompanyDetails, *, at: dt.datetime
    ) -> bool:
        """Keep ``details`` as the dossier's current version unless they equal it; whether a
        new version was kept."""
        ...
    def company_details(self, dossier_id: str) -> CompanyDetailsRecord | None: ...
    def company_details_history(self, dossier_id: str, *, limit: int = 20) -> list[CompanyDetailsRecord]:
        """The kept versions, newest first."""
        ...

    # --- generations and figures ----------------------------------------------------------------
    def active_generation(self, dossier_id: str) -> int | None: ...
    def building_generation(self, dossier_id: str) -> int | None: ...
    def begin_generation(
        self, dossier_id: str, *, keep_before: dt.date | None, keep_outside: tuple[dt.date, dt.date] | None = None
    ) -> int: ...
    def swap_generation(self, dossier_id: str, generation: int) -> None: ...
    def discard_generation(self, dossier_id: str, generation: int) -> None: ...
    def write_fiscal_years(self, dossier_id: str, generation: int, years: Sequence[FiscalYear]) -> None: ...
    def write_accounts(self, dossier_id: str, generation: int, accounts: Sequence[Account]) -> None: ...
    def write_opening_balances(
        self, dossier_id: str, generation: int, source: str, balances: Sequence[OpeningBalance]
    ) -> None: ...
    def write_ledger_batch(
        self, dossier_id: str, generation: int, source: str, batch: LedgerBatch, *, stream: str
    ) -> None: ...
    def write_trial_balance_batch(
        self, dossier_id: str, generation: int, source: str, batch: TrialBalanceBatch, *, stream: str
    ) -> None: ...
    def flush(self, dossier_id: str | None = None) -> None:
        """Wait until every ledger batch handed over is committed, and raise the failure of one
        of ``dossier_id`` (None: of any dossier) that was not. A store may return from
        :meth:`write_ledger_batch` before its batch is committed (PostgreSQL sends one batch
        ahead): its failure is raised by the dossier's next write, by :meth:`swap_generation` or
        here, and nothing of it (lines nor checkpoint) is stored. A store that commits within
        each call has nothing to do."""

    def get_checkpoint(self, dossier_id: str, generation: int, stream: str) -> str | None: ...
    def clear_checkpoints(self, dossier_id: str, generation: int) -> None: ...
    def fiscal_years(self, dossier_id: str, generation: int | None = None) -> list[FiscalYear]: ...
    def accounts(self, dossier_id: str, generation: int | None = None) -> list[Account]: ...
    def ledger_lines(
        self,
        dossier_id: str,
        generation: int | None = None,
        *,
        start: dt.date | None = None,
        end: dt.date | None = None,
    ) -> Iterator[LedgerLine]: ...
    def period_totals(
        self, dossier_id: str, spans: Sequence[YearSpan], generation: int | None = None
    ) -> list[PeriodTotal]: ...
    def ledger_movements(self, dossier_id: str, generation: int | None = None) -> list[LedgerMovement]: ...
    def count_ledger_lines(
        self, dossier_id: str, generation: int | None = None, *, source: str | None = None
    ) -> int: ...
    def unbalanced_entries(
        self, dossier_id: str, generation: int, source: str, *, limit: int = 20
    ) -> list[tuple[str, str]]: ...
    def trial_balance(self, dossier_id: str, generation: int | None = None) -> list[TrialBalanceLine]: ...
    def opening_balances(self, dossier_id: str, generation: int | None = None) -> list[OpeningBalance]: ...

    # --- runs and locks -------------------------------------------------------------------------
    def start_run(self, run: RunRecord) -> None: ...
    def finish_run(self, run: RunRecord) -> None: ...
    def list_runs(self, dossier_id: str, *, limit: int = 20) -> list[RunRecord]: ...
    def last_run(self, dossier_id: str) -> RunRecord | None: ...
    def try_lock(self, dossier_id: str, owner: str, *, ttl: float) -> bool: ...
    def release_lock(self, dossier_id: str, owner: str) -> None: ...
    def close(self) -> None: ...
