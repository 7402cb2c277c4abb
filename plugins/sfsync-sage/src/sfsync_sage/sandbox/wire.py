"""How Sage writes a response: JSON numbers for amounts, the ``$items`` envelope, the error array.

* Amounts: the swagger declares ``number`` (double) for debit, credit and balances, so they are
  written as JSON numbers straight from ``Decimal`` (the toolkit's exact JSON, never a float).
  The Reporting API's trial balance sends amounts as *strings* (announcement 2020-05-20); its
  handler passes strings.
* Lists: ``{"$total", "$page", "$next", "$back", "$items_per_page", "$items"}`` as Sage's own
  best-practices page shows a ``/businesses`` answer (developer.sage.com/accounting/guides/
  concepts/best_practices; a Scala client's comment and a write-up quote ``$itemsPerPage``
  instead, so older answers may differ; the connector reads neither). Paged by ``page`` and
  ``items_per_page`` (default 20, at most 200); ``$next``/``$back`` are paths relative to
  ``/v3.1`` with the query repeated, as those quoted answers show. ``/businesses`` is not paged:
  its page size is 2147483647 and its items carry only the base attributes (same page).
* Errors: a JSON *array* of ``{"$severity", "$dataCode", "$message", "$source"}`` (seen in two
  client codebases; the codes used beyond ``RecordInvalid`` are UNVERIFIED).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

from sfsync.sandbox.paging import page_number
from sfsync.sandbox.responses import json_response
from starlette.responses import Response

from sfsync_sage.facts import PAGE_DEFAULT, PAGE_MAX

__all__ = ["UNPAGED", "envelope", "error_response", "json_response"]

T = TypeVar("T")


def error_response(
    status: int, code: str, message: str, source: str = "", headers: dict[str, str] | None = None
) -> Response:
    """Sage's error body: an array with one ``{"$severity": "error", …}`` item."""
    item = {"$severity": "error", "$dataCode": code, "$message": message, "$source": source}
    return json_response([item], status, headers or {})


UNPAGED = 2_147_483_647
"""The page size ``/businesses`` answers with (it returns every business at once)."""


def envelope(
    path: str, query: dict[str, str], rows: Sequence[T], render: Callable[[T], dict[str, Any]]
) -> dict[str, Any]:
    """The page the query asks of ``rows`` (all of them, filtered and ordered) in Sage's list
    envelope; only that page's rows are rendered. Raises ``PagingError`` for a page or size Sage
    refuses."""
    number = query.get("page")
    page = page_number(rows, page=number, size=query.get("items_per_page"), default_size=PAGE_DEFAULT,
                       max_size=PAGE_MAX, page_name="page", size_name="items_per_page")
    current = int(number) if number else 1
    per_page = int(query.get("items_per_page") or PAGE_DEFAULT)
    kept = {k: v for k, v in query.items() if k not in ("page", "items_per_page")}

    def link(to: int) -> str:
        return f"{path}?{urlencode({**kept, 'page': str(to), 'items_per_page': str(per_page)})}"

    return {
        "$total": page.total,
        "$page": current,
        "$next": link(current + 1) if page.more else None,
        "$back": link(current - 1) if current > 1 else None,
        "$items_per_page": per_page,
        "$items": [render(row) for row in page.items],
    }
