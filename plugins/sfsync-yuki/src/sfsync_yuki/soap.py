"""SOAP 1.1 envelopes for Yuki's ASMX services, built and read with lxml, and fault mapping.

Envelopes are document/literal wrapped, exactly as the WSDL declares: the operation element and
every parameter in the ``http://www.theyukicompany.com/`` namespace, parameters in the WSDL's
order and case. A parameter the WSDL does not declare is a programming error, raised before
anything is sent.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from lxml import etree
from sfsync.errors import (
    AuthError,
    BudgetExhausted,
    FatalError,
    MalformedResponse,
    NeedsReconsent,
    NotFound,
    RetriableError,
    SfsyncError,
)

from sfsync_yuki.wsdl import TNS, Operation, load_service

__all__ = [
    "SOAP_ENV",
    "TNS",
    "XSI",
    "AdministrationNotFound",
    "SessionExpired",
    "SoapFault",
    "build_envelope",
    "fault_envelope",
    "fault_to_error",
    "format_value",
    "inner_document",
    "next_reset",
    "parse_response",
    "parse_xml",
]

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
AMSTERDAM = ZoneInfo("Europe/Amsterdam")

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, remove_blank_text=False)


def parse_xml(content: bytes) -> etree._Element:
    """Parse XML safely (no entities, no network; big transaction results allowed)."""
    return etree.fromstring(content, parser=_PARSER)


class SoapFault(Exception):
    """A ``soap:Fault`` as Yuki sent it (``faultcode``, ``faultstring``)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class SessionExpired(RetriableError):
    """Yuki no longer knows the session id: authenticate again and repeat the call."""


class AdministrationNotFound(NotFound, FatalError):
    """The linked administration is unknown to Yuki or not visible to this access key.

    Both a :class:`NotFound` (the company does not exist for this connection) and a
    :class:`FatalError` (this dossier's run stops; other dossiers go on).
    """


def format_value(type_: str, value: Any) -> str:
    """Render a Python value as the XSD type the WSDL declares."""
    if type_ == "s:dateTime":
        if isinstance(value, dt.datetime):
            return value.replace(tzinfo=None).isoformat(timespec="seconds")
        if isinstance(value, dt.date):
            return f"{value.isoformat()}T00:00:00"
        return str(value)
    if type_ == "s:boolean":
        return "true" if value else "false"
    if type_ == "s:int":
        return str(int(value))
    return str(value)


def build_envelope(service: str, operation: str, params: Mapping[str, Any]) -> tuple[Operation, bytes]:
    """The SOAP 1.1 request for ``operation`` of ``service`` with ``params`` (WSDL names only)."""
    op = load_service(service).operations.get(operation)
    if op is None:
        raise ValueError(f"{service}.asmx has no operation {operation!r} in its WSDL")
    declared = {p.name for p in op.params}
    unknown = sorted(set(params) - declared)
    if unknown:
        raise ValueError(
            f"{service}.{operation} declares no parameter {', '.join(unknown)} "
            f"(the WSDL has: {', '.join(p.name for p in op.params)}); names are case-sensitive"
        )
    envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV, "xsi": XSI})
    body = etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body")
    call = etree.SubElement(body, f"{{{TNS}}}{operation}", nsmap={None: TNS})
    for param in op.params:
        if param.name not in params:
            if param.min_occurs >= 1 and not param.nillable:
                raise ValueError(f"{service}.{operation} requires {param.name}")
            continue
        value = params[param.name]
        item = etree.SubElement(call, f"{{{TNS}}}{param.name}")
        if value is None:
            item.set(f"{{{XSI}}}nil", "true")
        else:
            item.text = format_value(param.type, value)
    return op, bytes(etree.tostring(envelope, xml_declaration=True, encoding="utf-8"))


def fault_envelope(message: str, code: str = "soap:Server") -> bytes:
    """A ``soap:Fault`` response body as ASMX writes it (used by the sandbox)."""
    envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV})
    body = etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body")
    fault = etree.SubElement(body, f"{{{SOAP_ENV}}}Fault")
    etree.SubElement(fault, "faultcode").text = code
    etree.SubElement(fault, "faultstring").text = message
    etree.SubElement(fault, "detail")
    return bytes(etree.tostring(envelope, xml_declaration=True, encoding="utf-8"))


def _fault_of(root: etree._Element) -> SoapFault | None:
    fault = root.find(f"{{{SOAP_ENV}}}Body/{{{SOAP_ENV}}}Fault")
    if fault is None:
        return None
    return SoapFault(fault.findtext("faultcode", "") or "", fault.findtext("faultstring", "") or "")


