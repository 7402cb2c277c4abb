"""Browse data in the Twinfield sandbox: ``<columns code="…">`` evaluated against the books.

Codes ``000`` and ``030_3`` give one row per transaction line with its ``key`` (office, daybook,
number, line); ``040_1`` gives totals grouped by every requested non-value column. Filters are
checked as Twinfield checks them: unknown fields, operators and malformed values
(``YYYY/PP``, ``yyyyMMdd``, ``yyyyMMddHHmmss``) are refused with ``result="0"``.
"""

from __future__ import annotations

import fnmatch
import re
from decimal import Decimal
from xml.sax.saxutils import escape

from lxml import etree  # type: ignore[import-untyped,unused-ignore]  # no stubs

from sfsync_twinfield.client import PARSER
from sfsync_twinfield.sandbox_data import STAMP, Office, Transaction, TxnLine

# Browse codes the sandbox knows, with the fields each can return.
HEAD = {
    "fin.trs.head.office",
    "fin.trs.head.officename",
    "fin.trs.head.year",
    "fin.trs.head.period",
    "fin.trs.head.yearperiod",
    "fin.trs.head.code",
    "fin.trs.head.number",
    "fin.trs.head.status",
    "fin.trs.head.date",
    "fin.trs.head.curcode",
    "fin.trs.head.relation",
    "fin.trs.head.relationname",
    "fin.trs.head.inpdate",
    "fin.trs.head.modified",
    "fin.trs.head.username",
    "fin.trs.head.origin",
    "fin.trs.head.reportingstructure",
}
LINE = {
    "fin.trs.line.dim1",
    "fin.trs.line.dim1name",
    "fin.trs.line.dim1type",
    "fin.trs.line.dim2",
    "fin.trs.line.dim2name",
    "fin.trs.line.dim2type",
    "fin.trs.line.valuesigned",
    "fin.trs.line.basevaluesigned",
    "fin.trs.line.repvaluesigned",
    "fin.trs.line.debitcredit",
    "fin.trs.line.vatcode",
    "fin.trs.line.description",
    "fin.trs.line.invnumber",
}
# The rest of 030_3's documented column set (provider notes, section 5): a client built for the
# real browse may ask for any of them. The seeded books have no cost centres (dim3), quantities,
# free texts, account groups or management type, so these cells are empty; the VAT base is 0.00
# on every line (the books post VAT on lines of its own).
LINE_030_3 = {
    "fin.trs.line.dim3",
    "fin.trs.line.dim3name",
    "fin.trs.line.dim3type",
    "fin.trs.line.vatbasevaluesigned",
    "fin.trs.line.quantity",
    *(f"fin.trs.line.freetext{n}" for n in (1, 2, 3)),
    *(f"fin.trs.line.dim1group{n}" for n in range(1, 6)),
    *(f"fin.trs.line.dim1group{n}name" for n in range(1, 6)),
    "fin.trs.mng.type",
}
BROWSE_FIELDS = {
    "000": HEAD | LINE,
    "030_3": HEAD | LINE | LINE_030_3,
    "040_1": {
        "fin.trs.head.office",
        "fin.trs.head.year",
        "fin.trs.head.period",
        "fin.trs.head.yearperiod",
        "fin.trs.head.status",
        "fin.trs.head.reportingstructure",
        "fin.trs.line.dim1",
        "fin.trs.line.dim1name",
        "fin.trs.line.dim1type",
        "fin.trs.line.basevaluesigned",
        "fin.trs.line.repvaluesigned",
        "fin.trs.line.debitcredit",
    },
}
VALUE_FIELDS = {
    "fin.trs.line.valuesigned",
    "fin.trs.line.basevaluesigned",
    "fin.trs.line.repvaluesigned",
    "fin.trs.line.vatbasevaluesigned",
}
FORMATS = {
    "fin.trs.head.yearperiod": re.compile(r"\d{4}/\d{2}"),
    "fin.trs.head.date": re.compile(r"\d{8}"),
    "fin.trs.head.modified": re.compile(r"\d{14}"),
}


