"""The wire protocols an ASMX service answers besides SOAP 1.1, as Yuki's published WSDL declares
them (``ArchiveSoap12``, ``ArchiveHttpGet``, ``ArchiveHttpPost``):

* SOAP 1.2: ``Content-Type: application/soap+xml; action="…"``, the 2003/05 envelope, faults with
  ``Code``/``Reason`` (``soap:Sender`` for what SOAP 1.1 calls ``soap:Client``);
* HTTP GET and POST: ``/ws/<Service>.asmx/<Operation>``, parameters in the query string or a form
  body, the result as a bare XML document (``<string xmlns="…">`` for a simple value, the inner
  document itself for an untyped one), and errors as HTTP 500 with a plain-text message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from sfsync_yuki.soap import SOAP_ENV

SOAP12_ENV = "http://www.w3.org/2003/05/soap-envelope"
SOAP11_TYPE = "text/xml"
SOAP12_TYPE = "application/soap+xml"
FORM_TYPE = "application/x-www-form-urlencoded"
_ACTION = re.compile(r'action\s*=\s*"?([^";]+)"?', re.IGNORECASE)
_CODES_12 = {"soap:Client": "soap:Sender", "soap:Server": "soap:Receiver"}


@dataclass(frozen=True)
class SoapVersion:
    """What differs between SOAP 1.1 and 1.2 for a server: envelope namespace and media type."""

    envelope: str
    content_type: str

    @property
    def is_12(self) -> bool:
        return self.envelope == SOAP12_ENV


SOAP11 = SoapVersion(SOAP_ENV, SOAP11_TYPE)
SOAP12 = SoapVersion(SOAP12_ENV, SOAP12_TYPE)


def soap_version(content_type: str) -> SoapVersion | None:
    """The SOAP version a request's media type says, or ``None`` when it is neither."""
    media = content_type.split(";", 1)[0].strip().lower()
    return {SOAP11_TYPE: SOAP11, SOAP12_TYPE: SOAP12}.get(media)


def action_of(version: SoapVersion, headers: dict[str, str]) -> str:
    """The action: the ``SOAPAction`` header (1.1) or the media type's ``action`` parameter (1.2)."""
    if version.is_12:
        match = _ACTION.search(headers.get("content-type", ""))
        return match.group(1).strip() if match else ""
    return headers.get("soapaction", "").strip().strip('"')


def fault_body(version: SoapVersion, message: str, code: str) -> bytes:
    """An ASMX fault in the version's form."""
    if not version.is_12:
        from sfsync_yuki.soap import fault_envelope

        return fault_envelope(message, code)
    env = etree.Element(f"{{{SOAP12_ENV}}}Envelope", nsmap={"soap": SOAP12_ENV})
    fault = etree.SubElement(etree.SubElement(env, f"{{{SOAP12_ENV}}}Body"), f"{{{SOAP12_ENV}}}Fault")
    value = etree.SubElement(etree.SubElement(fault, f"{{{SOAP12_ENV}}}Code"), f"{{{SOAP12_ENV}}}Value")
    value.text = _CODES_12.get(code, code)
    reason = etree.SubElement(etree.SubElement(fault, f"{{{SOAP12_ENV}}}Reason"), f"{{{SOAP12_ENV}}}Text")
    reason.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
    reason.text = message
    etree.SubElement(fault, f"{{{SOAP12_ENV}}}Detail")
    return bytes(etree.tostring(env, xml_declaration=True, encoding="utf-8"))
