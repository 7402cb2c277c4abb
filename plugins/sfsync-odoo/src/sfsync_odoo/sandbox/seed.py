"""The seeded database: three Belgian companies, users with passwords, API keys and 2FA.

Deterministic: the same version and scale always give the same records. Company 1 (calendar
year) is the richest; company 2 closes its year on 30 June and sells in USD; company 3 is one the
integration user may not see. In profiles 18 and 19 the chart is shared between companies 1 and
2 (``company_ids``) with a company-dependent code for sales.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from sfsync_odoo.sandbox.orm import Database, User

__all__ = ["API_KEY", "DB_NAME", "LOGIN", "PASSWORD", "TOTP_API_KEY", "TOTP_LOGIN", "seed"]

DB_NAME = "voorbeeld"
LOGIN = "sync@firm.example"
PASSWORD = "Bakkerij-2026!"
API_KEY = "3f1c9e0d5b7a4c2e8f6a1b3d5c7e9f0a2b4c6d8e"
TOTP_LOGIN = "boekhouder@voorbeeld.example"
TOTP_PASSWORD = "Totp-user-2026"
TOTP_API_KEY = "9ab2c4d6e8f0a1b3c5d7e9f1a3b5c7d9e1f3a5b7"
VIEWER_LOGIN = "viewer@voorbeeld.example"
VIEWER_API_KEY = "5d7e9f1a3b5c7d9e1f3a5b7c9d1e3f5a7b9c1d3e"

CENT = Decimal("0.01")

# (key, code, name, account_type, deprecated)
CHART = [
    ("capital", "100000", "Geplaatst kapitaal", "equity", False),
    ("retained", "140000", "Overgedragen winst", "equity", False),
    ("buildings", "221000", "Gebouwen", "asset_fixed", False),
    ("receivable", "400000", "Handelsdebiteuren", "asset_receivable", False),
    ("vat_in", "411000", "Terug te vorderen btw", "asset_current", False),
    ("suspense", "499000", "Wachtrekening (oud)", "asset_current", True),
    ("payable", "440000", "Leveranciers", "liability_payable", False),
    ("vat_out", "451000", "Te betalen btw", "liability_current", False),
    ("wages_due", "455000", "Te betalen bezoldigingen", "liability_current", False),
    ("bank", "550000", "KBC Zichtrekening", "asset_cash", False),
    ("cash", "570000", "Kas", "asset_cash", False),
    ("purchases", "600000", "Aankopen grondstoffen", "expense_direct_cost", False),
    ("services", "610000", "Diensten en diverse goederen", "expense", False),
    ("wages", "620000", "Bezoldigingen", "expense", False),
    ("depreciation", "630000", "Afschrijvingen", "expense_depreciation", False),
    ("sales", "700000", "Omzet", "income", False),
    ("other_income", "740000", "Andere bedrijfsopbrengsten", "income_other", False),
    ("unaffected", "999999", "Niet-toegewezen resultaat", "equity_unaffected", False),
]
USD_CHART = [
    ("receivable_usd", "400100", "Handelsdebiteuren USD", "asset_receivable", False),
    ("bank_usd", "550100", "Bank USD", "asset_cash", False),
]
SALES_CODE_2 = "700100"

PARTNERS = [
    "Brood & Co BV", "Supermarkt De Zon NV", "Hotel Scheldezicht", "Molens Vandeputte NV",
    "Verpakkingen Claes BVBA", "Electrabel NV", "Proximus NV", "Café Den Hoek",
    "Delhaize Belgium", "Boulangerie Dupont SRL", "Brasserie du Lac", "US Craft Imports Inc.",
]


def _vat(number: int) -> str:
    """A Belgian VAT number with a valid mod-97 check: BE0 + 7 digits + 2 check digits."""
    base = number % 10**7
    return f"BE0{base:07d}{97 - base % 97:02d}"


def seed(db: Database, *, scale: int = 1) -> None:
    """Fill ``db`` with the seeded records."""
    t0 = dt.datetime(2022, 6, 1, 8, 0)
    for name, symbol, places in (("EUR", "€", 2), ("USD", "$", 2), ("GBP", "£", 2)):
        db.create("res.currency", {"name": name, "symbol": symbol, "decimal_places": places,
                                   "rounding": Decimal("0.01"), "active": True}, when=t0)
    for sequence, module in enumerate(("base", "account", "l10n_be")):
        db.create("ir.module.module", {"name": module, "state": "installed", "sequence": sequence,
                                       "latest_version": f"{db.version}.0.1.{sequence}"}, when=t0)
    db.create("res.country", {"name": "Belgium", "code": "BE"}, when=t0)
    db.create("res.country", {"name": "Netherlands", "code": "NL"}, when=t0)
    companies = [
        ("Bakkerij Voorbeeld BV", _vat(45678912300), "Kerkstraat 12", "9000", "Gent", "12", 31,
         dt.date(2024, 12, 31)),
        ("Brouwerij De Schelde NV", _vat(87654321000), "Scheldekaai 3", "2000", "Antwerpen", "6", 30,
         dt.date(2024, 6, 30)),
        ("Garage Noord SRL", _vat(55544433300), "Rue du Nord 8", "1000", "Bruxelles", "12", 31, None),
    ]
    for index, (name, vat, street, zipcode, city, last_month, last_day, lock) in enumerate(companies, start=1):
        partner = db.create("res.partner", {"name": name, "vat": vat, "is_company": True, "active": True}, when=t0)
        db.create("res.company", {
            "name": name, "sequence": index * 10, "currency_id": 1, "country_id": 1, "partner_id": partner,
            "vat": vat, "company_registry": vat[2:], "street": street, "zip": zipcode, "city": city,
            "email": f"boekhouding@{name.split()[0].lower()}.example", "phone": f"+32 9 {index}23 45 67",
            "parent_id": None, "fiscalyear_last_day": last_day, "fiscalyear_last_month": last_month,
            "period_lock_date": lock, "fiscalyear_lock_date": lock, "tax_lock_date": lock,
            "account_opening_date": dt.date(2023, 1, 1) if index != 2 else dt.date(2022, 7, 1),
            "active": True,
        }, when=t0)
    partners = [db.create("res.partner", {"name": n, "vat": _vat(10000000000 + 7919 * 1000 * i), "is_company": True,
                                          "active": True}, when=t0) for i, n in enumerate(PARTNERS, start=1)]

    users = [
        (1, "__system__", "OdooBot", "", [], 1, [1, 2, 3], False, True),
        (2, "admin", "Administrator", "admin", [], 1, [1, 2, 3], False, True),
        (3, LOGIN, "Sync Boekhoudkantoor", PASSWORD, [API_KEY], 1, [1, 2], False, True),
        (4, TOTP_LOGIN, "Boekhouder met 2FA", TOTP_PASSWORD, [TOTP_API_KEY], 1, [1], True, True),
        (5, VIEWER_LOGIN, "Verkoop (geen boekhouding)", "viewer", [VIEWER_API_KEY], 1, [1], False, False),
    ]
    for uid, login, name, password, keys, company, allowed, totp, accounting in users:
        db.create("res.users", {"login": login, "name": name, "company_id": company,
                                "company_ids": allowed, "active": uid != 1}, when=t0)
        db.users[uid] = User(uid, login, name, password, keys, company, allowed, totp, accounting)

    # Accounts: one record per company up to 17; from 18 companies 1 and 2 share one chart.
    accounts: dict[int, dict[str, int]] = {1: {}, 2: {}, 3: {}}
    shared = db.version >= 18
    for key, code, name, kind, deprecated in CHART:
        if shared:
            codes = {1: code, 2: SALES_CODE_2 if key == "sales" else code}
            record = db.create("account.account", {"name": name, "code_store": codes, "company_ids": [1, 2],
                                                   "account_type": kind, "deprecated": deprecated,
                                                   "reconcile": kind in ("asset_receivable", "liability_payable"),
                                                   "currency_id": None, "description": False}, when=t0)
            accounts[1][key] = accounts[2][key] = record
        else:
            for company in (1, 2):
                company_code = SALES_CODE_2 if (key == "sales" and company == 2) else code
                accounts[company][key] = db.create("account.account", {
                    "name": name, "code_store": {company: company_code}, "company_ids": [company],
                    "account_type": kind, "deprecated": deprecated,
                    "reconcile": kind in ("asset_receivable", "liability_payable"), "currency_id": None,
                    "description": False}, when=t0)
        accounts[3][key] = db.create("account.account", {
            "name": name, "code_store": {3: code}, "company_ids": [3], "account_type": kind,
            "deprecated": deprecated, "reconcile": False, "currency_id": None, "description": False}, when=t0)
    for key, code, name, kind, deprecated in USD_CHART:
        accounts[2][key] = db.create("account.account", {
            "name": name, "code_store": {2: code}, "company_ids": [2], "account_type": kind,
            "deprecated": deprecated, "reconcile": kind == "asset_receivable", "currency_id": 2,
            "description": False}, when=t0)

    journals: dict[int, dict[str, int]] = {}
    for company in (1, 2, 3):
        journals[company] = {}
        for sequence, (code, name, kind) in enumerate((("VF", "Verkoopfacturen", "sale"),
                                                        ("AF", "Aankoopfacturen", "purchase"),
                                                        ("BNK1", "KBC Bank", "bank"),
                                                        ("DIV", "Diverse verrichtingen", "general"))):
            journals[company][code] = db.create("account.journal", {
                "name": name, "code": code, "type": kind, "company_id": company, "currency_id": None,
                "sequence": sequence, "active": True}, when=t0)
    db.seed_info = {"accounts": accounts, "journals": journals, "partners": partners}
    if db.enterprise:
        # Enterprise: company 2 had an extended first year of 18 months, then moved to calendar
        # years; the settings now say 31 December and the fiscal-year records keep the history.
        db.write("res.company", [2], {"fiscalyear_last_month": "12", "fiscalyear_last_day": 31}, when=t0)
        db.create("account.fiscal.year", {"name": "Boekjaar 2022-2023 (verlengd)", "date_from": dt.date(2022, 7, 1),
                                          "date_to": dt.date(2023, 12, 31), "company_id": 2}, when=t0)
        db.create("account.fiscal.year", {"name": "Boekjaar 2024", "date_from": dt.date(2024, 1, 1),
                                          "date_to": dt.date(2024, 12, 31), "company_id": 2}, when=t0)

    plans = {
        1: (dt.date(2023, 1, 1), dt.date(2025, 12, 31), 16),
        2: (dt.date(2022, 7, 1), dt.date(2025, 12, 31), 8),
        3: (dt.date(2024, 1, 1), dt.date(2024, 12, 31), 2),
    }
    cap = db.now() - dt.timedelta(hours=1)
    for company, (start, end, per_month) in plans.items():
        rnd = random.Random(company * 7919)
        acc = accounts[company]
        sales = acc["sales"]
        book(db, company, "DIV", start, "Openingsbalans", [
            (acc["bank"], Decimal("25000.00"), None), (acc["buildings"], Decimal("180000.00"), None),
            (acc["capital"], None, Decimal("150000.00")), (acc["retained"], None, Decimal("55000.00")),
        ], cap=cap)
        if company == 1:
            book(db, company, "DIV", start + dt.timedelta(days=20), "Correctie wachtrekening", [
                (acc["suspense"], Decimal("125.40"), None), (acc["cash"], None, Decimal("125.40")),
            ], cap=cap)
        month = start.replace(day=1)
        while month <= end:
            for n in range(per_month * scale):
                day = month.replace(day=1 + (n * 3 + rnd.randrange(3)) % 28)
                partner = partners[rnd.randrange(len(partners) - 1)]
                net = Decimal(rnd.randrange(8000, 450000)) / 100
                tax = (net * Decimal("0.21")).quantize(CENT)
                flavour = n % 4
                if flavour == 0:
                    book(db, company, "VF", day, f"Factuur {partner}", [
                        (acc["receivable"], net + tax, None), (sales, None, net), (acc["vat_out"], None, tax),
                    ], partner=partner, cap=cap)
                elif flavour == 1:
                    expense = acc["purchases"] if rnd.random() < 0.6 else acc["services"]
                    book(db, company, "AF", day, f"Aankoop {partner}", [
                        (expense, net, None), (acc["vat_in"], tax, None), (acc["payable"], None, net + tax),
                    ], partner=partner, cap=cap)
                elif flavour == 2:
                    book(db, company, "BNK1", day, f"Betaling {partner}", [
                        (acc["bank"], net, None), (acc["receivable"], None, net),
                    ], partner=partner, cap=cap)
                else:
                    book(db, company, "BNK1", day, f"Uitgaande betaling {partner}", [
                        (acc["payable"], net, None), (acc["bank"], None, net),
                    ], partner=partner, cap=cap)
            book(db, company, "DIV", month.replace(day=28), f"Lonen {month:%m/%Y}", [
                (acc["wages"], Decimal("8450.00"), None), (acc["wages_due"], None, Decimal("8450.00")),
            ], cap=cap)
            if company == 2:
                usd = Decimal(rnd.randrange(100000, 900000)) / 100
                rate = Decimal("1.0850")
                eur = (usd / rate).quantize(CENT)
                book(db, company, "VF", month.replace(day=15), "Export US Craft Imports", [
                    (acc["receivable_usd"], eur, None, usd), (sales, None, eur, -usd),
                ], partner=partners[-1], currency=2, cap=cap)
            month = (month + dt.timedelta(days=32)).replace(day=1)
        # A draft and a cancelled entry: never in the ledger.
        book(db, company, "DIV", end, "Concept: inventariswijziging", [
            (acc["purchases"], Decimal("999.99"), None), (acc["bank"], None, Decimal("999.99")),
        ], state="draft", cap=cap)
        book(db, company, "AF", end - dt.timedelta(days=3), "Geannuleerde aankoop", [
            (acc["services"], Decimal("45.00"), None), (acc["payable"], None, Decimal("45.00")),
        ], state="cancel", cap=cap)


def book(
    db: Database,
    company: int,
    journal_code: str,
    date: dt.date,
    label: str,
    lines: list[tuple[Any, ...]],
    *,
    partner: int | None = None,
    currency: int | None = None,
    state: str = "posted",
    cap: dt.datetime | None = None,
    when: dt.datetime | None = None,
) -> int:
    """Book a balanced entry; each line is ``(account_id, debit, credit[, amount_currency])``."""
    journal = db.seed_info["journals"][company][journal_code]
    debit = sum((line[1] or Decimal(0)) for line in lines)
    credit = sum((line[2] or Decimal(0)) for line in lines)
    if debit != credit:
        raise ValueError(f"unbalanced entry {label}: {debit} != {credit}")
    if when is None:
        serial = len(db.tables.get("account.move", {}))
        when = dt.datetime.combine(date, dt.time(10, 0)) + dt.timedelta(
            minutes=serial % 600, microseconds=(serial * 7919) % 1_000_000
        )
        if cap is not None and when > cap:
            when = cap
    counters = db.seed_info.setdefault("sequences", {})
    name: str | None = None
    if state != "draft":
        key = (company, journal_code, date.year)
        counters[key] = counters.get(key, 0) + 1
        name = f"{journal_code}/{date.year}/{counters[key]:04d}"
    move_type = {"VF": "out_invoice", "AF": "in_invoice"}.get(journal_code, "entry")
    move = db.create("account.move", {
        "name": name, "date": date, "ref": label, "state": state, "move_type": move_type,
        "journal_id": journal, "company_id": company, "partner_id": partner,
        "currency_id": currency or 1, "line_ids": [], "posted_before": state != "draft",
    }, when=when)
    ids = []
    for line in lines:
        account, dr, cr = line[0], line[1] or Decimal(0), line[2] or Decimal(0)
        amount_currency = line[3] if len(line) > 3 else dr - cr
        ids.append(db.create("account.move.line", {
            "move_id": move, "name": label, "account_id": account, "partner_id": partner,
            "debit": dr, "credit": cr, "amount_currency": amount_currency,
            "currency_id": currency or 1, "tax_ids": [], "date_maturity": date, "display_type": None if db.version < 17 else "product", "analytic_distribution": None, "analytic_account_id": None,
        }, when=when))
    db.tables["account.move"][move]["line_ids"] = ids
    return move
