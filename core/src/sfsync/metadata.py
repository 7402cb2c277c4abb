"""What a connector says about itself (:func:`~sfsync.hookspecs.sfsync_connector_info`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sfsync.http.ratelimit import RateLimitPolicy
from sfsync.models import Granularity

__all__ = ["ConnectorInfo"]


@dataclass(frozen=True)
class ConnectorInfo:
    """A connector's description, used by the runner, ``sfsync plugins`` and the docs.

    Attributes:
        name: The connector name (``exact-be``); equal to its entry point's name.
        title: The package as a person names it (``Exact Online Belgium``).
        package: The accounting package family (``Exact Online``).
        description: One paragraph for the docs.
        granularities: The granularities a link may choose.
        default_granularity: What a new link gets.
        rate_limits: The package's limits, enforced per credential.
        known_limits: Gaps of the package's API a user should know (one sentence each).
        docs_url: The package's API documentation.
        lookback_days: How far back an incremental sync re-reads on purpose: lines booked within
            this many days before the latest booked line may be read again on an unchanged night
            (a modified-since overlap, a re-read of open periods). ``0``: nothing is re-read.
        unchanged_night_requests: The most requests a sync of an unchanged dossier makes, per
            granularity; the contract suite holds the connector to it. A granularity missing
            here has no promise, and the suite's incrementality check fails until it is given.
    """

    name: str
    title: str
    package: str = ""
    description: str = ""
    granularities: tuple[Granularity, ...] = (Granularity.TRANSACTIONS,)
    default_granularity: Granularity = Granularity.TRANSACTIONS
    rate_limits: RateLimitPolicy | None = None
    known_limits: tuple[str, ...] = ()
    docs_url: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    lookback_days: int = 0
    unchanged_night_requests: Mapping[Granularity, int] = field(default_factory=dict)