def browse(request: etree._Element, books: Office, username: str) -> etree._Element:
    """Answer a ``<columns code="…">`` request from the office's books."""
    code = request.get("code", "")
    fields = BROWSE_FIELDS.get(code)
    if fields is None:
        return refused(request, request, f"Browsecode {code!r} bestaat niet.")
    columns = []
    for node in request.iterfind("column"):
        field = (node.findtext("field") or "").strip()
        operator = (node.findtext("operator") or "none").strip()
        start, end = node.findtext("from"), node.findtext("to")
        if field not in fields:
            return refused(
                request, node.find("field"), f"Kolom {field!r} bestaat niet in browse {code}."
            )
        if operator not in ("none", "equal", "between", "like"):
            return refused(request, node.find("operator"), f"Operator {operator!r} is ongeldig.")
        if operator != "none":
            if operator == "between" and (start is None or end is None):
                return refused(request, node, f"Kolom {field}: between vraagt from en to.")
            pattern = FORMATS.get(field)
            for value in (start, end) if operator == "between" else (start,):
                if pattern is not None and value is not None and not pattern.fullmatch(value):
                    return refused(request, node, f"Kolom {field}: ongeldige waarde {value!r}.")
        columns.append((field, operator, start or "", end or ""))
    if not columns:
        return refused(request, request, "Geen kolommen gevraagd.")
    for field, operator, start, _ in columns:
        if field == "fin.trs.head.office" and operator == "equal" and start != books.code:
            return refused(
                request, request, f"Administratie {start} komt niet overeen met de header."
            )
    statuses = [c for c in columns if c[0] == "fin.trs.head.status" and c[1] != "none"]
    head = [c for c in columns if c[0].startswith("fin.trs.head.")]
    line_columns = [c for c in columns if not c[0].startswith("fin.trs.head.")]
    rows = []
    for txn in sorted(
        books.transactions.values(), key=lambda t: (t.year, t.period, t.code, t.number)
    ):
        if not statuses and txn.status != "normal":
            continue
        # Head fields once per transaction; a transaction that fails them costs no lines.
        head_cells = {f: _cell(username, books, txn, txn.lines[0], f) for f, *_ in head}
        if not all(_matches(head_cells[f], f, op, a, b) for f, op, a, b in head):
            continue
        for line in txn.lines:
            cells = dict(head_cells)
            cells.update({f: _cell(username, books, txn, line, f) for f, *_ in line_columns})
            if all(_matches(cells[f], f, op, a, b) for f, op, a, b in line_columns):
                rows.append((txn, line, cells))
    visible = [c[0] for c in columns]
    rows_out: list[tuple[dict[str, str], tuple[Transaction, TxnLine] | None]]
    if code == "040_1":
        rows_out = list(_totals(rows, visible))
    else:
        rows_out = [(cells, (txn, line)) for txn, line, cells in rows]
    # Written as text and parsed once: a large browse is tens of thousands of rows.
    count = len(rows_out)
    parts = [f'<browse result="1" first="{1 if count else 0}" last="{count}" total="{count}"><th>']
    parts += [
        f'<td label="{field.rsplit(".", 1)[-1]}" hideforuser="false" type="{_type(field)}">'
        f"{field}</td>"
        for field in visible
    ]
    parts.append("</th>")
    cell_open = {f: f'<td field="{f}" hideforuser="false" type="{_type(f)}">' for f in visible}
    for cells, key in rows_out:
        parts.append("<tr>")
        parts += [f"{cell_open[f]}{escape(cells[f])}</td>" for f in visible]
        if key is not None:
            txn, line = key
            parts.append(
                f"<key><office>{escape(books.code)}</office><code>{escape(txn.code)}</code>"
                f"<number>{escape(txn.number)}</number><line>{line.line}</line></key>"
            )
        parts.append("</tr>")
    parts.append("</browse>")
    return etree.fromstring("".join(parts).encode(), PARSER)


def _totals(
    rows: list[tuple[Transaction, TxnLine, dict[str, str]]], visible: list[str]
) -> list[tuple[dict[str, str], None]]:
    sums: dict[tuple[str, ...], dict[str, Decimal]] = {}
    group_fields = [f for f in visible if f not in VALUE_FIELDS]
    for _, _, cells in rows:
        group = tuple(cells[f] for f in group_fields)
        slot = sums.setdefault(group, {f: Decimal(0) for f in visible if f in VALUE_FIELDS})
        for f in slot:
            slot[f] += Decimal(cells[f])
    out = []
    for group, values in sorted(sums.items()):
        cells = dict(zip(group_fields, group, strict=True))
        cells.update({f: f"{v:.2f}" for f, v in values.items()})
        out.append((cells, None))
    return out


