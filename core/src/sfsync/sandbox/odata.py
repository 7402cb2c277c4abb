"""OData v4 for sandboxes: an entity model that writes its own ``$metadata`` (CSDL XML), the
system query options a service applies (``$filter``, ``$select``, ``$expand``, ``$orderby``,
``$top``, ``$skip``), server-driven paging (``Prefer: odata.maxpagesize``, ``@odata.nextLink``
with ``$skiptoken``) and the error body, so an OData package's sandbox declares its entities and
writes small handlers (CONVENTIONS §16).

A sandbox declares its model::

    MODEL = ServiceModel("Microsoft.NAV", [
        EntityType("account", ("id",), [Property("id", "Edm.Guid", nullable=False),
                                         Property("number", "Edm.String", max_length=20)]),
    ], sets={"accounts": "account"})

and answers ``GET $metadata`` with :func:`metadata_response`. A collection handler passes its
entities (dicts of Python values: ``str``, ``int``, ``Decimal``, ``bool``, ``date``, aware
``datetime``) and the request to :func:`collection_response`, which filters, orders, selects and
pages them as the OData v4.01 Protocol says (§11.2.5, §11.2.6.7) and writes the JSON
(OData v4.01 JSON Format: ``@odata.context``, ``value``, ``@odata.nextLink``, dates as
``YYYY-MM-DD``, date-times as ``…Z``, decimals as exact numbers). A query option the model
refuses raises :class:`ODataQueryError`, which :func:`odata_error_response` answers.

:class:`CsdlSchema` reads a served ``$metadata`` back (from the XML, not from the model) and says
how an entity breaks it, so a test can hold every answer to the document the service publishes.

The ``$filter`` grammar served is the part of OData v4.01 URL Conventions §5.1.1 that accounting
APIs are queried with: comparisons (``eq ne gt ge lt le``) of a property with a literal, joined by
``and`` / ``or``, with ``not`` and parentheses; literals are typed by the property (a string is
quoted with ``''`` for a quote inside, dates and date-times and GUIDs bare).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import quoteattr

from starlette.requests import Request
from starlette.responses import Response

from sfsync.sandbox.paging import with_query
from sfsync.sandbox.responses import json_response, odata_response, xml_response

__all__ = [
    "CsdlSchema",
    "EntityType",
    "EnumType",
    "Filter",
    "NavigationProperty",
    "ODataQueryError",
    "Property",
    "ServiceModel",
    "collection_response",
    "entity_json",
    "metadata_response",
    "odata_error_response",
    "parse_filter",
    "requested_page_size",
]

EDMX = "http://docs.oasis-open.org/odata/ns/edmx"
EDM = "http://docs.oasis-open.org/odata/ns/edm"
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})$")


class ODataQueryError(ValueError):
    """A request the service refuses: ``status`` and the OData error ``code`` it answers with."""

    def __init__(self, message: str, *, status: int = 400, code: str = "BadRequest") -> None:
        """Keep the message, the status and the error code."""
        super().__init__(message)
        self.status, self.code = status, code


# --- the model -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Property:
    """A structural property: its name, its ``Edm`` (or enum) type, whether it may be null, its
    ``MaxLength`` and precision/scale for decimals."""

    name: str
    type: str
    nullable: bool = True
    max_length: int | None = None
    scale: str | None = None


@dataclass(frozen=True)
class NavigationProperty:
    """A navigation property to another entity type (``collection``: ``Collection(…)``;
    ``contains``: ``ContainsTarget``, as Business Central's company contains its accounts)."""

    name: str
    type: str
    collection: bool = True
    contains: bool = True


@dataclass(frozen=True)
class EnumType:
    """An enumeration and its members (Business Central's ``glAccountCategory``…), by name."""

    name: str
    members: tuple[str, ...]


@dataclass(frozen=True)
class EntityType:
    """An entity type: name, key properties, structural and navigation properties."""

    name: str
    key: tuple[str, ...]
    properties: tuple[Property, ...]
    navigation: tuple[NavigationProperty, ...] = ()

    def property(self, name: str) -> Property | None:
        """The structural property called ``name``."""
        return next((p for p in self.properties if p.name == name), None)


@dataclass
class ServiceModel:
    """A service's entity model: its namespace, types and entity sets (set name → type name)."""

    namespace: str
    entity_types: Sequence[EntityType]
    sets: Mapping[str, str] = field(default_factory=dict)
    enums: Sequence[EnumType] = ()
    container: str = "default"

    def entity_type(self, name: str) -> EntityType:
        """The entity type called ``name`` (unqualified)."""
        found = next((t for t in self.entity_types if t.name == name), None)
        if found is None:
            raise KeyError(f"the model has no entity type {name!r}")
        return found

    def enum(self, name: str) -> EnumType | None:
        """The enum type ``name`` (qualified or not)."""
        short = name.removeprefix(self.namespace + ".")
        return next((e for e in self.enums if e.name == short), None)

    def csdl(self) -> str:
        """The model as a CSDL XML document (OData v4.0 CSDL XML §3–§13), as ``$metadata`` serves it."""
        ns = self.namespace
        parts = [
            '<?xml version="1.0" encoding="utf-8"?>',
            f'<edmx:Edmx Version="4.0" xmlns:edmx="{EDMX}"><edmx:DataServices>',
            f'<Schema Namespace={quoteattr(ns)} xmlns="{EDM}">',
        ]
        for enum in self.enums:
            parts.append(f"<EnumType Name={quoteattr(enum.name)}>")
            parts += [f"<Member Name={quoteattr(m)} Value=\"{i}\"/>" for i, m in enumerate(enum.members)]
            parts.append("</EnumType>")
        for entity in self.entity_types:
            parts.append(f"<EntityType Name={quoteattr(entity.name)}><Key>")
            parts += [f"<PropertyRef Name={quoteattr(k)}/>" for k in entity.key]
            parts.append("</Key>")
            for prop in entity.properties:
                attrs = f" Name={quoteattr(prop.name)} Type={quoteattr(prop.type)}"
                if not prop.nullable:
                    attrs += ' Nullable="false"'
                if prop.max_length is not None:
                    attrs += f' MaxLength="{prop.max_length}"'
                if prop.scale is not None:
                    attrs += f" Scale={quoteattr(prop.scale)}"
                parts.append(f"<Property{attrs}/>")
            for nav in entity.navigation:
                target = f"{ns}.{nav.type}"
                kind = f"Collection({target})" if nav.collection else target
                contains = ' ContainsTarget="true"' if nav.contains else ""
                parts.append(f"<NavigationProperty Name={quoteattr(nav.name)} Type={quoteattr(kind)}{contains}/>")
            parts.append("</EntityType>")
        parts.append(f"<EntityContainer Name={quoteattr(self.container)}>")
        parts += [f"<EntitySet Name={quoteattr(s)} EntityType={quoteattr(f'{ns}.{t}')}/>" for s, t in self.sets.items()]
        parts.append("</EntityContainer></Schema></edmx:DataServices></edmx:Edmx>")
        return "".join(parts)


def metadata_response(model: ServiceModel, headers: Mapping[str, str] | None = None) -> Response:
    """``GET $metadata``: the model's CSDL, as ``application/xml`` with ``OData-Version: 4.0``."""
    return xml_response(model.csdl(), 200, [("OData-Version", "4.0"), *(headers or {}).items()],
                        content_type="application/xml")


def odata_error_response(status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> Response:
    """An OData v4 error body ``{"error": {"code", "message"}}`` (JSON Format §21.1)."""
    return json_response({"error": {"code": code, "message": message}}, status,
                         [("OData-Version", "4.0"), *(headers or {}).items()],
                         content_type="application/json; odata.metadata=minimal; charset=utf-8")


# --- literals and $filter ------------------------------------------------------------------------

_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<open>\()|(?P<close>\))|"
    r"(?P<datetime>\d{4}-\d{2}-\d{2}T[0-9:.]+(?:Z|[+-]\d{2}:\d{2}))|"
    r"(?P<guid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})|"
    r"(?P<date>\d{4}-\d{2}-\d{2})|(?P<number>-?\d+(?:\.\d+)?)|(?P<word>[A-Za-z_][A-Za-z0-9_/]*))"
)
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: a == b, "ne": lambda a, b: a != b,
    "gt": lambda a, b: a is not None and b is not None and a > b,
    "ge": lambda a, b: a is not None and b is not None and a >= b,
    "lt": lambda a, b: a is not None and b is not None and a < b,
    "le": lambda a, b: a is not None and b is not None and a <= b,
}


