"""QuickBooks' query language, as far as the sandbox serves it:

``SELECT * | COUNT(*) FROM <Entity> [WHERE <cond> [AND <cond>]…] [ORDERBY <field> [ASC|DESC]]
[STARTPOSITION <n>] [MAXRESULTS <m>]`` with ``=``, ``<``, ``>``, ``<=``, ``>=``, ``IN (…)`` and
``LIKE`` on the entity's queryable fields; keywords in any case. STARTPOSITION counts from 1,
MAXRESULTS defaults to 100 and is at most 1,000 (Intuit's data-queries page, python-quickbooks'
README). What it refuses it refuses as QuickBooks does: HTTP 400 with a ``ValidationFault`` whose
error ``4000`` says ``QueryParserError`` (a malformed statement) or ``QueryValidationError`` (an
unknown entity or field, a MAXRESULTS over the cap).
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from typing import Any


class QueryFault(Exception):
    def __init__(self, detail: str, code: str = "4000", message: str = "Error parsing query") -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code
        self.message = message


QUERYABLE = {
    "Account": {"Id", "Name", "Active", "AccountType", "Classification", "AcctNum", "MetaData.CreateTime",
                "MetaData.LastUpdatedTime", "CurrentBalance", "FullyQualifiedName"},
    "CompanyInfo": {"Id", "CompanyName"},
    "Preferences": {"Id"},
    "Invoice": {"Id", "TxnDate", "DocNumber", "MetaData.CreateTime", "MetaData.LastUpdatedTime", "TotalAmt"},
    "Bill": {"Id", "TxnDate", "DocNumber", "MetaData.CreateTime", "MetaData.LastUpdatedTime", "TotalAmt"},
    "Payment": {"Id", "TxnDate", "MetaData.CreateTime", "MetaData.LastUpdatedTime", "TotalAmt"},
    "Purchase": {"Id", "TxnDate", "DocNumber", "MetaData.CreateTime", "MetaData.LastUpdatedTime", "TotalAmt"},
    "JournalEntry": {"Id", "TxnDate", "DocNumber", "MetaData.CreateTime", "MetaData.LastUpdatedTime", "TotalAmt"},
}

_TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^'\\]|\\.)*')|(?P<num>-?\d+(?:\.\d+)?)|(?P<op><=|>=|<>|!=|[=<>(),*])"
                    r"|(?P<word>[A-Za-z_][A-Za-z0-9_.]*))")
KEYWORDS = {"select", "from", "where", "and", "orderby", "asc", "desc", "startposition", "maxresults",
            "in", "like", "count", "true", "false"}


@dataclass
class Condition:
    field: str
    op: str
    values: list[Any]


@dataclass
class Query:
    entity: str
    count: bool = False
    where: list[Condition] = field(default_factory=list)
    order: tuple[str, bool] | None = None
    start: int = 1
    max_results: int = 100


def _tokens(text: str) -> list[tuple[str, str]]:
    out = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise QueryFault(f"QueryParserError: Encountered \" \"{text[pos:pos + 1]}\" \"\" at line 1, column {pos + 1}.")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.pos = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def word(self) -> str | None:
        token = self.peek()
        return token[1].lower() if token and token[0] == "word" else None

    def take(self, expected: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise QueryFault("QueryParserError: Encountered \"<EOF>\" at line 1.")
        if expected is not None and token[1].lower() != expected:
            raise QueryFault(f"QueryParserError: Encountered \" \"{token[1]}\" \"\" at line 1. Was expecting: \"{expected}\"")
        self.pos += 1
        return token

    def number(self, keyword: str) -> int:
        kind, value = self.take()
        if kind != "num" or "." in value or int(value) < 0:
            raise QueryFault(f"QueryParserError: Encountered \" \"{value}\" \"\" at line 1. Was expecting a number after {keyword.upper()}")
        return int(value)

    def value(self) -> Any:
        kind, value = self.take()
        if kind == "str":
            return value[1:-1].replace("\\'", "'")
        if kind == "num":
            return value
        if kind == "word" and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise QueryFault(f"QueryParserError: Encountered \" \"{value}\" \"\" at line 1. Was expecting a value")


def parse(text: str) -> Query:
    """Parse a statement, or raise :class:`QueryFault` as QuickBooks would refuse it."""
    p = _Parser(text)
    p.take("select")
    count = False
    if p.word() == "count":
        p.take()
        p.take("(")
        p.take("*")
        p.take(")")
        count = True
    else:
        p.take("*")
    p.take("from")
    kind, entity = p.take()
    if kind != "word" or entity.lower() in KEYWORDS:
        raise QueryFault(f"QueryParserError: Encountered \" \"{entity}\" \"\" at line 1. Was expecting an entity")
    canonical = next((name for name in QUERYABLE if name.lower() == entity.lower()), None)
    if canonical is None:
        raise QueryFault(f"QueryValidationError: Invalid entity {entity}", message="Invalid query")
    query = Query(canonical, count=count)
    if p.word() == "where":
        p.take()
        while True:
            kind, name = p.take()
            known = next((f for f in QUERYABLE[canonical] if f.lower() == name.lower()), None)
            if kind != "word" or known is None:
                raise QueryFault(f"QueryValidationError: property '{name}' is not queryable", message="Invalid query")
            op = p.take()[1].lower()
            if op == "in":
                p.take("(")
                values = [p.value()]
                while p.peek() and p.peek()[1] == ",":  # type: ignore[index]
                    p.take()
                    values.append(p.value())
                p.take(")")
            elif op in ("=", "<", ">", "<=", ">=", "like"):
                values = [p.value()]
            else:
                raise QueryFault(f"QueryParserError: Encountered \" \"{op}\" \"\" at line 1. Was expecting an operator")
            query.where.append(Condition(known, op, values))
            if p.word() != "and":
                break
            p.take()
    if p.word() == "orderby":
        p.take()
        kind, name = p.take()
        known = next((f for f in QUERYABLE[canonical] if f.lower() == name.lower()), None)
        if known is None:
            raise QueryFault(f"QueryValidationError: property '{name}' is not queryable", message="Invalid query")
        descending = False
        if p.word() in ("asc", "desc"):
            descending = p.take()[1].lower() == "desc"
        query.order = (known, descending)
    if p.word() == "startposition":
        p.take()
        query.start = max(1, p.number("startposition"))
    if p.word() == "maxresults":
        p.take()
        query.max_results = p.number("maxresults")
        if query.max_results > 1000:
            raise QueryFault(f"QueryValidationError: value {query.max_results} is too large. Max allowed value is 1000",
                             message="Invalid query")
    if p.peek() is not None:
        raise QueryFault(f"QueryParserError: Encountered \" \"{p.peek()[1]}\" \"\" at line 1.")  # type: ignore[index]
    return query


def _field(item: dict[str, Any], name: str) -> Any:
    value: Any = item
    for part in name.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _compare(left: Any, op: str, right: Any) -> bool:
    a: Any
    b: Any
    if isinstance(left, bool) or isinstance(right, bool):
        a, b = str(left).lower(), str(right).lower()
    else:
        a, b = str(left), str(right)
        with contextlib.suppress(ValueError):  # numbers compare as numbers, the rest as text
            a, b = float(a), float(b)
    if op == "=":
        return bool(a == b)
    if op == "like":
        pattern = "^" + re.escape(str(b)).replace("%", ".*") + "$"
        return re.match(pattern, str(a), re.IGNORECASE) is not None
    return bool({"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op])


def run(query: Query, items: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """Filter, order and page ``items``; returns the page and the number that matched."""
    matched = [
        item for item in items
        if all(any(_compare(_field(item, c.field), "=" if c.op == "in" else c.op, v) for v in c.values)
               for c in query.where)
    ]
    if query.order is not None:
        name, descending = query.order
        matched.sort(key=lambda item: str(_field(item, name) or ""), reverse=descending)
    start = query.start - 1
    return matched[start:start + query.max_results], len(matched)
