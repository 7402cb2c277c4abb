"""The sandbox's route table: AdminPulse's relation endpoints as the references show them.

* ``GET /relations``: every relation of the office, ``page`` from 0, ``pageSize`` 1–400 (default
  20, ASSUMED), ``{"results": [...], "pageCount": n}``; ``vatNumber`` (digits only, as a client
  sends it) and ``search`` (name, code, customer code or enterprise number; ASSUMED) filter.
  Another query parameter is refused with 400, so a connector's typo shows.
* ``GET /relations/{id}``: one relation (ASSUMED path), 404 when unknown.

Every call needs ``Authorization: Bearer <API key>`` of a live key (401 otherwise).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sfsync.sandbox.paging import PagingError, page_number
from sfsync.sandbox.responses import json_response
from sfsync.sandbox.routing import Request, Response, Route, bearer_token

from sfsync_adminpulse.facts import PAGE_MAX
from sfsync_adminpulse.sandbox.relations import Relation
from sfsync_adminpulse.sandbox.wire import error_response, relation_json

if TYPE_CHECKING:
    from sfsync_adminpulse.sandbox import AdminPulseSandbox

__all__ = ["PAGE_DEFAULT", "api_routes"]

PAGE_DEFAULT = 20
LIST_PARAMETERS = frozenset({"page", "pageSize", "vatNumber", "search"})


def _matches(relation: Relation, search: str) -> bool:
    needle = search.casefold().strip()
    digits = needle.replace(".", "").replace(" ", "").removeprefix("be")
    return (needle in relation.name.casefold() or needle in relation.code.casefold()
            or needle in relation.customer_code.casefold()
            or (bool(digits) and digits.isdigit() and relation.number is not None and digits in relation.number))


def api_routes(sandbox: AdminPulseSandbox) -> list[Route]:
    """The routes, bound to the sandbox's office."""

    def refused(request: Request) -> Response | None:
        token = bearer_token(request)
        if token is None or token not in sandbox.live_keys:
            return error_response(401, "Unauthorized: invalid or missing access token")
        return None

    async def relations(request: Request) -> Response:
        if (answer := refused(request)) is not None:
            return answer
        unknown = sorted(set(request.query_params) - LIST_PARAMETERS)
        if unknown:
            return error_response(400, f"Unknown parameter(s): {', '.join(unknown)}")
        rows = sandbox.relations
        vat = request.query_params.get("vatNumber")
        if vat is not None:
            if not vat.isdigit():
                return error_response(400, "vatNumber must be digits only")
            rows = [r for r in rows if r.number is not None and r.number.lstrip("0") == vat.lstrip("0")]
        search = request.query_params.get("search")
        if search:
            rows = [r for r in rows if _matches(r, search)]
        try:
            page = page_number(rows, page=request.query_params.get("page"), size=request.query_params.get("pageSize"),
                               default_size=PAGE_DEFAULT, max_size=PAGE_MAX, first=0)
        except PagingError as exc:
            return error_response(400, str(exc))
        size = int(request.query_params.get("pageSize") or PAGE_DEFAULT)
        sandbox.served("/relations", [relation_json(r) for r in page.items])
        return json_response({"results": [relation_json(r) for r in page.items],
                              "pageCount": max(1, -(-len(rows) // size))})

    async def relation(request: Request) -> Response:
        if (answer := refused(request)) is not None:
            return answer
        found = sandbox.by_id.get(request.path_params["id"])
        if found is None:
            return error_response(404, "Resource not found")
        body = relation_json(found)
        sandbox.served("/relations/{id}", [body])
        return json_response(body)

    return [Route("/relations", relations), Route("/relations/{id}", relation)]