def _typed(kind: str, raw: str, token: str, prop: Property, model: ServiceModel | None) -> Any:
    def refuse() -> ODataQueryError:
        return ODataQueryError(f"A binary operator with incompatible types was detected. Found operand types "
                               f"'{prop.type}' and '{kind}' for the property '{prop.name}'.")

    if kind == "word" and raw in ("null", "true", "false"):
        if raw == "null":
            if not prop.nullable:
                raise refuse()
            return None
        if prop.type != "Edm.Boolean":
            raise refuse()
        return raw == "true"
    edm = prop.type
    if model is not None and model.enum(edm) is not None:
        enum = model.enum(edm)
        assert enum is not None
        value = raw[1:-1].replace("''", "'") if kind == "string" else None
        if value is None or value not in enum.members:
            raise ODataQueryError(f"The value {raw} is not a member of {edm} for the property '{prop.name}'.")
        return value
    try:
        if edm == "Edm.String" and kind == "string":
            return raw[1:-1].replace("''", "'")
        if edm == "Edm.Guid" and kind == "guid":
            return raw.lower()
        if edm == "Edm.Date" and kind == "date":
            return dt.date.fromisoformat(raw)
        if edm == "Edm.DateTimeOffset" and kind == "datetime":
            return dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
        if edm in ("Edm.Int32", "Edm.Int64") and kind == "number" and "." not in raw:
            return int(raw)
        if edm == "Edm.Decimal" and kind == "number":
            return Decimal(raw)
    except ValueError as exc:
        raise ODataQueryError(f"The literal {raw!r} is not a valid {edm}: {exc}.") from exc
    del token
    raise refuse()


