"""Logging for the ``sfsync`` command: quiet by default, ``-v``/``-vv`` for more, text or JSON.

Without this, Python's last-resort handler printed every ``stamina.retry_scheduled`` warning of
an outage as a bare line. By default only errors are logged (the command's own output says what
happened); ``-v`` adds warnings and information (retries, waits), ``-vv`` debug records.
``--log-format json`` writes one JSON object a line, for a log shipper. Records go to stderr.
Commands that plugins add (``agent serve``) configure their own logging.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

__all__ = ["JsonFormatter", "configure_logging"]

_LEVELS = {0: logging.ERROR, 1: logging.INFO}


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message (and the exception, if any)."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        data: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time (click's test runner swaps it)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def configure_logging(verbose: int, log_format: str) -> None:
    """Send log records to stderr at the level ``verbose`` asks for, in ``log_format``.

    The level is the handler's: without ``-v`` the root logger's own level is left alone (a host
    or a test that captures warnings still gets them), only this handler drops them."""
    level = _LEVELS.get(verbose, logging.DEBUG)
    handler = _StderrHandler()
    handler.setLevel(level)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S"))
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "sfsync_cli", False)]:
        root.removeHandler(old)
    handler.sfsync_cli = True  # type: ignore[attr-defined]  # ours, replaced when configured again
    root.addHandler(handler)
    if level < root.getEffectiveLevel():
        root.setLevel(level)
