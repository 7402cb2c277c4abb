"""Safe, streaming XML: no DTD, no entities, no network; declared encoding first, cp1252 after.

Auditfiles never need a DOCTYPE, so a file that declares one is refused before lxml sees it: that
stops billion-laughs and external-entity files whatever libxml2's defaults are. The parser is also
built with ``resolve_entities=False, no_network=True, load_dtd=False`` as a second wall.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from lxml import etree  # type: ignore[import-untyped,unused-ignore]

from sfsync_onprem.readers.base import UnreadableFile

PROLOG_BYTES = 1 << 16
_DECL = re.compile(rb"<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")


def prolog(path: Path) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(PROLOG_BYTES)


_MARKERS = [m.encode(codec) for m in ("<!DOCTYPE", "<!ENTITY") for codec in ("ascii", "utf-16-le", "utf-16-be")]
_CHUNK = 1 << 22


def check_prolog(path: Path) -> None:
    """Refuse a DOCTYPE (and with it every entity declaration) before parsing, wherever in the file
    it is: a long comment before the root must not carry one past the check."""
    overlap = max(len(marker) for marker in _MARKERS) - 1
    with open(path, "rb") as fh:
        tail = b""
        while chunk := fh.read(_CHUNK):
            window = (tail + chunk).upper()
            if any(marker in window for marker in _MARKERS):
                raise UnreadableFile(
                    f"{path.name}: refused, the XML declares a DOCTYPE/ENTITY; auditfiles never need one "
                    "and entity expansion or external entities are not allowed"
                )
            tail = window[-overlap:]


def declared_encoding(head: bytes) -> str | None:
    match = _DECL.search(head[:400])
    return match.group(1).decode("ascii") if match else None


def root_of(path: Path) -> tuple[str, str] | None:
    """``(namespace, local name)`` of the root element, or ``None`` when the file is not XML."""
    head = prolog(path)
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped.startswith(b"<"):
        return None
    check_prolog(path)
    for encoding in (None, "cp1252"):
        try:
            with open(path, "rb") as fh:
                for _event, elem in etree.iterparse(fh, events=("start",), encoding=encoding, **_SAFE):
                    qname = etree.QName(elem)
                    return qname.namespace or "", qname.localname
        except etree.XMLSyntaxError:
            continue  # an encoding problem is retried as cp1252; the reader reports the rest
    return None


_SAFE: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}


def _is_encoding_error(exc: etree.XMLSyntaxError) -> bool:
    text = str(exc).lower()
    return "encoding" in text or "utf-8" in text or "bytes:" in text or "char 0x" in text


def iterparse(
    path: Path, tags: Iterable[str], *, encoding: str | None = None
) -> Iterator[etree._Element]:
    """End events for ``tags``, safely; errors name the file and say what to do."""
    check_prolog(path)
    try:
        with open(path, "rb") as fh:
            for _event, elem in etree.iterparse(
                fh, events=("end",), tag=list(tags), encoding=encoding, **_SAFE
            ):
                yield elem
    except etree.XMLSyntaxError as exc:
        if encoding is None and _is_encoding_error(exc):
            raise EncodingMismatch(str(exc)) from exc
        line = getattr(exc, "lineno", None) or (exc.position[0] if exc.position else "?")
        msg = str(exc.msg if hasattr(exc, "msg") else exc)
        if _cut_short(path) or "premature end" in msg.lower() or "end of data" in msg.lower():
            what = "is truncated (the XML stops before its end)"
        else:
            what = "is not well-formed XML"
        raise UnreadableFile(
            f"{path.name} {what} at line {line}: {msg}; export the file again"
        ) from exc


def _cut_short(path: Path) -> bool:
    """Whether the file stops before its root element is closed (a copy or export cut short)."""
    with open(path, "rb") as fh:
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(max(0, size - 512))
        tail = fh.read().rstrip(b"\x00 \t\r\n\x1a")
    return not re.search(rb"</[A-Za-z_][\w.:-]*>$", tail)


class EncodingMismatch(Exception):
    """The bytes do not match the declared encoding; the caller retries as cp1252."""


def localname(tag: str) -> str:
    return tag.rpartition("}")[2]


def child_text(elem: etree._Element, ns: str, name: str) -> str:
    found = elem.find(f"{ns}{name}")
    if found is None or found.text is None:
        return ""
    return str(found.text).strip()


def release(elem: etree._Element) -> None:
    """Free a processed element and the siblings before it (flat memory)."""
    elem.clear()
    parent = elem.getparent()
    if parent is not None:
        while elem.getprevious() is not None:
            del parent[0]
