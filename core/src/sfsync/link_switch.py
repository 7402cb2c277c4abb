"""Re-linking a dossier to another source is a switch, and a switch is never silent.

A dossier linked to one connection and company that is linked again to a *different* connection
or company would have its data replaced by another package's: the link is refused unless the
caller says ``switch=True``, with a message that names the old and the new source and says what
happens to the data. Re-linking to the same source (a new date, mode or granularity) is no switch.
"""

from __future__ import annotations

import datetime as dt

from sfsync.errors import ConfigurationError
from sfsync.models import SyncMode
from sfsync.store.base import ConnectionRecord, DossierRecord, LinkRecord, Store

__all__ = ["describe_switch", "refuse_silent_switch"]


def _source(store: Store, link: LinkRecord) -> str:
    try:
        connection = store.get_connection(link.connection_id)
        source = f"{connection.connector} ({connection.label})"
    except ConfigurationError:  # NotFound: the old connection was removed meanwhile
        source = "a removed connection"
    return f"{source} company {link.company_name or link.company_ref}"


def describe_switch(
    store: Store, previous: LinkRecord, record: ConnectionRecord, company: str, mode: SyncMode, since: dt.date | None
) -> str:
    """What switching from ``previous`` to ``record``/``company`` does, in one sentence."""
    if mode is SyncMode.SINCE and since is not None:
        fate = f"what was synced before {since.isoformat()} stays and everything from that date is replaced"
    else:
        fate = "the years the new source covers are replaced by its data (other years stay)"
    return f"from {_source(store, previous)} to {record.connector} ({record.label}) company {company}: {fate}"


def refuse_silent_switch(
    store: Store,
    dossier: DossierRecord,
    record: ConnectionRecord,
    company_ref: str,
    company_name: str,
    mode: SyncMode,
    since: dt.date | None,
    *,
    switch: bool,
) -> None:
    """Refuse linking ``dossier`` to another source than its current one unless ``switch``."""
    previous = store.get_link(dossier.id)
    if previous is None or switch:
        return
    if previous.connection_id == record.id and previous.company_ref == company_ref:
        return
    change = describe_switch(store, previous, record, company_name or company_ref, mode, since)
    raise ConfigurationError(
        f"dossier {dossier.name} is linked to another source; switching moves it {change}. "
        "Say so explicitly: switch=True (sfsync link --switch), or `sfsync unlink` it first"
    )
