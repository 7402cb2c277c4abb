"""The exceptions the sandbox's ORM raises, and how each transport reports them.

XML-RPC ``/xmlrpc/2``: fault 1 (anything else, traceback text), 2 (UserError family), 3
(AccessDenied), 4 (AccessError). JSON-RPC: HTTP 200 with an ``error`` envelope whose
``data.name`` is the exception's dotted name. JSON-2 (19): an HTTP error status with
``{name, message, arguments, context, debug}``.
"""

from __future__ import annotations

from sfsync.sandbox.calls import CallFault

__all__ = [
    "InjectedFault",
    "OdooAccessDenied",
    "OdooAccessError",
    "OdooAttributeError",
    "OdooError",
    "OdooMissingError",
    "OdooUserError",
    "OdooValidationError",
    "OdooValueError",
    "traceback_text",
]


class OdooError(Exception):
    """An exception as the Odoo server raises it."""

    name = "builtins.Exception"
    fault_code = 1
    http_status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class OdooValueError(OdooError):
    name = "builtins.ValueError"


class OdooAttributeError(OdooError):
    name = "builtins.AttributeError"


class OdooUserError(OdooError):
    name = "odoo.exceptions.UserError"
    fault_code = 2
    http_status = 422


class OdooValidationError(OdooUserError):
    name = "odoo.exceptions.ValidationError"


class OdooMissingError(OdooUserError):
    name = "odoo.exceptions.MissingError"
    http_status = 404


class OdooAccessDenied(OdooError):
    name = "odoo.exceptions.AccessDenied"
    fault_code = 3
    http_status = 401

    def __init__(self, message: str = "Access Denied") -> None:
        super().__init__(message)


class OdooAccessError(OdooError):
    name = "odoo.exceptions.AccessError"
    fault_code = 4
    http_status = 403


def traceback_text(exc: OdooError) -> str:
    """The faultString of a fault 1: a traceback ending with the exception line."""
    short = exc.name.rsplit(".", 1)[-1]
    return (
        "Traceback (most recent call last):\n"
        '  File "/opt/odoo/odoo/service/model.py", line 156, in retrying\n'
        "    result = func()\n"
        '  File "/opt/odoo/odoo/models.py", line 5061, in _search\n'
        "    query = self._where_calc(domain)\n"
        f"{short}: {exc.message}\n"
    )


InjectedFault = CallFault
"""A fault the sandbox raises on a matching call (``sandbox.inject(...)``): the toolkit's
:class:`~sfsync.sandbox.calls.CallFault` holding an :class:`OdooError`."""
