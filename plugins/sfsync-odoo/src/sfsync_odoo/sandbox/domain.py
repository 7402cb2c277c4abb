"""Odoo's search domains, evaluated in memory: prefix ``&``, ``|``, ``!`` and the ORM's operators.

A domain is a list in Polish (prefix) notation: ``['|', ('a', '=', 1), ('b', '=', 2)]``; terms
that are not joined by an operator are ANDed. Leaves compare a field (or a dotted path through
many2one fields) with a value, following the SQL Odoo generates: ``!=`` and ``not in`` also match
empty (NULL) values, ``like`` wraps the value in ``%``, ``=like`` takes it as a pattern, and on
many2many fields a leaf matches when any related id does.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from sfsync_odoo.sandbox.faults import OdooValueError

__all__ = ["OPERATORS", "Node", "compile_domain", "normalize", "parse"]

OPERATORS = frozenset(
    {
        "=", "!=", "<>", ">", ">=", "<", "<=", "in", "not in", "like", "not like", "ilike",
        "not ilike", "=like", "=ilike", "child_of", "parent_of", "=?",
    }
)

TRUE_LEAF = (1, "=", 1)
FALSE_LEAF = (0, "=", 1)

# A parsed domain: ("&", [nodes]), ("|", [nodes]), ("!", node) or ("leaf", (path, op, value)).
Node = tuple[str, Any]


def _is_leaf(term: Any) -> bool:
    return isinstance(term, list | tuple) and len(term) == 3


def normalize(domain: Sequence[Any]) -> list[Any]:
    """Add the implicit ``&`` operators, as ``odoo.osv.expression.normalize_domain`` does."""
    if not isinstance(domain, list | tuple):
        raise OdooValueError(f"Invalid domain {domain!r}")
    if not domain:
        return [TRUE_LEAF]
    result: list[Any] = []
    expected = 1
    arity = {"!": 1, "&": 2, "|": 2}
    for term in domain:
        if expected == 0:
            result[0:0] = ["&"]
            expected = 1
        if isinstance(term, str) and term in arity:
            expected += arity[term] - 1
        elif _is_leaf(term):
            expected -= 1
        else:
            raise OdooValueError(f"Invalid domain term {term!r}")
        result.append(term)
    if expected != 0:
        raise OdooValueError(f"Domain {list(domain)!r} is syntactically not correct.")
    return result


def parse(domain: Sequence[Any]) -> Node:
    """Parse a domain into a tree, refusing unknown operators."""
    terms = normalize(domain)
    position = 0

    def take() -> Node:
        nonlocal position
        if position >= len(terms):
            raise OdooValueError(f"Domain {list(domain)!r} is syntactically not correct.")
        term = terms[position]
        position += 1
        if term == "!":
            return ("!", take())
        if term in ("&", "|"):
            left = take()
            right = take()
            return (term, [left, right])
        path, op, value = term
        if isinstance(op, str):
            op = op.lower()
        if op not in OPERATORS:
            raise OdooValueError(f"Invalid leaf {tuple(term)!r}")
        if not isinstance(path, str) and (path, op, value) not in (TRUE_LEAF, FALSE_LEAF):
            raise OdooValueError(f"Invalid leaf {tuple(term)!r}")
        return ("leaf", (path, "!=" if op == "<>" else op, value))

    tree = take()
    if position != len(terms):
        raise OdooValueError(f"Domain {list(domain)!r} is syntactically not correct.")
    return tree


def _like_regex(pattern: str, *, wrap: bool, ignore_case: bool) -> re.Pattern[str]:
    out = []
    for char in pattern:
        if char == "%":
            out.append(".*")
        elif char == "_":
            out.append(".")
        else:
            out.append(re.escape(char))
    body = "".join(out)
    if wrap:
        body = f".*{body}.*"
    return re.compile(f"^{body}$", re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def _coerce(value: Any, kind: str) -> Any:
    """Turn a domain value (strings for dates) into the field's in-memory type."""
    if value is False or value is None:
        return None
    try:
        if kind == "date" and isinstance(value, str):
            return dt.date.fromisoformat(value[:10])
        if kind == "datetime" and isinstance(value, str):
            if len(value) == 10:
                return dt.datetime.fromisoformat(value + " 00:00:00")
            return dt.datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
        if kind in ("float", "monetary") and isinstance(value, int | float | str | Decimal):
            return Decimal(str(value))
    except ValueError as exc:
        raise OdooValueError(f"Invalid value {value!r} for a {kind} field") from exc
    return value


