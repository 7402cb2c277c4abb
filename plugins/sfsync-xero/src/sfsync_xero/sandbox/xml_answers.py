"""Xero's XML answers: what the Accounting API sends when a request has no ``Accept:
application/json`` (XML is its default).

The same envelope as the JSON answer, as elements: a collection is its plural element holding one
singular element per item (``<Journals><Journal>…``), booleans are ``true``/``false``, amounts are
written exactly, and ``/Date(ms+0000)/`` stamps become ISO date-times without an offset
(``2026-01-15T00:00:00``; milliseconds where the stamp has them), as Xero's XML writes them. A
validation error is an ``<ApiException>``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

_MSDATE = re.compile(r"^/Date\((-?\d+)(?:[+-]\d{4})?\)/$")
_EPOCH = dt.datetime(1970, 1, 1)
# Plural collection names whose singular is not the plural less its final "s".
_SINGULAR = {"Addresses": "Address", "TrackingCategories": "TrackingCategory",
             "ValidationErrors": "ValidationError", "Elements": "DataContractBase"}
_NAMESPACES = ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema"'


def singular(name: str) -> str:
    """The element name of one item of the collection ``name``."""
    return _SINGULAR.get(name) or (name[:-1] if name.endswith("s") else name)


def _scalar(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    text = str(value)
    match = _MSDATE.match(text)
    if match is not None:
        stamp = _EPOCH + dt.timedelta(milliseconds=int(match.group(1)))
        return stamp.isoformat(timespec="milliseconds" if stamp.microsecond else "seconds")
    return text


def _element(name: str, value: Any, out: list[str]) -> None:
    if isinstance(value, dict):
        out.append(f"<{name}>")
        for key, item in value.items():
            _element(key, item, out)
        out.append(f"</{name}>")
    elif isinstance(value, list):
        if not value:
            out.append(f"<{name} />")
            return
        out.append(f"<{name}>")
        for item in value:
            _element(singular(name), item, out)
        out.append(f"</{name}>")
    elif value is None:
        out.append(f"<{name} />")  # Xero leaves a null out of JSON; an empty element in XML
    else:
        out.append(f"<{name}>{escape(_scalar(value))}</{name}>")


def to_xml(body: dict[str, Any]) -> bytes:
    """The XML form of a JSON answer's body (an envelope, or a validation error)."""
    root = "ApiException" if "ErrorNumber" in body else "Response"
    out = [f"<{root}{_NAMESPACES}>"]
    for key, value in body.items():
        _element(key, value, out)
    out.append(f"</{root}>")
    return "".join(out).encode()


def json_to_xml(raw: bytes) -> bytes:
    """Re-write a JSON answer's bytes as XML, keeping every amount exact."""
    return to_xml(json.loads(raw, parse_float=Decimal))