def _cell(username: str, books: Office, txn: Transaction, line: TxnLine, field: str) -> str:
    match field:
        case "fin.trs.head.office":
            return books.code
        case "fin.trs.head.officename":
            return books.name
        case "fin.trs.head.year":
            return str(txn.year)
        case "fin.trs.head.period":
            return str(txn.period)
        case "fin.trs.head.yearperiod":
            return f"{txn.year}/{txn.period:02d}"
        case "fin.trs.head.code":
            return txn.code
        case "fin.trs.head.number":
            return txn.number
        case "fin.trs.head.status":
            return txn.status
        case "fin.trs.head.date" | "fin.trs.head.inpdate":
            return txn.date.strftime("%Y%m%d")
        case "fin.trs.head.curcode":
            return txn.currency
        case "fin.trs.head.modified":
            return txn.modified.strftime(STAMP)
        case "fin.trs.head.username":
            return username.upper()
        case "fin.trs.head.origin":
            return "import"
        case "fin.trs.head.reportingstructure":
            return "Generic"
        case "fin.trs.head.relation" | "fin.trs.line.dim2":
            return line.dim2
        case "fin.trs.head.relationname" | "fin.trs.line.dim2name":
            return next(
                (
                    d.name
                    for (k, c), d in books.dimensions.items()
                    if c == line.dim2 and k in ("DEB", "CRD")
                ),
                "",
            )
        case "fin.trs.line.dim2type":
            return next(
                (k for (k, c) in books.dimensions if c == line.dim2 and k in ("DEB", "CRD")), ""
            )
        case "fin.trs.line.dim1":
            return line.dim1
        case "fin.trs.line.dim1name":
            return books.dimension_name(line.dim1)
        case "fin.trs.line.dim1type":
            return books.dimension_type(line.dim1)
        case "fin.trs.line.valuesigned":
            return f"{line.value:.2f}"
        case "fin.trs.line.basevaluesigned" | "fin.trs.line.repvaluesigned":
            return f"{line.base:.2f}"
        case "fin.trs.line.debitcredit":
            return "debit" if line.base >= 0 else "credit"
        case "fin.trs.line.vatcode":
            return line.vatcode
        case "fin.trs.line.description":
            return line.description
        case "fin.trs.line.invnumber":
            return txn.number if txn.code == "VRK" else ""
        case "fin.trs.line.vatbasevaluesigned":
            return "0.00"
    return ""  # a documented column the seeded books leave empty (LINE_030_3)


def _matches(value: str, field: str, operator: str, start: str, end: str) -> bool:
    if operator == "none":
        return True
    if field in VALUE_FIELDS:
        number, low = Decimal(value or "0"), Decimal(start or "0")
        return number == low if operator == "equal" else low <= number <= Decimal(end or "0")
    if operator == "equal":
        return value == start
    if operator == "like":
        return fnmatch.fnmatchcase(value, start.replace("%", "*"))
    return start <= value <= end


def _type(field: str) -> str:
    if field in VALUE_FIELDS:
        return "Value"
    if field == "fin.trs.line.quantity":
        return "Decimal"
    if field in ("fin.trs.head.date", "fin.trs.head.inpdate"):
        return "Date"
    if field == "fin.trs.head.modified":
        return "DateTime"
    return "String"


def refused(
    request: etree._Element, culprit: etree._Element | None, message: str
) -> etree._Element:
    """Twinfield's business error: the request echoed, ``result="0"``, the culprit flagged."""
    echo = etree.fromstring(etree.tostring(request), PARSER)
    echo.set("result", "0")
    target = echo
    if culprit is not None and culprit is not request:
        path = request.getroottree().getpath(culprit)
        root_path = request.getroottree().getpath(request)
        relative = "." + path[len(root_path) :]
        target = echo.find(relative) if echo.find(relative) is not None else echo
    target.set("msgtype", "error")
    target.set("msg", message)
    return echo