@dataclass(frozen=True)
class Filter:
    """A parsed ``$filter``: :meth:`matches` applies it; :attr:`comparisons` lists its
    (property, operator, value) leaves and :attr:`conjunctive` whether only ``and`` joins them
    (then a handler may read a parameter-like property, such as a trial balance's
    ``dateFilter``, from them)."""

    test: Callable[[Mapping[str, Any]], bool]
    comparisons: tuple[tuple[str, str, Any], ...]
    conjunctive: bool

    def matches(self, entity: Mapping[str, Any]) -> bool:
        """Whether ``entity`` passes the filter."""
        return self.test(entity)

    def bounds(self, name: str) -> dict[str, Any]:
        """The values ``name`` is compared with, by operator (``{"ge": …, "le": …}``)."""
        return {op: value for prop, op, value in self.comparisons if prop == name}


def parse_filter(text: str, entity: EntityType, model: ServiceModel | None = None) -> Filter:
    """Parse a ``$filter`` expression against ``entity``'s properties.

    Raises:
        ODataQueryError: For a syntax error, an unknown property, or a literal of the wrong type.
    """
    tokens: list[tuple[str, str]] = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise ODataQueryError(f"Syntax error at position {position} in '{text}'.")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
        while position < len(text) and text[position].isspace():
            position += 1
    leaves: list[tuple[str, str, Any]] = []
    ors = [False]
    index = 0

    def peek() -> tuple[str, str] | None:
        return tokens[index] if index < len(tokens) else None

    def take() -> tuple[str, str]:
        nonlocal index
        if index >= len(tokens):
            raise ODataQueryError(f"Syntax error: '{text}' ends too early.")
        index += 1
        return tokens[index - 1]

    def expression() -> Callable[[Mapping[str, Any]], bool]:
        terms = [conjunction()]
        while (peek() or ("", ""))[1] == "or":
            take()
            ors[0] = True
            terms.append(conjunction())
        return terms[0] if len(terms) == 1 else (lambda e: any(t(e) for t in terms))

    def conjunction() -> Callable[[Mapping[str, Any]], bool]:
        terms = [unary()]
        while (peek() or ("", ""))[1] == "and":
            take()
            terms.append(unary())
        return terms[0] if len(terms) == 1 else (lambda e: all(t(e) for t in terms))

    def unary() -> Callable[[Mapping[str, Any]], bool]:
        kind, raw = peek() or ("", "")
        if kind == "word" and raw == "not":
            take()
            ors[0] = True  # a negated leaf is no bound a handler may read
            inner = unary()
            return lambda e: not inner(e)
        if kind == "open":
            take()
            inner = expression()
            if take()[0] != "close":
                raise ODataQueryError(f"Syntax error: ')' expected in '{text}'.")
            return inner
        return comparison()

    def comparison() -> Callable[[Mapping[str, Any]], bool]:
        kind, name = take()
        if kind != "word":
            raise ODataQueryError(f"Syntax error: a property name expected, not {name!r}, in '{text}'.")
        prop = entity.property(name)
        if prop is None:
            raise ODataQueryError(f"Could not find a property named '{name}' on type '{entity.name}'.")
        _, op = take()
        if op not in _COMPARE:
            raise ODataQueryError(f"Syntax error: '{op}' is not a comparison operator (eq ne gt ge lt le).")
        lkind, raw = take()
        value = _typed(lkind, raw, raw, prop, model)
        leaves.append((name, op, value))
        compare = _COMPARE[op]
        return lambda e: compare(e.get(name), value)

    test = expression()
    if index != len(tokens):
        raise ODataQueryError(f"Syntax error at '{tokens[index][1]}' in '{text}'.")
    return Filter(test, tuple(leaves), not ors[0])


