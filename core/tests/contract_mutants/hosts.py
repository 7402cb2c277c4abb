"""Broken hosts: faults of the runner, the store or the transport that the suite must also catch.

Each is a function that patches the honest code for the duration of one contract class.
"""

from __future__ import annotations

from typing import Any

import pytest
from sfsync.api import Sfsync
from sfsync.errors import ConfigurationError
from sfsync.http import transport
from sfsync.models import CompanyDetails
from sfsync.store.sqlite import SQLiteStore


def ignores_checkpoint(patch: pytest.MonkeyPatch) -> None:
    """The runner never finds a checkpoint: every sync and every resume starts from scratch."""
    patch.setattr(SQLiteStore, "get_checkpoint", lambda self, dossier_id, generation, stream: None)


def swaps_in_early(patch: pytest.MonkeyPatch) -> None:
    """A new generation is swapped in as soon as it is begun, before a line is written."""
    begin = SQLiteStore.begin_generation

    def early(self: SQLiteStore, dossier_id: str, **keep: Any) -> int:
        generation = begin(self, dossier_id, **keep)
        self.swap_generation(dossier_id, generation)
        return generation

    patch.setattr(SQLiteStore, "begin_generation", early)


def forgets_history_before_since(patch: pytest.MonkeyPatch) -> None:
    """A *since* generation starts empty instead of keeping what was dated before the date."""
    begin = SQLiteStore.begin_generation
    def forgets(self: SQLiteStore, dossier_id: str, **keep: Any) -> int:
        return begin(self, dossier_id, **{**keep, "keep_before": None, "keep_outside": None})

    patch.setattr(SQLiteStore, "begin_generation", forgets)


def ignores_retry_after(patch: pytest.MonkeyPatch) -> None:
    """The transport reads no Retry-After and pauses its own fallback second instead."""
    patch.setattr(transport, "parse_retry_after", lambda value, now: None)


def rounds_since_to_a_year_start(patch: pytest.MonkeyPatch) -> None:
    """A since date that starts no fiscal year is quietly moved to the latest start before it."""
    link = Sfsync.link

    async def lenient(self: Sfsync, user: Any, dossier_id: str, connection_id: str, company_ref: str, **kwargs: Any) -> Any:
        try:
            return await link(self, user, dossier_id, connection_id, company_ref, **kwargs)
        except ConfigurationError:
            years = await self.fiscal_years(user, connection_id, company_ref)
            since = kwargs["since"]
            kwargs["since"] = max(y.start for y in years if y.start <= since)
            return await link(self, user, dossier_id, connection_id, company_ref, **kwargs)

    patch.setattr(Sfsync, "link", lenient)


def reconsent_keeps_the_mark(patch: pytest.MonkeyPatch) -> None:
    """A re-consent saves the new credentials but leaves the connection marked needs_reconsent."""
    update = SQLiteStore.update_connection

    def keeps(self: SQLiteStore, connection_id: str, **changes: Any) -> Any:
        if changes.get("status") == "ok" and self.get_connection(connection_id).status == "needs_reconsent":
            changes.pop("status")
        return update(self, connection_id, **changes)

    patch.setattr(SQLiteStore, "update_connection", keeps)



def stores_details_every_night(patch: pytest.MonkeyPatch) -> None:
    """The store sees every answer as new: it keeps another, equal version on every sync."""
    patch.setattr(CompanyDetails, "same_as", lambda self, other: False)
