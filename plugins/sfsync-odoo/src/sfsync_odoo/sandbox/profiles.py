"""The fields each Odoo version exposes on the models the sandbox serves (profiles 14, 17, 18, 19).

Records are stored once, in a version-neutral shape; each profile says which fields exist, their
type, and how their value is read from the stored record (``user_type_id`` in 14,
``account_type`` from 16; ``company_id`` up to 17, ``company_ids`` and a company-dependent
``code`` from 18; ``deprecated`` up to 18, ``active`` in 19).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sfsync_odoo.sandbox.orm import Database, Env

__all__ = ["ACCOUNT_TYPES_14", "FieldDef", "ModelSpec", "fields_for", "model_spec"]

Getter = Callable[["Database", dict[str, Any], "Env"], Any]


@dataclass(frozen=True)
class FieldDef:
    """One field of a model in one version."""

    name: str
    type: str
    string: str
    relation: str | None = None
    store: bool = True
    getter: Getter | None = None
    selection: tuple[tuple[str, str], ...] | None = None
    required: bool = False
    company_dependent: bool = False

    def get(self, db: Database, record: dict[str, Any], env: Env) -> Any:
        if self.getter is not None:
            return self.getter(db, record, env)
        value = record.get(self.name)
        if self.type in ("many2many", "one2many"):
            return list(value or [])
        return value


@dataclass(frozen=True)
class ModelSpec:
    """A model: its description (used in access errors), default order and record rule."""

    name: str
    description: str
    order: str
    company_rule: str | None = None  # "company_id" or "company_ids": records of env.companies only
    accounting: bool = False  # needs the accounting group (AccessError otherwise)


MODELS = {
    "res.users": ModelSpec("res.users", "User", "name, login"),
    "res.company": ModelSpec("res.company", "Companies", "sequence, name"),
    "res.currency": ModelSpec("res.currency", "Currency", "active desc, name"),
    "res.country": ModelSpec("res.country", "Country", "name"),
    "res.partner": ModelSpec("res.partner", "Contact", "name, id"),
    "ir.module.module": ModelSpec("ir.module.module", "Module", "sequence, name"),
    "account.account.type": ModelSpec("account.account.type", "Account Type", "sequence, id", accounting=True),
    "account.account": ModelSpec("account.account", "Account", "code, company_id", "company_id", True),
    "account.fiscal.year": ModelSpec("account.fiscal.year", "Fiscal Year", "date_from", "company_id", True),
    "account.journal": ModelSpec("account.journal", "Journal", "sequence, type, code", "company_id", True),
    "account.move": ModelSpec("account.move", "Journal Entry", "date desc, name desc, id desc", "company_id", True),
    "account.move.line": ModelSpec(
        "account.move.line", "Journal Item", "date desc, move_name desc, id", "company_id", True
    ),
}

# account.account.type records of 14.0 (by xml id suffix): name, type, internal_group,
# include_initial_balance. The 16+ account_type values map onto them.
ACCOUNT_TYPES_14: dict[str, tuple[int, str, str, str, bool]] = {
    "asset_receivable": (1, "Receivable", "receivable", "asset", True),
    "liability_payable": (2, "Payable", "payable", "liability", True),
    "asset_cash": (3, "Bank and Cash", "liquidity", "asset", True),
    "liability_credit_card": (4, "Credit Card", "liquidity", "liability", True),
    "asset_current": (5, "Current Assets", "other", "asset", True),
    "asset_non_current": (6, "Non-current Assets", "other", "asset", True),
    "asset_prepayments": (7, "Prepayments", "other", "asset", True),
    "asset_fixed": (8, "Fixed Assets", "other", "asset", True),
    "liability_current": (9, "Current Liabilities", "other", "liability", True),
    "liability_non_current": (10, "Non-current Liabilities", "other", "liability", True),
    "equity": (11, "Equity", "other", "equity", True),
    "equity_unaffected": (12, "Current Year Earnings", "other", "equity", True),
    "income_other": (13, "Other Income", "other", "income", False),
    "income": (14, "Income", "other", "income", False),
    "expense_depreciation": (15, "Depreciation", "other", "expense", False),
    "expense": (16, "Expenses", "other", "expense", False),
    "expense_direct_cost": (17, "Cost of Revenue", "other", "expense", False),
    "off_balance": (18, "Off-Balance Sheet", "other", "off_balance", False),
}

ACCOUNT_TYPES = tuple((key, key.replace("_", " ").title()) for key in ACCOUNT_TYPES_14)


def _group(account_type: str) -> str:
    return ACCOUNT_TYPES_14[account_type][3]


def _m2o(name: str) -> Getter:
    return lambda db, rec, env: rec.get(name)


def _account_code(db: Database, rec: dict[str, Any], env: Env) -> str | None:
    codes: dict[int, str] = rec["code_store"]
    return codes.get(db.root_company(env.company))


def fields_for(model: str, version: int) -> dict[str, FieldDef]:
    """The fields of ``model`` in Odoo ``version``."""
    defs: list[FieldDef] = [
        FieldDef("id", "integer", "ID"),
        FieldDef("display_name", "char", "Display Name", store=False,
                 getter=lambda db, rec, env: db.display_name(model, rec, env)),
        FieldDef("create_date", "datetime", "Created on"),
        FieldDef("write_date", "datetime", "Last Updated on"),
    ]
    add = defs.append
    if model == "res.users":
        add(FieldDef("name", "char", "Name"))
        add(FieldDef("login", "char", "Login", required=True))
        add(FieldDef("active", "boolean", "Active"))
        add(FieldDef("company_id", "many2one", "Company", "res.company"))
        add(FieldDef("company_ids", "many2many", "Companies", "res.company"))
    elif model == "res.company":
        add(FieldDef("name", "char", "Company Name", required=True))
        add(FieldDef("sequence", "integer", "Sequence"))
        add(FieldDef("currency_id", "many2one", "Currency", "res.currency"))
        add(FieldDef("country_id", "many2one", "Country", "res.country"))
        add(FieldDef("partner_id", "many2one", "Partner", "res.partner"))
        for name in ("vat", "company_registry", "street", "zip", "city", "email", "phone"):
            add(FieldDef(name, "char", name.replace("_", " ").title()))
        add(FieldDef("parent_id", "many2one", "Parent Company", "res.company"))
        add(FieldDef("child_ids", "one2many", "Branches", "res.company", store=False,
                     getter=lambda db, rec, env: db.children("res.company", rec["id"])))
        add(FieldDef("fiscalyear_last_day", "integer", "Fiscalyear Last Day"))
        add(FieldDef("fiscalyear_last_month", "selection", "Fiscalyear Last Month",
                     selection=tuple((str(m), str(m)) for m in range(1, 13))))
        add(FieldDef("period_lock_date", "date", "Journal Entries Lock Date"))
        add(FieldDef("fiscalyear_lock_date", "date", "Lock Date"))
        add(FieldDef("tax_lock_date", "date", "Tax Return Lock Date"))
        add(FieldDef("account_opening_date", "date", "Opening Entry"))
        if version >= 17:
            add(FieldDef("active", "boolean", "Active"))
            add(FieldDef("root_id", "many2one", "Root", "res.company", store=False,
                         getter=lambda db, rec, env: db.root_company(rec["id"])))
    elif model == "res.currency":
        add(FieldDef("name", "char", "Currency"))
        add(FieldDef("symbol", "char", "Symbol"))
        add(FieldDef("decimal_places", "integer", "Decimal Places", store=False))
        add(FieldDef("rounding", "float", "Rounding Factor"))
        add(FieldDef("active", "boolean", "Active"))
    elif model == "res.country":
        add(FieldDef("name", "char", "Country Name"))
        add(FieldDef("code", "char", "Country Code"))
    elif model == "ir.module.module":
        add(FieldDef("name", "char", "Technical Name"))
        add(FieldDef("state", "selection", "Status"))
        add(FieldDef("latest_version", "char", "Installed Version"))
        add(FieldDef("sequence", "integer", "Sequence"))
    elif model == "res.partner":
        add(FieldDef("name", "char", "Name"))
        add(FieldDef("vat", "char", "Tax ID"))
        add(FieldDef("is_company", "boolean", "Is a Company"))
        add(FieldDef("active", "boolean", "Active"))
    elif model == "account.account.type":
        if version >= 16:
            return {}
        add(FieldDef("name", "char", "Account Type"))
        add(FieldDef("type", "selection", "Type", selection=(
            ("other", "Regular"), ("receivable", "Receivable"), ("payable", "Payable"),
            ("liquidity", "Liquidity"))))
        add(FieldDef("internal_group", "selection", "Internal Group"))
        add(FieldDef("include_initial_balance", "boolean", "Bring Accounts Balance Forward"))
    elif model == "account.account":
        add(FieldDef("name", "char", "Account Name", required=True))
        add(FieldDef("reconcile", "boolean", "Allow Reconciliation"))
        add(FieldDef("currency_id", "many2one", "Account Currency", "res.currency"))
        if version >= 18:
            add(FieldDef("code", "char", "Code", getter=_account_code, company_dependent=True))
            add(FieldDef("company_ids", "many2many", "Companies", "res.company", required=True))
        else:
            add(FieldDef("code", "char", "Code", required=True, getter=lambda db, rec, env: next(iter(rec["code_store"].values()))))
            add(FieldDef("company_id", "many2one", "Company", "res.company", required=True,
                         getter=lambda db, rec, env: rec["company_ids"][0]))
        if version >= 19:
            add(FieldDef("placeholder_code", "char", "Display code", store=False, getter=_account_code))
            add(FieldDef("active", "boolean", "Active", getter=lambda db, rec, env: not rec["deprecated"]))
            add(FieldDef("description", "text", "Description"))
        else:
            add(FieldDef("deprecated", "boolean", "Deprecated"))
        if version >= 16:
            add(FieldDef("account_type", "selection", "Type", selection=ACCOUNT_TYPES
                         + ((("expense_other", "Other Expenses"),) if version >= 19 else ())))
            add(FieldDef("include_initial_balance", "boolean", "Bring Accounts Balance Forward",
                         getter=lambda db, rec, env: ACCOUNT_TYPES_14[rec["account_type"]][4]))
            off = "off" if version >= 19 else "off_balance"
            add(FieldDef("internal_group", "selection", "Internal Group", store=version < 19,
                         getter=lambda db, rec, env: off if _group(rec["account_type"]) == "off_balance" else _group(rec["account_type"])))
        else:
            add(FieldDef("user_type_id", "many2one", "Type", "account.account.type", required=True,
                         getter=lambda db, rec, env: ACCOUNT_TYPES_14[rec["account_type"]][0]))
            add(FieldDef("internal_type", "selection", "Internal Type",
                         getter=lambda db, rec, env: ACCOUNT_TYPES_14[rec["account_type"]][2]))
            add(FieldDef("internal_group", "selection", "Internal Group",
                         getter=lambda db, rec, env: _group(rec["account_type"])))
    elif model == "account.fiscal.year":
        add(FieldDef("name", "char", "Name", required=True))
        add(FieldDef("date_from", "date", "Start Date", required=True))
        add(FieldDef("date_to", "date", "End Date", required=True))
        add(FieldDef("company_id", "many2one", "Company", "res.company", required=True))
    elif model == "account.journal":
        add(FieldDef("name", "char", "Journal Name"))
        add(FieldDef("code", "char", "Short Code"))
        add(FieldDef("type", "selection", "Type", selection=(
            ("sale", "Sales"), ("purchase", "Purchase"), ("cash", "Cash"), ("bank", "Bank"),
            ("general", "Miscellaneous"))))
        add(FieldDef("company_id", "many2one", "Company", "res.company"))
        add(FieldDef("currency_id", "many2one", "Currency", "res.currency"))
        add(FieldDef("sequence", "integer", "Sequence"))
        add(FieldDef("active", "boolean", "Active"))
    elif model == "account.move":
        add(FieldDef("name", "char", "Number"))
        add(FieldDef("date", "date", "Date"))
        add(FieldDef("ref", "char", "Reference"))
        add(FieldDef("state", "selection", "Status", selection=(
            ("draft", "Draft"), ("posted", "Posted"), ("cancel", "Cancelled"))))
        add(FieldDef("move_type", "selection", "Type"))
        add(FieldDef("journal_id", "many2one", "Journal", "account.journal"))
        add(FieldDef("company_id", "many2one", "Company", "res.company"))
        add(FieldDef("partner_id", "many2one", "Partner", "res.partner"))
        add(FieldDef("currency_id", "many2one", "Currency", "res.currency"))
        add(FieldDef("line_ids", "one2many", "Journal Items", "account.move.line"))
        add(FieldDef("posted_before", "boolean", "Posted Before"))
    elif model == "account.move.line":
        def move(field: str) -> Getter:
            return lambda db, rec, env: db.tables["account.move"][rec["move_id"]][field]

        add(FieldDef("move_id", "many2one", "Journal Entry", "account.move", required=True))
        if version >= 17:
            add(FieldDef("move_name", "char", "Number", getter=move("name")))
        add(FieldDef("date", "date", "Date", getter=move("date")))
        add(FieldDef("ref", "char", "Reference", getter=move("ref")))
        add(FieldDef("parent_state", "selection", "Status", getter=move("state")))
        add(FieldDef("journal_id", "many2one", "Journal", "account.journal", getter=move("journal_id")))
        add(FieldDef("company_id", "many2one", "Company", "res.company", getter=move("company_id")))
        add(FieldDef("company_currency_id", "many2one", "Company Currency", "res.currency",
                     getter=lambda db, rec, env: db.tables["res.company"][db.tables["account.move"][rec["move_id"]]["company_id"]]["currency_id"]))
        add(FieldDef("name", "char", "Label"))
        add(FieldDef("account_id", "many2one", "Account", "account.account"))
        add(FieldDef("partner_id", "many2one", "Partner", "res.partner"))
        add(FieldDef("debit", "monetary", "Debit"))
        add(FieldDef("credit", "monetary", "Credit"))
        add(FieldDef("balance", "monetary", "Balance", getter=lambda db, rec, env: rec["debit"] - rec["credit"]))
        add(FieldDef("amount_currency", "monetary", "Amount in Currency"))
        add(FieldDef("currency_id", "many2one", "Currency", "res.currency"))
        add(FieldDef("tax_ids", "many2many", "Taxes", "account.tax"))
        add(FieldDef("date_maturity", "date", "Due Date"))
        add(FieldDef("display_type", "selection", "Display Type"))
        if version >= 16:
            add(FieldDef("analytic_distribution", "json", "Analytic"))
        else:
            add(FieldDef("analytic_account_id", "many2one", "Analytic Account", "account.analytic.account"))
    else:
        return {}
    return {d.name: d for d in defs}


def model_spec(model: str) -> ModelSpec | None:
    return MODELS.get(model)
