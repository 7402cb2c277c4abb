"""The batch path (records validated a batch at a time as ``LedgerColumns``) gives exactly the
lines the per-line path gave (one ``LedgerLine`` per record), and bad data still fails clearly."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from sfsync.auth import AgentSpec
from sfsync.context import ConnectorContext, Secrets
from sfsync.models import Company, LedgerBatch, LedgerLine
from sfsync_onprem import connector as connector_module
from sfsync_onprem.agent import AgentService
from sfsync_onprem.connector import OnpremFields, onprem
from sfsync_onprem.readers import UnreadableFile, source_for
from sfsync_onprem.readers.base import Source
from sfsync_onprem.sandbox import OnpremSandbox, sample_path


def _one_by_one(source: Source, summary: Any) -> list[LedgerLine]:
    """The old mapping: one validated model per record (signed amounts through from_signed)."""
    return [LedgerLine.from_signed(**r) if "amount" in r else LedgerLine(**r) for r in source.line_records(summary)]


def _sources(root: Path) -> dict[str, Source]:
    out: dict[str, Source] = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        try:
            source = source_for(path)
        except UnreadableFile:
            continue
        if source is not None:
            out.setdefault(f"{path.parent.name}/{type(source).__name__}:{source.name}", source)
    return out


def _ledger_csv(path: Path) -> Path:
    rows = ["Datum,Boekstuk,Rekening,Omschrijving,Debet,Credit,Periode"]
    for i in range(1, 1300):  # more than one batch
        day = f"2024-{i % 12 + 1:02d}-{i % 28 + 1:02d}" if i % 2 else f"{i % 28 + 1:02d}/{i % 12 + 1:02d}/2024"
        rows += [f"{day},M{i},6100, Huur {i} ,{i}.{i % 100:02d},,{i % 12 + 1}",
                 f"{day},M{i},4400,Huur,,{i}.{i % 100:02d},",
                 f"{day},M{i},5500,terug,-7.10,,x", f"{day},M{i},5501,terug,,-7.10,"]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_onprem_batches_equal_the_per_line_models_for_the_seeded_data(tmp_path: Path) -> None:
    sandbox = OnpremSandbox()
    sources = _sources(sandbox.root)
    sources["tabular"] = source_for(_ledger_csv(tmp_path / "grootboek.csv"))  # type: ignore[assignment]
    kinds = set()
    for key, source in sources.items():
        summary = source.summarize()
        expected = _one_by_one(source, summary)
        batches = list(source.batches(summary))
        got = [line for batch in batches for line in batch]
        assert len(got) == len(expected) == summary.line_count, key
        for old, new in zip(expected, got, strict=True):
            for name in LedgerLine.model_fields:  # field by field, Decimal exponent included
                assert repr(getattr(new, name)) == repr(getattr(old, name)), (key, old.id, name)
        assert list(source.lines(summary)) == expected, key
        assert list(source.records(summary)) == [
            line.model_dump(exclude_none=True, exclude={"modified"}) for line in expected
        ] or type(source).__name__ == "XafSource", key  # XAF sends its raw values (checked below)
        if expected:
            kinds.add(type(source).__name__)
    assert kinds == {"XafSource", "SaftSource", "WinbooksSource", "TabularSource"}
    # the CSV's negative amounts are booked on the other side, as from_signed does
    lines = list(sources["tabular"].lines(sources["tabular"].summarize()))
    assert (lines[2].debit, lines[2].credit, lines[3].debit, lines[3].credit) == (
        Decimal(0), Decimal("7.10"), Decimal("7.10"), Decimal(0))
    assert lines[0].description == "Huur 1" and lines[0].period == 2 and lines[2].period is None


def test_onprem_xaf_raw_records_validate_to_the_same_lines() -> None:
    source = source_for(sample_path("ExactOnline_V32_2016.xml"))
    assert source is not None
    summary = source.summarize()
    raw = list(source.records(summary))
    assert [LedgerLine.model_validate(r) for r in raw] == list(source.lines(summary))
    assert len(raw) == 167


def _ctx(sandbox: OnpremSandbox, *, local: bool) -> ConnectorContext:
    config = {"root": str(sandbox.root)} if local else sandbox.connection_config()
    return ConnectorContext(
        connector="onprem", connection_id="c1", auth_spec=AgentSpec(fields=OnpremFields), config=config,
        secrets=Secrets({} if local else {"token": sandbox.token}), transports=sandbox.transports(),
    )


def _fetch(ctx: ConnectorContext, ref: str) -> list[LedgerBatch]:
    async def go() -> list[LedgerBatch]:
        return [b async for b in onprem.sfsync_fetch_ledger(ctx=ctx, company=Company(ref=ref), since=None,
                                                            cursor=None)]

    return asyncio.run(go())


@pytest.mark.parametrize("local", [False, True])
def test_onprem_connector_batches_equal_the_wire_lines_validated_one_by_one(
    monkeypatch: pytest.MonkeyPatch, local: bool
) -> None:
    monkeypatch.setattr(connector_module, "BATCH", 40)
    sandbox = OnpremSandbox()
    service = AgentService(sandbox.root)
    for ref in ("TORO-ROSSO", "SELSKAPET-AS", "PARFILUX", "DEMOBV"):
        expected = []
        for source in service.sources(ref):
            if source["kind"] == "ledger":
                for item in service.ledger(ref, source["name"]):
                    if "l" in item:  # what the wire carries, read back as the connector reads it
                        wire = json.loads(json.dumps(item["l"], default=str), parse_float=Decimal)
                        expected.append(LedgerLine.model_validate(wire))
        batches = _fetch(_ctx(sandbox, local=local), ref)
        got = [line for batch in batches for line in batch.lines]
        assert got == expected and len(got) > 0, ref
        assert all(len(b.lines) <= 40 for b in batches)


def test_onprem_malformed_wire_line_names_the_field_and_value(monkeypatch: pytest.MonkeyPatch) -> None:
    real = connector_module.ledger_items

    def corrupt(service: AgentService, ref: str, query: dict[str, str]) -> AsyncIterator[dict[str, Any]]:
        async def gen() -> AsyncIterator[dict[str, Any]]:
            n = 0
            async for item in real(service, ref, query):
                if "l" in item:
                    n += 1
                    if n == 3:
                        item = {"l": {**item["l"], "debit": "12,50"}}
                yield item

        return gen()

    monkeypatch.setattr(connector_module, "ledger_items", corrupt)
    sandbox = OnpremSandbox()  # held: its folder goes with it
    with pytest.raises(ValidationError, match=r"debit[\s\S]*12,50"):
        _fetch(_ctx(sandbox, local=True), "TORO-ROSSO")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("<amnt>15000.00</amnt>", "<amnt>15.000,00</amnt>", r"ExactOnline_V32_2016\.xml line 1: amount '15\.000,00'"),
        ("<accID>0300</accID>\n                        <docRef />", "<docRef />",
         r"ExactOnline_V32_2016\.xml line 1: line without an account"),
    ],
)
def test_onprem_malformed_xaf_line_is_a_clear_error_on_both_paths(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    text = sample_path("ExactOnline_V32_2016.xml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "ExactOnline_V32_2016.xml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    source = source_for(path)
    assert source is not None
    with pytest.raises(UnreadableFile, match=message):
        source.summarize()
    summary = source_for(sample_path("ExactOnline_V32_2016.xml")).summarize()  # type: ignore[union-attr]
    with pytest.raises(UnreadableFile, match=message):
        list(source.batches(summary))
    with pytest.raises(UnreadableFile, match=message):
        list(source.lines(summary))
