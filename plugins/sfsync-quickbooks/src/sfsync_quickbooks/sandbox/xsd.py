"""Checks a JSON body against Intuit's XSDs (``IntuitRestServiceDef.xsd`` and what it includes).

QuickBooks' JSON is a rendering of the XSD types: element and attribute names are keys, a list
is a repeated element, the text of a simple-content type (``ReferenceType``) is ``value``. The
checker turns a body back into the XML it renders, placing each key as an attribute or a child
by the schema, children in the schema's order, and validates that XML. A key the type does not
declare is reported, as is every value the schema refuses.

The XSDs are not shipped with the plugin: tests pass the folder that holds them. Needs
``xmlschema`` (the plugin's ``test`` extra).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path
from typing import Any

NS = "http://schema.intuit.com/finance/v3"


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


class XsdChecker:
    """Validates bodies against the schema in ``folder``."""

    def __init__(self, folder: Path) -> None:
        import xmlschema

        self.schema = xmlschema.XMLSchema(str(folder / "IntuitRestServiceDef.xsd"))
        self._children: dict[int, dict[str, tuple[int, Any]]] = {}

    def problems(self, body: Any, root: str = "IntuitResponse") -> list[str]:
        """What is wrong with ``body`` as the JSON of element ``root`` (empty when valid)."""
        found: list[str] = []
        element = self._build(self.schema.elements[root], root, body, found, root)
        if not found:
            found.extend(f"{error.path}: {error.reason}" for error in self.schema.iter_errors(element))
        return found

    def _child_map(self, xsd_type: Any) -> dict[str, tuple[int, Any]]:
        key = id(xsd_type)
        if key not in self._children:
            children: dict[str, tuple[int, Any]] = {}
            for order, child in enumerate(xsd_type.content.iter_elements()):
                # An abstract head (IntuitObject) stands for every entity of its group.
                group = self.schema.maps.substitution_groups.get(child.name or "")
                members = [child, *(group or [])]
                for member in members:
                    children.setdefault(member.local_name, (order, member))
            self._children[key] = children
        return self._children[key]

    def _build(self, decl: Any, name: str, value: Any, found: list[str], where: str) -> ET.Element:
        element = ET.Element(f"{{{NS}}}{name}")
        xsd_type = decl.type
        if xsd_type.is_simple():
            element.text = _text(value)
            return element
        if not isinstance(value, dict):
            found.append(f"{where}: {type(value).__name__} where the schema has the complex type {xsd_type.local_name}")
            return element
        children: list[tuple[int, ET.Element]] = []
        for key, item in value.items():
            if key in xsd_type.attributes:
                element.set(key, _text(item))
                continue
            if key == "value" and xsd_type.has_simple_content():
                element.text = _text(item)
                continue
            place = self._child_map(xsd_type).get(key) if not xsd_type.has_simple_content() else None
            if place is None:
                found.append(f"{where}: {key!r} is not declared in {xsd_type.local_name or name}")
                continue
            order, child = place
            for one in item if isinstance(item, list) else [item]:
                children.append((order, self._build(child, key, one, found, f"{where}/{key}")))
        for _, child_element in sorted(children, key=lambda pair: pair[0]):
            element.append(child_element)
        return element
