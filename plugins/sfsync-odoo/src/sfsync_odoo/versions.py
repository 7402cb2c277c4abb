"""What differs between Odoo 14 and 19 for a ledger feed, keyed on the major version.

The major version comes from ``common.version()`` (``server_version_info[0]``; SaaS builds
answer ``"saas~17.2"`` in ``server_serie``). Field names follow it: ``user_type_id`` before 16,
``account_type`` from 16; ``company_id`` up to 17, ``company_ids`` (and a company-dependent
``code``) from 18; ``deprecated`` up to 18, ``active`` in 19; ``move_name`` from 17.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sfsync.errors import MalformedResponse
from sfsync.models import AccountKind

__all__ = ["Profile", "major_version"]

_BALANCE_GROUPS = {"asset", "liability", "equity"}
_PL_GROUPS = {"income", "expense"}


def major_version(info: Any) -> int:
    """The major version from a ``version()`` answer."""
    if isinstance(info, dict):
        version_info = info.get("server_version_info")
        if isinstance(version_info, list) and version_info and isinstance(version_info[0], int):
            return version_info[0]
        for key in ("server_serie", "server_version"):
            match = re.search(r"(\d+)\.\d+", str(info.get(key, "")))
            if match:
                return int(match.group(1))
    raise MalformedResponse(f"Odoo's version() answer has no version number: {str(info)[:120]!r}")


@dataclass(frozen=True)
class Profile:
    """Field names and capabilities of one major version."""

    major: int

    @property
    def account_company_field(self) -> str:
        return "company_ids" if self.major >= 18 else "company_id"

    @property
    def account_type_field(self) -> str:
        return "account_type" if self.major >= 16 else "user_type_id"

    @property
    def account_archive_field(self) -> str:
        return "active" if self.major >= 19 else "deprecated"

    @property
    def has_json2(self) -> bool:
        return self.major >= 19

    def account_fields(self) -> list[str]:
        fields = ["code", "name", self.account_company_field, self.account_type_field,
                  self.account_archive_field]
        if self.major < 16:
            fields.append("internal_group")  # stored related of user_type_id in 14/15
        return fields

    def account_domain(self, company_id: int) -> list[Any]:
        if self.major >= 18:
            return [[self.account_company_field, "in", [company_id]]]
        return [[self.account_company_field, "=", company_id]]

    def line_fields(self) -> list[str]:
        fields = ["move_id", "date", "name", "ref", "journal_id", "account_id", "partner_id", "debit",
                  "credit", "amount_currency", "currency_id", "company_currency_id", "parent_state",
                  "write_date"]
        if self.major >= 17:
            fields.append("move_name")
        return fields

    def account_kind(self, record: dict[str, Any]) -> AccountKind:
        """Balance sheet or P&L, from ``account_type`` (16+) or ``internal_group`` (14/15)."""
        if self.major >= 16:
            kind = record.get("account_type") or ""
            group = kind.split("_", 1)[0]
        else:
            group = record.get("internal_group") or ""
        if group in _BALANCE_GROUPS:
            return AccountKind.BALANCE_SHEET
        if group in _PL_GROUPS:
            return AccountKind.PROFIT_LOSS
        return AccountKind.UNKNOWN

    def is_unaffected_earnings(self, record: dict[str, Any]) -> bool:
        if self.major >= 16:
            return record.get("account_type") == "equity_unaffected"
        user_type = record.get("user_type_id")
        return isinstance(user_type, list) and len(user_type) == 2 and "Current Year Earnings" in str(user_type[1])
