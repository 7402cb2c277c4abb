"""The ``sfsync`` command's exit codes, one place (documented in ``docs/reference/cli.md``).

| code | meaning |
| --- | --- |
| 0 | done |
| 1 | a sync failed (or was skipped), or the package or the store failed |
| 2 | a usage or configuration error: a bad option, an unknown name, a refused choice |
| 3 | the package refused the credentials: re-consent (`sfsync reconnect`) |
"""

from __future__ import annotations

import sys

__all__ = ["AUTH_REFUSED", "FAILED", "OK", "USAGE", "exit_code_for"]

OK = 0
FAILED = 1
USAGE = 2
AUTH_REFUSED = 3


def exit_code_for(exc: BaseException) -> int | None:
    """The exit code for one of sfsync's errors, or ``None`` for anything else (a bug: shown
    with its traceback)."""
    errors = sys.modules.get("sfsync.errors")
    if errors is None or not isinstance(exc, errors.SfsyncError):
        return None  # no sfsync error can have been raised before its module was imported
    if isinstance(exc, errors.ConfigurationError):
        return USAGE
    if isinstance(exc, errors.AuthError):
        return AUTH_REFUSED
    return FAILED