def parse_response(op: Operation, response: httpx.Response) -> etree._Element | None:
    """The ``<OpResult>`` element of a response; raises :class:`SoapFault` for a fault."""
    try:
        root = parse_xml(response.content)
    except etree.XMLSyntaxError as exc:
        if response.status_code >= 500:
            raise RetriableError(
                f"Yuki answered {response.status_code} without a SOAP envelope", response=response
            ) from exc
        raise MalformedResponse(
            f"Yuki's answer to {op.name} is not XML ({exc.msg})", response=response
        ) from exc
    fault = _fault_of(root)
    if fault is not None:
        raise fault
    if response.status_code >= 500:
        raise RetriableError(f"Yuki answered {response.status_code} to {op.name} without a SOAP fault", response=response)
    if response.status_code != 200:
        raise MalformedResponse(f"Yuki answered {response.status_code} to {op.name}", response=response)
    body = root.find(f"{{{SOAP_ENV}}}Body")
    wrapper = body.find(f"{{{TNS}}}{op.name}Response") if body is not None else None
    if wrapper is None:
        raise MalformedResponse(f"Yuki's answer to {op.name} has no {op.name}Response element", response=response)
    if op.result is None:
        return None
    return wrapper.find(f"{{{TNS}}}{op.result.name}")


def inner_document(result: etree._Element | None) -> etree._Element | None:
    """The XML document inside an untyped (``mixed``/``s:any``) result, root in no namespace.

    Some ASMX services put the document in as escaped text; both forms are read.
    """
    if result is None:
        return None
    for child in result:
        if isinstance(child.tag, str):
            return child
    text = (result.text or "").strip()
    if text.startswith("<"):
        return parse_xml(text.encode())
    return None


def next_reset(now: dt.datetime) -> dt.datetime:
    """When Yuki's daily counters start again: the next midnight in Europe/Amsterdam (as UTC)."""
    local = now.astimezone(AMSTERDAM)
    tomorrow = local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(tomorrow, dt.time(0, 0), tzinfo=AMSTERDAM).astimezone(dt.UTC)


_ASMX_PREFIX = re.compile(r"^\s*Server was unable to process request\.\s*-+>\s*", re.IGNORECASE)


def yuki_message(fault: SoapFault) -> str:
    """Yuki's own words, without ASMX's "Server was unable to process request. --->" prefix."""
    return _ASMX_PREFIX.sub("", fault.message).strip() or fault.code


def fault_to_error(
    fault: SoapFault,
    *,
    operation: str,
    now: dt.datetime,
    response: httpx.Response | None = None,
    domain: str | None = None,
) -> SfsyncError:
    """Map a Yuki SOAP fault to the core's errors, keeping Yuki's message."""
    text = yuki_message(fault)
    low = text.lower()
    where = f"Yuki {operation}"
    if "access key" in low and any(w in low for w in ("invalid", "not valid", "unknown")):
        # A key Yuki no longer knows (regenerated or withdrawn in the portal) is gone for good:
        # only a person pasting the new key brings the connection back.
        return NeedsReconsent(
            f"{where}: Yuki refused the web-service access key ({text}). Copy the key again from Yuki "
            "(Settings > Web services, by a portal administrator) into this connection.",
            response=response,
        )
    if "daily limit" in low or "limit exceeded" in low or "maximum number of calls" in low:
        resume = next_reset(now)
        return BudgetExhausted(
            f"{where}: Yuki's daily limit of web-service calls is reached for domain "
            f"{domain or '?'} ({text}). The sync stopped cleanly and continues after "
            f"{resume.astimezone(AMSTERDAM):%Y-%m-%d %H:%M} Europe/Amsterdam; a higher limit needs "
            "Yuki's 'Webservice' feature.",
            resume_at=resume,
            retry_after=(resume - now).total_seconds(),
            response=response,
        )
    if "session" in low and any(w in low for w in ("expired", "invalid", "not valid", "unknown", "no session")):
        return SessionExpired(f"{where}: {text}", response=response)
    if "administration" in low and any(
        w in low for w in ("not found", "unknown", "no access", "not valid", "invalid", "does not exist")
    ):
        return AdministrationNotFound(
            f"{where}: {text}. The administration is gone or this access key cannot see it; relink "
            "the dossier or grant the key access to the administration in Yuki.",
            response=response,
        )
    if "rights" in low or "not authorized" in low or "no permission" in low or "access denied" in low:
        return AuthError(
            f"{where}: {text}. Give the access key rights for this web service in Yuki "
            "(Settings > Web services).",
            response=response,
        )
    if (
        "unable to read request" in low
        or "error in xml document" in low
        or "did not recognize" in low
        or "input string" in low
        or fault.code.endswith("Client")
    ):
        return FatalError(
            f"{where}: Yuki could not read sfsync's request ({text}); this is a bug in the yuki "
            "connector, please report it.",
            response=response,
        )
    return FatalError(f"{where}: Yuki reported an error: {text}", response=response)


def decimal_of(text: str | None) -> Decimal:
    """A Decimal from Yuki's text (``1234.56``; tolerates a decimal comma)."""
    raw = (text or "").strip()
    if not raw:
        return Decimal(0)
    if "," in raw and "." not in raw:
        raw = raw.replace(",", ".")
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:
        raise MalformedResponse(f"Yuki sent {text!r} where an amount belongs") from exc
    if not value.is_finite():
        raise MalformedResponse(f"Yuki sent {text!r} where an amount belongs")
    return value
