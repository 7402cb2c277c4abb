"""The OData v2 subset Exact Online accepts, parsed and evaluated as strictly as Exact does.

Accepted (reference §3.2, §11 item 4): ``$select``, ``$filter`` with ``eq ne gt ge lt le``,
``and``/``or``/``not`` and parentheses, ``trim(Field)``; literals ``guid'…'``, ``datetime'…'``,
``123L``, numbers, ``'strings'``, ``true``/``false``/``null``; ``$orderby``, ``$top``,
``$inlinecount=allpages`` and ``$skiptoken`` (only as Exact writes it into ``__next``).
Rejected with a 400 and Exact's error body: comparing two fields, other functions, arithmetic,
unknown properties, literals of the wrong type, unknown ``$`` options (``$skip``, ``$format``…).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sfsync_exact.wire import amsterdam_wall_clock

__all__ = [
    "ODataError",
    "Query",
    "compile_filter",
    "guid_sort_key",
    "parse_literal_list",
    "parse_query",
    "sort_value",
]

EdmType = (
    str  # "Guid", "String", "Int16", "Int32", "Int64", "Double", "DateTime", "Boolean", "Byte"
)

ALLOWED_OPTIONS = {"$select", "$filter", "$orderby", "$top", "$skiptoken", "$inlinecount"}
_OPS = {"eq", "ne", "gt", "ge", "lt", "le"}


class ODataError(Exception):
    """A request Exact refuses: status and the text that goes into ``error.message.value``."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def guid_sort_key(value: str) -> tuple[str, ...]:
    """SQL Server ``uniqueidentifier`` order: the last 6 bytes first (reference §3.4)."""
    v = value.lower()
    return (v[24:36], v[19:23], v[14:18], v[9:13], v[0:8])


def sort_value(value: Any, edm: EdmType) -> Any:
    """A value made comparable in Exact's frame (dates and stamps as naive wall-clock)."""
    if value is None:
        return None
    if edm == "DateTime":
        if isinstance(value, dt.datetime):
            return amsterdam_wall_clock(value) if value.tzinfo else value
        return dt.datetime(value.year, value.month, value.day)
    if edm == "Guid":
        return guid_sort_key(value)
    return value


# --- tokens --------------------------------------------------------------------------------------

_TOKEN_RE = re.compile(
    r"""\s*(?:
      (?P<guid>guid'(?P<guidv>[^']*)')
    | (?P<datetime>datetime'(?P<dtv>[^']*)')
    | (?P<string>'(?P<strv>(?:[^']|'')*)')
    | (?P<number>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?[LlMmDdFf]?)
    | (?P<lparen>\()
    | (?P<rparen>\))
    | (?P<comma>,)
    | (?P<word>[A-Za-z_][A-Za-z0-9_/.]*)
    )""",
    re.VERBOSE,
)
_GUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@dataclass(frozen=True)
class _Lit:
    kind: str  # guid, datetime, string, int, int64, decimal, bool, null
    value: Any


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str
    lit: _Lit | None = None


def _literal(match: re.Match[str]) -> _Lit:
    if match.group("guid"):
        raw = match.group("guidv").lower()
        if not _GUID_RE.match(raw):
            raise ODataError(f"Invalid guid value: guid'{match.group('guidv')}'")
        return _Lit("guid", raw)
    if match.group("datetime"):
        raw = match.group("dtv")
        for fmt in ("%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d"):
            try:
                return _Lit("datetime", dt.datetime.strptime(raw, fmt))
            except ValueError:
                continue
        raise ODataError(f"Unrecognized 'Edm.DateTime' literal 'datetime'{raw}''")
    if match.group("string") is not None:
        return _Lit("string", match.group("strv").replace("''", "'"))
    raw = match.group("number")
    suffix = raw[-1].upper() if raw[-1].isalpha() else ""
    digits = raw[:-1] if suffix else raw
    if suffix == "L":
        if not re.fullmatch(r"-?\d+", digits):
            raise ODataError(f"Unrecognized 'Edm.Int64' literal '{raw}'")
        return _Lit("int64", int(digits))
    if suffix or "." in digits or "e" in digits.lower():
        try:
            return _Lit("decimal", Decimal(digits))
        except InvalidOperation as exc:  # pragma: no cover - the regex admits valid numbers only
            raise ODataError(f"Invalid number '{raw}'") from exc
    return _Lit("int", int(digits))


