"""Xero's official OpenAPI descriptions (v16.1.0, MIT, copied in ``spec/``) as a checker for what
the sandbox serves and what it is sent.

Requests: the operation exists, every query parameter is declared and valid for its schema, the
required ``xero-tenant-id`` header is there, ``If-Modified-Since`` is a date-time. Responses: the
JSON body validates against the operation's schema (openapi-schema-validator, OAS 3.0 read
semantics), and, stricter than the spec's open objects, carries no property the schema does not
declare and only ``/Date(ms)/`` stamps where the spec marks ``x-is-msdate``.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

SPEC_DIR = Path(__file__).parent / "spec"
ACCOUNTING_PREFIX = "/api.xro/2.0"
ENVELOPE = frozenset({"Id", "Status", "ProviderName", "DateTimeUTC"})
_MSDATE = re.compile(r"^/Date\(-?\d+([+-]\d{4})?\)/$")
# Xero's recorded /connections answers send createdDateUtc/updatedDateUtc without an offset
# ("2026-04-20T11:47:10.3365440"), which the spec's date-time format does not allow: the sandbox
# follows Xero's wire, and this one deviation is accepted (shared/reference providers/xero.md 1.5).
_IDENTITY_STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}$")
KNOWN_DEVIATIONS = frozenset({"createdDateUtc", "updatedDateUtc"})


@functools.cache
def load(name: str) -> dict[str, Any]:
    import yaml  # type: ignore[import-untyped]

    with (SPEC_DIR / name).open("rb") as handle:
        loaded: dict[str, Any] = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return loaded


class SpecChecker:
    """Checks requests and responses against ``xero_accounting.yaml`` and ``xero-identity.yaml``."""

    def __init__(self) -> None:
        self.accounting = load("xero_accounting.yaml")
        self.identity = load("xero-identity.yaml")

    # --- finding the operation -----------------------------------------------------------------

    def operation(self, method: str, path: str) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]] | None:
        """(spec, operation, parameters) for a request path, or ``None`` when the spec has none."""
        if path.startswith(ACCOUNTING_PREFIX + "/"):
            spec, rest, fold = self.accounting, path[len(ACCOUNTING_PREFIX):], False
        else:
            # Xero serves /connections; the identity spec spells it /Connections.
            spec, rest, fold = self.identity, path, True
        # Literal paths first: /Reports/TrialBalance before /Reports/{ReportID}.
        for template, item in sorted(spec["paths"].items(), key=lambda kv: kv[0].count("{")):
            pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
            if re.match(pattern, rest, re.IGNORECASE if fold else 0):
                operation = item.get(method.lower())
                if operation is None:
                    return None
                params = [self.resolve(spec, p) for p in item.get("parameters", [])]
                params += [self.resolve(spec, p) for p in operation.get("parameters", [])]
                return spec, operation, params
        return None

    @staticmethod
    def resolve(spec: dict[str, Any], node: Any) -> Any:
        while isinstance(node, dict) and "$ref" in node:
            target: Any = spec
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            node = target
        return node

    # --- requests ------------------------------------------------------------------------------

    def check_request(self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str]) -> list[str]:
        found = self.operation(method, path)
        if found is None:
            return [f"{method} {path}: no such operation in Xero's spec"]
        spec, _operation, params = found
        problems = []
        declared = {p["name"]: p for p in params if p.get("in") == "query"}
        for name, values in query.items():
            param = declared.get(name)
            if param is None:
                problems.append(f"{method} {path}: query parameter {name!r} is not in Xero's spec")
                continue
            for value in values:
                problems += [f"{method} {path}: {name}={value!r}: {p}" for p in self._check_value(spec, param, value)]
        for param in params:
            if param.get("in") != "header":
                continue
            header = headers.get(param["name"].lower())
            if header is None:
                if param.get("required"):
                    problems.append(f"{method} {path}: required header {param['name']} missing")
                continue
            problems += [f"{method} {path}: header {param['name']}: {p}" for p in self._check_value(spec, param, header)]
        return problems

    def _check_value(self, spec: dict[str, Any], param: dict[str, Any], raw: str) -> list[str]:
        schema = self.resolve(spec, param.get("schema", {}))
        kind, fmt = schema.get("type"), schema.get("format")
        value: Any = raw
        if kind == "integer":
            if not re.fullmatch(r"-?\d+", raw):
                return [f"{raw!r} is not an integer"]
            value = int(raw)
        elif kind == "boolean":
            if raw not in ("true", "false"):
                return [f"{raw!r} is not a boolean"]
            value = raw == "true"
        elif fmt == "date" and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            return [f"{raw!r} is not a date"]
        return [e.message for e in self._validator(spec, schema).iter_errors(value)]

    # --- responses -----------------------------------------------------------------------------

    def check_response(self, method: str, path: str, status: int, body: Any) -> list[str]:
        found = self.operation(method, path)
        if found is None:
            return [f"{method} {path}: no such operation in Xero's spec"]
        spec, operation, _params = found
        response = operation.get("responses", {}).get(str(status))
        if response is None:
            return [f"{method} {path}: status {status} is not documented"]
        content = response.get("content", {}).get("application/json")
        if content is None:
            return [] if body is None else [f"{method} {path}: {status} has no JSON body in the spec"]
        schema = self.resolve(spec, content["schema"])
        problems = [
            f"{method} {path}: {'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in self._validator(spec, content["schema"]).iter_errors(body)
            if not self._known_deviation(e)
        ]
        problems += [f"{method} {path}: {p}" for p in self._strict(spec, schema, body, "", root=True)]
        return problems

    def check_schema(self, name: str, body: Any) -> list[str]:
        """Validate ``body`` against a component schema of the identity spec (``AccessToken``:
        the token endpoint has no path in Xero's spec, only its response schema)."""
        schema = self.identity["components"]["schemas"][name]
        problems = [f"{name}: {e.message}" for e in self._validator(self.identity, schema).iter_errors(body)]
        strict = self._strict(self.identity, schema, body, "")
        # Xero's token responses carry "scope" (providers/xero.md 1.3), which AccessToken omits.
        return problems + [f"{name}: {p}" for p in strict if "property 'scope'" not in p]

    @staticmethod
    def _known_deviation(error: Any) -> bool:
        field = error.absolute_path[-1] if error.absolute_path else None
        return (
            error.validator == "format"
            and field in KNOWN_DEVIATIONS
            and isinstance(error.instance, str)
            and bool(_IDENTITY_STAMP.match(error.instance))
        )

    @staticmethod
    def _validator(spec: dict[str, Any], schema: dict[str, Any]) -> Any:
        from openapi_schema_validator import OAS30ReadValidator, oas30_format_checker

        return OAS30ReadValidator(
            {"allOf": [schema], "components": spec.get("components", {})},
            format_checker=oas30_format_checker,
        )

    def _strict(self, spec: dict[str, Any], schema: Any, value: Any, where: str, *, root: bool = False) -> list[str]:
        schema = self.resolve(spec, schema)
        problems: list[str] = []
        for part in schema.get("allOf", []):
            problems += self._strict(spec, part, value, where)
        if isinstance(value, dict) and "properties" in schema:
            for key, item in value.items():
                prop = schema["properties"].get(key)
                if prop is None:
                    if not (root and key in ENVELOPE) and not schema.get("additionalProperties"):
                        problems.append(f"{where or '/'}: property {key!r} is not in Xero's spec")
                    continue
                problems += self._strict(spec, prop, item, f"{where}/{key}")
        elif isinstance(value, list) and "items" in schema:
            for index, item in enumerate(value):
                problems += self._strict(spec, schema["items"], item, f"{where}/{index}")
        elif (
            isinstance(value, str)
            and (schema.get("x-is-msdate") or schema.get("x-is-msdate-time"))
            and not _MSDATE.match(value)
        ):
            problems.append(f"{where}: {value!r} is not a /Date(ms)/ stamp")
        return problems
