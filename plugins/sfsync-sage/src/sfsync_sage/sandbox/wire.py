"""How Sage writes a response: JSON numbers for amounts, the ``$items`` envelope, the error array.

* Amounts: the swagger declares ``number`` (double) for debit, credit and balances, so they are
  written as JSON numbers with two decimals, straight from ``Decimal`` (never through a float).
  The Reporting API's trial balance sends amounts as *strings* (announcement 2020-05-20); its
  handler passes strings.
* Lists: ``{"$total", "$page", "$next", "$back", "$items_per_page", "$items"}``
  (developer.sage.com/accounting/guides/concepts/best_practices); ``$next``/``$back`` are paths
  relative to ``/v3.1`` with the query repeated (UNVERIFIED: whether Sage writes them absolute).
* Errors: a JSON *array* of ``{"$severity", "$dataCode", "$message", "$source"}`` (seen in two
  client codebases; the codes used below beyond ``RecordInvalid`` are UNVERIFIED).
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from starlette.responses import Response

__all__ = ["envelope", "error_response", "json_response", "sage_dumps"]

_MARK = "\u0000dec:"
_MARKED = re.compile(r'"\\u0000dec:(-?[0-9]+(?:\.[0-9]+)?)"')


def _decimal(value: Any) -> str:
    # json calls this for what it cannot write itself: a Decimal becomes a marked string, which
    # sage_dumps then unquotes into a bare number.
    if isinstance(value, Decimal):
        return f"{_MARK}{value.quantize(Decimal('0.01'))}"
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def sage_dumps(body: Any) -> bytes:
    """JSON with every ``Decimal`` written as a bare number (``12.50``), exactly."""
    return _MARKED.sub(r"\1", json.dumps(body, ensure_ascii=False, default=_decimal)).encode()


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response as Sage sends it."""
    return Response(
        sage_dumps(body),
        status_code=status,
        headers=headers,
        media_type="application/json; charset=utf-8",
    )


def error_response(
    status: int,
    code: str,
    message: str,
    source: str = "",
    headers: dict[str, str] | None = None,
) -> Response:
    """Sage's error body: an array with one ``{"$severity": "error", …}`` item."""
    item = {"$severity": "error", "$dataCode": code, "$message": message, "$source": source}
    return json_response([item], status, headers)


def envelope(
    path: str, query: dict[str, str], items: list[Any], *, page: int, per_page: int
) -> dict[str, Any]:
    """One page of ``items`` (all of them, already filtered) in Sage's list envelope; the caller
    renders the chosen page's items."""
    total = len(items)
    start = (page - 1) * per_page
    chosen = items[start : start + per_page]

    def link(number: int) -> str:
        return f"{path}?{urlencode({**query, 'page': str(number), 'items_per_page': str(per_page)})}"

    return {
        "$total": total,
        "$page": page,
        "$next": link(page + 1) if start + per_page < total else None,
        "$back": link(page - 1) if page > 1 else None,
        "$items_per_page": per_page,
        "$items": chosen,
    }
