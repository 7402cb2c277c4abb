"""Yuki's WSDLs as data: operations, their parameters (exact names, order, case) and result shapes.

The connector builds every envelope from these descriptions and refuses a parameter the WSDL does
not declare; the sandbox validates every request against the same descriptions. ``Archive`` is the
real WSDL; ``Accounting`` and ``AccountingInfo`` are reconstructed from the provider notes (see
``wsdl/SOURCE.txt``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources

from lxml import etree

__all__ = ["SERVICES", "TNS", "Operation", "Param", "Service", "load_service"]

TNS = "http://www.theyukicompany.com/"
_W = "http://schemas.xmlsoap.org/wsdl/"
_S = "http://www.w3.org/2001/XMLSchema"
_SOAP = "http://schemas.xmlsoap.org/wsdl/soap/"
_NS = {"wsdl": _W, "s": _S, "soap": _SOAP}

SERVICES = ("Accounting", "AccountingInfo", "Archive")


@dataclass(frozen=True)
class Param:
    """One element of a sequence: a request parameter or a field of a typed result."""

    name: str
    type: str  # "s:int", "tns:ArrayOfGlAccount", or "" for an inline (mixed/any) type
    min_occurs: int
    max_occurs: str
    nillable: bool = False

    @property
    def local_type(self) -> str:
        return self.type.split(":", 1)[-1]

    @property
    def is_builtin(self) -> bool:
        return self.type.startswith("s:")


@dataclass(frozen=True)
class Operation:
    """A SOAP 1.1 operation of one service."""

    name: str
    action: str
    params: tuple[Param, ...]
    result: Param | None
    """The ``<OpResult>`` element; ``None`` when the response is empty (SetCurrentDomain)."""
    untyped: bool
    """The result is ``mixed="true"`` with ``s:any``: a separate XML document inside it."""

    def param(self, name: str) -> Param | None:
        for param in self.params:
            if param.name == name:
                return param
        return None


@dataclass(frozen=True)
class Service:
    name: str
    operations: dict[str, Operation]
    types: dict[str, tuple[Param, ...]]
    enums: dict[str, tuple[str, ...]]


def _params(sequence: etree._Element | None) -> tuple[Param, ...]:
    if sequence is None:
        return ()
    out = []
    for item in sequence.findall("s:element", _NS):
        out.append(
            Param(
                name=item.get("name", ""),
                type=item.get("type", ""),
                min_occurs=int(item.get("minOccurs", "1")),
                max_occurs=item.get("maxOccurs", "1"),
                nillable=item.get("nillable") == "true",
            )
        )
    return tuple(out)


@functools.cache
def load_service(name: str) -> Service:
    """Parse ``wsdl/<name>.asmx.wsdl.xml`` (cached)."""
    data = resources.files("sfsync_yuki").joinpath("wsdl", f"{name}.asmx.wsdl.xml").read_bytes()
    root = etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    schema = root.find("wsdl:types/s:schema", _NS)
    assert schema is not None
    elements = {e.get("name"): e for e in schema.findall("s:element", _NS)}
    types = {
        t.get("name", ""): _params(t.find("s:sequence", _NS)) for t in schema.findall("s:complexType", _NS)
    }
    enums = {
        t.get("name", ""): tuple(v.get("value", "") for v in t.findall("s:restriction/s:enumeration", _NS))
        for t in schema.findall("s:simpleType", _NS)
    }
    binding = root.find(f"wsdl:binding[@name='{name}Soap']", _NS)
    assert binding is not None
    operations = {}
    for op in binding.findall("wsdl:operation", _NS):
        op_name = op.get("name", "")
        soap_op = op.find("soap:operation", _NS)
        action = soap_op.get("soapAction", "") if soap_op is not None else ""
        request = elements[op_name]
        response = elements[op_name + "Response"]
        params = _params(request.find("s:complexType/s:sequence", _NS))
        result_params = _params(response.find("s:complexType/s:sequence", _NS))
        result = result_params[0] if result_params else None
        untyped = False
        if result is not None and not result.type:
            result_el = response.find("s:complexType/s:sequence/s:element", _NS)
            inline = result_el.find("s:complexType", _NS) if result_el is not None else None
            untyped = inline is not None and inline.get("mixed") == "true"
        operations[op_name] = Operation(op_name, action, params, result, untyped)
    return Service(name, operations, types, enums)
