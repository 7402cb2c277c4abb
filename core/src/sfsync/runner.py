"""The sync runner: it owns the semantics so that no connector has to get them right alone.

One run per dossier at a time (a lock in the store). Stages: fiscal years → accounts → (opening
balances) → ledger or trial balance → finish. Each batch is written with its cursor in one
transaction, so a crash resumes from the last checkpoint. A *replace* sync, and the first sync of a
*since* link, build a new generation that is swapped in only on success. Deletions reported by the
package are applied. A fatal error stops that dossier only and is recorded with a message a person
can act on; a spent daily budget leaves the run *waiting* until the budget is back. A transient
fault that outlasts the HTTP retries (a package down for a few minutes at night) makes the run wait
and resume from its last checkpoint (``Runner.resume_waits``) before it counts as a failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import logging
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol

import httpx

from sfsync.auth import OAuth2Spec, TokenSet
from sfsync.balance_tally import EntryTally
from sfsync.clock import Clock
from sfsync.context import ConnectorContext, LinkSettings, Secrets
from sfsync.errors import (
    AlreadyRunning,
    AuthError,
    BudgetExhausted,
    ConfigurationError,
    FullResyncRequired,
    NeedsReconsent,
    RateLimited,
    RetriableError,
    SfsyncError,
)
from sfsync.fiscal_years import effective_years, merge_years, span
from sfsync.http.ratelimit import InMemoryLimiterBackend, LimiterBackend
from sfsync.http.transport import RetryPolicy
from sfsync.levels import reconsent_hint
from sfsync.models import Company, FiscalYear, Granularity, LedgerBatch, SyncMode, TrialBalanceBatch
from sfsync.opening import OpeningPlan, plan_opening_balances, replace_opening_balances
from sfsync.partial_runs import mark_partial
from sfsync.placement import counted_from
from sfsync.plugins import PluginRegistry
from sfsync.secrets import SecretBox
from sfsync.store.base import ConnectionRecord, LinkRecord, RunRecord, Store
from sfsync.store.run_housekeeping import begin_run, end_run
from sfsync.unique_ids import refuse_repeated_ids

__all__ = ["RunObserver", "Runner", "StoreVault"]

log = logging.getLogger("sfsync.runner")

LOCK_TTL = 6 * 3600.0
_UNBALANCED = " does not balance: debit - credit ="
_OPENINGS = "opening_balances"  # the checkpoint stream that says a building generation has them


def balance_warnings(
    store: Store, dossier_id: str, generation: int, source: str, tally: EntryTally | None = None
) -> list[str]:
    """One warning per entry of ``source`` whose debits and credits differ (what a run and an
    import report, and what a later unchanged run carries over).

    ``tally``: what a full run counted as it wrote its lines; it answers instead of a scan of
    the stored lines when they are exactly the lines it counted (same number, nothing deleted).
    """
    if tally is not None and tally.usable and store.count_ledger_lines(dossier_id, generation, source=source) == tally.lines:
        found = tally.unbalanced()
    else:
        found = store.unbalanced_entries(dossier_id, generation, source)
    return [f"entry {entry}{_UNBALANCED} {difference}" for entry, difference in found]


class RunObserver(Protocol):
    """Follows a run (progress bars, tests). Every method is optional."""

    def stage(self, dossier: str, stage: str) -> None: ...
    def progress(self, dossier: str, what: str, count: int) -> None: ...
    def batch_committed(self, dossier: str, batches: int) -> None: ...


class _NoObserver:
    def stage(self, dossier: str, stage: str) -> None:
        pass

    def progress(self, dossier: str, what: str, count: int) -> None:
        pass

    def batch_committed(self, dossier: str, batches: int) -> None:
        pass


class StoreVault:
    """A connection's tokens and state, sealed in the store; one refresher at a time."""

    _locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    def __init__(self, store: Store, box: SecretBox, connection_id: str, lock_factory: Any = None) -> None:
        self.store = store
        self.box = box
        self.connection_id = connection_id
        self.lock_factory = lock_factory

    def _open(self) -> dict[str, Any]:
        record = self.store.get_connection(self.connection_id)
        return dict(self.box.open(record.sealed))

    def _write(self, content: dict[str, Any]) -> None:
        self.store.update_connection(self.connection_id, sealed=self.box.seal(content))

    async def load(self) -> TokenSet | None:
        tokens = self._open().get("tokens")
        return TokenSet.model_validate(tokens) if tokens else None

    async def save(self, tokens: TokenSet) -> None:
        content = self._open()
        content["tokens"] = tokens.reveal()
        self._write(content)

    async def save_state(self, state: dict[str, Any]) -> None:
        # Under the connection's lock: a refresher may be rotating the tokens in the same blob.
        async with self.lock():
            content = self._open()
            content["state"] = state
            self._write(content)

    async def update_state(self, change: Any) -> dict[str, Any]:
        async with self.lock():
            content = self._open()
            state = dict(content.get("state") or {})
            change(state)
            content["state"] = state
            self._write(content)
            return state

    def lock(self) -> contextlib.AbstractAsyncContextManager[None]:
        if self.lock_factory is not None:
            return self.lock_factory(self.connection_id)  # type: ignore[no-any-return]
        return _AsyncLockContext(self._locks[self.connection_id])


