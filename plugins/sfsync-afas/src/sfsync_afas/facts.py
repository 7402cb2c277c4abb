"""AFAS Profit REST (GetConnectors): the wire facts the connector and its sandbox share.

Sources: ``shared/reference/providers/afas-profit.md`` and AFAS's own OpenAPI 3 documents and
developer-guide pages (AFASSoftware/OASContent @64278d23: ``Mutaties.json`` "AFAS Mutaties API"
6.6.9, ``Inrichting.json`` for the OTP calls, ``get-connector.md``, ``authentication.md``,
``troubleshooting.md``). Facts marked UNVERIFIED are the most plausible reading, kept here in one
place (:data:`UNVERIFIED`) so they are easy to correct; the connector's ``known_limits`` and the
docs page repeat them.
"""

from __future__ import annotations

import base64
from typing import Literal

__all__ = [
    "BALANCE_SHEET_TYPES",
    "CONNECTORS",
    "DEFAULT_TAKE",
    "ENVIRONMENT_HOSTS",
    "MAX_ANSWER_BYTES",
    "MAX_QUERY_CHARS",
    "MAX_SIMULTANEOUS",
    "OPERATORS",
    "SERVER_TIMEOUT_SECONDS",
    "UNEXPECTED_ERROR_NUMBER",
    "UNVERIFIED",
    "EnvironmentType",
    "authorization_header",
    "base_url",
]

EnvironmentType = Literal["production", "test", "accept"]

ENVIRONMENT_HOSTS: dict[str, str] = {
    "production": "https://{env}.rest.afas.online/ProfitRestServices",
    "test": "https://{env}.resttest.afas.online/ProfitRestServices",
    "accept": "https://{env}.restaccept.afas.online/ProfitRestServices",
}
"""The OpenAPI ``servers`` of every Profit document (the ``restcursus`` training host is left out:
no firm's books live there)."""


def base_url(environment: str, environment_type: str = "production") -> str:
    """The REST base of an environment number (``12345``) on its host."""
    return ENVIRONMENT_HOSTS[environment_type].format(env=environment)


def authorization_header(token_xml: str) -> str:
    """``AfasToken <base64 of the token XML>`` (authentication.md: "convert it to Base64")."""
    return "AfasToken " + base64.b64encode(token_xml.strip().encode("utf-8")).decode("ascii")


CONNECTORS = (
    "Profit_Administrations",
    "Profit_Accounts",
    "Profit_Transactions",
    "Profit_Period_balance",
    "Profit_periods_per_administration",
    "Profit_Journals",
    "Profit_Fin_ChangedEntrydate",
)
"""The standard GetConnectors sfsync reads (Mutaties.json paths ``/connectors/<name>``)."""

DEFAULT_TAKE = 100
"""``skip``/``take`` default to 0/100 (get-connector.md "Skip and take")."""
MAX_ROW_CELLS = 150_000
""""[Number of columns] x [Number of rows] < 150,000" is AFAS's advice for ``take``."""
MAX_QUERY_CHARS = 2049
"""The query string (from ``?``, with every ``&``) may hold 2,049 characters; longer answers
404 (get-connector.md "Maximum Length of the URL")."""
MAX_SIMULTANEOUS = 5
""""You can make up to 5 simultaneous calls" (get-connector.md)."""
SERVER_TIMEOUT_SECONDS = 900
"""After 15 minutes the API answers 500 "The maximum duration for performing the assignment has
been exceeded." (troubleshooting.md "Timeout")."""
MAX_ANSWER_BYTES = 75 * 1024 * 1024
"""At most 75 MB per call (provider notes: troubleshooting.md, help.afas.nl App_Cnr_Rest_Api)."""
BALANCE_SHEET_TYPES = frozenset({"1", "2"})
"""Account types 1 (Activa) and 2 (Passiva) are the balance sheet; 3 and 4 profit and loss."""
UNEXPECTED_ERROR_NUMBER = -2147180999
"""``errorNumber`` of "An unexpected error has occurred." for invalid skip/take
(troubleshooting.md)."""

OPERATORS: dict[int, str] = {
    1: "=", 2: ">=", 3: "<=", 4: ">", 5: "<", 6: "contains", 7: "!=", 8: "empty", 9: "not empty",
    10: "starts with", 11: "does not contain", 12: "does not start with", 13: "ends with",
    14: "does not end with", 15: "quick filter",
}
"""``operatortypes`` 1–15 (get-connector.md "Filtering"); ``,`` joins with AND, ``;`` with OR."""

UNVERIFIED: dict[str, str] = {
    "line_key": "A transaction line is identified by administration, year, entry number and "
                "sequence number (EntryNo is unique within an administration's year).",
    "changed_entrydate_deletes": "Profit_Fin_ChangedEntrydate also lists the entry date of a "
                                 "deleted entry, with the moment of the deletion as Modified; it "
                                 "covers every administration of the environment.",
    "period_balance_moves": "A deleted or changed line always moves its period's "
                            "Profit_Period_balance row of its account (a deleted zero-amount line "
                            "does not, and stays stored until a replace).",
    "stamps": "Created/Modified and date filters are Amsterdam local time with a trailing Z "
              "(get-connector.md: ignore the Z) to the second; filters take YYYY-MM-DDTHH:MM:SS.",
    "over_five": "A sixth simultaneous call is refused with 429 and Retry-After: 1 (AFAS "
                 "publishes no rate limit and no 429 behaviour).",
    "answer_too_large": "An answer over 75 MB is refused with 413 and AFAS's error body.",
    "account_kind": "Profit_Accounts.Type carries KnAccount's VaAt code (Financiële Inrichting "
                    "spec: 1 Activa, 2 Passiva, 3 Opbrengsten, 4 Kosten): 1 and 2 are balance-sheet "
                    "accounts, 3 and 4 profit and loss.",
    "year_number": "A fiscal year's number (Year) is the calendar year it starts in; its periods "
                   "are its months, 1–12, in Profit_periods_per_administration.",
    "period_balance": "Profit_Period_balance has one row per account and period with movements; "
                      "Balance is Debit minus Credit of that period. Opening balances are the "
                      "closing balances of the earlier years (no period 0).",
    "otp_host": "The OTP calls are served on the environment's own REST host; the OTP is mailed "
                "to the user and is valid for 10 minutes, once.",
    "company_details": "The standard GetConnectors give an administration only its number, code "
                       "and name: no address or VAT number.",
}
"""The assumptions the sandbox and connector rest on, by topic."""
