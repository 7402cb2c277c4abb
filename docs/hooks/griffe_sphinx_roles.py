"""A griffe extension: turn the reST bits of sfsync's docstrings into Markdown.

The core's docstrings are read by Sphinx-minded people and by ``help()``, so they use reST roles
(``:class:`~sfsync.auth.OAuth2Spec```), ``.. versionadded::`` and ``::`` literal blocks. mkdocstrings
renders docstrings as Markdown; this extension rewrites those three constructs before it does:
roles become cross-references (optional ones: a target the docs do not render is plain code, not a
broken link), ``versionadded`` becomes a sentence, ``::`` introduces an indented code block.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

ROLE = re.compile(
    r":(?:py:)?(?:class|func|meth|attr|mod|exc|data|obj):`(?P<tilde>~?)(?P<target>[\w.]+)(?:\(\))?`"
)
VERSION = re.compile(
    r"^(?P<indent>\s*)\.\. version(?P<kind>added|changed)::\s*(?P<version>\S+)\s*$", re.MULTILINE
)
LITERAL = re.compile(r"::$", re.MULTILINE)


def _role(match: re.Match[str]) -> str:
    target = match.group("target")
    title = target.rsplit(".", 1)[-1] if match.group("tilde") else target
    return f'<autoref identifier="{target}" optional><code>{title}</code></autoref>'


def _version(match: re.Match[str]) -> str:
    word = "Added" if match.group("kind") == "added" else "Changed"
    return f"{match.group('indent')}*{word} in version {match.group('version')}.*"


def markdownify(text: str) -> str:
    """The docstring text with reST roles, version directives and ``::`` made Markdown."""
    text = ROLE.sub(_role, text)
    text = VERSION.sub(_version, text)
    lines = []
    for line in text.splitlines():
        if line.strip() == "::":
            continue  # a bare "::" only announces the indented block that follows
        lines.append(LITERAL.sub(":", line) if line.rstrip().endswith("::") else line)
    return "\n".join(lines)


class SphinxRoles(griffe.Extension):
    def on_object(self, *, obj: Any, **kwargs: Any) -> None:
        docstring = getattr(obj, "docstring", None)
        if docstring is not None and not getattr(obj, "is_alias", False):
            docstring.value = markdownify(docstring.value)
