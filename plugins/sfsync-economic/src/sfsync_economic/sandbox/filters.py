"""e-conomic's filter language, as the sandbox parses and applies it (``_introduction.md``,
Filtering): ``name$eq:Joe$and:(city$like:*port$or:age$lt:40)``.

Predicates are ``property operator value``; ``$and:`` binds tighter than ``$or:`` (UNVERIFIED:
the reference gives no precedence), parentheses group. In a value, ``$$ $( $) $* $, $[ $]``
stand for the character; ``$null:`` is the null value. ``$in:``/``$nin:`` take ``[1,2,3]`` on
numeric properties only, at most 200 values. A property that is not filterable, an unknown
operator or a malformed expression is refused with :class:`FilterError` (a 400).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from sfsync_economic.sandbox.facts import MAX_IN_VALUES

Item = Mapping[str, Any]
Test = Callable[[Item], bool]

OPERATORS = ("$eq:", "$ne:", "$gte:", "$gt:", "$lte:", "$lt:", "$like:", "$in:", "$nin:")
JOINERS = ("$and:", "$or:")
ESCAPED = {"$$": "$", "$(": "(", "$)": ")", "$*": "*", "$,": ",", "$[": "[", "$]": "]"}


class FilterError(ValueError):
    """A filter e-conomic refuses (400)."""


def _get(item: Item, path: str) -> Any:
    node: Any = item
    for part in path.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


class _Parser:
    def __init__(self, text: str, filterable: Mapping[str, str]) -> None:
        self.text = text
        self.pos = 0
        self.filterable = filterable

    def parse(self) -> Test:
        test = self._or()
        if self.pos != len(self.text):
            raise FilterError(f"unexpected {self.text[self.pos:self.pos + 10]!r} in the filter")
        return test

    def _or(self) -> Test:
        parts = [self._and()]
        while self.text.startswith("$or:", self.pos):
            self.pos += 4
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else (lambda item: any(p(item) for p in parts))

    def _and(self) -> Test:
        parts = [self._term()]
        while self.text.startswith("$and:", self.pos):
            self.pos += 5
            parts.append(self._term())
        return parts[0] if len(parts) == 1 else (lambda item: all(p(item) for p in parts))

    def _term(self) -> Test:
        if self.text.startswith("(", self.pos):
            self.pos += 1
            inner = self._or()
            if not self.text.startswith(")", self.pos):
                raise FilterError("a '(' in the filter is not closed")
            self.pos += 1
            return inner
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] != "$":
            self.pos += 1
        name = self.text[start:self.pos]
        operator = next((op for op in OPERATORS if self.text.startswith(op, self.pos)), None)
        if not name or operator is None:
            raise FilterError(f"no property and operator at {self.text[start:start + 20]!r}")
        self.pos += len(operator)
        kind = self.filterable.get(name)
        if kind is None:
            raise FilterError(f"the property {name!r} is not filterable")
        raw, is_null = self._value()
        return _predicate(name, kind, operator, raw, is_null)

    def _value(self) -> tuple[str, bool]:
        if self.text.startswith("$null:", self.pos):
            self.pos += 6
            return "", True
        out = []
        while self.pos < len(self.text):
            two = self.text[self.pos:self.pos + 2]
            if two in ESCAPED:
                out.append(ESCAPED[two])
                self.pos += 2
                continue
            if any(self.text.startswith(j, self.pos) for j in JOINERS) or self.text[self.pos] == ")":
                break
            if self.text[self.pos] == "$":
                raise FilterError(f"an unescaped '$' in the filter value at {self.text[self.pos:self.pos + 10]!r}")
            out.append(self.text[self.pos])
            self.pos += 1
        return "".join(out), False


def _number(raw: str) -> Decimal:
    try:
        return Decimal(raw)
    except InvalidOperation:
        raise FilterError(f"{raw!r} is not a number") from None


def _predicate(name: str, kind: str, operator: str, raw: str, is_null: bool) -> Test:
    if operator in ("$in:", "$nin:"):
        if kind != "number":
            raise FilterError(f"$in: and $nin: work on numeric properties only, not {name!r}")
        if not (raw.startswith("[") and raw.endswith("]")):
            raise FilterError("$in: and $nin: take a list in brackets")
        values = {_number(v) for v in raw[1:-1].split(",") if v}
        if len(values) > MAX_IN_VALUES:
            raise FilterError(f"$in: and $nin: take at most {MAX_IN_VALUES} values")
        wanted = operator == "$in:"
        return lambda item: (_get(item, name) is not None and Decimal(str(_get(item, name))) in values) == wanted

    def convert(value: Any) -> Any:
        if kind == "number":
            return Decimal(str(value))
        return str(value).lower()

    if is_null:
        if operator not in ("$eq:", "$ne:"):
            raise FilterError("$null: works with $eq: and $ne: only")
        return (lambda item: _get(item, name) is None) if operator == "$eq:" else (lambda item: _get(item, name) is not None)
    target = _number(raw) if kind == "number" else raw.lower()
    if operator == "$like:":
        pattern = raw.lower() if "*" in raw else f"*{raw.lower()}*"
        return lambda item: _get(item, name) is not None and fnmatch.fnmatchcase(str(_get(item, name)).lower(), pattern)
    compare: dict[str, Callable[[Any, Any], bool]] = {
        "$eq:": lambda a, b: a == b, "$ne:": lambda a, b: a != b, "$gt:": lambda a, b: a > b,
        "$gte:": lambda a, b: a >= b, "$lt:": lambda a, b: a < b, "$lte:": lambda a, b: a <= b,
    }
    op = compare[operator]

    def test(item: Item) -> bool:
        value = _get(item, name)
        return value is not None and op(convert(value), target)

    return test


def parse_filter(text: str, filterable: Mapping[str, str]) -> Test:
    """A test for items from ``text``; ``filterable`` maps each filterable property to ``number``
    or ``text``."""
    if not text:
        raise FilterError("the filter is empty")
    return _Parser(text, filterable).parse()
