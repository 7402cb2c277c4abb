"""The SOAP fault the Twinfield sandbox's services raise, answered as Twinfield writes faults,
and the request checks every one of its SOAP services starts with."""

from __future__ import annotations

from typing import Any

from lxml import etree  # type: ignore[import-untyped,unused-ignore]  # no stubs

from sfsync_twinfield.client import PARSER


class SoapFault(Exception):
    """A fault: Twinfield's message, its code (``354``, ``103`` …) and the SOAP fault code."""

    def __init__(self, message: str, code: str = "", faultcode: str = "soap:Client") -> None:
        super().__init__(message)
        self.message, self.code, self.faultcode = message, code, faultcode


def unknown_action(action: str) -> SoapFault:
    """What ASMX answers a SOAPAction it does not serve."""
    return SoapFault(f"Server did not recognize the value of HTTP Header SOAPAction: {action}.")


def read_envelope(body: bytes) -> Any:
    """The request's SOAP envelope, or the fault ASMX gives for a body that is not XML."""
    try:
        return etree.fromstring(body, PARSER)
    except etree.XMLSyntaxError as exc:
        raise SoapFault("Server was unable to read request. There is an error in XML document.") from exc
