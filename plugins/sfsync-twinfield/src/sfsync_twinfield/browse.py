"""Twinfield's browse data (``<columns code="…">``): the request and its rows.

A browse request lists every column to return; columns with ``ask`` carry a filter
(``between``, ``equal``…). The answer is a ``<browse>`` with a header row and one ``<tr>`` per
line, each with a ``<key>`` (office, daybook code, transaction number, line) for line-level
browses. Browse has no paging: keep each request to one book year or a modified window.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lxml import etree  # type: ignore[import-untyped,unused-ignore]  # no stubs
from sfsync.context import ConnectorContext
from sfsync.errors import MalformedResponse

from sfsync_twinfield import client


@dataclass(frozen=True)
class Column:
    field: str
    operator: str | None = None
    start: str | None = None
    end: str | None = None


def column(
    field: str, operator: str | None = None, start: str | None = None, end: str | None = None
) -> Column:
    return Column(field, operator, start, end)


class Row(Mapping[str, str]):
    """One ``<tr>``: cell values by field (missing cells read as ``""``) and its key.

    ``cells`` is the plain dict behind it, for hot loops: ``row.cells.get(field, "")``.
    """

    __slots__ = ("_cells", "key")

    def __init__(self, cells: dict[str, str], key: dict[str, str]) -> None:
        self._cells = cells
        self.key = key

    @property
    def cells(self) -> dict[str, str]:
        return self._cells

    def __getitem__(self, field: str) -> str:
        return self._cells.get(field, "")

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._cells)

    def __len__(self) -> int:
        return len(self._cells)


def request(code: str, columns: list[Column]) -> etree._Element:
    root = etree.Element("columns", code=code, optimize="true")
    for spec in columns:
        node = etree.SubElement(root, "column")
        etree.SubElement(node, "field").text = spec.field
        etree.SubElement(node, "visible").text = "true"
        etree.SubElement(node, "ask").text = "true" if spec.operator else "false"
        if spec.operator:
            etree.SubElement(node, "operator").text = spec.operator
            etree.SubElement(node, "from").text = spec.start or ""
            if spec.end is not None:
                etree.SubElement(node, "to").text = spec.end
    return root


async def browse(ctx: ConnectorContext, office: str, code: str, columns: list[Column]) -> list[Row]:
    """Run browse ``code`` for ``office``; returns its rows."""
    answer = await client.process_xml(ctx, request(code, columns), office=office, compressed=True)
    if answer.tag != "browse":
        raise MalformedResponse(f"Twinfield answered browse {code} with <{answer.tag}>")
    rows = []
    for tr in answer.iterfind("tr"):
        cells = {td.get("field", ""): client.text(td) for td in tr.iterfind("td")}
        key_node = tr.find("key")
        key = {} if key_node is None else {child.tag: client.text(child) for child in key_node}
        rows.append(Row(cells, key))
    declared = answer.get("total")
    if declared is not None and declared.isdigit() and int(declared) != len(rows):
        raise MalformedResponse(
            f"Twinfield's browse {code} declares {declared} rows but sent {len(rows)}"
        )
    return rows
