"""An offline Odoo (14, 17, 18 or 19) serving the external API over XML-RPC, JSON-RPC and JSON-2.

Knobs: ``version`` (the field profile and whether JSON-2 exists), ``transport`` (what the
connection config asks the connector to use), ``enterprise`` (adds ``account.fiscal.year``
records: company 2's extended first year), ``legacy_rpc=False`` (XML-RPC and JSON-RPC removed,
as Odoo plans for 22), ``scale`` (entries per month), ``latency`` (seconds
per request), ``inject(error, model=, method=, times=)`` (Odoo faults, reported as each transport
reports them), ``faults`` (generic HTTP faults), ``before_call`` (run code between two calls, e.g.
an edit committed while a sync pages) and ``calls`` (what was called).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sfsync.clock import Clock
from sfsync.sandbox import Sandbox
from sfsync.sandbox.routing import BaseRoute, Request, Response
from sfsync.truth import PackageTruth

from sfsync_odoo.sandbox.app import OdooApp
from sfsync_odoo.sandbox.faults import (
    InjectedFault,
    OdooAccessDenied,
    OdooAccessError,
    OdooError,
    OdooMissingError,
    OdooUserError,
    OdooValidationError,
    OdooValueError,
)
from sfsync_odoo.sandbox.orm import Database
from sfsync_odoo.sandbox.seed import API_KEY, DB_NAME, LOGIN, book, seed
from sfsync_odoo.sandbox.truth import company_truth

__all__ = [
    "OdooAccessDenied",
    "OdooAccessError",
    "OdooError",
    "OdooMissingError",
    "OdooSandbox",
    "OdooUserError",
    "OdooValidationError",
    "OdooValueError",
]

SANDBOX_URL = "https://voorbeeld.odoo.example"
VERSIONS = (14, 17, 18, 19)
TRANSPORTS = ("xmlrpc", "jsonrpc", "json2")


class OdooSandbox(Sandbox):
    """A seeded multi-company Belgian Odoo database behind Odoo's external API."""

    connector = "odoo"
    base_urls = (SANDBOX_URL,)

    def __init__(
        self,
        version: int = 17,
        transport: str | None = None,
        *,
        clock: Clock | None = None,
        scale: int = 1,
        latency: float = 0.0,
        enterprise: bool = False,
        legacy_rpc: bool = True,
    ) -> None:
        if version not in VERSIONS:
            raise ValueError(f"no Odoo {version} profile; pick one of {VERSIONS}")
        if transport is not None and transport not in TRANSPORTS:
            raise ValueError(f"unknown transport {transport!r}; pick one of {TRANSPORTS}")
        if transport == "json2" and version < 19:
            raise ValueError("JSON-2 exists from Odoo 19 on")
        if not legacy_rpc and (version < 19 or transport in ("xmlrpc", "jsonrpc")):
            raise ValueError("without XML-RPC and JSON-RPC only JSON-2 (19+) is left")
        self.version = version
        self.transport = transport
        self.clock = clock or Clock()
        self.db = Database(DB_NAME, version, self.clock, enterprise=enterprise)
        seed(self.db, scale=scale)
        self.odoo = OdooApp(self.db)
        self.odoo.latency = latency
        self.odoo.legacy_rpc = legacy_rpc
        self._serial = 0
        super().__init__()

    def routes(self) -> list[BaseRoute]:
        return self.odoo.routes()

    def refusal(self, request: Request, status: int) -> Response:
        return self.odoo.refusal(request, status)

    def __repr__(self) -> str:
        return f"OdooSandbox(version={self.version}, transport={self.transport or 'auto'})"

    # --- knobs ----------------------------------------------------------------------------------

    @property
    def latency(self) -> float:
        return self.odoo.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        self.odoo.latency = seconds

    @property
    def calls(self) -> list[tuple[str, str, str]]:
        """``(transport, model, method)`` of every call served (``common`` calls have no model)."""
        return self.odoo.calls

    @property
    def before_call(self) -> Callable[[str, str, list[Any], dict[str, Any]], None] | None:
        return self.odoo.before_call

    @before_call.setter
    def before_call(self, hook: Callable[[str, str, list[Any], dict[str, Any]], None] | None) -> None:
        self.odoo.before_call = hook

    def inject(self, error: OdooError, *, model: str = "", method: str = "", times: int = 1, after: int = 0) -> InjectedFault[OdooError]:
        """Make the next matching call fail with ``error``, as Odoo reports it on the transport."""
        return self.odoo.injected.inject(error, times=times, after=after, model=model, method=method)

    # --- connections ----------------------------------------------------------------------------

    def connection_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {"url": SANDBOX_URL, "database": DB_NAME, "login": LOGIN}
        if self.transport:
            config["transport"] = self.transport
        return config

    def connection_secrets(self) -> dict[str, str]:
        return {"api_key": API_KEY}

    def bad_connection_secrets(self) -> dict[str, str]:
        return {"api_key": "0" * 40}

    def company_refs(self) -> list[str]:
        # With Enterprise, company 2 (its extended first year) goes first so the suite links it.
        return ["2", "1"] if self.db.enterprise else ["1", "2"]

    def truth(self, company_ref: str) -> PackageTruth:
        return company_truth(self.db, int(company_ref))

    # --- data changes ---------------------------------------------------------------------------

    def _accounts(self, company_ref: str) -> dict[str, int]:
        accounts: dict[str, int] = self.db.seed_info["accounts"][int(company_ref)]
        return accounts

    def _posted_moves(self, company_ref: str) -> list[dict[str, Any]]:
        company = int(company_ref)
        return [m for m in self.db.tables["account.move"].values() if m["company_id"] == company and m["state"] == "posted"]

    def book(
        self,
        company_ref: str,
        lines: list[tuple[str, Decimal | None, Decimal | None]],
        *,
        date: dt.date | None = None,
        journal: str = "DIV",
        label: str | None = None,
        state: str = "posted",
        when: dt.datetime | None = None,
    ) -> int:
        """Book an entry from ``(account key, debit, credit)`` lines; returns the move id."""
        accounts = self._accounts(company_ref)
        self._serial += 1
        return book(
            self.db, int(company_ref), journal, date or self.db.now().date(),
            label or f"Boeking sandbox {self._serial}",
            [(accounts[key], debit, credit) for key, debit, credit in lines],
            state=state, when=when or self.db.now(),
        )

    def add_entry(self, company_ref: str) -> list[str]:
        amount = Decimal("1234.56") + self._serial
        move = self.book(company_ref, [("bank", amount, None), ("other_income", None, amount)])
        return [str(i) for i in self.db.tables["account.move"][move]["line_ids"]]

    def edit_line(self, company_ref: str, *, when: dt.datetime | None = None) -> str:
        """Change a posted line's label (``when``: the editing transaction's start, default now)."""
        move = self._posted_moves(company_ref)[-1]
        line_id = move["line_ids"][0]
        self._serial += 1
        self.db.write("account.move.line", [line_id], {"name": f"Gewijzigd {self._serial}"}, when=when)
        return str(line_id)

    def reset_to_draft(self, company_ref: str, *, index: int = -2) -> list[str]:
        """Reset a posted entry to draft (``button_draft``); returns its line ids."""
        move = self._posted_moves(company_ref)[index]
        self.db.write("account.move", [move["id"]], {"state": "draft"})
        return [str(i) for i in move["line_ids"]]

    def post(self, move_id: int) -> None:
        self.db.write("account.move", [move_id], {"state": "posted"})

    def delete_entry(self, company_ref: str) -> list[str]:
        # A posted entry is reset to draft, then deleted: no tombstone is left.
        move = self._posted_moves(company_ref)[len(self._posted_moves(company_ref)) // 2]
        line_ids = [str(i) for i in move["line_ids"]]
        self.db.write("account.move", [move["id"]], {"state": "draft"})
        self.db.unlink("account.move", [move["id"]])
        return line_ids