# --- answering a collection ----------------------------------------------------------------------


def requested_page_size(request: Request, *, maximum: int) -> int | None:
    """The ``odata.maxpagesize`` the request's ``Prefer`` header asks for (``None``: none).

    Raises:
        ODataQueryError: 400 for a size that is not a whole number of at least 1, 413 (Request
            Entity Too Large) above ``maximum``, as Business Central answers.
    """
    for part in request.headers.get("prefer", "").split(","):
        name, _, value = part.strip().partition("=")
        if name.strip().lower() != "odata.maxpagesize":
            continue
        try:
            size = int(value.strip())
        except ValueError:
            raise ODataQueryError(f"odata.maxpagesize must be a whole number, not {value!r}.") from None
        if size < 1:
            raise ODataQueryError(f"odata.maxpagesize must be at least 1, not {size}.")
        if size > maximum:
            raise ODataQueryError(f"The page size {size} is above the maximum of {maximum}.", status=413,
                                  code="RequestEntityTooLarge")
        return size
    return None


def entity_json(entity: Mapping[str, Any], entity_type: EntityType) -> dict[str, Any]:
    """An entity's Python values as OData JSON values: dates ``YYYY-MM-DD``, date-times in UTC
    with ``Z``, ``Decimal`` exact; annotations (``@odata.etag``) kept."""
    out: dict[str, Any] = {}
    for key, value in entity.items():
        if key.startswith("@"):
            out[key] = value
            continue
        prop = entity_type.property(key)
        if prop is None:
            continue  # not part of the type (a handler's helper value)
        if isinstance(value, dt.datetime):
            moment = value.astimezone(dt.UTC)
            text = moment.strftime("%Y-%m-%dT%H:%M:%S")
            if moment.microsecond:
                text += f".{moment.microsecond // 1000:03d}"
            out[key] = text + "Z"
        elif isinstance(value, dt.date):
            out[key] = value.isoformat()
        else:
            out[key] = value
    return out


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).rstrip(b"=").decode()


def _offset(token: str) -> int:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        if text.startswith("offset:"):
            return int(text[7:])
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise ODataQueryError(f"The $skiptoken {token!r} is not one this service gave.")


ALLOWED_OPTIONS = frozenset({"$filter", "$select", "$expand", "$orderby", "$top", "$skip", "$skiptoken", "$count"})


