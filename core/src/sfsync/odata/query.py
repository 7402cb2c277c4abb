"""OData v4 query options and ``$filter`` literals (OData v4.01 Part 2, URL Conventions §5.1).

A connector says what it wants and the toolkit writes it::

    query = ODataQuery(
        filter=filter_and(f"lastModifiedDateTime gt {literal(stamp)}", f"postingDate ge {literal(day)}"),
        select=("id", "entryNumber", "postingDate"),
        orderby=("entryNumber",),
    )
    params = query.params()   # {"$filter": "...", "$select": "id,entryNumber,postingDate", ...}

Literals follow the ABNF: a string is quoted with ``'`` and a ``'`` inside is doubled (``'O''Brien'``);
``Edm.Date`` is ``2026-01-31`` and ``Edm.DateTimeOffset`` ``2026-01-31T08:00:00Z``, both unquoted;
a GUID is bare; ``Decimal`` keeps its digits; ``None`` is ``null``. Percent-encoding of the whole
option is httpx's, when the params are sent.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal

__all__ = ["ODataQuery", "filter_and", "literal"]

Literal = str | int | Decimal | bool | dt.date | dt.datetime | uuid.UUID | None


def literal(value: Literal) -> str:
    """``value`` as an OData v4 ``$filter`` literal.

    Args:
        value: A string, whole number, ``Decimal``, boolean, date, aware date-time, GUID or ``None``.

    Returns:
        The literal as it is written in a ``$filter`` expression.

    Raises:
        TypeError: For a float (money never passes through one) or a naive date-time (its offset
            would be a guess).
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        raise TypeError("an OData literal is never written from a float: pass a Decimal")
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise TypeError("an Edm.DateTimeOffset literal needs an aware datetime")
        moment = value.astimezone(dt.UTC)
        text = moment.strftime("%Y-%m-%dT%H:%M:%S")
        if moment.microsecond:
            text += f".{moment.microsecond:06d}".rstrip("0")
        return text + "Z"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def filter_and(*clauses: str | None) -> str | None:
    """The clauses joined by ``and`` (each parenthesised when it has an ``or``); ``None`` when
    every clause is empty."""
    kept = [c for c in clauses if c]
    if not kept:
        return None
    return " and ".join(f"({c})" if " or " in c and len(kept) > 1 else c for c in kept)


@dataclass(frozen=True)
class ODataQuery:
    """The system query options of one request.

    Attributes:
        filter: A ``$filter`` expression (build literals with :func:`literal`).
        select: Properties to return (``$select``); empty: all.
        expand: Navigation properties to inline (``$expand``).
        orderby: ``$orderby`` items (``"entryNumber"``, ``"postingDate desc"``).
        top: At most this many entities in all (``$top``); ``None``: no limit. Paging size is
            :func:`~sfsync.odata.paging.max_page_size_header`, not this.
        extra: Further parameters as they are (a package's own, such as ``company``).
    """

    filter: str | None = None
    select: tuple[str, ...] = ()
    expand: tuple[str, ...] = ()
    orderby: tuple[str, ...] = ()
    top: int | None = None
    extra: tuple[tuple[str, str], ...] = ()

    def params(self) -> dict[str, str]:
        """The query options as request parameters."""
        out: dict[str, str] = {}
        if self.filter:
            out["$filter"] = self.filter
        if self.select:
            out["$select"] = ",".join(self.select)
        if self.expand:
            out["$expand"] = ",".join(self.expand)
        if self.orderby:
            out["$orderby"] = ",".join(self.orderby)
        if self.top is not None:
            if self.top < 0:
                raise ValueError(f"$top must be at least 0, not {self.top}")
            out["$top"] = str(self.top)
        out.update(dict(self.extra))
        return out
