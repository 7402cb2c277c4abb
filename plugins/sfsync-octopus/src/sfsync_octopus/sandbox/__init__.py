"""The Octopus sandbox: its REST API (``octopus-rest-api/v1``) offline, declared on sfsync's toolkit.

One screen per concern: the route table is :meth:`OctopusSandbox.routes`; the login and dossier
tokens are :mod:`~sfsync_octopus.sandbox.tokens`; the limits (per-endpoint daily quotas, too many
connections) :mod:`~sfsync_octopus.sandbox.limits`; the JSON shapes
:mod:`~sfsync_octopus.sandbox.wire`; the seeded dossiers :mod:`~sfsync_octopus.sandbox.books`.
Facts and their sources: :mod:`sfsync_octopus.facts`; what is assumed: :mod:`sfsync_octopus.assumed`.

Strict where the facts are: the software house must be named in its header, every data call
needs a live dossier token *of that dossier*, ``modifiedTimeStamp`` must be
``yyyy-MM-dd HH:mm:ss.fff``, an unknown dossier or bookyear is refused.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from sfsync.clock import Clock
from sfsync.sandbox import Sandbox
from sfsync.sandbox.responses import json_response
from sfsync.sandbox.routing import BaseRoute, Request, Response, Route, query
from sfsync.truth import PackageTruth

from sfsync_octopus.facts import (
    API_BASE,
    AUTH_TOKEN_HEADER,
    DOSSIER_TOKEN_HEADER,
    SOFTWARE_HOUSE_HEADER,
    STAMP_FORMAT,
)
from sfsync_octopus.sandbox import wire
from sfsync_octopus.sandbox.books import CHART, Books, Dossier
from sfsync_octopus.sandbox.limits import octopus_limits
from sfsync_octopus.sandbox.tokens import Tokens

__all__ = ["OctopusSandbox"]

DataAnswer = Callable[[Dossier, dict[str, str], Request], Any]


def _refuse(status: int, code: int, message: str) -> Response:
    return json_response(wire.error(code, message), status)


class OctopusSandbox(Sandbox):
    """Octopus's REST API, offline."""

    connector = "octopus"
    base_urls = (API_BASE,)
    software_house = "3f5d6c1e-8b2a-4c7d-9e01-5a6b7c8d9e0f"  # the sandbox's own, invented
    user = "webservice@fiduciaire-dupont.be"

    def __init__(self, clock: Clock | None = None, *, daily_calls: int | None = None, per_month: int = 1) -> None:
        self.clock = clock or Clock()
        self.books = Books(self.clock, per_month=per_month)
        self.dossiers = self.books.dossiers
        self.password = "sandbox-Octopus-2025"
        self.tokens = Tokens(self.clock)
        self.observers: list[Callable[[str, str, int, bytes], None]] = []
        """Called with (method, path, status, body) of every answer of the API (spec checks)."""
        self.limits = octopus_limits(self.clock, daily_calls=daily_calls)
        super().__init__()

    # --- the contract suite's handles -----------------------------------------------------------

    def connection_config(self) -> dict[str, Any]:
        return {"user": self.user}

    def connection_secrets(self) -> dict[str, str]:
        return {"software_house_uuid": self.software_house, "password": self.password}

    def bad_connection_secrets(self) -> dict[str, str]:
        return {"software_house_uuid": self.software_house, "password": "not-the-password"}

    def company_refs(self) -> list[str]:
        return [str(number) for number in sorted(self.dossiers)]

    def truth(self, company_ref: str) -> PackageTruth:
        return self.dossiers[int(company_ref)].truth()

    def expire_tokens(self) -> None:
        self.tokens.expire_all()

    def revoke(self) -> None:
        # The user's password was changed in Octopus: the stored one is refused from now on.
        self.password = f"{self.password}-changed"
        self.tokens.expire_all()

    def add_entry(self, company_ref: str) -> list[str]:
        dossier = self.dossiers[int(company_ref)]
        latest = dossier.years[-1]
        day = min(max(self.clock.now().date(), latest.start), latest.end)
        return self.books.sale(dossier, day, Decimal("123.45"))

    def edit_line(self, company_ref: str) -> str:
        dossier = self.dossiers[int(company_ref)]
        booking = next(b for b in dossier.live() if not b.year.closed)
        line = booking.lines[0]
        line.comment = f"{line.comment} (gewijzigd)"
        booking.modified = self.books.stamp()
        return booking.line_id(line)

    def delete_entry(self, company_ref: str) -> list[str]:
        dossier = self.dossiers[int(company_ref)]
        open_bookings = [b for b in dossier.live() if not b.year.closed]
        booking = open_bookings[len(open_bookings) // 2]
        booking.deleted, booking.modified = True, self.books.stamp()
        self.books.touch(dossier, booking, booking.modified)
        return [booking.line_id(line) for line in booking.lines]

    # --- the API: its route table ---------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        v1, seen = "/octopus-rest-api/v1", self._observed
        return [
            Route(f"{v1}/authentication", seen(self.authenticate), methods=["POST"]),
            Route(f"{v1}/dossiers", seen(self.list_dossiers), methods=["GET"]),
            Route(f"{v1}/dossiers", seen(self.connect_dossier), methods=["POST"]),
            Route(f"{v1}/dossiers/{{dossier:int}}/bookyears", seen(self.data(self.bookyears)), methods=["GET"]),
            Route(f"{v1}/dossiers/{{dossier:int}}/accounts/modified", seen(self.data(self.modified_accounts)), methods=["GET"]),
            Route(f"{v1}/dossiers/{{dossier:int}}/accounts/amounts/modified", seen(self.data(self.modified_amounts)),
                  methods=["GET"]),
            Route(f"{v1}/dossiers/{{dossier:int}}/bookyears/{{bookyear:int}}/bookings/modified",
                  seen(self.data(self.modified_bookings)), methods=["GET"]),
        ]

    def _observed(self, handler: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
        async def observed(request: Request) -> Response:
            response = await handler(request)
            for observe in self.observers:
                observe(request.method, request.url.path, response.status_code, bytes(response.body))
            return response

        return observed

    def refusal(self, request: Request, status: int) -> Response:
        return _refuse(status, -404 if status == 404 else -405, "Not Found" if status == 404 else "Method Not Allowed")

    # --- login and dossier tokens ---------------------------------------------------------------

    async def authenticate(self, request: Request) -> Response:
        if request.headers.get(SOFTWARE_HOUSE_HEADER) != self.software_house:
            return _refuse(401, -3, "Unknown software house identification")
        try:
            body = await request.json()
        except ValueError:
            return _refuse(400, -4, "Invalid authentication request")
        if not isinstance(body, dict) or body.get("user") != self.user or body.get("password") != self.password:
            return _refuse(401, -5, "Invalid user credentials")
        return json_response({"token": self.tokens.login(self.user)})

    def _login(self, request: Request) -> Response | None:
        if not self.tokens.login_valid(request.headers.get(AUTH_TOKEN_HEADER, "")):
            return _refuse(401, -1, "Token expired or invalid")
        return None

    async def list_dossiers(self, request: Request) -> Response:
        refused = self._login(request)
        return refused or json_response([wire.dossier(d) for d in self.dossiers.values()])

    async def connect_dossier(self, request: Request) -> Response:
        refused = self._login(request)
        if refused:
            return refused
        try:
            number = int(query(request)["dossierId"])
        except (KeyError, ValueError):
            return _refuse(400, -6, "dossierId is required")
        if number not in self.dossiers:
            return _refuse(403, -7, f"No access to dossier {number}")
        return json_response({"Dossiertoken": self.tokens.connect(number)})

    def data(self, answer: DataAnswer) -> Callable[[Request], Awaitable[Response]]:
        """A handler of one dossier's data: the dossier token checked against the path's dossier."""
        async def handler(request: Request) -> Response:
            number = request.path_params["dossier"]
            if not self.tokens.dossier_valid(request.headers.get(DOSSIER_TOKEN_HEADER, ""), number):
                return _refuse(401, -2, "Dossiertoken expired or invalid")
            dossier = self.dossiers.get(number)
            if dossier is None:
                return _refuse(404, -8, f"Unknown dossier {number}")
            found = answer(dossier, query(request), request)
            return found if isinstance(found, Response) else json_response(found)

        return handler

    # --- the dossier's data ---------------------------------------------------------------------

    @staticmethod
    def _since(params: dict[str, str], *, required: bool = True) -> dt.datetime | Response | None:
        text = params.get("modifiedTimeStamp")
        if text is None:
            return _refuse(400, -9, "modifiedTimeStamp is required") if required else None
        try:
            return dt.datetime.strptime(text, STAMP_FORMAT)
        except ValueError:
            return _refuse(400, -10, "modifiedTimeStamp must be yyyy-MM-dd HH:mm:ss.fff")

    def bookyears(self, dossier: Dossier, params: dict[str, str], request: Request) -> Any:
        return [wire.bookyear(y) for y in dossier.years]

    def modified_accounts(self, dossier: Dossier, params: dict[str, str], request: Request) -> Any:
        since = self._since(params)
        if not isinstance(since, dt.datetime):
            return since
        # The chart never changes in the sandbox after its seeding, a month before "now".
        return [wire.account(y, key) for y in dossier.years for key in CHART]

    def modified_amounts(self, dossier: Dossier, params: dict[str, str], request: Request) -> Any:
        since = self._since(params, required=False)
        if isinstance(since, Response):
            return since
        totals = dossier.totals()
        zero = (Decimal(0), Decimal(0))
        return [wire.account_amount(year, account, period, *totals.get((year, account, period), zero), stamp)
                for (year, account, period), stamp in sorted(dossier.amount_stamps.items())
                if since is None or stamp > since]

    def modified_bookings(self, dossier: Dossier, params: dict[str, str], request: Request) -> Any:
        year = dossier.year(request.path_params["bookyear"])
        if year is None:
            return _refuse(404, -11, f"Unknown bookyear {request.path_params['bookyear']}")
        since = self._since(params)
        if not isinstance(since, dt.datetime):
            return since
        journal_type = params.get("journalTypeId")
        found = [b for b in dossier.bookings.values() if b.year is year and b.modified > since]
        if journal_type is not None:  # 1 purchases, 2 sales (the Laravel client's use)
            found = [b for b in found if b.journal[0] == {"1": "A", "2": "V"}.get(journal_type, "?")]
        return [wire.booking(b) for b in sorted(found, key=lambda b: (b.modified, b.key))]
