"""The connector contract: the hooks a connector implements, documented like pytest's.

Each connector is a plugin *object* registered under its connector name (``exact-be``); the core
calls one connector's hooks through a caller limited to that connector, so a connector only ever
sees calls for itself. Cross-cutting plugins (an audit log, metrics) implement the same hooks with
``wrapper=True`` and wrap every connector's calls.

Call hooks with keyword arguments only. A spec evolves by gaining arguments; an implementation
may take fewer (pluggy passes only the arguments it names). A connector supports the optional
hooks it implements: :func:`sfsync.plugins.capabilities` reads them off the connector object.

Data hooks are ``async``: the core awaits what they return. ``sfsync_fetch_ledger`` and
``sfsync_fetch_trial_balance`` return *async iterators* of batches; each batch is written with its
cursor in one transaction, so a crash resumes from the last batch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click

    from sfsync.auth import AuthSpec
    from sfsync.context import ConnectorContext
    from sfsync.metadata import ConnectorInfo
    from sfsync.models import (
        Company,
        CompanyDetails,
        FiscalYear,
        LedgerBatch,
        TrialBalanceBatch,
    )
    from sfsync.readers import ReadResult
    from sfsync.sandbox.base import Sandbox

__all__ = ["hookimpl", "hookspec"]

hookspec = pluggy.HookspecMarker("sfsync")
hookimpl = pluggy.HookimplMarker("sfsync")

# -------------------------------------------------------------------------------------------------
# Who the connector is and how it connects
# -------------------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def sfsync_connector_info() -> ConnectorInfo:
    """Describe the connector: its name, the package, limits and known gaps.

    :return: A :class:`~sfsync.metadata.ConnectorInfo`. Its ``name`` must equal the name the
        connector is registered under (the entry point's name).

    Stops at first non-None result.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def sfsync_auth() -> AuthSpec:
    """Declare the auth flavour and the connection level.

    :return: An :class:`~sfsync.auth.OAuth2Spec`, :class:`~sfsync.auth.FormSpec` or
        :class:`~sfsync.auth.AgentSpec`; its ``level`` is the connection level (firm, dossier,
        support, agent).

    Stops at first non-None result.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def sfsync_check_connection(ctx: ConnectorContext) -> Any:
    """Check fresh credentials and finish setting up the connection (optional).

    Called once after a form is filled in or an OAuth code is exchanged, before the connection is
    saved. Raise :class:`~sfsync.errors.AuthError` for wrong credentials. Store anything the
    connection needs later (Twinfield's cluster URL) in ``ctx.state``.

    :param ctx: The connector context of the new connection.
    :return: An awaitable; its value is ignored.

    Stops at first non-None result.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def sfsync_send_code(ctx: ConnectorContext) -> Any:
    """Have the package send a one-time code for a form connection being set up (optional).

    Called by :meth:`sfsync.api.Sfsync.send_code` for connectors whose
    :class:`~sfsync.auth.FormSpec` names a ``code_field`` (AFAS mails an OTP to the user; the
    form is then sent again with it, and ``sfsync_check_connection`` exchanges it). Raise
    :class:`~sfsync.errors.AuthError` when the package refuses the form's other fields.

    :param ctx: The connector context of the connection being set up (its form fields, without
        the code).
    :return: An awaitable of ``str``: where the code went, for the person connecting.

    Stops at first non-None result.

    .. versionadded:: 0.2
    """


# -------------------------------------------------------------------------------------------------
# What the connection can see
# -------------------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def sfsync_list_companies(ctx: ConnectorContext) -> Any:
    """List the companies the connection can see (Exact divisions, Xero tenants, folders…).

    :param ctx: The connector context; ``ctx.http(...)`` gives an authenticated client.
    :return: An awaitable of ``list[Company]`` with unique ``ref`` values.

    Stops at first non-None result.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def sfsync_fetch_company_details(
    ctx: ConnectorContext, company: Company, previous: CompanyDetails | None
) -> Any:
    """Fetch the client's master data: legal name and form, VAT and enterprise number, registered
    address, contact data, fiscal-year end, start date and the people behind it (optional).

    The runner calls it on every run of a link whose connector implements it (the administrative
    stream) and keeps a new version only when the data changed. A connector of an
    *administrative-only* package offers the ``details`` granularity and no ledger hooks.

    :param ctx: The connector context.
    :param company: The linked company.
    :param previous: The details this connection brought last time, or ``None``. A package that can
        tell they did not change (a modification stamp, an ETag kept in ``ctx.state``) answers
        ``None`` without fetching them again.
    :return: An awaitable of :class:`~sfsync.models.CompanyDetails`, or of ``None`` for
        "unchanged since ``previous``".

    Stops at first non-None result.

    .. versionadded:: 0.1
    .. versionchanged:: 0.2
        ``previous``, and ``None`` for "unchanged".
    """


# -------------------------------------------------------------------------------------------------
# Figures
# -------------------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def sfsync_fetch_fiscal_years(ctx: ConnectorContext, company: Company) -> Any:
    """Fetch the company's fiscal years, as the package defines them.

    :param ctx: The connector context.
    :param company: The linked company.
    :return: An awaitable of ``list[FiscalYear]``, non-overlapping, covering every ledger date.

    Stops at first non-None result.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def sfsync_fetch_accounts(ctx: ConnectorContext, company: Company) -> Any:
    """Fetch the chart of accounts.

    :param ctx: The connector context.
    :param company: The linked company.
    :return: An awaitable of ``list[Account]`` with unique codes; every ledger line's account
        must be among them.

    Stops at first non-None result.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def sfsync_fetch_ledger(
    ctx: ConnectorContext,
    company: Company,
    since: dt.date | None,
    cursor: str | None,
    fiscal_years: list[FiscalYear],
) -> AsyncIterator[LedgerBatch] | None:
    """Fetch general-ledger lines in batches (optional: transactions granularity).

    :param ctx: The connector context.
    :param company: The linked company.
    :param since: With no cursor: bring lines dated on or after this day (``None``: everything).
    :param cursor: The cursor of the last committed batch, to resume from (``None`` on a first
        or full sync). Its meaning is the connector's own.
    :param fiscal_years: The company's fiscal years, as fetched in this run.
    :return: An async iterator of :class:`~sfsync.models.LedgerBatch`. Each batch carries the
        cursor to resume from after it and the ids of lines (or entries) deleted. Raise
        :class:`~sfsync.errors.FullResyncRequired` when the package voids incremental state.

    Stops at first non-None result.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def sfsync_fetch_trial_balance(
    ctx: ConnectorContext,
    company: Company,
    fiscal_years: list[FiscalYear],
    cursor: str | None,
) -> AsyncIterator[TrialBalanceBatch] | None:
    """Fetch trial-balance totals per account and period (optional: trial-balance granularity).

    :param ctx: The connector context.
    :param company: The linked company.
    :param fiscal_years: The fiscal years to bring (the link's, from its *since* date on).
    :param cursor: The cursor of the last committed batch, or ``None``.
    :return: An async iterator of :class:`~sfsync.models.TrialBalanceBatch`. Periods that are
        still open are re-read on every sync.

    Stops at first non-None result.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def sfsync_fetch_opening_balances(ctx: ConnectorContext, company: Company, at: dt.date) -> Any:
    """Fetch the balance of every balance-sheet account at the start of a fiscal year (optional).

    Called on the first sync of a *since* link with the link's date, so balance-sheet accounts
    are right without the history before it; on every full sync of a *replace* link with the
    first day of the earliest fiscal year it brings (a package whose history starts with an
    opening balance that is not booked as ledger lines); and again whenever the figures before a
    *since* date changed (see :func:`sfsync_history_stamp`). Return the balances *at* the day,
    before any line dated on it; an account that is missing counts as zero.

    :param ctx: The connector context.
    :param company: The linked company.
    :param at: The first day of a fiscal year.
    :return: An awaitable of ``list[OpeningBalance]``.

    Stops at first non-None result.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def sfsync_history_stamp(ctx: ConnectorContext, company: Company, before: dt.date) -> Any:
    """Tell, cheaply, whether the package's figures dated before a day changed (optional).

    Called on every run of a *since* link once its opening balances are stored, with the link's
    date. Return a short text that changes whenever an entry dated before ``before`` changes (a
    modification stamp of the earlier years, a digest of the trial balance of the year before,
    a file's checksum): when it differs from the one stored with the opening balances, the
    runner fetches them again. It must cost at most one small request on an unchanged night.

    Without this hook the runner still refreshes the opening balances when the ledger stream
    brings changed lines dated before the date; a connector whose stream never does should
    implement it or say so in ``known_limits``.

    :param ctx: The connector context.
    :param company: The linked company.
    :param before: The *since* date.
    :return: An awaitable of ``str`` (or ``None`` when the package cannot tell this time).

    Stops at first non-None result.

    .. versionadded:: 0.1
    """


# -------------------------------------------------------------------------------------------------
# Files, sandboxes and commands
# -------------------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def sfsync_read_export(path: Path) -> ReadResult | None:
    """Read an accounting export file (XAF, SAF-T, a balance in CSV…) for a manual import.

    :param path: The file to read.
    :return: A :class:`~sfsync.readers.ReadResult`, or ``None`` when this plugin does not
        recognise the file.

    Stops at first non-None result.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def sfsync_sandbox() -> Sandbox:
    """Return a fresh sandbox of the connector's package (an offline stand-in of its API).

    :return: A :class:`~sfsync.sandbox.Sandbox`, seeded with deterministic data.

    Stops at first non-None result.

    .. versionadded:: 0.1
    """


@hookspec
def sfsync_register_commands(cli: click.Group) -> None:
    """Add commands to the ``sfsync`` command (``sfsync agent serve``…).

    :param cli: The top-level click group.

    .. versionadded:: 0.1
    """
