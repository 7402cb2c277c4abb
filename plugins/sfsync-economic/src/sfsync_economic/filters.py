"""Writing e-conomic filters (``_introduction.md``, Filtering): ``property$op:value`` predicates
joined with ``$and:``/``$or:``, with the special characters of a value escaped."""

from __future__ import annotations

ESCAPES = (("$", "$$"), ("(", "$("), (")", "$)"), ("*", "$*"), (",", "$,"), ("[", "$["), ("]", "$]"))
OPERATORS = frozenset({"eq", "ne", "gt", "gte", "lt", "lte", "like", "in", "nin"})
MAX_IN_VALUES = 200


def escape(value: object) -> str:
    """A value as a filter writes it: ``$`` first, so the other escapes are not doubled."""
    text = str(value)
    for raw, escaped in ESCAPES:
        text = text.replace(raw, escaped)
    return text


def predicate(name: str, operator: str, value: object) -> str:
    """``name$operator:value``; ``None`` is ``$null:``; ``in``/``nin`` take a list of numbers."""
    if operator not in OPERATORS:
        raise ValueError(f"e-conomic has no filter operator {operator!r}")
    if value is None:
        return f"{name}${operator}:$null:"
    if operator in ("in", "nin"):
        values = list(value)  # type: ignore[call-overload]
        if len(values) > MAX_IN_VALUES:
            raise ValueError(f"e-conomic takes at most {MAX_IN_VALUES} values in ${operator}:")
        return f"{name}${operator}:[{','.join(str(int(v)) for v in values)}]"
    return f"{name}${operator}:{escape(value)}"


def all_of(*predicates: str) -> str:
    """Predicates that must all hold, each grouped."""
    return "$and:".join(f"({p})" if "$or:" in p else p for p in predicates)
