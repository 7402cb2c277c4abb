"""Responses a sandbox answers with, byte for byte as the package sends them.

Each helper returns a Starlette :class:`~starlette.responses.Response` whose status, headers and
body are exactly what is asked: no charset is appended, no header is added but
``Content-Length``, and the body is the bytes given (or the document encoded as the package
encodes it). A package's quirks (``application/json; charset=utf-8`` or not, ``OData-Version``,
a SOAP 1.1 or 1.2 envelope) are the sandbox's to say, not the framework's to guess.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from starlette.responses import Response

__all__ = [
    "SOAP11",
    "SOAP12",
    "exact",
    "json_body",
    "json_response",
    "odata_response",
    "problem_response",
    "soap_envelope",
    "soap_fault",
    "soap_response",
    "text_response",
    "xml_response",
]

SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"

HeaderItems = Mapping[str, str] | Iterable[tuple[str, str]]


def exact(body: bytes, status: int = 200, headers: HeaderItems = ()) -> Response:
    """A response with exactly ``status``, ``headers`` (in order, repeats kept) and ``body``.

    ``Content-Length`` is added unless given.
    """
    items = list(headers.items()) if isinstance(headers, Mapping) else list(headers)
    response = Response(status_code=status)
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in items]
    if not any(k == b"content-length" for k, _ in raw):
        raw.append((b"content-length", str(len(body)).encode()))
    response.raw_headers = raw
    response.body = body
    return response


_NUMBER_MARK = "\u0000number:"
_MARKED = re.compile(r'"\\u0000number:([-0-9.eE+]+)"')


def _marked(node: Any) -> Any:
    # json writes no Decimal: each becomes a marked string, unmarked into a bare number after.
    if isinstance(node, Decimal):
        return f"{_NUMBER_MARK}{format(node, 'f')}"
    if isinstance(node, dict):
        return {key: _marked(value) for key, value in node.items()}
    if isinstance(node, list | tuple):
        return [_marked(value) for value in node]
    return node


def json_body(document: Any, *, compact: bool = False, ensure_ascii: bool = False) -> bytes:
    """``document`` as JSON bytes; a ``Decimal`` is written as a number with its exact digits."""
    separators = (",", ":") if compact else (", ", ": ")
    text = json.dumps(_marked(document), separators=separators, ensure_ascii=ensure_ascii)
    return _MARKED.sub(r"\1", text).encode()


def json_response(
    document: Any,
    status: int = 200,
    headers: HeaderItems = (),
    *,
    content_type: str = "application/json; charset=utf-8",
    compact: bool = False,
) -> Response:
    """A JSON answer (``Decimal`` exact); ``content_type`` as the package sends it."""
    return exact(json_body(document, compact=compact), status, [("Content-Type", content_type), *_items(headers)])


def problem_response(
    status: int, title: str, *, detail: str | None = None, type: str = "about:blank", headers: HeaderItems = (),
    **extra: Any,
) -> Response:
    """An RFC 9457 problem document (``application/problem+json``) with any extra members."""
    document: dict[str, Any] = {"type": type, "title": title, "status": status}
    if detail is not None:
        document["detail"] = detail
    document.update(extra)
    return json_response(document, status, headers, content_type="application/problem+json")


def text_response(
    text: str, status: int = 200, headers: HeaderItems = (), *, content_type: str = "text/plain; charset=utf-8"
) -> Response:
    """A plain text (or HTML, with ``content_type``) answer."""
    return exact(text.encode("utf-8"), status, [("Content-Type", content_type), *_items(headers)])


def xml_response(
    document: str | bytes, status: int = 200, headers: HeaderItems = (), *,
    content_type: str = "text/xml; charset=utf-8",
) -> Response:
    """An XML answer; a ``str`` is encoded as UTF-8, bytes are sent as they are."""
    body = document.encode("utf-8") if isinstance(document, str) else document
    return exact(body, status, [("Content-Type", content_type), *_items(headers)])


def soap_envelope(body_xml: str, *, version: str = "1.1", header_xml: str = "") -> str:
    """``body_xml`` in a SOAP 1.1 or 1.2 envelope (``soap:`` prefix, as ASMX services write it)."""
    namespace = SOAP11 if version == "1.1" else SOAP12
    header = f"<soap:Header>{header_xml}</soap:Header>" if header_xml else ""
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<soap:Envelope xmlns:soap="{namespace}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f'xmlns:xsd="http://www.w3.org/2001/XMLSchema">{header}<soap:Body>{body_xml}</soap:Body></soap:Envelope>'
    )


def soap_response(body_xml: str, status: int = 200, headers: HeaderItems = (), *, version: str = "1.1") -> Response:
    """A SOAP answer: 1.1 as ``text/xml``, 1.2 as ``application/soap+xml``."""
    content_type = "text/xml; charset=utf-8" if version == "1.1" else "application/soap+xml; charset=utf-8"
    return xml_response(soap_envelope(body_xml, version=version), status, headers, content_type=content_type)


def soap_fault(
    message: str, *, code: str = "soap:Server", detail_xml: str = "", version: str = "1.1", status: int = 500,
) -> Response:
    """A SOAP fault (HTTP 500 as ASMX sends it); ``code`` is the 1.1 faultcode or the 1.2 Value."""
    detail = f"<detail>{detail_xml}</detail>" if version == "1.1" and detail_xml else ""
    if version == "1.1":
        fault = f"<soap:Fault><faultcode>{escape(code)}</faultcode><faultstring>{escape(message)}</faultstring>{detail}</soap:Fault>"
    else:
        value = code.replace("soap:Server", "soap:Receiver").replace("soap:Client", "soap:Sender")
        extra = f"<soap:Detail>{detail_xml}</soap:Detail>" if detail_xml else ""
        fault = (
            f"<soap:Fault><soap:Code><soap:Value>{escape(value)}</soap:Value></soap:Code>"
            f'<soap:Reason><soap:Text xml:lang="en">{escape(message)}</soap:Text></soap:Reason>{extra}</soap:Fault>'
        )
    return soap_response(fault, status, version=version)


def odata_response(
    results: list[Any],
    *,
    version: str = "2",
    next_link: str | None = None,
    count: int | None = None,
    context: str | None = None,
    status: int = 200,
    headers: HeaderItems = (),
) -> Response:
    """An OData collection: v2 ``{"d": {"results": [...], "__next": ...}}`` or v4
    ``{"@odata.context": ..., "value": [...], "@odata.nextLink": ...}``."""
    if version == "2":
        inner: dict[str, Any] = {"results": results}
        if count is not None:
            inner["__count"] = str(count)
        if next_link is not None:
            inner["__next"] = next_link
        return json_response({"d": inner}, status, [("DataServiceVersion", "2.0"), *_items(headers)])
    document: dict[str, Any] = {}
    if context is not None:
        document["@odata.context"] = context
    if count is not None:
        document["@odata.count"] = count
    document["value"] = results
    if next_link is not None:
        document["@odata.nextLink"] = next_link
    return json_response(
        document, status, [("OData-Version", "4.0"), *_items(headers)],
        content_type="application/json; odata.metadata=minimal; charset=utf-8",
    )


def _items(headers: HeaderItems) -> list[tuple[str, str]]:
    return list(headers.items()) if isinstance(headers, Mapping) else list(headers)
