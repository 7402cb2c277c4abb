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

__all__ = ["OPERATORS", "Node", "evaluate", "normalize", "parse"]

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


# Resolves a leaf for one record: returns the list of values at the end of the path (several
# for many2many), the field type there, and, for relational fields, a name lookup.
Resolver = Callable[[Any, str], tuple[list[Any], str, Callable[[int], str] | None, Callable[[list[int], str], set[int]] | None]]


def _leaf(record: Any, leaf: tuple[Any, str, Any], resolve: Resolver) -> bool:
    path, op, raw = leaf
    if (path, op, raw) == TRUE_LEAF:
        return True
    if (path, op, raw) == FALSE_LEAF:
        return False
    values, kind, name_of, hierarchy = resolve(record, path)
    relational = kind in ("many2one", "many2many", "one2many") or path == "id"
    multi = kind in ("many2many", "one2many")
    if op == "=?":
        if raw is False or raw is None:
            return True
        op = "="
    if op in ("child_of", "parent_of"):
        ids = raw if isinstance(raw, list | tuple) else [raw]
        wanted = hierarchy(list(ids), op) if hierarchy else set(ids)
        return any(v in wanted for v in values)
    if not values:
        values = [None]
    if op in ("in", "not in"):
        items = raw if isinstance(raw, list | tuple) else [raw]
        want_null = any(item is False or item is None for item in items)
        wanted = {_coerce(item, kind) for item in items if item is not False and item is not None}
        if relational and any(isinstance(item, str) for item in wanted) and name_of:
            names = {item for item in wanted if isinstance(item, str)}
            hit = any(v is not None and name_of(v) in names for v in values)
            hit = hit or any(v in wanted for v in values if v is not None)
        else:
            hit = any(v in wanted for v in values if v is not None)
        if want_null:
            hit = hit or any(v is None for v in values)
        if op == "in":
            return hit
        # NOT IN matches NULL unless False is in the list (Odoo adds "OR col IS NULL").
        if multi:
            return not hit
        return not hit and (values[0] is not None or not want_null)
    if op in ("like", "not like", "ilike", "not ilike", "=like", "=ilike"):
        if raw is False or raw is None:
            matched = any(v is None for v in values)
            return matched if "not" not in op else not matched
        regex = _like_regex(
            str(raw), wrap=not op.startswith("="), ignore_case="ilike" in op
        )

        def text(value: Any) -> str | None:
            if value is None:
                return None
            if relational and name_of is not None:
                return name_of(value)
            return str(value)

        matched = any((t := text(v)) is not None and regex.match(t) for v in values)
        if op.startswith("not"):
            # "not like" matches NULL too (Odoo: "col NOT LIKE x OR col IS NULL").
            return not matched
        return matched
    value = _coerce(raw, kind)
    if relational and isinstance(raw, str) and name_of is not None and op in ("=", "!="):
        matched = any(v is not None and name_of(v) == raw for v in values)
        return matched if op == "=" else not matched
    if op == "=":
        if value is None:
            return all(v is None for v in values) if not multi else values == [None]
        return any(v == value for v in values)
    if op == "!=":
        if value is None:
            return any(v is not None for v in values)
        # Odoo: "col != x OR col IS NULL".
        return not any(v == value for v in values)
    return any(_compare(op, v, value) for v in values)


def evaluate(tree: Node, record: Any, resolve: Resolver) -> bool:
    """Whether ``record`` satisfies the parsed domain ``tree``."""
    kind, body = tree
    if kind == "&":
        return all(evaluate(node, record, resolve) for node in body)
    if kind == "|":
        return any(evaluate(node, record, resolve) for node in body)
    if kind == "!":
        return not evaluate(body, record, resolve)
    return _leaf(record, body, resolve)
