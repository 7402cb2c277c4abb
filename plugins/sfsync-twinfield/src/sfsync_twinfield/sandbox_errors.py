"""The SOAP fault the Twinfield sandbox's services raise, answered as Twinfield writes faults."""

from __future__ import annotations


class SoapFault(Exception):
    """A fault: Twinfield's message, its code (``354``, ``103`` …) and the SOAP fault code."""

    def __init__(self, message: str, code: str = "", faultcode: str = "soap:Client") -> None:
        super().__init__(message)
        self.message, self.code, self.faultcode = message, code, faultcode
