"""Everything the nightly planner needs about every dossier, read in a few set-based queries.

Deciding which dossiers are due (:meth:`sfsync.api.Sfsync.due_dossiers`) needs, per dossier, its
link, its administrative link, the connection it syncs through and its last run. Read one dossier
at a time that is five round trips a dossier (about 12 ms each on a loaded machine: two minutes
at 10,000 dossiers before the first run can start). :meth:`PlanningRows.nightly_rows` reads the
same records for every dossier of every firm in five statements whatever the number of dossiers:
the dossiers, all links, all administrative links, all connections, and each dossier's last run
(found through the ``runs_by_dossier`` index, one look-up per dossier inside one statement, so
a long run history costs nothing extra).

Both SQL stores run the same statements; each store's own ``_read`` decodes the rows, so a
record read here equals the one the per-dossier methods (``get_link``, ``get_admin_link``,
``get_connection``, ``last_run``) return.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, runtime_checkable

from sfsync.store.base import ConnectionRecord, DossierRecord, LinkRecord, RunRecord
from sfsync.store.levels_rows import ADMIN_LINK_COLUMNS, admin_link_of
from sfsync.store.tables import CONNECTIONS, LINKS, RUNS

if TYPE_CHECKING:
    from sfsync.store.tables import Table

__all__ = ["NightlyRow", "PlanningRows", "PlansNights"]

# The latest run of each dossier, ordered as ``last_run`` orders them (newest start, then id).
_LAST_RUNS = (
    "id IN (SELECT (SELECT r.id FROM runs r WHERE r.dossier_id = d.id"
    " ORDER BY r.started_at DESC, r.id DESC LIMIT 1) FROM dossiers d)"
)


class NightlyRow(NamedTuple):
    """One dossier as the nightly planner sees it.

    Attributes:
        dossier: The dossier.
        link: Its accounting link, if any.
        admin_link: Its administrative (``details``) link, if any.
        connection: The connection of ``link``, or of ``admin_link`` when it has no accounting
            link; ``None`` when unlinked (or the connection is gone).
        last_run: Its most recent run, if it ever ran.
    """

    dossier: DossierRecord
    link: LinkRecord | None
    admin_link: LinkRecord | None
    connection: ConnectionRecord | None
    last_run: RunRecord | None


@runtime_checkable
class PlansNights(Protocol):
    """A store that reads the planner's rows set-based (both SQL stores)."""

    def nightly_rows(self) -> list[NightlyRow]:
        """Every dossier of every firm, ordered as ``list_dossiers()`` orders them."""
        ...


class PlanningRows:
    """The planner's set-based read (mixed into each SQL store)."""

    if TYPE_CHECKING:  # provided by the store
        def _read(self, table: Table, where: str, params: Sequence[Any], *, order: str = "") -> list[Any]: ...
        def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]: ...
        def list_dossiers(self, firm_id: str | None = None) -> list[DossierRecord]: ...

    def nightly_rows(self) -> list[NightlyRow]:
        """Every dossier of every firm with its links, connection and last run, ordered as
        ``list_dossiers()`` orders them: five statements, whatever the number of dossiers."""
        dossiers = self.list_dossiers()
        links: dict[str, LinkRecord] = {r.dossier_id: r for r in self._read(LINKS, "1 = 1", ())}
        admin = {row[0]: admin_link_of(row) for row in self._all(f"SELECT {ADMIN_LINK_COLUMNS} FROM admin_links")}
        connections: dict[str, ConnectionRecord] = {r.id: r for r in self._read(CONNECTIONS, "1 = 1", ())}
        last: dict[str, RunRecord] = {r.dossier_id: r for r in self._read(RUNS, _LAST_RUNS, ())}
        rows = []
        for dossier in dossiers:
            link, admin_link = links.get(dossier.id), admin.get(dossier.id)
            chosen = link or admin_link
            rows.append(NightlyRow(dossier, link, admin_link,
                                   connections.get(chosen.connection_id) if chosen else None, last.get(dossier.id)))
        return rows
