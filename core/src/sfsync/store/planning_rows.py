"""Everything the nightly planner and the status pages need about every dossier, read set-based.

Deciding which dossiers are due (:meth:`sfsync.api.Sfsync.due_dossiers`) needs, per dossier, its
link, its administrative link, the connection it syncs through and its last run; a firm's status
(:meth:`~sfsync.api.Sfsync.status`) and its Syncs page (:meth:`~sfsync.api.Sfsync.connection_states`)
need the same records. Read one dossier at a time that is five round trips a dossier (about 12 ms
each on a loaded machine: two minutes at 10,000 dossiers before the first run can start, and
seconds for every view of a firm of 2,000 dossiers). :meth:`PlanningRows.nightly_rows` reads the
same records for every dossier of every firm, or of one firm, in five statements whatever the
number of dossiers: the dossiers, their links, their administrative links, the connections those
links name, and each dossier's last run (found through the ``runs_by_dossier`` index, one look-up
per dossier inside one statement, so a long run history costs nothing extra).
:meth:`PlanningRows.recent_runs` reads the recent history of many dossiers at once (a status page
asks it only for dossiers whose last run did not finish, to tell whether they are partly updated).

Both SQL stores run the same statements; each store's own ``_read`` decodes the rows, so a
record read here equals the one the per-dossier methods (``get_link``, ``get_admin_link``,
``get_connection``, ``last_run``, ``list_runs``) return.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple, Protocol, runtime_checkable

from sfsync.store.base import ConnectionRecord, DossierRecord, LinkRecord, RunRecord
from sfsync.store.levels_rows import ADMIN_LINK_COLUMNS, admin_link_of
from sfsync.store.tables import CONNECTIONS, LINKS, RUNS

if TYPE_CHECKING:
    from sfsync.store.tables import Table

__all__ = ["NightlyRow", "PlanningRows", "PlansNights"]

# The dossiers read: every firm's, or one firm's ({p} is the firm id).
_ALL_DOSSIERS = "SELECT d.id FROM dossiers d"
_FIRM_DOSSIERS = "SELECT d.id FROM dossiers d WHERE d.firm_id = {p}"

# The latest run of each dossier, ordered as ``last_run`` orders them (newest start, then id).
_LAST_RUN_OF_EACH = (
    "id IN (SELECT (SELECT r.id FROM runs r WHERE r.dossier_id = scoped.id"
    " ORDER BY r.started_at DESC, r.id DESC LIMIT 1) FROM ({dossiers}) scoped)"
)

# The connections the links of the dossiers name (a link names a connection of its dossier's
# firm, but reading them through the links keeps the row equal to ``get_connection`` whatever).
_LINKED_CONNECTIONS = (
    "id IN (SELECT connection_id FROM links WHERE dossier_id IN ({dossiers})"
    " UNION SELECT connection_id FROM admin_links WHERE dossier_id IN ({dossiers}))"
)

# The newest ``limit`` runs of each of the dossiers, ordered as ``list_runs`` orders them.
_RECENT_RUNS = (
    "id IN (SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY dossier_id"
    " ORDER BY started_at DESC, id DESC) AS newest FROM runs WHERE dossier_id IN ({ids})) ranked"
    " WHERE newest <= {limit})"
)

# Dossier ids bound in one statement: well under SQLite's limit of bound parameters.
_IDS_PER_STATEMENT = 500


class NightlyRow(NamedTuple):
    """One dossier as the nightly planner and the status pages see it.

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

    def nightly_rows(self, firm_id: str | None = None) -> list[NightlyRow]:
        """Every dossier of every firm (or of the firm ``firm_id``), ordered as
        ``list_dossiers(firm_id)`` orders them."""
        ...

    def recent_runs(self, dossier_ids: Iterable[str], *, limit: int = 20) -> dict[str, list[RunRecord]]:
        """The newest ``limit`` runs of each dossier, newest first, as ``list_runs`` gives them."""
        ...


class PlanningRows:
    """The set-based reads of the planner and the status pages (mixed into each SQL store)."""

    placeholder: ClassVar[str] = "?"

    if TYPE_CHECKING:  # provided by the store
        def _read(self, table: Table, where: str, params: Sequence[Any], *, order: str = "") -> list[Any]: ...
        def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]: ...
        def list_dossiers(self, firm_id: str | None = None) -> list[DossierRecord]: ...

    def nightly_rows(self, firm_id: str | None = None) -> list[NightlyRow]:
        """Every dossier with its links, connection and last run, ordered as ``list_dossiers()``
        orders them: five statements, whatever the number of dossiers.

        Args:
            firm_id: Only this firm's dossiers (a firm's status and Syncs pages); ``None``, every
                firm's (the nightly planner).

        Returns:
            One row a dossier.
        """
        dossiers = self.list_dossiers(firm_id)
        if firm_id is None:  # the planner: every row of each table, no filter to pay for
            firm: tuple[str, ...] = ()
            of_dossiers, linked, scope = "1 = 1", "1 = 1", _ALL_DOSSIERS
        else:
            firm = (firm_id,)
            of_dossiers = f"dossier_id IN ({_FIRM_DOSSIERS})"
            linked, scope = _LINKED_CONNECTIONS.format(dossiers=_FIRM_DOSSIERS), _FIRM_DOSSIERS
        links: dict[str, LinkRecord] = {r.dossier_id: r for r in self._read(LINKS, of_dossiers, firm)}
        admin_sql = f"SELECT {ADMIN_LINK_COLUMNS} FROM admin_links WHERE {of_dossiers}"
        admin = {row[0]: admin_link_of(row) for row in self._all(admin_sql.format(p=self.placeholder), firm)}
        connections: dict[str, ConnectionRecord] = {
            r.id: r for r in self._read(CONNECTIONS, linked, firm * 2)}
        last: dict[str, RunRecord] = {
            r.dossier_id: r for r in self._read(RUNS, _LAST_RUN_OF_EACH.format(dossiers=scope), firm)}
        rows = []
        for dossier in dossiers:
            link, admin_link = links.get(dossier.id), admin.get(dossier.id)
            chosen = link or admin_link
            rows.append(NightlyRow(dossier, link, admin_link,
                                   connections.get(chosen.connection_id) if chosen else None, last.get(dossier.id)))
        return rows

    def recent_runs(self, dossier_ids: Iterable[str], *, limit: int = 20) -> dict[str, list[RunRecord]]:
        """The newest ``limit`` runs of each dossier, newest first, as ``list_runs`` gives them:
        one statement for every 500 dossiers.

        Args:
            dossier_ids: The dossiers.
            limit: How many runs of each.

        Returns:
            Dossier id → its runs; a dossier that never ran maps to ``[]``.
        """
        wanted = list(dict.fromkeys(dossier_ids))
        found: dict[str, list[RunRecord]] = {d: [] for d in wanted}
        for start in range(0, len(wanted), _IDS_PER_STATEMENT):
            chunk = wanted[start:start + _IDS_PER_STATEMENT]
            where = _RECENT_RUNS.format(ids=", ".join(["{p}"] * len(chunk)), limit=int(limit))
            for run in self._read(RUNS, where, chunk, order="dossier_id, started_at DESC, id DESC"):
                found[run.dossier_id].append(run)
        return found
