"""A sandbox of Yuki's ASMX SOAP web services (Accounting, AccountingInfo, Archive).

Knobs: ``latency`` (seconds per call), ``daily_limit`` (calls per domain per Amsterdam day,
1,000 by default; ``set_daily_limit``), ``session_lifetime`` (24 h), ``inject_fault`` (a SOAP
fault for the next calls of an operation), ``expire_sessions``, ``revoke`` (a regenerated access
key: the old one refused, :meth:`connection_secrets` gives the new one), and the generic HTTP
``faults`` of :class:`sfsync.sandbox.Sandbox`. Time comes from ``clock``.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections import defaultdict
from decimal import Decimal
from typing import Any

from sfsync.clock import Clock
from sfsync.sandbox import Sandbox
from sfsync.sandbox.calls import CallFaults
from sfsync.sandbox.limits import Quota, RateLimits
from sfsync.sandbox.routing import BaseRoute, Request, Response
from sfsync.truth import PackageTruth

from sfsync_yuki.sandbox.data import Administration, Entry, Line, money, seed
from sfsync_yuki.sandbox.service import UNABLE_PROCESS, Session, SoapApp
from sfsync_yuki.sandbox.truth import administration_truth
from sfsync_yuki.soap import AMSTERDAM

__all__ = ["VALID_KEY", "YukiSandbox"]

VALID_KEY = "3f6d1c8a-52b7-4e09-9a1c-7b2e4d6f8a10"
"""The sandbox's portal-level web-service access key (sees both domains)."""
BAD_KEY = "00000000-0000-0000-0000-000000000000"


