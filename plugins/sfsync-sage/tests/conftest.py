"""Sage's published swagger, read by path for checking the sandbox (never copied into the project:
its SOURCE.txt leaves the licence unclear). ``SFSYNC_SAGE_SPECS`` points elsewhere; by default it
is ``shared/reference/specs/sage-accounting`` beside the repository."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

SPECS = Path(os.environ.get("SFSYNC_SAGE_SPECS") or Path(__file__).resolve().parents[3].parent / "shared/reference/specs/sage-accounting")
ENVELOPE = {"$total", "$page", "$next", "$back", "$items_per_page", "$items"}


class SpecChecker:
    """Checks answers and queries of the sandbox against the two swagger documents."""

    def __init__(self, folder: Path) -> None:
        import jsonschema

        self.jsonschema = jsonschema
        self.folder = folder
        self.routes: list[tuple[re.Pattern[str], dict[str, Any], dict[str, Any]]] = []
        for name in ("swagger-accounts-v3.1.json", "swagger-core-user-businesses-v3.1.json"):
            document = json.loads((folder / name).read_text())
            for template, operations in document["paths"].items():
                get = operations.get("get") if isinstance(operations, dict) else None
                if isinstance(get, dict):
                    pattern = re.compile("^/v3.1" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$")
                    self.routes.append((pattern, get, document["definitions"]))
        self.violations: list[str] = []
        self.checked: dict[str, int] = {}

    def _operation(self, path: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
        # A literal path (/businesses/lead) wins over a template, as a router would choose.
        matches = [(p, op, defs) for p, op, defs in self.routes if p.match(path)]
        matches.sort(key=lambda m: m[0].pattern.count("[^/]+"))
        return (matches[0][1], matches[0][2]) if matches else None

    def _undeclared(self, value: Any, schema: dict[str, Any], definitions: dict[str, Any], where: str) -> None:
        """Keys the sandbox serves that the schema does not declare (an invented field)."""
        while "$ref" in schema:
            schema = definitions[schema["$ref"].rsplit("/", 1)[-1]]
        if isinstance(value, dict) and "properties" in schema:
            for key, item in value.items():
                if key == "$path" and "id" in schema["properties"]:
                    # A base attribute of every item (Sage's best-practices sample shows it on
                    # /businesses), though the User API's Business schema leaves it out.
                    continue
                if key not in schema["properties"]:
                    self.violations.append(f"{where}: {key!r} is not in the schema")
                else:
                    self._undeclared(item, schema["properties"][key], definitions, f"{where}.{key}")
        elif isinstance(value, list) and "items" in schema:
            for index, item in enumerate(value):
                self._undeclared(item, schema["items"], definitions, f"{where}[{index}]")

    def _validate(self, value: Any, schema: dict[str, Any], definitions: dict[str, Any], where: str) -> None:
        validator = self.jsonschema.Draft4Validator(
            {**schema, "definitions": definitions}, format_checker=self.jsonschema.FormatChecker()
        )
        for error in validator.iter_errors(value):
            self.violations.append(f"{where}: {error.message} at {list(error.absolute_path)}")
        self._undeclared(value, schema, definitions, where)

    def __call__(self, path: str, query: dict[str, str], status: int, body: bytes) -> None:
        """An observer for :attr:`SageSandbox.observers`."""
        found = self._operation(path)
        if found is None or status != 200:
            return  # the Reporting API has no published spec; errors are checked by the tests
        operation, definitions = found
        declared = {p["name"]: p for p in operation.get("parameters", []) if p.get("in") == "query"}
        for name, value in query.items():
            parameter = declared.get(name)
            if parameter is None:
                self.violations.append(f"{path}: query parameter {name!r} is not declared")
            elif parameter.get("type") == "integer" and not value.isdigit():
                self.violations.append(f"{path}: {name}={value!r} is not an integer")
            elif "maximum" in parameter and int(value) > parameter["maximum"]:
                self.violations.append(f"{path}: {name}={value} is above {parameter['maximum']}")
        schema = operation["responses"]["200"]["schema"]
        answer = json.loads(body)
        self.checked[path] = self.checked.get(path, 0) + 1
        if schema.get("type") == "array":
            # The swagger declares a bare array; the wire wraps it in the $items envelope.
            if not isinstance(answer, dict) or set(answer) != ENVELOPE:
                self.violations.append(f"{path}: the list is not in the $items envelope: {sorted(answer)[:8]}")
                return
            for index, item in enumerate(answer["$items"]):
                self._validate(item, schema["items"], definitions, f"{path}[{index}]")
        else:
            self._validate(answer, schema, definitions, path)


@pytest.fixture(scope="session")
def spec_checker_factory():  # type: ignore[no-untyped-def]
    if not (SPECS / "swagger-accounts-v3.1.json").exists():
        pytest.skip(f"Sage's swagger is not at {SPECS} (set SFSYNC_SAGE_SPECS)")
    pytest.importorskip("jsonschema")
    return lambda: SpecChecker(SPECS)