def _compare(op: str, left: Any, right: Any) -> bool:
    if left is None or right is None:
        return False
    try:
        if op == ">":
            return bool(left > right)
        if op == ">=":
            return bool(left >= right)
        if op == "<":
            return bool(left < right)
        return bool(left <= right)
    except TypeError as exc:
        raise OdooValueError(f"Cannot compare {left!r} {op} {right!r}") from exc


# Resolves a field path once per search: a function giving the values at the end of the path for
# a record (several for many2many), the field type there, and, for relational fields, a display
# name lookup and a hierarchy expansion (child_of / parent_of).
Accessor = tuple[
    Callable[[Any], list[Any]], str, Callable[[int], str] | None, Callable[[list[int], str], set[int]] | None
]
PathResolver = Callable[[str], Accessor]
Predicate = Callable[[Any], bool]


def _compile_leaf(leaf: tuple[Any, str, Any], resolve: PathResolver) -> Predicate:
    path, op, raw = leaf
    if (path, op, raw) == TRUE_LEAF:
        return lambda record: True
    if (path, op, raw) == FALSE_LEAF:
        return lambda record: False
    get, kind, name_of, hierarchy = resolve(path)
    relational = kind in ("many2one", "many2many", "one2many") or path == "id"
    multi = kind in ("many2many", "one2many")

    def values_of(record: Any) -> list[Any]:
        found = get(record)
        return found if found else [None]

    if op == "=?":
        if raw is False or raw is None:
            return lambda record: True
        op = "="
    if op in ("child_of", "parent_of"):
        ids = list(raw) if isinstance(raw, list | tuple) else [raw]
        wanted_ids = hierarchy(ids, op) if hierarchy else set(ids)
        return lambda record: any(v in wanted_ids for v in get(record))
    if op in ("in", "not in"):
        items = raw if isinstance(raw, list | tuple) else [raw]
        want_null = any(item is False or item is None for item in items)
        wanted = {_coerce(item, kind) for item in items if item is not False and item is not None}
        names = {item for item in wanted if isinstance(item, str)} if relational and name_of else set()

        def hit(record: Any) -> bool:
            vals = values_of(record)
            found = any(v in wanted for v in vals if v is not None)
            if names and name_of is not None:
                found = found or any(v is not None and name_of(v) in names for v in vals)
            if want_null:
                found = found or any(v is None for v in vals)
            return found

        if op == "in":
            return hit
        # NOT IN also matches NULL unless False is in the list (Odoo adds "OR col IS NULL").
        return lambda record: not hit(record)
    if op in ("like", "not like", "ilike", "not ilike", "=like", "=ilike"):
        negate = op.startswith("not")
        if raw is False or raw is None:
            return lambda record: any(v is None for v in values_of(record)) != negate
        regex = _like_regex(str(raw), wrap=not op.startswith("="), ignore_case="ilike" in op)

        def text(value: Any) -> str | None:
            if value is None:
                return None
            if relational and name_of is not None:
                return name_of(value)
            return str(value)

        # "not like" matches NULL too (Odoo: "col NOT LIKE x OR col IS NULL").
        return lambda record: any(
            (t := text(v)) is not None and regex.match(t) is not None for v in values_of(record)
        ) != negate
    value = _coerce(raw, kind)
    if relational and isinstance(raw, str) and name_of is not None and op in ("=", "!="):
        return lambda record: any(v is not None and name_of(v) == raw for v in values_of(record)) == (op == "=")
    if op == "=":
        if value is None:
            if multi:
                return lambda record: not get(record)
            return lambda record: all(v is None for v in values_of(record))
        return lambda record: any(v == value for v in values_of(record))
    if op == "!=":
        if value is None:
            return lambda record: any(v is not None for v in values_of(record))
        # Odoo: "col != x OR col IS NULL".
        return lambda record: not any(v == value for v in values_of(record))
    return lambda record: any(_compare(op, v, value) for v in values_of(record))


def compile_domain(tree: Node, resolve: PathResolver) -> Predicate:
    """Turn a parsed domain into a predicate on records (paths and values resolved once)."""
    kind, body = tree
    if kind in ("&", "|"):
        parts = [compile_domain(node, resolve) for node in body]
        if kind == "&":
            return lambda record: all(part(record) for part in parts)
        return lambda record: any(part(record) for part in parts)
    if kind == "!":
        inner = compile_domain(body, resolve)
        return lambda record: not inner(record)
    return _compile_leaf(body, resolve)
