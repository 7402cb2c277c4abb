"""An offline AFAS Profit environment (REST GetConnectors) for tests, the demo and benchmarks.

``AfasSandbox()`` is environment 12345 with three administrations (:mod:`.books`) behind one App
Connector, declared on the core's sandbox toolkit: the route table :mod:`.app`; queries
(filters, order, ``skip``/``take``) :mod:`.query`; the wire format and every GetConnector's rows
and metainfo :mod:`.wire`; the OTP flow :mod:`.otp`; its own figures :mod:`.truth`. Facts and
their sources are in :mod:`sfsync_afas.facts`.

One token per environment and user: the production host of 12345 accepts :attr:`token`, its test
host :attr:`test_token`; the accept host has none. Five simultaneous calls per token (a sixth is
429 with ``Retry-After: 1``, UNVERIFIED). Knobs: ``clock``, ``seed``, ``entries_per_month`` (the
first administration's, for benchmarks), ``allowed_ips`` (an IP restriction: others get 403),
``withheld`` (GetConnectors left out of the App Connector), ``timeout_rows`` and
``max_answer_bytes`` (the 15-minute timeout and the 75 MB cap, made reachable), ``observers``
(see every answer), plus the core's generic ``faults``.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sfsync.clock import Clock
from sfsync.sandbox import Sandbox
from sfsync.sandbox.limits import Concurrent, RateLimits, Verdict
from sfsync.sandbox.routing import BaseRoute, Request, Response
from sfsync.truth import PackageTruth

from sfsync_afas.facts import MAX_ANSWER_BYTES, MAX_SIMULTANEOUS, base_url
from sfsync_afas.sandbox.app import api_routes
from sfsync_afas.sandbox.books import CUSTOMERS, Administration, Booker, seed_administrations
from sfsync_afas.sandbox.otp import OtpDesk
from sfsync_afas.sandbox.truth import administration_truth
from sfsync_afas.sandbox.wire import afas_error, row_makers

__all__ = ["AMSTERDAM", "AfasSandbox"]

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
ENVIRONMENT = "12345"


def _too_many(verdict: Verdict) -> Response:
    return afas_error(429, "Too many simultaneous requests.", headers={"Retry-After": str(verdict.retry_after)})


class AfasSandbox(Sandbox):
    """AFAS Profit environment 12345, offline."""

    connector = "afas"
    environment = ENVIRONMENT
    base_urls = tuple(base_url(ENVIRONMENT, kind).removesuffix("/ProfitRestServices")
                      for kind in ("production", "test", "accept"))
    token = "<token><version>1</version><data>5A1B3C9D7E2F40618A9B0C1D2E3F405162738495A6B7C8D9E0F1A2B3C4D5E6F7</data></token>"
    test_token = "<token><version>1</version><data>0F1E2D3C4B5A69788796A5B4C3D2E1F00F1E2D3C4B5A69788796A5B4C3D2E1F0</data></token>"
    otp_user = "support@fiduciaire.example"
    api_key = "8B4406A0041C4A319D6594224186383F"
    api_token = "941C8D1742366C922BFF7B81946526EE"

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        seed: int = 24,
        entries_per_month: int | None = None,
        allowed_ips: set[str] | None = None,
        timeout_rows: int | None = None,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
    ) -> None:
        self.clock = clock or Clock()
        self.rng = random.Random(seed)
        self.tokens = {"production": self.token, "test": self.test_token}
        self.allowed_ips = allowed_ips
        self.timeout_rows = timeout_rows
        self.max_answer_bytes = max_answer_bytes
        self.withheld: set[str] = set()
        self.observers: list[Callable[[str, dict[str, str], int, bytes], None]] = []
        """Called with (path, query, status, body) of every GetConnector and metainfo answer (the
        tests check them against AFAS's OpenAPI documents)."""
        self.administrations, self.changes = seed_administrations(self.local_now(), seed, entries_per_month)
        self.by_ref = {str(a.id): a for a in self.administrations}
        self.otp = OtpDesk(self.api_key, self.api_token, {self.otp_user: self.token}, self.clock)
        self.limits = RateLimits([Concurrent("simultaneous", MAX_SIMULTANEOUS)], clock=self.clock, refused=_too_many)
        self._revision = 0
        self._rows: dict[str, tuple[int, list[dict[str, Any]]]] = {}
        self._makers = row_makers()
        super().__init__()

    def routes(self) -> list[BaseRoute]:
        return api_routes(self)

    def refusal(self, request: Request, status: int) -> Response:
        return afas_error(status, "The requested resource does not exist." if status == 404 else "Method not allowed.")

    # --- what the routes read -------------------------------------------------------------------

    def local_now(self) -> dt.datetime:
        """Now on AFAS's clock: Amsterdam time, to the second, without a zone."""
        return self.clock.now().astimezone(AMSTERDAM).replace(tzinfo=None, microsecond=0)

    def environment_of(self, request: Request) -> str | None:
        """production / test / accept by the request's host; a local address (the sandbox served
        on 127.0.0.1 to a third-party client) is the production host."""
        host = (request.url.hostname or "").lower()
        for kind in ("production", "test", "accept"):
            if host == base_url(self.environment, kind).split("/")[2]:
                return kind
        return None if host.endswith("afas.online") else "production"

    def rows(self, connector: str) -> list[dict[str, Any]]:
        """A GetConnector's rows over the environment, rebuilt only after a change."""
        cached = self._rows.get(connector)
        if cached is None or cached[0] != self._revision:
            cached = self._rows[connector] = (self._revision, self._makers[connector](self.administrations, self.changes))
        return cached[1]

    def observe(self, path: str, params: dict[str, str], status: int, body: bytes) -> None:
        for observer in self.observers:
            observer(path, params, status, body)

    # --- connections ----------------------------------------------------------------------------

    def credentials(self) -> dict[str, str]:
        """What ``sfsync sandbox serve`` and the docs page show (the sandbox's fake secrets)."""
        return {**super().credentials(), "token of the test host": self.test_token, "OTP user": self.otp_user,
                "OTP api_key": self.api_key, "OTP api_token (environment key)": self.api_token}

    def connection_config(self) -> dict[str, Any]:
        return {"environment": self.environment, "environment_type": "production"}

    def connection_secrets(self) -> dict[str, str]:
        return {"token": self.token}

    def bad_connection_secrets(self) -> dict[str, str]:
        return {"token": "<token><version>1</version><data>" + "0" * 64 + "</data></token>"}

    def revoke(self) -> None:
        """The administrator deleted the user's token in the App Connector and made a new one."""
        data = "".join(self.rng.choice("0123456789ABCDEF") for _ in range(64))
        self.token = f"<token><version>1</version><data>{data}</data></token>"
        self.tokens["production"] = self.token
        self.otp.users[self.otp_user] = self.token

    def company_refs(self) -> list[str]:
        return [str(a.id) for a in self.administrations]

    def truth(self, company_ref: str) -> PackageTruth:
        return administration_truth(self.by_ref[company_ref])

    # --- data changes between syncs -------------------------------------------------------------

    def _changed(self, day: dt.date) -> None:
        self.changes.append((day, self.local_now()))
        self._revision += 1

    def _booker(self, admin: Administration) -> Booker:
        return Booker(admin, self.rng, self.local_now() + dt.timedelta(hours=3))

    def add_entry(self, company_ref: str) -> list[str]:
        admin = self.by_ref[company_ref]
        latest = admin.years[-1]
        day = min(max(self.local_now().date(), latest.start), latest.end)
        lines = self._booker(admin).sale(day, Decimal("123.45"), Decimal("0.21"), CUSTOMERS[1], created=self.local_now())
        self._changed(day)
        return [x.id for x in lines]

    def edit_line(self, company_ref: str) -> str:
        admin = self.by_ref[company_ref]
        latest = admin.years[-1].number
        pool = sorted((x for x in admin.lines.values() if x.year == latest), key=lambda x: (x.entry, x.seq))
        line = pool[len(pool) // 2]
        line.description += " (gewijzigd)"
        line.modified = self.local_now()
        self._changed(line.entry_date)
        return line.id

    def delete_entry(self, company_ref: str, *, year: int | None = None) -> list[str]:
        """Delete a seeded entry for real (AFAS keeps nothing of it): one in the middle of the
        books, or of fiscal year ``year``."""
        admin = self.by_ref[company_ref]
        pool = sorted((x for x in admin.lines.values() if x.seq == 1 and (year is None or x.year == year)),
                      key=lambda x: (x.year, x.entry))
        victim = pool[len(pool) // 2]
        ids = sorted(k for k, x in admin.lines.items() if (x.year, x.entry) == (victim.year, victim.entry))
        for key in ids:
            del admin.lines[key]
        self._changed(victim.entry_date)
        return ids