@dataclasses.dataclass
class _Ending:
    """What a run's figures leave to its last transaction (:func:`~sfsync.store.run_housekeeping.end_run`):
    the generation a full run built, to swap in, and the link, when the run changed its flags."""

    swap: int | None = None
    link: LinkRecord | None = None


class _AsyncLockContext:
    def __init__(self, lock: asyncio.Lock) -> None:
        self._lock = lock

    async def __aenter__(self) -> None:
        await self._lock.acquire()

    async def __aexit__(self, *exc: object) -> None:
        self._lock.release()


@dataclasses.dataclass
class Runner:
    """Runs syncs. Build it through :class:`sfsync.api.Sfsync`, which wires the parts."""

    store: Store
    registry: PluginRegistry
    box: SecretBox
    clock: Clock = dataclasses.field(default_factory=Clock)
    transports: Mapping[str, httpx.AsyncBaseTransport] = dataclasses.field(default_factory=dict)
    limiter: LimiterBackend = dataclasses.field(default_factory=InMemoryLimiterBackend)
    retry: RetryPolicy = dataclasses.field(default_factory=RetryPolicy)
    lock_factory: Any = None
    network: httpx.AsyncBaseTransport | None = None
    """The network transport every run's contexts share (a Celery worker's
    :class:`~sfsync.http.network.SharedNetwork`, kept alive between runs); by default each run
    opens and closes its own."""
    resume_waits: tuple[float, ...] = (30.0, 120.0)
    """Seconds to wait, on :attr:`clock`, before resuming a run from its last checkpoint when a
    transient fault (:class:`~sfsync.errors.RetriableError`) outlasts the HTTP retries; one entry
    per resume. Empty: such a run fails at once (and the next run resumes)."""
    details_interval: dt.timedelta = dt.timedelta(hours=20)
    """Company details are fetched on a link's full sync and then at most once per this interval
    (once a night), so that a second "sync now" of an unchanged dossier costs no extra request."""

    # --- contexts ---------------------------------------------------------------------------------

    def context_for(
        self,
        connection: ConnectionRecord,
        *,
        dossier: str | None = None,
        link: LinkRecord | None = None,
        observer: RunObserver | None = None,
    ) -> ConnectorContext:
        """The connector context for a stored connection."""
        loaded = self.registry.connector(connection.connector)
        content = self.box.open(connection.sealed)
        vault = StoreVault(self.store, self.box, connection.id, self.lock_factory)
        watcher = observer or _NoObserver()
        return ConnectorContext(
            connector=connection.connector,
            connection_id=connection.id,
            auth_spec=loaded.auth,
            config=dict(connection.config),
            secrets=Secrets(content.get("secrets", {})),
            state=dict(content.get("state") or {}),
            vault=vault if isinstance(loaded.auth, OAuth2Spec) else None,
            dossier=dossier,
            link=LinkSettings(link.mode, link.granularity, link.since) if link else None,
            rate_limits=loaded.info.rate_limits,
            clock=self.clock,
            limiter=self.limiter,
            retry=self.retry,
            transports=self.transports,
            network=self.network,
            state_saver=vault.save_state,
            state_updater=vault.update_state,
            # A connector's own progress (reading a large file…) is reported as "reading:<what>":
            # the runner itself reports what was committed, which must not be overwritten.
            progress_callback=(lambda what, n: watcher.progress(dossier or "", f"reading:{what}", n)),
        )

    # --- a run ------------------------------------------------------------------------------------

    async def run(self, dossier_id: str, *, observer: RunObserver | None = None) -> RunRecord:
        """Sync one dossier and return the kept result. Never raises for a sync's own failure:
        the error is in the record. Raises :class:`AlreadyRunning` when another run holds it."""
        watcher = observer or _NoObserver()
        dossier = self.store.get_dossier(dossier_id)
        run = RunRecord(id=f"run_{uuid.uuid4().hex[:12]}", dossier_id=dossier_id, started_at=self.clock.now())
        # The lock and the run's start in one transaction, its end and the release in one.
        if not begin_run(self.store, run, ttl=LOCK_TTL):
            raise AlreadyRunning(f"dossier {dossier.name} is already being synced; try again when it ends")
        self._close_interrupted_runs(dossier_id, run.id)
        ending = _Ending()  # what the figures' stages leave to the run's last transaction
        ctx: ConnectorContext | None = None
        refusing: list[ConnectionRecord] = []  # the connection in use, marked if it refuses us
        where = f"dossier {dossier.name}"  # completed with the connector once it is known
        try:
            link = self.store.get_link(dossier_id)
            admin = self.store.get_admin_link(dossier_id)
            if link is None and admin is None:
                raise ConfigurationError(f"dossier {dossier.name} is not linked to a package; link it first")
            if link is not None:
                connection = self.store.get_connection(link.connection_id)
                if connection.firm_id != dossier.firm_id:  # never made by the API; refuse a store that has one
                    raise ConfigurationError(
                        f"dossier {dossier.name} is linked to a connection of another firm; link it again"
                    )
                refusing[:] = [connection]
                context = {"connector": connection.connector, "dossier": dossier.name, "company": link.company_ref}
                where = f"dossier {dossier.name}, connector {connection.connector}"
                try:
                    _refuse_if_needs_reconsent(connection)
                    for attempt in range(2):
                        ctx = self.context_for(connection, dossier=dossier.name, link=link, observer=watcher)
                        try:
                            await self._stages_resuming(run, dossier_id, link, connection, ctx, watcher, ending)
                            break
                        except FullResyncRequired as exc:
                            if attempt == 1:
                                raise
                            ctx.warn(f"full resync: {exc.message}")
                            building = self.store.building_generation(dossier_id)
                            if building is not None:
                                self.store.discard_generation(dossier_id, building)
                            link.needs_full_sync = True
                            self.store.save_link(link)
                            warnings, stats = ctx.warnings, ctx.stats
                            await ctx.aclose()
                            run.warnings.extend(warnings)
                            run.requests += stats.requests
                except SfsyncError as exc:
                    raise exc.with_context(**context) from exc.__cause__
            if admin is not None:
                await self._administrative(run, dossier.name, admin, watcher, alone=link is None, refusing=refusing)
            if ctx is not None:  # what the connector warned of counts as much as the batches' warnings
                run.warnings.extend(w for w in ctx.warnings if w not in run.warnings)
            run.status = "warning" if run.warnings else "ok"
        except asyncio.CancelledError:
            # A timeout or shutdown: what was committed stays; the next run resumes from it.
            run.status = "waiting"
            run.error = f"dossier {dossier.name}: the run was stopped before it finished; it resumes from its checkpoint"
            run.error_kind = "Cancelled"
            raise
        except BudgetExhausted as exc:
            run.status = "waiting"
            run.error = str(exc)
            run.error_kind = type(exc).__name__
            run.resume_at = exc.resume_at
        except AuthError as exc:
            # A refused credential (bad password, revoked key, a grant gone after refresh), whatever
            # the flavour: the connection needs re-consent, and every dossier on it waits for it.
            run.status = "failed"
            run.error = str(exc)
            run.error_kind = type(exc).__name__
            if refusing:
                self._mark_needs_reconsent(refusing[0], exc)
        except SfsyncError as exc:
            run.status = "failed"
            run.error = str(exc)
            run.error_kind = type(exc).__name__
        except Exception as exc:  # a connector bug: this dossier fails, the others go on
            log.exception("unexpected error while syncing dossier %s", dossier.name)
            run.status = "failed"
            run.error = (f"{where}: unexpected error in stage {run.stage or 'start'} "
                         f"({type(exc).__name__}: {exc}); please report it")
            run.error_kind = "InternalError"
        finally:
            if run.status in ("failed", "waiting"):
                # A full run's generation left to the swap below goes live with it: its batches count
                # as saved into the live data, as they did when the swap was made in the finish stage.
                live = ending.swap is not None or self.store.building_generation(dossier_id) is None
                mark_partial(run, into_live_data=live)
            if ctx is not None:
                run.warnings.extend(w for w in ctx.warnings if w not in run.warnings)
                run.requests += ctx.stats.requests
                run.rate_limit_waits += ctx.stats.rate_limit_waits
                await ctx.aclose()
            run.finished_at = self.clock.now()
            end_run(self.store, run, swap=ending.swap, link=ending.link)
        return run

    def _close_interrupted_runs(self, dossier_id: str, current: str) -> None:
        """Runs left ``running`` by a killed process are closed, once we hold the dossier's lock."""
        for earlier in self.store.list_runs(dossier_id, limit=6):  # the five before this one
            if earlier.status == "running" and earlier.id != current:
                earlier.status = "failed"
                earlier.error = "the process running this sync stopped before it finished; the next run resumed"
                earlier.error_kind = "Interrupted"
                earlier.finished_at = earlier.finished_at or self.clock.now()
                self.store.finish_run(earlier)

    def _mark_needs_reconsent(self, connection: ConnectionRecord, exc: AuthError) -> None:
        current = self.store.get_connection(connection.id)
        if current.status != "needs_reconsent":  # keep the first cause, not "needs re-consent"
            self.store.update_connection(connection.id, status="needs_reconsent", cause=exc.message)

    async def _administrative(
        self,
        run: RunRecord,
        dossier: str,
        admin: LinkRecord,
        watcher: RunObserver,
        *,
        alone: bool,
        refusing: list[ConnectionRecord],
    ) -> None:
        """The administrative link's stage. Beside an accounting link its failure is a warning
        (the figures were synced); on its own it is the run's outcome."""
        connection = self.store.get_connection(admin.connection_id)
        context = {"connector": connection.connector, "dossier": dossier, "company": admin.company_ref}
        ctx: ConnectorContext | None = None
        try:
            _refuse_if_needs_reconsent(connection)
            ctx = self.context_for(connection, dossier=dossier, link=admin, observer=watcher)
            kept = self.store.company_details(admin.dossier_id)
            relinked = kept is None or (admin.created_at is not None and admin.created_at > kept.fetched_at)
            company = Company(ref=admin.company_ref, name=admin.company_name)
            # A transient fault (5xx, 429) is waited out as for the figures, before it counts.
            await self._resuming(lambda: self._details(run, admin.dossier_id, connection, ctx, company, watcher,
                                                       full=relinked), ctx, admin.dossier_id, watcher)
        except SfsyncError as exc:
            if alone:
                refusing[:] = [connection]
                raise exc.with_context(**context) from exc.__cause__
            if isinstance(exc, AuthError):
                self._mark_needs_reconsent(connection, exc)
            run.warnings.append(f"dossier {dossier}: company details from {connection.connector} were not synced: "
                                f"{exc.message}")
        finally:
            if ctx is not None:
                run.warnings.extend(w for w in ctx.warnings if w not in run.warnings)
                run.requests += ctx.stats.requests
                run.rate_limit_waits += ctx.stats.rate_limit_waits
                await ctx.aclose()

    async def _details(
        self,
        run: RunRecord,
        dossier_id: str,
        connection: ConnectionRecord,
        ctx: ConnectorContext,
        company: Company,
        watcher: RunObserver,
        *,
        full: bool = False,
    ) -> None:
        """Fetch the company details and keep them when they changed. The connector gets the
        version it brought last, so a package that can tell may answer ``None``: unchanged."""
        kept = self.store.company_details(dossier_id)
        # Checked again only when due, unless they came from another connection (a new link).
        if kept is not None and kept.source == connection.id and not full and not self._details_due(dossier_id, run):
            return
        run.stage = "details"
        watcher.stage(ctx.dossier or dossier_id, run.stage)
        # A full sync (a new or changed link) asks afresh: the kept ones may be another company's.
        previous = kept.details if kept is not None and kept.source == connection.id and not full else None
        details = await self._call(
            connection.connector, "sfsync_fetch_company_details", ctx=ctx, company=company, previous=previous
        )
        changed = details is not None and self.store.save_company_details(
            dossier_id, connection.id, details, at=self.clock.now()
        )
        run.counts["details_changed"] = int(changed)

    def _details_due(self, dossier_id: str, run: RunRecord) -> bool:
        """Whether the details were last checked longer than :attr:`details_interval` ago."""
        for earlier in self.store.list_runs(dossier_id, limit=5):
            if earlier.id != run.id and "details_changed" in earlier.counts and earlier.status in ("ok", "warning"):
                return self.clock.now() - earlier.started_at >= self.details_interval
        return True

    async def _stages_resuming(
        self,
        run: RunRecord,
        dossier_id: str,
        link: LinkRecord,
        connection: ConnectionRecord,
        ctx: ConnectorContext,
        watcher: RunObserver,
        ending: _Ending,
    ) -> None:
        """The stages, resumed from the last checkpoint after a transient fault (see resume_waits)."""
        await self._resuming(lambda: self._stages(run, dossier_id, link, connection, ctx, watcher, ending),
                             ctx, dossier_id, watcher)

    async def _resuming(
        self, attempt_once: Callable[[], Awaitable[None]], ctx: ConnectorContext, dossier_id: str,
        watcher: RunObserver,
    ) -> None:
        """``attempt_once()``, again after each of :attr:`resume_waits` while it fails transiently."""
        for attempt, wait in enumerate((*self.resume_waits, None), start=1):
            try:
                await attempt_once()
                return
            except BudgetExhausted:
                raise  # a daily budget: waiting minutes would not bring it back
            except RetriableError as exc:
                if wait is None:
                    if attempt > 1:
                        exc.message = f"{exc.message} (still failing after {attempt} attempts)"
                    raise
                if isinstance(exc, RateLimited) and exc.retry_after:
                    wait = max(wait, exc.retry_after)
                ctx.warn(f"{exc.message}: resumed from the last checkpoint after waiting {wait:g} s")
                watcher.stage(ctx.dossier or dossier_id, "waiting")
                await self.clock.sleep(wait)

    async def _stages(
        self,
        run: RunRecord,
        dossier_id: str,
        link: LinkRecord,
        connection: ConnectionRecord,
        ctx: ConnectorContext,
        watcher: RunObserver,
        ending: _Ending,
    ) -> None:
        name = connection.connector
        company = Company(ref=link.company_ref, name=link.company_name)
        dossier = ctx.dossier or dossier_id
        stamp_before = link.opening_balances_stamp

        run.stage = "fiscal_years"
        watcher.stage(dossier, run.stage)
        package_years = await self._call(name, "sfsync_fetch_fiscal_years", ctx=ctx, company=company)
        years = effective_years(
            package_years, override=link.fiscal_years_override, first_year_end=link.first_year_end
        )
        run.counts["fiscal_years"] = len(years)

        active = self.store.active_generation(dossier_id)
        building = self.store.building_generation(dossier_id)
        full = link.needs_full_sync or active is None
        if full:
            # *since* keeps what is dated before the date; *replace* what lies outside the dates
            # the package brings (an earlier import, another package's years), whatever its source.
            keep_before = link.since if link.mode is SyncMode.SINCE else None
            keep_outside = span(years) if link.mode is SyncMode.REPLACE else None
            generation = building if building is not None else self.store.begin_generation(
                dossier_id, keep_before=keep_before, keep_outside=keep_outside
            )
        else:
            assert active is not None
            generation = active
        kept = self.store.fiscal_years(dossier_id, active) if active is not None else []
        self.store.write_fiscal_years(dossier_id, generation, merge_years(kept, years))

        run.stage = "accounts"
        watcher.stage(dossier, run.stage)
        accounts = await self._call(name, "sfsync_fetch_accounts", ctx=ctx, company=company)
        self.store.write_accounts(dossier_id, generation, accounts)
        run.counts["accounts"] = len(accounts)

        since = link.since if link.mode is SyncMode.SINCE else None
        if link.granularity is Granularity.TRANSACTIONS:
            stamp = None
            if since is not None and self.registry.supports(name, "sfsync_history_stamp"):
                stamp = await self._call(name, "sfsync_history_stamp", ctx=ctx, company=company, before=since)
            plan = plan_opening_balances(link, years, full=full, stamp=stamp)
            if plan.fetch and full and self.store.get_checkpoint(dossier_id, generation, _OPENINGS) is not None:
                plan.fetch = False  # a resumed build already holds them
            if plan.fetch:
                await self._opening_balances(run, dossier_id, generation, connection, ctx, company, plan, watcher)
                if full:  # marks the building generation, so a resumed build does not fetch them twice
                    self.store.write_ledger_batch(
                        dossier_id, generation, connection.id, LedgerBatch(cursor=plan.reason), stream=_OPENINGS
                    )
            if stamp is not None or plan.fetch:
                link.opening_balances_stamp = stamp or link.opening_balances_stamp
            # A full run that starts from nothing counts its entries' balance as it writes them.
            fresh = full and self.store.get_checkpoint(dossier_id, generation, "ledger") is None
            tally = EntryTally() if fresh and not run.counts.get("lines_fetched") else None
            changed = await self._ledger(
                run, dossier_id, generation, connection, ctx, company, since, years, watcher, booking=package_years,
                tally=tally,
            )
            if since is not None and not full and not plan.fetch and run.counts.get("lines_before_since_ignored"):
                # An incremental run brought changed entries that count before the date (a late
                # correction, a year closed again): the balances at the date follow them. (A full
                # run reads from the date on by date, so lines booked earlier come with it.)
                plan.reason = "history"
                await self._opening_balances(run, dossier_id, generation, connection, ctx, company, plan, watcher)
            carried = None if (changed or full) else self._unbalanced_of_previous_run(dossier_id, run.id)
            if carried is not None:
                # Nothing changed since a run that checked: its findings stand, without reading
                # every line again (an unchanged dossier must cost almost nothing).
                run.warnings.extend(carried)
            else:
                run.warnings.extend(balance_warnings(self.store, dossier_id, generation, connection.id, tally))
        else:
            await self._trial_balance(run, dossier_id, generation, connection, ctx, company, since, years, watcher)

        if self.registry.supports(name, "sfsync_fetch_company_details") and self.store.get_admin_link(dossier_id) is None:
            try:
                await self._details(run, dossier_id, connection, ctx, company, watcher, full=full)
            except (AuthError, RetriableError):
                raise  # the connection itself: re-consent, or wait and resume
            except SfsyncError as exc:  # the figures are synced; unreadable details do not undo that
                ctx.warn(f"company details were not synced: {exc.message}")

        run.stage = "finish"
        watcher.stage(dossier, run.stage)
        if full:
            # Never swap in a generation that misses a batch: a batch the store commits after its
            # call returned fails this stage here, before the swap is left to the run's end.
            self.store.flush(dossier_id)
        # The swap and the link's flags go with the run's outcome, in its last transaction.
        ending.swap = generation if full else None
        if link.needs_full_sync or (since is not None and not link.opening_balances_done) or (
            link.opening_balances_stamp != stamp_before
        ):
            link.needs_full_sync = False
            link.opening_balances_done = True
            ending.link = link
        run.counts["lines_stored"] = self.store.count_ledger_lines(dossier_id, generation)

    async def _opening_balances(
        self,
        run: RunRecord,
        dossier_id: str,
        generation: int,
        connection: ConnectionRecord,
        ctx: ConnectorContext,
        company: Company,
        plan: OpeningPlan,
        watcher: RunObserver,
    ) -> None:
        """Fetch and store the opening balances of ``plan``, or warn that the connector cannot."""
        if plan.at is None:
            return
        name = connection.connector
        if not self.registry.supports(name, "sfsync_fetch_opening_balances"):
            if plan.reason != "history":
                ctx.warn(
                    f"connector {name} cannot bring opening balances: the balance-sheet accounts of fiscal "
                    f"year {plan.label} start from zero on {plan.at.isoformat()}"
                )
            return
        run.stage = "opening_balances"
        watcher.stage(ctx.dossier or dossier_id, run.stage)
        balances = await self._call(name, "sfsync_fetch_opening_balances", ctx=ctx, company=company, at=plan.at)
        run.counts["opening_balances"] = replace_opening_balances(
            self.store, dossier_id, generation, connection.id, plan.at, balances
        )
        if plan.reason == "history":
            run.counts["opening_balances_refreshed"] = 1

    def _unbalanced_of_previous_run(self, dossier_id: str, current: str) -> list[str] | None:
        """The unbalanced-entry warnings of the run before this one, when it finished its checks
        (``ok`` or ``warning``); ``None`` when the lines must be checked again."""
        previous = next((r for r in self.store.list_runs(dossier_id, limit=3) if r.id != current), None)
        if previous is None or previous.status not in ("ok", "warning"):
            return None
        return [w for w in previous.warnings if w.startswith("entry ") and _UNBALANCED in w]

    async def _ledger(
        self,
        run: RunRecord,
        dossier_id: str,
        generation: int,
        connection: ConnectionRecord,
        ctx: ConnectorContext,
        company: Company,
        since: dt.date | None,
        years: list[FiscalYear],
        watcher: RunObserver,
        *,
        booking: Sequence[FiscalYear],
        tally: EntryTally | None = None,
    ) -> bool:
        """Fetch and commit the ledger; whether any batch changed the stored lines. ``booking``:
        the package's own years, which its lines' period numbers refer to; ``tally`` counts the
        balance of each entry written."""
        run.stage = "ledger"
        watcher.stage(ctx.dossier or dossier_id, run.stage)
        cursor = self.store.get_checkpoint(dossier_id, generation, "ledger")
        batches: AsyncIterator[LedgerBatch] | None = self.registry.call(
            connection.connector, "sfsync_fetch_ledger", ctx=ctx, company=company, since=since, cursor=cursor,
            fiscal_years=years,
        )
        if batches is None:
            raise ConfigurationError(
                f"connector {connection.connector} cannot bring transactions; link with trial balance instead"
            )
        # Counted from where an earlier attempt of this run left them (a resume after a fault).
        fetched = run.counts.get("lines_fetched", 0)
        deleted = run.counts.get("deletions", 0)
        ignored = run.counts.get("lines_before_since_ignored", 0)
        committed = run.counts.get("batches", 0)
        changed = False
        booking = tuple(booking)
        try:
            async for batch in batches:
                refuse_repeated_ids(batch)
                if since is not None:
                    # *since*: what counts before the date (by booking period, else date) stays as it
                    # is in the dossier.
                    kept = counted_from(batch.lines, since, booking)
                    if kept is not batch.lines:
                        ignored += len(batch.lines) - len(kept)
                        batch = batch.model_copy(update={"lines": kept})
                if batch.lines:
                    batch = batch.model_copy(update={"booking_years": booking})
                self.store.write_ledger_batch(dossier_id, generation, connection.id, batch, stream="ledger")
                if tally is not None:
                    tally.add(batch)
                changed = changed or bool(batch.lines or batch.deleted or batch.deleted_entries or batch.clear)
                run.warnings.extend(batch.warnings)
                fetched += len(batch.lines)
                deleted += len(batch.deleted) + len(batch.deleted_entries)
                committed += 1
                run.counts.update(lines_fetched=fetched, deletions=deleted, batches=committed)
                self._report(watcher, ctx, dossier_id, fetched, committed)
        finally:
            # The store may commit a batch after its call returned: a failure of it comes out
            # here, in this stage, whatever else ended the loop (nothing of that batch is stored).
            self.store.flush(dossier_id)
        run.counts.update(lines_fetched=fetched, deletions=deleted, batches=committed)
        if ignored:
            run.counts["lines_before_since_ignored"] = ignored
        return changed

    async def _trial_balance(
        self,
        run: RunRecord,
        dossier_id: str,
        generation: int,
        connection: ConnectionRecord,
        ctx: ConnectorContext,
        company: Company,
        since: dt.date | None,
        years: list[FiscalYear],
        watcher: RunObserver,
    ) -> None:
        run.stage = "trial_balance"
        watcher.stage(ctx.dossier or dossier_id, run.stage)
        wanted = [y for y in years if since is None or y.end >= since]
        cursor = self.store.get_checkpoint(dossier_id, generation, "trial_balance")
        batches: AsyncIterator[TrialBalanceBatch] | None = self.registry.call(
            connection.connector, "sfsync_fetch_trial_balance", ctx=ctx, company=company, fiscal_years=wanted,
            cursor=cursor,
        )
        if batches is None:
            raise ConfigurationError(
                f"connector {connection.connector} cannot bring trial balances; link with transactions instead"
            )
        count = run.counts.get("trial_balance_lines", 0)
        committed = run.counts.get("batches", 0)
        async for batch in batches:
            self.store.write_trial_balance_batch(dossier_id, generation, connection.id, batch, stream="trial_balance")
            run.warnings.extend(batch.warnings)
            count += len(batch.lines)
            committed += 1
            run.counts.update(trial_balance_lines=count, batches=committed)
            self._report(watcher, ctx, dossier_id, count, committed)
        run.counts.update(trial_balance_lines=count, batches=committed)

    @staticmethod
    def _report(watcher: RunObserver, ctx: ConnectorContext, dossier_id: str, lines: int, batches: int) -> None:
        name = ctx.dossier or dossier_id
        watcher.progress(name, "lines", lines)
        watcher.progress(name, "requests", ctx.stats.requests)
        watcher.progress(name, "waits", ctx.stats.rate_limit_waits)
        watcher.batch_committed(name, batches)

    async def _call(self, connector: str, hook: str, **kwargs: Any) -> Any:
        result = self.registry.call(connector, hook, **kwargs)
        if result is None:
            raise ConfigurationError(f"connector {connector} does not implement {hook}")
        if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
            result = await result
        return result


def _refuse_if_needs_reconsent(connection: ConnectionRecord) -> None:
    if connection.status == "needs_reconsent":
        cause = f" ({connection.status_cause})" if connection.status_cause else ""
        raise NeedsReconsent(
            f"connection {connection.label} needs re-consent{cause}: {reconsent_hint(connection.level)}"
        )

