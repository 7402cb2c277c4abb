"""The pages' templates compiled before the first request, once per process.

Compiling a Jinja2 template costs 20–70 ms (the figures and settings pages' more than a page may
take, issue 27), and an :class:`~jinja2.Environment` compiles each template the first time it is
asked for. So the host compiles every template when its app is built (:func:`compile_all`,
called by :func:`~sfsync.web.app.build_app`), and the code is kept process-wide
(:data:`COMPILED`): a second host in the same process (tests make many) loads it instead of
compiling again. Jinja2 checks each template's source against the checksum it was compiled
from, so an edited template is compiled afresh.
"""

from __future__ import annotations

import threading
from types import CodeType

from jinja2 import BytecodeCache, Environment
from jinja2.bccache import Bucket

__all__ = ["COMPILED", "CompiledInMemory", "compile_all"]


class CompiledInMemory(BytecodeCache):
    """Compiled templates kept as code objects in this process (no marshalling, no files)."""

    def __init__(self) -> None:
        self._code: dict[str, tuple[str, CodeType]] = {}
        self._lock = threading.Lock()

    def load_bytecode(self, bucket: Bucket) -> None:
        """Give ``bucket`` its template's code when it was compiled from the same source."""
        with self._lock:
            kept = self._code.get(bucket.key)
        if kept is not None and kept[0] == bucket.checksum:
            bucket.code = kept[1]

    def dump_bytecode(self, bucket: Bucket) -> None:
        """Keep a freshly compiled template's code."""
        if bucket.code is not None:
            with self._lock:
                self._code[bucket.key] = (bucket.checksum, bucket.code)

    def clear(self) -> None:
        """Forget every compiled template."""
        with self._lock:
            self._code.clear()


COMPILED = CompiledInMemory()
"""The code of every template compiled in this process, shared by all hosts (safe because every
host's environment is made with the same options, :class:`~sfsync.web.host.Host`: compiled code
bakes in autoescaping and whitespace handling)."""


def compile_all(templates: Environment) -> int:
    """Load (compiling where needed) every HTML template of ``templates``; returns how many."""
    names = templates.list_templates(extensions=["html"])
    for name in names:
        templates.get_template(name)
    return len(names)