def collection_response(
    request: Request,
    entities: Iterable[Mapping[str, Any]],
    entity_type: EntityType,
    *,
    context: str,
    model: ServiceModel | None = None,
    max_page_size: int,
    default_page_size: int | None = None,
    expand: Mapping[str, Callable[[Mapping[str, Any]], Any]] | None = None,
    filtered: Filter | None = None,
    allowed_params: frozenset[str] = frozenset(),
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A collection, filtered, ordered, selected and paged as the request asks.

    Args:
        request: The request (its query options and ``Prefer`` header).
        entities: Every entity of the collection, in the service's default order (its key).
        entity_type: Their type (for ``$filter`` and ``$select``).
        context: The ``@odata.context`` URL.
        model: The model (enum literals in ``$filter``).
        max_page_size: The most ``odata.maxpagesize`` may ask (above: 413).
        default_page_size: Entities per page without a preference (``None``: the maximum).
        expand: Per navigation property ``$expand`` may name, what it inlines for an entity.
        filtered: A filter the handler parsed already (and may have read bounds from).
        allowed_params: Parameters of the service's own, beside the system query options.
        headers: More headers for the answer.

    Raises:
        ODataQueryError: For an unknown option, property, navigation or token, or a page size
            above the maximum.
    """
    params = dict(request.query_params.multi_items())
    unknown = sorted(k for k in params if k not in ALLOWED_OPTIONS and k not in allowed_params)
    if unknown:
        raise ODataQueryError(f"The query parameter '{unknown[0]}' is not supported.")
    rows = list(entities)
    if "$filter" in params:
        rows = [e for e in rows if (filtered or parse_filter(params["$filter"], entity_type, model)).matches(e)]
    if "$orderby" in params:
        for order in reversed([i.strip() for i in params["$orderby"].split(",") if i.strip()]):
            name, _, direction = order.partition(" ")
            if entity_type.property(name) is None:
                raise ODataQueryError(f"Could not find a property named '{name}' on type '{entity_type.name}'.")
            rows.sort(key=_sort_key(name), reverse=direction.strip() == "desc")
    total = len(rows)
    skip = _whole(params.get("$skip"), "$skip") or 0
    top = _whole(params.get("$top"), "$top")
    rows = rows[skip:] if top is None else rows[skip : skip + top]
    preferred = requested_page_size(request, maximum=max_page_size)
    size = preferred or default_page_size or max_page_size
    start = _offset(params["$skiptoken"]) if "$skiptoken" in params else 0
    page = rows[start : start + size]
    following = None
    if start + size < len(rows):
        following = with_query(str(request.url), **{"$skiptoken": _token(start + size)})
    wanted = _selection(params.get("$select"), entity_type)
    expansions = _expansions(params.get("$expand"), entity_type, expand or {})
    values = []
    for entity in page:
        item = entity_json(entity, entity_type)
        if wanted is not None:
            item = {k: v for k, v in item.items() if k in wanted or k.startswith("@")}
        for name, render in expansions.items():
            item[name] = render(entity)
        values.append(item)
    extra = [("Preference-Applied", f"odata.maxpagesize={preferred}")] if preferred else []
    return odata_response(values, version="4", next_link=following, context=context,
                          count=total if params.get("$count") == "true" else None,
                          headers=[*extra, *(headers or {}).items()])


def _sort_key(name: str) -> Callable[[Mapping[str, Any]], tuple[bool, Any]]:
    # Nulls first, as OData orders them ascending.
    return lambda entity: (entity.get(name) is not None, entity.get(name))


def _whole(raw: str | None, name: str) -> int | None:
    if raw is None:
        return None
    if not raw.isdigit():
        raise ODataQueryError(f"{name} must be a whole number of at least 0, not {raw!r}.")
    return int(raw)


def _selection(raw: str | None, entity_type: EntityType) -> set[str] | None:
    if raw is None:
        return None
    names = {n.strip() for n in raw.split(",") if n.strip()}
    for name in names:
        if entity_type.property(name) is None:
            raise ODataQueryError(f"Could not find a property named '{name}' on type '{entity_type.name}'.")
    return names | set(entity_type.key)


def _expansions(raw: str | None, entity_type: EntityType,
                expand: Mapping[str, Callable[[Mapping[str, Any]], Any]]) -> dict[str, Callable[[Mapping[str, Any]], Any]]:
    if raw is None:
        return {}
    out = {}
    for name in (n.strip() for n in raw.split(",") if n.strip()):
        if not any(nav.name == name for nav in entity_type.navigation) or name not in expand:
            raise ODataQueryError(f"Could not find a navigation property named '{name}' on type '{entity_type.name}'.")
        out[name] = expand[name]
    return out


# --- holding answers to a served $metadata -------------------------------------------------------


class CsdlSchema:
    """A ``$metadata`` document read back from its XML, to check entities against.

    Only the XML is read (never the model that wrote it), so a check holds an answer to what the
    service publishes.
    """

    def __init__(self, xml_text: str | bytes) -> None:
        """Parse the CSDL XML."""
        root = ET.fromstring(xml_text)
        schema = root.find(f"{{{EDMX}}}DataServices/{{{EDM}}}Schema")
        if schema is None:
            raise ValueError("the document has no edmx:DataServices/Schema")
        self.namespace = schema.get("Namespace", "")
        self.enums = {e.get("Name", ""): {m.get("Name", "") for m in e.findall(f"{{{EDM}}}Member")}
                      for e in schema.findall(f"{{{EDM}}}EnumType")}
        self.types: dict[str, dict[str, ET.Element]] = {}
        self.navigation: dict[str, dict[str, ET.Element]] = {}
        for entity in schema.findall(f"{{{EDM}}}EntityType"):
            name = entity.get("Name", "")
            self.types[name] = {p.get("Name", ""): p for p in entity.findall(f"{{{EDM}}}Property")}
            self.navigation[name] = {p.get("Name", ""): p for p in entity.findall(f"{{{EDM}}}NavigationProperty")}
        self.sets = {s.get("Name", ""): s.get("EntityType", "").removeprefix(self.namespace + ".")
                     for s in schema.iter(f"{{{EDM}}}EntitySet")}

    def violations(self, type_name: str, entity: Mapping[str, Any], where: str = "") -> list[str]:
        """How ``entity`` (decoded JSON, numbers as ``Decimal``) breaks the declared type."""
        where = where or type_name
        declared = self.types.get(type_name)
        if declared is None:
            return [f"{where}: the $metadata declares no entity type {type_name!r}"]
        out = []
        for key, value in entity.items():
            if key.startswith("@odata."):
                continue
            prop = declared.get(key)
            if prop is None:
                nav = self.navigation.get(type_name, {}).get(key)
                if nav is None:
                    out.append(f"{where}: {key!r} is not a property of {type_name}")
                continue
            out += self._value(prop, value, f"{where}.{key}")
        return out

    def _value(self, prop: ET.Element, value: Any, where: str) -> list[str]:
        kind = prop.get("Type", "")
        if value is None:
            return [f"{where}: null, but the property is not nullable"] if prop.get("Nullable") == "false" else []
        limit = prop.get("MaxLength")
        short = kind.removeprefix(self.namespace + ".")
        ok: bool
        if short in self.enums:
            ok = isinstance(value, str) and value in self.enums[short]
        elif kind == "Edm.String":
            ok = isinstance(value, str) and (limit in (None, "max") or len(value) <= int(limit or 0))
        elif kind == "Edm.Guid":
            ok = isinstance(value, str) and GUID.match(value) is not None
        elif kind == "Edm.Date":
            ok = isinstance(value, str) and DATE.match(value) is not None and _iso_date(value)
        elif kind == "Edm.DateTimeOffset":
            ok = isinstance(value, str) and DATETIME.match(value) is not None
        elif kind == "Edm.Boolean":
            ok = isinstance(value, bool)
        elif kind in ("Edm.Int32", "Edm.Int64"):
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif kind == "Edm.Decimal":
            ok = isinstance(value, Decimal | int) and not isinstance(value, bool)
        else:
            ok = True  # a type the checker does not know (streams): not judged
        return [] if ok else [f"{where}: {value!r} is not a valid {kind}" + (f" (MaxLength {limit})" if limit else "")]


def _iso_date(value: str) -> bool:
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True

