"""Every answer the sandbox serves in a sync, held against e-conomic's own reference pages.

The pages (a 2019 snapshot of e-conomic's REST reference, ``shared/reference/specs/e-conomic/``)
are read by path at test time and never copied: their licence is unclear (SOURCE.txt). Each
endpoint's "Properties" table gives every property's dotted name, JSON type and enum values; a
served item may hold only documented properties, each of its documented type, enum values among
the documented ones, and no ``false`` boolean (e-conomic leaves them out). The JSON Schemas the
pages name (draft-03, restapi.e-conomic.com/schema/…) are not published anywhere we can read.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sfsync.clock import FakeClock
from sfsync.models import Granularity
from sfsync.testing.harness import ContractHarness
from sfsync_economic.sandbox import EconomicSandbox

SPECS = Path(__file__).resolve().parents[3] / "shared" / "reference" / "specs" / "e-conomic"
if not SPECS.is_dir():  # the workspace checkout sits beside shared/ (or one level deeper)
    SPECS = Path(__file__).resolve().parents[4] / "shared" / "reference" / "specs" / "e-conomic"
START = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)
TYPES = {"integer": (int,), "number": (int, Decimal), "string": (str,), "boolean": (bool,), "object": (dict,),
         "array": (list,), "enum": (str,)}

pytestmark = pytest.mark.skipif(not SPECS.is_dir(), reason="the e-conomic reference pages are not beside the checkout")


def _endpoint_tables() -> dict[str, dict[str, tuple[str, tuple[str, ...]]]]:
    """GET path pattern -> {dotted property: (type, enum values)} from every reference page."""
    tables: dict[str, dict[str, tuple[str, tuple[str, ...]]]] = {}
    for page in sorted(SPECS.glob("_*.md")):
        text = page.read_text(encoding="utf-8")
        for match in re.finditer(r"^### <span class='get'>GET</span> (\S+)\s*$", text, re.MULTILINE):
            section = text[match.end():]
            following = re.search(r"^### ", section, re.MULTILINE)
            section = section[:following.start()] if following else section
            rows = [line for line in section.splitlines() if line.startswith("|")]
            if len(rows) < 3:
                continue
            header = [c.strip().lower() for c in rows[0].strip("|").split("|")]
            values_at = header.index("values") if "values" in header else None
            props: dict[str, tuple[str, tuple[str, ...]]] = {}
            for row in rows[2:]:
                cells = [c.replace("<wbr>", "").strip() for c in row.strip("|").split("|")]
                if len(cells) < 2 or not cells[0]:
                    continue
                values = tuple(v.strip() for v in cells[values_at].split(",")) if values_at is not None and len(cells) > values_at and cells[values_at] else ()
                props[cells[0]] = (cells[1].lower(), values)
            tables[match.group(1)] = props
    return tables


def _pattern(path: str) -> str:
    path = re.sub(r"^/accounting-years/[^/]+", "/accounting-years/:accountingYear", path)
    return re.sub(r"/periods/\d+", "/periods/:accountingYearPeriod", path)


def _walk(node: Any, prefix: str = "") -> list[tuple[str, Any]]:
    out = []
    for key, value in node.items():
        name = f"{prefix}{key}"
        out.append((name, value))
        if isinstance(value, dict):
            out += _walk(value, f"{name}.")
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    out += _walk(item, f"{name}.")
    return out


def _problems(item: dict[str, Any], props: dict[str, tuple[str, tuple[str, ...]]], where: str) -> list[str]:
    found = []
    for name, value in _walk(item):
        if name not in props:
            found.append(f"{where}: {name} is not documented")
            continue
        kind, values = props[name]
        if value is False:
            found.append(f"{where}: {name} is false (e-conomic leaves false booleans out)")
        if not isinstance(value, TYPES.get(kind, (object,))) or (kind in ("integer", "number") and isinstance(value, bool)):
            found.append(f"{where}: {name} is {type(value).__name__}, documented {kind}")
        if values and value not in values:
            found.append(f"{where}: {name}={value!r} is none of {values}")
    return found


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> list[tuple[str, int, bytes]]:
    sandbox = EconomicSandbox(clock=FakeClock(START), keep_bodies=True)
    harness = ContractHarness.create("economic", tmp_path_factory.mktemp("spec"), sandbox=sandbox)
    try:
        for ref in sandbox.all_company_refs():  # the importer's USD lines and the 15-month year too
            sandbox.pick_company(ref)
            for granularity in (Granularity.TRANSACTIONS, Granularity.TRIAL_BALANCE):
                dossier = harness.new_dossier(company_ref=ref, granularity=granularity)
                assert harness.sync(dossier).status == "ok"
            sandbox.add_entry(ref)
            sandbox.edit_line(ref)
            sandbox.delete_entry(ref)
            assert harness.sync(dossier).status == "ok"
    finally:
        harness.close()
    return sandbox.served


def test_every_served_answer_holds_only_documented_properties_of_their_documented_types(served):
    tables = _endpoint_tables()
    assert "/accounting-years/:accountingYear/periods/:accountingYearPeriod/entries" in tables
    paths = {_pattern(path) for path, _, _ in served}
    assert {"/self", "/accounts", "/accounting-years", "/accounting-years/:accountingYear/totals",
            "/accounting-years/:accountingYear/periods/:accountingYearPeriod/totals"} <= paths
    problems = []
    for path, status, body in served:
        assert status == 200, f"{path} answered {status}"
        document = json.loads(body, parse_float=Decimal)
        props = tables[_pattern(path)]
        if "collection" in document:
            assert set(document) <= {"collection", "pagination", "self"}, path
            items = document["collection"]
        else:
            items = [document]
        for item in items:
            problems += _problems(item, props, path)
    assert not problems, f"{len(problems)} departures from the reference, e.g. {sorted(set(problems))[:8]}"


def test_the_check_refuses_an_undocumented_property_a_wrong_type_and_a_false_boolean():
    props = _endpoint_tables()["/accounting-years"]
    good = {"year": "2026", "fromDate": "2026-01-01", "toDate": "2026-12-31", "closed": True, "self": "x"}
    assert _problems(good, props, "t") == []
    assert _problems({**good, "closedOn": "2026-12-31"}, props, "t")
    assert _problems({**good, "year": 2026}, props, "t")
    assert _problems({**good, "closed": False}, props, "t")
    entry_props = _endpoint_tables()["/accounting-years/:accountingYear/entries"]
    assert _problems({"entryType": "journalEntry"}, entry_props, "t")
