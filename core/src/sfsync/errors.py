"""One exception tree for sfsync, sorted by what the runner does with each error.

::

    SfsyncError                      base of everything sfsync raises on purpose
    ├── ConfigurationError           bad settings or input from a person: fix and retry by hand
    │   ├── UnknownConnectorError    no installed plugin carries that connector name
    │   ├── PermissionDenied         the acting user may not do this (a member adding a connection)
    │   ├── InvalidSyncReference     an on-premise sync reference that is not a plain folder name
    │   └── NotFound                 a firm, connection, dossier or company that does not exist
    ├── PluginError                  a plugin failed to load or broke the contract
    ├── AlreadyRunning               the dossier is being synced by another run: skip, not a failure
    └── SyncError                    raised while talking to a package; carries the context
        ├── AuthError                credentials refused: the connection stops, dossiers wait
        │   └── NeedsReconsent       the grant is dead (revoked, refresh token expired): a person
        │                            must log in again; every dossier resumes afterwards
        ├── FatalError               this dossier's run stops and is recorded; others go on
        │   ├── MalformedResponse    the package (or a file) sent something we cannot read
        │   ├── UnbalancedData       data that breaks an accounting invariant beyond a warning
        │   └── FullResyncRequired   the package says incremental state is void (Exact's division
        │                            move): the runner starts a fresh generation itself
        ├── RetriableError           transient (429, 5xx, timeouts): the HTTP transport retries
        │   │                        it with backoff; escaping a hook, the run waits and resumes
        │   │                        from its last checkpoint (``Runner.resume_waits``), and
        │   │                        fails when that runs out (the next run resumes)
        │   └── RateLimited          a limit was hit; ``retry_after`` says how long to wait
        │       └── BudgetExhausted  a daily budget is spent: the run stops cleanly and resumes
        │                            from its checkpoint on the next day (``resume_at``)
        └── SkippableError           one item could not be read: a connector catches it per item
                                     and records a warning (``ctx.warn``); if it escapes a hook,
                                     the run fails like any FatalError

Context travels in keyword-only attributes (``connector``, ``dossier``, ``company``, ``request``,
``response``) and is rendered into ``str(error)`` so one line tells a person which dossier, which
connector and what went wrong. Messages never carry secrets: requests and responses are described
by method, URL *path* and status only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx

__all__ = [
    "AlreadyRunning",
    "AuthError",
    "BudgetExhausted",
    "ConfigurationError",
    "FatalError",
    "FullResyncRequired",
    "InvalidSyncReference",
    "MalformedResponse",
    "NeedsReconsent",
    "NotFound",
    "PermissionDenied",
    "PluginError",
    "RateLimited",
    "RetriableError",
    "SfsyncError",
    "SkippableError",
    "SyncError",
    "UnbalancedData",
    "UnknownConnectorError",
]


class SfsyncError(Exception):
    """Base class of every error sfsync raises on purpose.

    Args:
        message: What happened and, where possible, what the person should do.
        connector: The connector name (``exact-be``), when known.
        dossier: The dossier id or name, when known.
        company: The company ref in the package, when known.
        request: The HTTP request involved; only its method and path are shown.
        response: The HTTP response involved; only its status is shown.
    """

    def __init__(
        self,
        message: str,
        *,
        connector: str | None = None,
        dossier: str | None = None,
        company: str | None = None,
        request: httpx.Request | None = None,
        response: httpx.Response | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.connector = connector
        self.dossier = dossier
        self.company = company
        self.request = request if request is not None else _request_of(response)
        self.response = response

    def with_context(self, **context: Any) -> SfsyncError:
        """Fill in context that was unknown where the error was raised; returns ``self``."""
        for key in ("connector", "dossier", "company"):
            if getattr(self, key) is None and context.get(key) is not None:
                setattr(self, key, str(context[key]))
        return self

    def __str__(self) -> str:
        where = [
            f"{label} {value}"
            for label, value in (
                ("dossier", self.dossier),
                ("connector", self.connector),
                ("company", self.company),
            )
            if value
        ]
        text = self.message
        if self.request is not None:
            # The path only: query strings can carry tokens (some packages take keys in the URL).
            text += f" [{self.request.method} {self.request.url.path}"
            if self.response is not None:
                text += f" -> {self.response.status_code}"
            text += "]"
        return f"{', '.join(where)}: {text}" if where else text

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


def _request_of(response: httpx.Response | None) -> httpx.Request | None:
    if response is None:
        return None
    try:
        return response.request
    except RuntimeError:  # a Response built by hand has no request
        return None


class ConfigurationError(SfsyncError):
    """Bad settings or input from a person; nothing is retried until they fix it."""


class UnknownConnectorError(ConfigurationError):
    """No installed plugin carries the requested connector name."""


class PermissionDenied(ConfigurationError):
    """The acting user's role does not allow this action."""


class InvalidSyncReference(ConfigurationError):
    """An on-premise sync reference that is not a plain folder name directly under the root."""


class NotFound(ConfigurationError):
    """A firm, user, connection, dossier or company that does not exist."""


class PluginError(SfsyncError):
    """A plugin failed to import, registered a clashing name, or broke the hook contract."""


class AlreadyRunning(SfsyncError):
    """Another run holds the dossier's lock; this one is skipped, not failed."""


class SyncError(SfsyncError):
    """Raised while syncing; the subclass says what the runner does next."""


class AuthError(SyncError):
    """The package refused the credentials (wrong key, wrong password, missing scope)."""


class NeedsReconsent(AuthError):
    """The grant is gone for good: a person must log in to the package again.

    The connection is marked ``needs_reconsent``; its dossiers keep their checkpoints and continue
    from there once the connection is re-consented.
    """


class FatalError(SyncError):
    """This dossier's run stops and is recorded with this message; other dossiers go on."""


class MalformedResponse(FatalError):
    """The package, or a file, sent something that cannot be read as documented."""


class UnbalancedData(FatalError):
    """Data that breaks an accounting invariant too badly to store."""


class FullResyncRequired(FatalError):
    """The package voided the incremental state; the runner rebuilds a fresh generation."""


class RetriableError(SyncError):
    """A transient fault: retried with backoff, then fatal when the attempts run out."""


class RateLimited(RetriableError):
    """A rate limit was hit.

    Args:
        retry_after: Seconds to wait before the next call, from ``Retry-After`` or the package's
            reset header, when known.
    """

    def __init__(self, message: str, *, retry_after: float | None = None, **context: Any) -> None:
        super().__init__(message, **context)
        self.retry_after = retry_after


class BudgetExhausted(RateLimited):
    """A daily (or other long-window) budget is spent.

    The run stops cleanly, keeps what it committed, and is due again at ``resume_at``.
    """

    def __init__(
        self, message: str, *, resume_at: dt.datetime | None = None, **context: Any
    ) -> None:
        super().__init__(message, **context)
        self.resume_at = resume_at


class SkippableError(SyncError):
    """One item could not be read; it is skipped and reported as a warning."""
