"""AFAS's published OpenAPI 3 documents, read by path for checking the sandbox (never copied into
the project: their SOURCE.txt leaves the licence unclear). ``SFSYNC_AFAS_SPECS`` points elsewhere;
by default it is ``shared/reference/specs/afas-profit`` beside the repository."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

SPECS = Path(os.environ.get("SFSYNC_AFAS_SPECS") or Path(__file__).resolve().parents[3].parent / "shared/reference/specs/afas-profit")
DOCUMENTS = ("Mutaties.json", "Overige.json")


def _nullable(schema: Any) -> Any:
    """The schema with ``null`` allowed wherever a type is given: AFAS writes an empty field as
    ``null`` (get-connector.md's sample: ``"AddressAdd": null``) though its schemas do not say
    ``nullable``. Every other rule stays (types, no undeclared field)."""
    if isinstance(schema, dict):
        out = {k: _nullable(v) for k, v in schema.items() if k not in ("example", "examples")}
        if isinstance(out.get("type"), str) and out["type"] not in ("object", "array"):
            out["type"] = [out["type"], "null"]
        if out.get("type") == "object" and "properties" in out:
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [_nullable(v) for v in schema]
    return schema


class SpecChecker:
    """Checks the sandbox's 200 answers and queries against AFAS's OpenAPI documents."""

    def __init__(self, folder: Path) -> None:
        import jsonschema

        self.jsonschema = jsonschema
        self.routes: list[tuple[re.Pattern[str], dict[str, Any]]] = []
        for name in DOCUMENTS:
            document = json.loads((folder / name).read_text())
            for template, operations in document["paths"].items():
                get = operations.get("get")
                if isinstance(get, dict):
                    pattern = re.compile("^/ProfitRestServices" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$", re.IGNORECASE)
                    self.routes.append((pattern, get))
        self.violations: list[str] = []
        self.checked: dict[str, int] = {}

    def _operation(self, path: str) -> dict[str, Any] | None:
        # A literal path (/connectors/Profit_Accounts) wins over a template (/connectors/{Endpoint}).
        matches = sorted((p for p in self.routes if p[0].match(path)), key=lambda m: m[0].pattern.count("[^/]+"))
        return matches[0][1] if matches else None

    def __call__(self, path: str, query: dict[str, str], status: int, body: bytes) -> None:
        """An observer for :attr:`AfasSandbox.observers`."""
        operation = self._operation(path)
        if operation is None:
            self.violations.append(f"{path}: no operation in the OpenAPI documents")
            return
        declared = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
        # filterjson is documented on get-connector.md, not in the OpenAPI parameters.
        for name in query:
            if name not in declared and name != "filterjson":
                self.violations.append(f"{path}: query parameter {name!r} is not declared")
        schema = operation["responses"][str(status)]["content"]["application/json"]["schema"]
        self.checked[path] = self.checked.get(path, 0) + 1
        validator = self.jsonschema.Draft7Validator(_nullable(schema))
        for error in validator.iter_errors(json.loads(body)):
            self.violations.append(f"{path}: {error.message} at {list(error.absolute_path)}")


@pytest.fixture(scope="session")
def spec_checker_factory():  # type: ignore[no-untyped-def]
    if not (SPECS / "Mutaties.json").exists():
        pytest.skip(f"AFAS's OpenAPI documents are not at {SPECS} (set SFSYNC_AFAS_SPECS)")
    pytest.importorskip("jsonschema")
    return lambda: SpecChecker(SPECS)
