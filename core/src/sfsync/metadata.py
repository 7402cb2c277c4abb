"""What a connector says about itself (:func:`~sfsync.hookspecs.sfsync_connector_info`)."""

from __future__ import annotations

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