class YukiSandbox(Sandbox):
    connector = "yuki"
    base_urls = ("https://api.yukiworks.nl", "https://api.yukiworks.be")

    def __init__(self, clock: Clock | None = None, *, daily_limit: int = 1000, latency: float = 0.0) -> None:
        self.clock = clock or Clock()
        self.latency = latency
        # Yuki counts every call (refused ones too) per domain per Amsterdam day.
        self.limiter = RateLimits(
            [Quota("daily", daily_limit, 86400, scope="domain", timezone="Europe/Amsterdam", count_refused=True)],
            clock=self.clock, scopes={},
        )
        self.session_lifetime = dt.timedelta(hours=24)
        self.rng = random.Random(20260115)
        domains, admins = seed()
        self.domains = {d.id: d for d in domains}
        self.admins: dict[str, Administration] = {a.id: a for a in admins}
        self.access_key = VALID_KEY
        """The portal key a connection needs now (a new one after :meth:`revoke`)."""
        self.revocations = 0
        self.keys: dict[str, str] = {VALID_KEY: domains[0].id}
        self.key_scopes: dict[str, set[str]] = {VALID_KEY: {d.id for d in domains}}
        self.sessions: dict[str, Session] = {}
        self.operation_counts: dict[str, int] = defaultdict(int)
        self.soap_faults: CallFaults[tuple[str, str]] = CallFaults()
        """SOAP faults (message, code) for the next calls of an operation."""
        self.log: list[tuple[str, dict[str, Any]]] = []
        """Every well-formed call: operation and parameters (no session id, no key)."""
        self.record = False
        self.exchanges: list[tuple[str, str, bytes, int, bytes]] = []
        """With ``record``: (service, SOAPAction, request, status, response) of every call."""
        self.soap = SoapApp(self)
        super().__init__()

    def routes(self) -> list[BaseRoute]:
        return self.soap.routes()

    def refusal(self, request: Request, status: int) -> Response:
        return self.soap.refusal(request, status)

    # --- connections ------------------------------------------------------------------------------

    def connection_config(self) -> dict[str, Any]:
        return {"host": "api.yukiworks.nl"}

    def connection_secrets(self) -> dict[str, str]:
        return {"access_key": self.access_key}

    def bad_connection_secrets(self) -> dict[str, str]:
        return {"access_key": BAD_KEY}

    def company_refs(self) -> list[str]:
        return list(self.admins)

    def truth(self, company_ref: str) -> PackageTruth:
        return administration_truth(self, company_ref)

    def key_domains(self, key: str) -> set[str]:
        return self.key_scopes.get(key, set())

    # --- budget -----------------------------------------------------------------------------------

    def today(self) -> dt.date:
        return self.clock.now().astimezone(AMSTERDAM).date()

    def count_call(self, domain: str) -> None:
        """Count a call against the domain's day; past the limit, Yuki's fault."""
        from sfsync_yuki.sandbox.service import Fault

        verdict = self.limiter.take_keys({"domain": domain})
        if not verdict.allowed:
            limit = self.limiter.limit_of("daily", domain)
            raise Fault(f"{UNABLE_PROCESS}The daily limit of {limit} web service calls for this domain has been exceeded.")

    def calls_today(self, domain: str | None = None) -> int:
        """Calls counted today (Amsterdam), for one domain or all."""
        return self.limiter.used("daily", domain)

    def set_daily_limit(self, limit: int, domain: str | None = None) -> None:
        """The calls a day allowed, for every domain or one."""
        self.limiter.set_limit("daily", limit, domain)

    # --- faults and sessions ------------------------------------------------------------------------

    def inject_fault(self, message: str, *, operation: str | None = None, times: int = 1, code: str = "soap:Server") -> None:
        """Answer the next ``times`` calls (of ``operation``, or any) with a SOAP fault."""
        self.soap_faults.inject((message, code), times=times, operation=operation or "")

    def take_fault(self, operation: str) -> tuple[str, str] | None:
        """The (message, code) to answer this call of ``operation`` with, if one is queued."""
        return self.soap_faults.take(operation=operation)

    def expire_sessions(self) -> None:
        for session in self.sessions.values():
            session.expires_at = self.clock.now() - dt.timedelta(seconds=1)

    def expire_tokens(self) -> None:
        self.expire_sessions()

    def revoke(self) -> None:
        """Regenerate the portal's access key, as a user does in Settings > Web services.

        The stored key and every session made with it are refused from now on; the new key (in
        :meth:`connection_secrets`) sees the same domains, so a re-consent with it works.
        """
        domain, scope = self.keys.get(self.access_key), self.key_scopes.get(self.access_key)
        self.keys.clear()
        self.key_scopes.clear()
        self.sessions.clear()
        self.revocations += 1
        self.access_key = str(uuid.UUID(int=uuid.UUID(VALID_KEY).int + self.revocations))
        if domain is not None and scope is not None:
            self.keys[self.access_key] = domain
            self.key_scopes[self.access_key] = scope

    # --- books ------------------------------------------------------------------------------------

    def start_balances(self, admin: Administration, year_start: dt.date) -> dict[str, Decimal]:
        """Balance-sheet balances at the start of a year, with earlier results in the result account."""
        out: dict[str, Decimal] = defaultdict(Decimal)
        for line in admin.lines():
            if line.date >= year_start:
                break
            account = admin.chart[line.account]
            out[line.account if account.balance_sheet else admin.result_account] += line.amount
        return dict(out)

    def balances_at(self, admin: Administration, day: dt.date) -> dict[str, Decimal]:
        """GLAccountBalance: balance sheet since inception, P&L from the start of the fiscal year."""
        year_start, _ = admin.year_bounds(admin.year_id_of(day))
        out: dict[str, Decimal] = defaultdict(Decimal, self.start_balances(admin, year_start))
        for line in admin.lines():
            if year_start <= line.date <= day:
                out[line.account] += line.amount
        return dict(out)

    def _bump(self, admin: Administration, day: dt.date) -> None:
        year = admin.year_id_of(day)
        now = self.clock.now().replace(microsecond=0)
        previous = admin.year_modified.get(year)
        if previous is not None and now <= previous:
            now = previous + dt.timedelta(seconds=1)
        admin.year_modified[year] = now

    def _latest_day(self, admin: Administration) -> dt.date:
        last = max(entry.date for entry in admin.entries.values())
        _, year_end = admin.year_bounds(admin.year_id_of(last))
        return max(last, min(self.today(), year_end))

    def add_entry(self, company_ref: str, day: dt.date | None = None, amount: Decimal | None = None) -> list[str]:
        admin = self.admins[company_ref]
        day = day or self._latest_day(admin)
        roles = ("130000", "800000", "180000") if admin.country == "NL" else ("400000", "700000", "451000")
        net = money(amount if amount is not None else Decimal("1000.00") + len(admin.entries))
        vat = money(net * Decimal("0.21"))
        hid = max(e.hid for e in admin.entries.values()) + 100
        stamp = self.clock.now().replace(tzinfo=None, microsecond=0)
        entry = Entry(self._uuid(), hid, f"VF{day.year}-S{len(admin.entries):04d}", "Verkoopfactuur", "Verkoop", "",
                      stamp, stamp)
        for i, (code, value) in enumerate(((roles[0], net + vat), (roles[1], -net), (roles[2], -vat))):
            entry.lines.append(Line(self._uuid(), hid + 1 + i, day, "Factuur sandbox", value, code))
        admin.entries[entry.document_id] = entry
        self._bump(admin, day)
        return [line.id for line in entry.lines]

    def edit_line(self, company_ref: str) -> str:
        admin = self.admins[company_ref]
        entry = max(admin.entries.values(), key=lambda e: (e.date, e.hid))
        line = entry.lines[0]
        line.description = f"{line.description} (gewijzigd)"
        entry.modified = self.clock.now().replace(tzinfo=None, microsecond=0)
        self._bump(admin, line.date)
        return line.id

    def delete_entry(self, company_ref: str) -> list[str]:
        admin = self.admins[company_ref]
        entries = sorted(admin.entries.values(), key=lambda e: (e.date, e.hid))
        entry = entries[len(entries) // 2]
        del admin.entries[entry.document_id]
        self._bump(admin, entry.date)
        return [line.id for line in entry.lines]

    def _uuid(self) -> str:
        import uuid

        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
