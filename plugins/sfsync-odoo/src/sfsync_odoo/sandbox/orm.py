"""An in-memory Odoo database and the ORM methods the external API exposes.

``Database.execute(uid, model, method, args, kwargs)`` is what ``execute_kw`` runs after the
credentials are checked: ``search_read``, ``read``, ``search``, ``search_count``, ``read_group``,
``fields_get`` and ``res.users.context_get``, with Odoo's record rules (``allowed_company_ids``),
access rights, ``active_test``, ordering and the value encoding of the external API (``False``
for empty values, many2one as ``[id, "name"]``, dates as strings, amounts as floats).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sfsync.clock import Clock

from sfsync_odoo.sandbox.domain import compile_domain, normalize, parse
from sfsync_odoo.sandbox.faults import (
    OdooAccessError,
    OdooAttributeError,
    OdooMissingError,
    OdooUserError,
    OdooValueError,
)
from sfsync_odoo.sandbox.profiles import FieldDef, fields_for, model_spec

__all__ = ["Database", "Env", "User"]

PUBLIC_METHODS = frozenset(
    {"search_read", "read", "search", "search_count", "read_group", "fields_get", "context_get",
     "check_access_rights", "name_search"}
)


@dataclass
class User:
    id: int
    login: str
    name: str
    password: str
    api_keys: list[str]
    company_id: int
    company_ids: list[int]
    totp: bool = False
    accounting: bool = True


@dataclass
class Env:
    uid: int
    companies: list[int]
    company: int
    context: dict[str, Any] = field(default_factory=dict)

    @property
    def active_test(self) -> bool:
        return bool(self.context.get("active_test", True))


def _fmt_datetime(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S")


class Database:
    """One Odoo database: tables of records, users, and the version whose fields it exposes."""

    def __init__(self, name: str, version: int, clock: Clock, *, enterprise: bool = False) -> None:
        self.name = name
        self.version = version
        self.enterprise = enterprise
        self.clock = clock
        self.tables: dict[str, dict[int, dict[str, Any]]] = {}
        self.users: dict[int, User] = {}
        self._next: dict[str, int] = {}
        self._fields: dict[str, dict[str, FieldDef]] = {}
        self.seed_info: dict[str, Any] = {}

    # --- storage --------------------------------------------------------------------------------

    def now(self) -> dt.datetime:
        """Naive UTC now, as ``cr.now()``: PostgreSQL keeps the microseconds in ``write_date``,
        while ``read`` sends whole seconds (so ``write_date = '10:00:00'`` rarely matches)."""
        return self.clock.now().astimezone(dt.UTC).replace(tzinfo=None)

    def create(self, model: str, values: dict[str, Any], *, when: dt.datetime | None = None) -> int:
        table = self.tables.setdefault(model, {})
        new_id = self._next.get(model, 1)
        self._next[model] = new_id + 1
        stamp = when or self.now()
        table[new_id] = {"id": new_id, "create_date": stamp, "write_date": stamp, **values}
        return new_id

    def write(self, model: str, ids: list[int], values: dict[str, Any], *, when: dt.datetime | None = None) -> None:
        """Write values and bump ``write_date``; a move's state cascades to its lines' stamps."""
        stamp = when or self.now()
        for record_id in ids:
            record = self.tables[model][record_id]
            record.update(values)
            record["write_date"] = stamp
            if model == "account.move" and "state" in values:
                # parent_state is a stored related field: its recomputation bumps the lines too.
                for line_id in record["line_ids"]:
                    self.tables["account.move.line"][line_id]["write_date"] = stamp

    def unlink(self, model: str, ids: list[int]) -> None:
        for record_id in ids:
            record = self.tables[model].pop(record_id)
            if model == "account.move":
                for line_id in record["line_ids"]:
                    self.tables["account.move.line"].pop(line_id, None)

    def fields(self, model: str) -> dict[str, FieldDef]:
        if model not in self._fields:
            # account.fiscal.year comes with Enterprise (account_accountant) only.
            wanted = model != "account.fiscal.year" or self.enterprise
            self._fields[model] = fields_for(model, self.version) if wanted else {}
        return self._fields[model]

    def root_company(self, company_id: int) -> int:
        record = self.tables["res.company"][company_id]
        while record.get("parent_id"):
            record = self.tables["res.company"][record["parent_id"]]
        return int(record["id"])

    def children(self, model: str, record_id: int) -> list[int]:
        return [r["id"] for r in self.tables.get(model, {}).values() if r.get("parent_id") == record_id]

    def display_name(self, model: str, record: dict[str, Any], env: Env) -> str:
        if model == "account.account":
            code = self.fields(model)["code"].get(self, record, env)
            return f"{code} {record['name']}" if code else str(record["name"])
        if model == "account.move":
            return str(record.get("name") or "/")
        if model == "res.users":
            return str(record.get("name"))
        if model == "account.move.line":
            move = self.tables["account.move"][record["move_id"]]
            return f"{move.get('name') or '/'} {record.get('name') or ''}".strip()
        return str(record.get("name") or f"{model},{record['id']}")

    def name_of(self, model: str, record_id: int, env: Env) -> str:
        record = self.tables.get(model, {}).get(record_id)
        return self.display_name(model, record, env) if record else ""

    # --- environment and access -----------------------------------------------------------------

    def env_for(self, uid: int, context: dict[str, Any] | None) -> Env:
        context = dict(context or {})
        user = self.users[uid]
        allowed = context.get("allowed_company_ids")
        if allowed:
            if not isinstance(allowed, list) or any(c not in user.company_ids for c in allowed):
                raise OdooAccessError("Access to unauthorized or invalid companies.")
            companies = [int(c) for c in allowed]
        else:
            companies = [user.company_id] + [c for c in user.company_ids if c != user.company_id]
        return Env(uid=uid, companies=companies, company=companies[0], context=context)

    def _check_model(self, model: str, env: Env) -> dict[str, FieldDef]:
        spec = model_spec(model)
        fields = self.fields(model) if spec else {}
        if not spec or not fields:
            raise OdooUserError(f"Object {model} doesn't exist")
        if spec.accounting and not self.users[env.uid].accounting:
            raise OdooAccessError(
                f"You are not allowed to access '{spec.description}' ({model}) records.\n\n"
                "This operation is allowed for the following groups:\n"
                "\t- Accounting/Billing\n\t- Accounting/Read-only\n\n"
                "Contact your administrator to request access if necessary."
            )
        return fields

    def _rule(self, model: str, env: Env) -> Callable[[dict[str, Any]], bool]:
        """The record rule of ``model`` for ``env``, as a predicate (built once per search)."""
        spec = model_spec(model)
        if model == "account.move.line":
            moves = self.tables.get("account.move", {})
            allowed = set(env.companies)
            return lambda record: moves[record["move_id"]]["company_id"] in allowed
        if model == "res.company" or (spec is not None and spec.company_rule is not None):
            return lambda record: self._visible(model, record, env)
        return lambda record: True

    def _visible(self, model: str, record: dict[str, Any], env: Env) -> bool:
        spec = model_spec(model)
        if model == "res.company":
            return record["id"] in self.users[env.uid].company_ids
        if spec is None or spec.company_rule is None:
            return True
        fields = self.fields(model)
        if model == "account.account" and self.version >= 18:
            return bool(set(record["company_ids"]) & set(env.companies))
        company = fields["company_id"].get(self, record, env)
        return company is None or company in env.companies

    # --- searching ------------------------------------------------------------------------------

    def _resolver(self, model: str, env: Env) -> Callable[[str], Any]:
        def resolve(path: str) -> Any:
            current_model = model
            parts = path.split(".")
            chain: list[FieldDef] = []
            for index, part in enumerate(parts):
                fdef = self.fields(current_model).get(part)
                if fdef is None or (not fdef.store and fdef.getter is None):
                    raise OdooValueError(f"Invalid field {current_model}.{part} in leaf {path!r}")
                chain.append(fdef)
                if index < len(parts) - 1:
                    if fdef.type not in ("many2one", "many2many", "one2many") or not fdef.relation:
                        raise OdooValueError(f"Invalid field {current_model}.{part} in leaf {path!r}")
                    current_model = fdef.relation
            only = chain[0] if len(chain) == 1 else None
            if only is not None and only.getter is None and only.type not in ("many2many", "one2many"):
                key = only.name

                def get(record: dict[str, Any]) -> list[Any]:
                    return [record.get(key)]

            elif only is not None and only.type not in ("many2many", "one2many"):
                def get(record: dict[str, Any]) -> list[Any]:
                    assert only is not None
                    return [only.get(self, record, env)]

            else:
                get = self._path_getter(chain, env)  # type: ignore[assignment]

            last = chain[-1]
            relation = last.relation or (current_model if last.name == "id" else None)
            name_of = (lambda rid: self.name_of(relation, rid, env)) if relation else None
            hierarchy = (lambda ids, op: self._hierarchy(relation, ids, op)) if relation else None
            kind = "integer" if last.name == "id" else last.type
            return get, kind, name_of, hierarchy

        return resolve

    def _path_getter(self, chain: list[FieldDef], env: Env) -> Callable[[dict[str, Any]], list[Any]]:
        def get(record: dict[str, Any]) -> list[Any]:
            records = [record]
            for depth, fdef in enumerate(chain):
                values: list[Any] = []
                for rec in records:
                    value = fdef.get(self, rec, env)
                    if fdef.type in ("many2many", "one2many"):
                        values.extend(value)
                    else:
                        values.append(value)
                if depth == len(chain) - 1:
                    return values
                table = self.tables.get(fdef.relation or "", {})
                records = [table[v] for v in values if v is not None and v in table]
            return []  # pragma: no cover

        return get

    def _hierarchy(self, model: str, ids: list[int], op: str) -> set[int]:
        table = self.tables.get(model, {})
        if model not in ("res.company", "res.partner"):
            return set(ids)
        result = set(ids)
        if op == "child_of":
            changed = True
            while changed:
                changed = False
                for record in table.values():
                    if record.get("parent_id") in result and record["id"] not in result:
                        result.add(record["id"])
                        changed = True
        else:
            for record_id in ids:
                found = table.get(record_id)
                while found and found.get("parent_id"):
                    result.add(found["parent_id"])
                    found = table.get(found["parent_id"])
        return result

    def _sort(self, model: str, rows: list[dict[str, Any]], order: str | None, env: Env) -> None:
        """Sort like PostgreSQL: NULLS LAST ascending, NULLS FIRST descending; id last."""
        spec = model_spec(model)
        text = order or (spec.order if spec else "id")
        fields = self.fields(model)
        keys: list[tuple[FieldDef, bool]] = []
        for part in text.split(","):
            words = part.strip().split()
            if not words:
                continue
            name = words[0]
            direction = words[1].lower() if len(words) > 1 else "asc"
            if direction not in ("asc", "desc") or len(words) > 3:
                raise OdooValueError(f"Invalid \"order\" specified ({text}).")
            fdef = fields.get(name)
            if fdef is None:
                # Odoo ignores unknown fields of the *default* order (company_id in 18+).
                if order:
                    raise OdooValueError(f"Invalid field {name!r} on model {model!r}")
                continue
            if not fdef.store and not fdef.company_dependent:
                raise OdooValueError(f"Cannot convert {model}.{name} to SQL because it is not stored")
            keys.append((fdef, direction == "desc"))
        if not any(f.name == "id" for f, _ in keys):
            keys.append((fields["id"], False))
        for sort_field, desc in reversed(keys):
            def key(record: dict[str, Any], field: FieldDef = sort_field) -> tuple[bool, Any]:
                value = _sortable(field.get(self, record, env))
                return (value is None, value if value is not None else 0)

            rows.sort(key=key, reverse=desc)

    def search_records(
        self,
        model: str,
        domain: Any,
        env: Env,
        *,
        offset: int = 0,
        limit: int | None = None,
        order: str | None = None,
    ) -> list[dict[str, Any]]:
        fields = self._check_model(model, env)
        domain = list(domain or [])
        if (
            "active" in fields
            and env.active_test
            and not any(isinstance(t, list | tuple) and len(t) == 3 and t[0] == "active" for t in domain)
        ):
            domain = ["&", *normalize(domain), ["active", "=", True]]
        predicate = compile_domain(parse(domain), self._resolver(model, env))
        visible = self._rule(model, env)
        rows = [r for r in self.tables.get(model, {}).values() if visible(r) and predicate(r)]
        self._sort(model, rows, order, env)
        if offset:
            rows = rows[int(offset):]
        if limit:
            rows = rows[: int(limit)]
        return rows

    def _read_fields(self, model: str, names: list[str] | None, env: Env) -> list[FieldDef]:
        fields = self.fields(model)
        if not names:
            return [f for f in fields.values() if f.name != "id"]
        out = []
        for name in names:
            if name == "id":
                continue
            if name not in fields:
                raise OdooValueError(f"Invalid field {name!r} on model {model!r}")
            out.append(fields[name])
        return out

    def encode(self, fdef: FieldDef, value: Any, env: Env) -> Any:
        """A value as the external API sends it."""
        if fdef.type == "many2one":
            if value is None:
                return False
            return [value, self.name_of(fdef.relation or "", value, env)]
        if fdef.type in ("many2many", "one2many"):
            return list(value or [])
        if value is None:
            return False if fdef.type not in ("integer", "float", "monetary", "boolean", "json") else (
                0 if fdef.type == "integer" else 0.0 if fdef.type in ("float", "monetary") else False
            )
        if isinstance(value, dt.datetime):
            return _fmt_datetime(value)
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, Decimal):
            return float(value)  # Odoo's float/monetary values are Python floats
        return value

    def read_records(self, model: str, rows: list[dict[str, Any]], names: list[str] | None, env: Env) -> list[dict[str, Any]]:
        fdefs = self._read_fields(model, names, env)
        out = []
        for row in rows:
            item: dict[str, Any] = {"id": row["id"]}
            for fdef in fdefs:
                item[fdef.name] = self.encode(fdef, fdef.get(self, row, env), env)
            out.append(item)
        return out

    # --- the public methods ---------------------------------------------------------------------

    def execute(self, uid: int, model: str, method: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        if method.startswith("_"):
            raise OdooAccessError(f"Private methods (such as {model}.{method}) cannot be called remotely.")
        kwargs = dict(kwargs or {})
        context = kwargs.pop("context", None) or {}
        if not isinstance(context, dict):
            raise OdooValueError("context must be a dictionary")
        if model_spec(model) is None or not self.fields(model):
            raise OdooUserError(f"Object {model} doesn't exist")
        if method not in PUBLIC_METHODS:
            raise OdooAttributeError(f"The method '{model}.{method}' does not exist")
        env = self.env_for(uid, context)
        handler = getattr(self, f"_m_{method}")
        try:
            return handler(model, env, *args, **kwargs)
        except TypeError as exc:
            raise OdooValueError(f"{method}() got unexpected arguments: {exc}") from exc

    def _m_search_read(self, model: str, env: Env, domain: Any = None, fields: list[str] | None = None,
                       offset: int = 0, limit: int | None = None, order: str | None = None) -> Any:
        rows = self.search_records(model, domain, env, offset=offset, limit=limit, order=order)
        return self.read_records(model, rows, fields, env)

    def _m_search(self, model: str, env: Env, domain: Any = None, offset: int = 0,
                  limit: int | None = None, order: str | None = None, count: bool = False) -> Any:
        rows = self.search_records(model, domain, env, offset=offset, limit=limit, order=order)
        return len(rows) if count else [r["id"] for r in rows]

    def _m_search_count(self, model: str, env: Env, domain: Any = None, **kwargs: Any) -> int:
        # ``limit`` arrived in 16; before, search_count(args) takes the domain only.
        if set(kwargs) - ({"limit"} if self.version >= 16 else set()):
            raise OdooValueError(f"search_count() got an unexpected keyword argument {sorted(kwargs)[0]!r}")
        return len(self.search_records(model, domain, env, limit=kwargs.get("limit")))

    def _m_read(self, model: str, env: Env, ids: Any = None, fields: list[str] | None = None,
                load: str = "_classic_read") -> Any:
        self._check_model(model, env)
        if isinstance(ids, int):
            ids = [ids]
        table = self.tables.get(model, {})
        rows = []
        for record_id in ids or []:
            row = table.get(record_id)
            if row is None:
                raise OdooMissingError(
                    f"Record does not exist or has been deleted.\n(Record: {model}({record_id},), User: {env.uid})"
                )
            if not self._visible(model, row, env):
                spec = model_spec(model)
                description = spec.description if spec else model
                raise OdooAccessError(
                    f"Due to security restrictions, you are not allowed to access '{description}' "
                    f"({model}) records.\n\nRecords: {model}({record_id},)"
                )
            rows.append(row)
        return self.read_records(model, rows, fields, env)

    def _m_context_get(self, model: str, env: Env) -> Any:
        if model != "res.users":
            raise OdooAttributeError(f"The method '{model}.context_get' does not exist")
        return {"lang": "en_US", "tz": "Europe/Brussels", "uid": env.uid}

    def _m_check_access_rights(self, model: str, env: Env, operation: str = "read", raise_exception: bool = True) -> bool:
        self._check_model(model, env)
        return True

    def _m_name_search(self, model: str, env: Env, name: str = "", args: Any = None, operator: str = "ilike",
                       limit: int = 100) -> Any:
        rows = self.search_records(model, args, env, limit=None)
        out = []
        for row in rows:
            label = self.display_name(model, row, env)
            if not name or name.lower() in label.lower():
                out.append([row["id"], label])
        return out[:limit]

    def _m_fields_get(self, model: str, env: Env, allfields: list[str] | None = None,
                      attributes: list[str] | None = None) -> Any:
        fields = self._check_model(model, env)
        out: dict[str, Any] = {}
        for name, fdef in fields.items():
            if allfields and name not in allfields:
                continue
            desc: dict[str, Any] = {
                "type": fdef.type,
                "string": fdef.string,
                "store": fdef.store,
                "searchable": fdef.store or fdef.getter is not None,
                "sortable": fdef.store,
                "required": fdef.required,
                "readonly": name in ("id", "create_date", "write_date", "display_name"),
                "company_dependent": fdef.company_dependent,
            }
            if fdef.relation:
                desc["relation"] = fdef.relation
            if fdef.selection is not None:
                desc["selection"] = [list(pair) for pair in fdef.selection]
            if attributes:
                desc = {k: v for k, v in desc.items() if k in attributes}
            out[name] = desc
        return out

    def _m_read_group(self, model: str, env: Env, domain: Any = None, fields: list[str] | None = None,
                      groupby: Any = None, offset: int = 0, limit: int | None = None,
                      orderby: str | bool = False, lazy: bool = True) -> Any:
        all_fields = self._check_model(model, env)
        if isinstance(groupby, str):
            groupby = [groupby]
        groupby = list(groupby or [])
        if lazy and groupby:
            groupby_used = groupby[:1]
        else:
            groupby_used = groupby
        aggregates: list[tuple[str, FieldDef, str]] = []
        for spec in fields or []:
            alias, _, func = spec.partition(":")
            name = alias
            if "(" in func:
                func, _, rest = func.partition("(")
                name = rest.rstrip(")")
            fdef = all_fields.get(name)
            if fdef is None:
                raise OdooValueError(f"Invalid field {name!r} on model {model!r}")
            if name in [g.split(":")[0] for g in groupby_used]:
                continue
            if not func:
                if fdef.type not in ("integer", "float", "monetary") or name == "id":
                    continue
                func = "sum"
            if func not in ("sum", "min", "max", "avg", "count", "count_distinct", "bool_and", "bool_or"):
                raise OdooValueError(f"Invalid aggregation function {func!r}.")
            aggregates.append((alias, fdef, func))
        groups_spec: list[tuple[str, FieldDef, str | None]] = []
        for spec in groupby_used:
            name, _, gran = spec.partition(":")
            fdef = all_fields.get(name)
            if fdef is None:
                raise OdooValueError(f"Invalid field {name!r} on model {model!r}")
            if fdef.type in ("date", "datetime"):
                gran = gran or "month"
                if gran not in ("day", "week", "month", "quarter", "year"):
                    raise OdooValueError(f"Invalid date/time grouping {gran!r}")
            groups_spec.append((spec, fdef, gran or None))
        rows = self.search_records(model, domain, env)
        buckets: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        for row in rows:
            key = tuple(_bucket(fdef.get(self, row, env), gran) for _, fdef, gran in groups_spec)
            buckets.setdefault(key, []).append(row)
        result = []
        for key in sorted(buckets, key=lambda k: [_group_sort(self, fdef, v, env) for (_, fdef, _g), v in zip(groups_spec, k, strict=True)]):
            members = buckets[key]
            item: dict[str, Any] = {}
            exprs: list[list[Any]] = []
            ranges: dict[str, Any] = {}
            for (spec, fdef, gran), value in zip(groups_spec, key, strict=True):
                if gran and value is not None:
                    start, end = value
                    item[spec] = _date_label(start, gran)
                    ranges[spec] = {"from": start.isoformat(), "to": end.isoformat()}
                    exprs.append(["&", [fdef.name, ">=", start.isoformat()], [fdef.name, "<", end.isoformat()]])
                else:
                    item[spec] = self.encode(fdef, value, env)
                    exprs.append([[fdef.name, "=", value if value is not None else False]])
            if lazy and groupby:
                item[f"{groupby_used[0].split(':')[0]}_count"] = len(members)
            else:
                item["__count"] = len(members)
            for alias, fdef, func in aggregates:
                values = [fdef.get(self, m, env) for m in members]
                item[alias] = self.encode(fdef, _aggregate(func, values), env)
            if domain:
                exprs.append(normalize(domain))
            item["__domain"] = ["&"] * (len(exprs) - 1) + [t for e in exprs for t in e]
            if ranges and self.version >= 15:  # older versions give the group's __domain only
                item["__range"] = ranges
            if lazy and len(groupby) > 1:
                item["__context"] = {"group_by": groupby[1:]}
            result.append(item)
        if offset:
            result = result[int(offset):]
        if limit:
            result = result[: int(limit)]
        return result


def _sortable(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(value)
    if isinstance(value, bool):
        return int(value)
    return value


def _bucket(value: Any, gran: str | None) -> Any:
    if gran is None or value is None:
        return tuple(value) if isinstance(value, list) else value
    day = value.date() if isinstance(value, dt.datetime) else value
    if gran == "day":
        return day, day + dt.timedelta(days=1)
    if gran == "week":
        start = day - dt.timedelta(days=day.weekday())
        return start, start + dt.timedelta(days=7)
    if gran == "month":
        start = day.replace(day=1)
        end = (start + dt.timedelta(days=32)).replace(day=1)
        return start, end
    if gran == "quarter":
        start = day.replace(month=3 * ((day.month - 1) // 3) + 1, day=1)
        end = (start + dt.timedelta(days=95)).replace(day=1)
        return start, end
    start = day.replace(month=1, day=1)
    return start, start.replace(year=start.year + 1)


def _date_label(start: dt.date, gran: str) -> str:
    if gran == "day":
        return start.strftime("%d %b %Y")
    if gran == "week":
        return f"W{start.isocalendar()[1]} {start.isocalendar()[0]}"
    if gran == "month":
        return f"{calendar.month_name[start.month]} {start.year}"
    if gran == "quarter":
        return f"Q{(start.month - 1) // 3 + 1} {start.year}"
    return str(start.year)


def _group_sort(db: Database, fdef: FieldDef, value: Any, env: Env) -> Any:
    if value is None:
        return (1, "")
    if fdef.type == "many2one":
        return (0, db.name_of(fdef.relation or "", value, env))
    return (0, value)


def _aggregate(func: str, values: list[Any]) -> Any:
    present = [v for v in values if v is not None]
    if func == "count":
        return len(present)
    if func == "count_distinct":
        return len(set(present))
    if not present:
        return None
    if func == "sum":
        total = sum(present, Decimal(0)) if isinstance(present[0], Decimal) else sum(present)
        return total
    if func == "min":
        return min(present)
    if func == "max":
        return max(present)
    if func == "avg":
        return sum(present) / len(present)
    if func == "bool_and":
        return all(present)
    return any(present)
