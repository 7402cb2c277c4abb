"""AFAS GetConnector filters, as the query parameters the API takes (get-connector.md).

A filter is OR-groups of AND-conditions ``(field, operator, value)`` with the operators 1–15 of
:data:`~sfsync_afas.facts.OPERATORS`. On the wire, ``,`` joins the conditions of a group and ``;``
starts the next group, in ``filterfieldids``, ``filtervalues`` and ``operatortypes`` alike; a value
that itself holds ``,`` or ``;`` cannot be written so, and the filter goes as ``filterjson``
instead (AFAS's ``{"Filters": {"Filter": [{"@FilterId", "Field": [...]}]}}``). The sandbox reads
both with :func:`parse_filters`, so connector and sandbox agree on one grammar.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sfsync_afas.facts import OPERATORS

__all__ = ["Condition", "FilterError", "filter_params", "parse_filters"]


@dataclass(frozen=True)
class Condition:
    """``field <operator> value``: operator is AFAS's number (1 is ``=``, 4 is ``>``…)."""

    field: str
    operator: int
    value: str

    def __post_init__(self) -> None:
        if self.operator not in OPERATORS:
            raise FilterError(f"operator {self.operator} is not one of AFAS's 1–15")


class FilterError(ValueError):
    """A filter the API cannot take."""


Groups = Sequence[Sequence[Condition]]


def filter_params(groups: Groups) -> dict[str, str]:
    """The query parameters for OR-``groups`` of AND-conditions (none for no filter)."""
    groups = [list(g) for g in groups if g]
    if not groups:
        return {}
    if any(c.value and any(ch in c.value for ch in ",;") for g in groups for c in g):
        document = {"Filters": {"Filter": [
            {"@FilterId": f"Filter {n}", "Field": [
                {"@FieldId": c.field, "@OperatorType": str(c.operator), "#text": c.value} for c in group]}
            for n, group in enumerate(groups, 1)]}}
        return {"filterjson": json.dumps(document, separators=(",", ":"), ensure_ascii=False)}
    return {
        "filterfieldids": ";".join(",".join(c.field for c in g) for g in groups),
        "filtervalues": ";".join(",".join(c.value for c in g) for g in groups),
        "operatortypes": ";".join(",".join(str(c.operator) for c in g) for g in groups),
    }


def _split(raw: str) -> list[list[str]]:
    return [part.split(",") for part in raw.split(";")]


def parse_filters(params: Mapping[str, str]) -> list[list[Condition]]:
    """Read the filter of a request's query (both forms); raises :class:`FilterError`."""
    if "filterjson" in params:
        if any(k in params for k in ("filterfieldids", "filtervalues", "operatortypes")):
            raise FilterError("filterjson and filterfieldids cannot be combined")
        try:
            filters = json.loads(params["filterjson"])["Filters"]["Filter"]
            if isinstance(filters, dict):
                filters = [filters]
            groups = []
            for item in filters:
                fields = item["Field"]
                fields = [fields] if isinstance(fields, dict) else fields
                groups.append([Condition(f["@FieldId"], int(f["@OperatorType"]), str(f.get("#text", "")))
                               for f in fields])
        except (ValueError, KeyError, TypeError) as exc:
            raise FilterError(f"filterjson is not AFAS's filter document ({exc})") from None
        return groups
    names = ("filterfieldids", "filtervalues", "operatortypes")
    given = [params.get(n) for n in names]
    if all(g is None for g in given):
        return []
    if any(g is None for g in given):
        raise FilterError("filterfieldids, filtervalues and operatortypes go together")
    fields, values, operators = (_split(str(g)) for g in given)
    if [len(g) for g in fields] != [len(g) for g in values] or [len(g) for g in fields] != [len(g) for g in operators]:
        raise FilterError("filterfieldids, filtervalues and operatortypes do not have as many items")
    try:
        return [[Condition(f, int(o), v) for f, v, o in zip(fg, vg, og, strict=True)]
                for fg, vg, og in zip(fields, values, operators, strict=True)]
    except ValueError as exc:
        raise FilterError(f"operatortypes must be numbers 1–15 ({exc})") from None