def _tokenize(text: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN_RE.match(text, pos)
        if match is None or match.end() == pos:
            raise ODataError(f"Syntax error at position {pos} in '{text}'.")
        pos = match.end()
        if match.group("word"):
            word = match.group("word")
            if word in ("true", "false"):
                tokens.append(_Tok("lit", word, _Lit("bool", word == "true")))
            elif word == "null":
                tokens.append(_Tok("lit", word, _Lit("null", None)))
            else:
                tokens.append(_Tok("word", word))
        elif match.group("lparen"):
            tokens.append(_Tok("(", "("))
        elif match.group("rparen"):
            tokens.append(_Tok(")", ")"))
        elif match.group("comma"):
            tokens.append(_Tok(",", ","))
        else:
            lit = _literal(match)
            tokens.append(_Tok("lit", match.group(0).strip(), lit))
    return tokens


def parse_literal_list(text: str) -> list[_Lit]:
    """A ``$skiptoken``: comma-separated literals (``datetime'…',guid'…'``)."""
    tokens = _tokenize(text)
    values: list[_Lit] = []
    expect_value = True
    for tok in tokens:
        if expect_value and tok.kind == "lit" and tok.lit is not None:
            values.append(tok.lit)
        elif not expect_value and tok.kind == ",":
            pass
        else:
            raise ODataError(f"The $skiptoken '{text}' is not valid.")
        expect_value = not expect_value
    if not values or expect_value:
        raise ODataError(f"The $skiptoken '{text}' is not valid.")
    return values


# --- filter --------------------------------------------------------------------------------------

Predicate = Callable[[dict[str, Any]], bool]


@dataclass(frozen=True)
class Comparison:
    """One ``Field op literal`` term (kept for endpoints that restrict their filter fields)."""

    field: str
    op: str
    value: Any
    trimmed: bool = False


class _Parser:
    def __init__(self, tokens: list[_Tok], fields: dict[str, EdmType], entity: str) -> None:
        self.tokens = tokens
        self.pos = 0
        self.fields = fields
        self.entity = entity
        self.comparisons: list[Comparison] = []

    def peek(self) -> _Tok | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> _Tok:
        tok = self.peek()
        if tok is None:
            raise ODataError("Syntax error: the $filter ends too early.")
        self.pos += 1
        return tok

    def parse(self) -> Predicate:
        pred = self.or_expr()
        if self.peek() is not None:
            raise ODataError(f"Syntax error at '{self.peek().text}' in $filter.")  # type: ignore[union-attr]
        return pred

    def or_expr(self) -> Predicate:
        left = self.and_expr()
        while (tok := self.peek()) is not None and tok.kind == "word" and tok.text == "or":
            self.take()
            right = self.and_expr()
            left = (lambda a, b: lambda row: a(row) or b(row))(left, right)
        return left

    def and_expr(self) -> Predicate:
        left = self.unary()
        while (tok := self.peek()) is not None and tok.kind == "word" and tok.text == "and":
            self.take()
            right = self.unary()
            left = (lambda a, b: lambda row: a(row) and b(row))(left, right)
        return left

    def unary(self) -> Predicate:
        tok = self.peek()
        if tok is not None and tok.kind == "word" and tok.text == "not":
            self.take()
            inner = self.unary()
            return lambda row: not inner(row)
        if tok is not None and tok.kind == "(":
            self.take()
            inner = self.or_expr()
            if self.take().kind != ")":
                raise ODataError("Syntax error: ')' expected in $filter.")
            return inner
        return self.comparison()

    def operand_field(self) -> tuple[str, bool]:
        tok = self.take()
        if tok.kind == "lit":
            raise ODataError(
                f"Syntax error: a property is expected before '{tok.text}' in $filter."
            )
        if tok.kind != "word":
            raise ODataError(f"Syntax error at '{tok.text}' in $filter.")
        nxt = self.peek()
        if nxt is not None and nxt.kind == "(":
            if tok.text != "trim":
                raise ODataError(f"The function '{tok.text}' is not supported.")
            self.take()
            inner = self.take()
            if inner.kind != "word" or self.take().kind != ")":
                raise ODataError("trim() takes one property.")
            self.check_field(inner.text)
            if self.fields[inner.text] != "String":
                raise ODataError(f"trim() needs a string property, not {inner.text}.")
            return inner.text, True
        if tok.text in _OPS or tok.text in ("and", "or", "not"):
            raise ODataError(f"Syntax error at '{tok.text}' in $filter.")
        self.check_field(tok.text)
        return tok.text, False

    def check_field(self, name: str) -> None:
        if name not in self.fields:
            raise ODataError(
                f"No property '{name}' exists in type 'Exact.Web.Api.Models.{self.entity}'."
            )

    def comparison(self) -> Predicate:
        field, trimmed = self.operand_field()
        op_tok = self.take()
        if op_tok.kind != "word" or op_tok.text not in _OPS:
            if op_tok.kind == "word" and op_tok.text in ("add", "sub", "mul", "div", "mod"):
                raise ODataError(f"Arithmetic operator '{op_tok.text}' is not supported.")
            raise ODataError(f"Syntax error: an operator is expected at '{op_tok.text}'.")
        value_tok = self.take()
        if value_tok.kind == "word":
            raise ODataError(
                f"Comparing properties ({field} {op_tok.text} {value_tok.text}) is not supported."
            )
        if value_tok.kind != "lit" or value_tok.lit is None:
            raise ODataError(f"Syntax error at '{value_tok.text}' in $filter.")
        edm = self.fields[field]
        value = _coerce(value_tok.lit, edm, field, op_tok.text)
        self.comparisons.append(Comparison(field, op_tok.text, value, trimmed))
        return _predicate(field, edm, op_tok.text, value, trimmed)


def _coerce(lit: _Lit, edm: EdmType, field: str, op: str) -> Any:
    if lit.kind == "null":
        if op not in ("eq", "ne"):
            raise ODataError(f"The operator '{op}' cannot compare {field} with null.")
        return None
    ok = {
        "Guid": lit.kind == "guid",
        "String": lit.kind == "string",
        "DateTime": lit.kind == "datetime",
        "Int64": lit.kind in ("int", "int64"),
        "Int32": lit.kind in ("int", "int64"),
        "Int16": lit.kind in ("int", "int64"),
        "Byte": lit.kind == "int",
        "Double": lit.kind in ("int", "int64", "decimal"),
        "Boolean": lit.kind == "bool",
    }.get(edm, False)
    if not ok:
        raise ODataError(
            f"Operator '{op}' incompatible with operand types 'Edm.{edm}' and "
            f"'{_edm_of(lit)}' at property {field}."
        )
    if edm == "Guid":
        return guid_sort_key(lit.value)
    if edm == "Double":
        return Decimal(lit.value)
    return lit.value


def _edm_of(lit: _Lit) -> str:
    return {
        "guid": "Edm.Guid",
        "string": "Edm.String",
        "datetime": "Edm.DateTime",
        "int": "Edm.Int32",
        "int64": "Edm.Int64",
        "decimal": "Edm.Decimal",
        "bool": "Edm.Boolean",
    }.get(lit.kind, "null")


def _predicate(field: str, edm: EdmType, op: str, value: Any, trimmed: bool) -> Predicate:
    def get(row: dict[str, Any]) -> Any:
        raw = row.get(field)
        if trimmed and raw is not None:
            return str(raw).strip()
        return sort_value(raw, edm)

    if op == "eq":
        return lambda row: get(row) == value
    if op == "ne":
        return lambda row: get(row) != value

    def ordered(row: dict[str, Any]) -> bool:
        got = get(row)
        if got is None:
            return False
        if op == "gt":
            return bool(got > value)
        if op == "ge":
            return bool(got >= value)
        if op == "lt":
            return bool(got < value)
        return bool(got <= value)

    return ordered


def compile_filter(
    text: str, fields: dict[str, EdmType], entity: str
) -> tuple[Predicate, list[Comparison], bool]:
    """Compile ``$filter`` text; returns the predicate, its terms, and whether it is a plain
    conjunction (only ``and``), which lets an endpoint use a term as an index bound."""
    if not text.strip():
        raise ODataError("This $filter parameter is not supported for this resource")
    tokens = _tokenize(text)
    parser = _Parser(tokens, fields, entity)
    predicate = parser.parse()
    conjunctive = not any(t.kind == "word" and t.text in ("or", "not") for t in tokens)
    return predicate, parser.comparisons, conjunctive


# --- the whole query -----------------------------------------------------------------------------


@dataclass
class Query:
    """A parsed query string of a collection request."""

    select: list[str] | None = None
    filter_text: str | None = None
    predicate: Predicate | None = None
    comparisons: tuple[Comparison, ...] = ()
    conjunctive: bool = True
    orderby: list[tuple[str, bool]] | None = None  # (field, descending)
    top: int | None = None
    skiptoken: list[Any] | None = None
    inlinecount: bool = False


def parse_query(params: list[tuple[str, str]], fields: dict[str, EdmType], entity: str) -> Query:
    """Parse and check the ``$`` options against the entity's properties."""
    query = Query()
    seen: set[str] = set()
    for name, value in params:
        if not name.startswith("$"):
            continue
        if name not in ALLOWED_OPTIONS:
            raise ODataError(f"The query parameter '{name}' is not supported.")
        if name in seen:
            raise ODataError(f"The query parameter '{name}' is specified more than once.")
        seen.add(name)
        if name == "$select":
            names = [part.strip() for part in value.split(",")]
            if names == ["*"]:
                query.select = None
                continue
            for part in names:
                if part not in fields:
                    raise ODataError(
                        f"No property '{part}' exists in type 'Exact.Web.Api.Models.{entity}'."
                    )
            query.select = names
        elif name == "$filter":
            query.filter_text = value
            query.predicate, comparisons, query.conjunctive = compile_filter(value, fields, entity)
            query.comparisons = tuple(comparisons)
        elif name == "$orderby":
            order: list[tuple[str, bool]] = []
            for part in value.split(","):
                bits = part.split()
                if not bits or len(bits) > 2 or (len(bits) == 2 and bits[1] not in ("asc", "desc")):
                    raise ODataError(f"Syntax error in $orderby '{value}'.")
                if bits[0] not in fields:
                    raise ODataError(
                        f"No property '{bits[0]}' exists in type 'Exact.Web.Api.Models.{entity}'."
                    )
                order.append((bits[0], len(bits) == 2 and bits[1] == "desc"))
            query.orderby = order
        elif name == "$top":
            if not re.fullmatch(r"\d+", value) or int(value) == 0:
                raise ODataError(f"Invalid $top value '{value}'.")
            query.top = int(value)
        elif name == "$skiptoken":
            query.skiptoken = [lit.value for lit in parse_literal_list(value)]
        elif name == "$inlinecount":
            if value not in ("allpages", "none"):
                raise ODataError(f"Invalid $inlinecount value '{value}'.")
            query.inlinecount = value == "allpages"
    return query
