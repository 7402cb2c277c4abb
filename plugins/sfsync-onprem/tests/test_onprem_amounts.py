"""One plausibility rule for amounts in every reader, and what the sync service does with a bad
file (issue 15, finding 3)."""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import struct
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest
from sfsync.auth import AgentSpec
from sfsync.context import ConnectorContext, Secrets
from sfsync.errors import InvalidSyncReference, MalformedResponse, RetriableError
from sfsync.http.transport import RetryPolicy
from sfsync.models import Company
from sfsync.sandbox.faults import Reply, Truncated
from sfsync_onprem import agent as agent_module
from sfsync_onprem.connector import OnpremFields, onprem
from sfsync_onprem.fixtures import build_winbooks_parfilux
from sfsync_onprem.readers import UnreadableFile, read_export
from sfsync_onprem.readers.base import implausible
from sfsync_onprem.readers.tabular import parse_amount
from sfsync_onprem.readers.winbooks import WinbooksSource
from sfsync_onprem.sandbox import OnpremSandbox, sample_path

HOSTILE = ["1e309", "1E+999999", "1" + "0" * 30, "99999999999999999999.00", "0.0000001", "NaN", "Infinity"]


def _read_all(path: Path) -> None:
    result = read_export(path)
    assert result is not None
    list(result.ledger_lines())


@pytest.mark.parametrize("value", HOSTILE)
def test_xaf_refuses_an_implausible_amount_with_file_line_and_value(tmp_path: Path, value: str) -> None:
    text = sample_path("ExactOnline_V32_2016.xml").read_text(encoding="utf-8")
    path = tmp_path / "audit.xml"
    path.write_text(text.replace("<amnt>15000.00</amnt>", f"<amnt>{value}</amnt>", 1), encoding="utf-8")
    with pytest.raises(UnreadableFile) as caught:
        _read_all(path)
    message = str(caught.value)
    assert "audit.xml line 1:" in message and repr(value) in message


def test_xaf_opening_balance_amount_names_its_file_line(tmp_path: Path) -> None:
    text = sample_path("pyxaf-example-2024_XAF4.0.xaf").read_text(encoding="utf-8")
    path = tmp_path / "open.xaf"
    path.write_text(text.replace("<amnt>10000.00</amnt>", "<amnt>1E+30</amnt>", 1), encoding="utf-8")
    with pytest.raises(UnreadableFile, match=r"open\.xaf opening balance \(file line \d+\): amount '1E\+30'"):
        _read_all(path)


def test_trailing_zeros_are_not_decimals(tmp_path: Path) -> None:
    text = sample_path("ExactOnline_V32_2016.xml").read_text(encoding="utf-8")
    path = tmp_path / "zeros.xml"
    path.write_text(text.replace("<amnt>15000.00</amnt>", "<amnt>15000.000000000</amnt>"), encoding="utf-8")
    result = read_export(path)
    assert result is not None and any(line.debit == Decimal(15000) for line in result.ledger_lines())


@pytest.mark.parametrize("value", ["1e309", "1" + "0" * 25, "0.00000001"])
def test_saft_refuses_an_implausible_amount(tmp_path: Path, value: str) -> None:
    text = sample_path("ExampleFile_SAF-T_Financial_999999999_20161125213512.xml").read_text(encoding="utf-8")
    path = tmp_path / "saft.xml"
    path.write_text(text.replace("<n1:Amount>10000</n1:Amount>", f"<n1:Amount>{value}</n1:Amount>", 1),
                    encoding="utf-8")
    with pytest.raises(UnreadableFile, match=rf"saft\.xml line \d+: amount '{value}'"):
        _read_all(path)


def _ledger_csv(path: Path, amount: str) -> Path:
    path.write_text(
        "Datum;Boekstuk;Rekening;Omschrijving;Debet;Credit\n"
        "2024-03-01;M1;4000;Huur;1000.00;\n"
        f"2024-03-01;M1;1100;Huur;;{amount}\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize("value", ["1e309", "1e30", "1E+05", "1" + "0" * 30, "12,34,56", "1,2345.00", "12.34.56"])
def test_csv_refuses_what_is_not_a_plain_amount(tmp_path: Path, value: str) -> None:
    path = _ledger_csv(tmp_path / "grootboek.csv", value)
    with pytest.raises(UnreadableFile) as caught:
        _read_all(path)
    message = str(caught.value)
    assert message.startswith("grootboek.csv line 3 column credit:") and repr(value) in message


@pytest.mark.parametrize(("raw", "sep", "value"), [
    ("12,345,678.90", ".", "12345678.90"), ("12.345.678,90", ",", "12345678.90"), ("1234567.5", ".", "1234567.5"),
    ("-0,00", ",", "0.00"), (".5", ".", "0.5"),
])
def test_csv_still_reads_what_exports_write(raw: str, sep: str, value: str) -> None:
    parsed = parse_amount(raw, sep)
    assert parsed == Decimal(value) and str(parsed) == value  # and -0,00 is not negative zero


def test_12_34_56_is_not_123456() -> None:
    with pytest.raises(UnreadableFile, match="is not an amount"):
        parse_amount("12,34,56", ".")


def _set_field(dbf: Path, record: int, name: str, text: str) -> None:
    """Overwrite one field of one record in place, as a damaged or hostile table would hold it."""
    data = bytearray(dbf.read_bytes())
    header_length, record_length = struct.unpack("<HH", data[8:12])
    offset, position = 1, 32
    while data[position] != 0x0D:
        field = data[position:position + 11].split(b"\x00")[0].decode()
        length = data[position + 16]
        if field == name:
            start = header_length + record * record_length + offset
            data[start:start + length] = text.rjust(length).encode()
            dbf.write_bytes(bytes(data))
            return
        offset += length
        position += 32
    raise AssertionError(f"no field {name}")


def test_winbooks_refuses_an_implausible_amount(tmp_path: Path) -> None:
    folder = tmp_path / "PARFILUX"
    build_winbooks_parfilux(folder, sample_path("PARFILUX_Balance_periodique_generale.csv"))
    _set_field(folder / "PARFILUX_ACT.DBF", 0, "AMOUNTEUR", "1E+30")
    with pytest.raises(UnreadableFile, match=r"PARFILUX: ACT record 1 field AMOUNTEUR: amount '1E\+30' is out of range"):
        WinbooksSource(folder).summarize()


def test_the_rule() -> None:
    assert implausible(Decimal("999999999999999999.999999")) is None
    assert implausible(Decimal("1E+18")) is not None
    assert implausible(Decimal("-1E+18")) is not None
    assert implausible(Decimal("0.1234567")) is not None
    assert implausible(Decimal("0.1234567"), rounds_to_cents=True) is None
    assert implausible(Decimal(0)) is None and implausible(Decimal("0E-30")) is None


# --- through the sync service --------------------------------------------------------------------


def _agent_ctx(sandbox: OnpremSandbox) -> ConnectorContext:
    return ConnectorContext(
        connector="onprem", connection_id="c1", auth_spec=AgentSpec(fields=OnpremFields),
        config=sandbox.connection_config(), secrets=Secrets({"token": sandbox.token}),
        transports=sandbox.transports(), retry=RetryPolicy(attempts=5, wait_initial=0.01, wait_max=0.02),
    )


def _sync_ledger(ctx: ConnectorContext, ref: str) -> None:
    async def go() -> None:
        async for _batch in onprem.sfsync_fetch_ledger(ctx=ctx, company=Company(ref=ref), since=None, cursor=None):
            pass

    asyncio.run(go())


def test_an_unreadable_file_is_the_files_fault_at_once() -> None:
    sandbox = OnpremSandbox()
    path = sandbox.root / "TORO-ROSSO" / "ExactOnline_V32_2016.xml"
    path.write_text(path.read_text(encoding="utf-8").replace("<amnt>15000.00</amnt>", "<amnt>1e309</amnt>", 1),
                    encoding="utf-8")
    ctx = _agent_ctx(sandbox)
    with pytest.raises(MalformedResponse) as caught:
        _sync_ledger(ctx, "TORO-ROSSO")
    assert not isinstance(caught.value, RetriableError)
    assert "ExactOnline_V32_2016.xml line 1: amount '1e309'" in str(caught.value)
    assert "the file is at fault" in str(caught.value)
    assert ctx.stats.requests <= 3  # sources, then the ledger once: no retries


def test_an_arithmetic_error_of_a_reader_is_a_client_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Defence in depth: a value no reader check caught is still the file's fault (422), not an
    outage of the sync service (500) to be retried for minutes."""
    assert agent_module.error_of(InvalidOperation("[<class 'decimal.InvalidOperation'>]")).status == 422
    assert agent_module.error_of(RuntimeError("bug")).status == 500


def test_a_ledger_stream_cut_short_is_a_fault_to_resume_from() -> None:
    sandbox = OnpremSandbox()
    ctx = _agent_ctx(sandbox)
    cut = Truncated(fraction=0.6, path_contains="/ledger")
    with sandbox.faults.injected(cut), pytest.raises(RetriableError, match="cut short or is not JSON"):
        _sync_ledger(ctx, "TORO-ROSSO")


def test_a_dropped_connection_is_retried() -> None:
    sandbox = OnpremSandbox()
    ctx = _agent_ctx(sandbox)
    with sandbox.faults.injected(Truncated(fraction=0.6, path_contains="/ledger", cut_connection=True)) as faults:
        _sync_ledger(ctx, "TORO-ROSSO")
    assert faults[0].times == 0  # it was served, and the retry read the whole stream


def test_a_ledger_stream_that_is_not_json_is_a_fault_to_resume_from() -> None:
    sandbox = OnpremSandbox()
    ctx = _agent_ctx(sandbox)
    page = Reply(status=200, body=b"<html>proxy</html>\n", path_contains="/ledger")
    with sandbox.faults.injected(page), pytest.raises(RetriableError, match="cut short or is not JSON"):
        _sync_ledger(ctx, "TORO-ROSSO")


def test_dates_unaffected(tmp_path: Path) -> None:
    """The plain sample still reads whole (the rule refuses nothing a real export writes)."""
    target = tmp_path / "a.xaf"
    shutil.copyfile(sample_path("pyxaf-example-2024_XAF4.0.xaf"), target)
    result = read_export(target)
    assert result is not None and all(line.date >= dt.date(2000, 1, 1) for line in result.ledger_lines())


# --- the low findings: a DOCTYPE anywhere, folder names in bytes ------------------------------------


def test_a_doctype_after_a_long_comment_is_refused(tmp_path: Path) -> None:
    text = sample_path("pyxaf-example-2024_XAF4.0.xaf").read_text(encoding="utf-8")
    declaration, _, rest = text.partition("?>")
    padding = "<!--" + "x" * 200_000 + "-->"  # past the first 64 KB the old guard looked at
    hostile = f'{declaration}?>\n{padding}\n<!DOCTYPE auditfile [<!ENTITY a "aaaaaaaaaa">]>{rest}'
    path = tmp_path / "late.xaf"
    path.write_text(hostile, encoding="utf-8")
    with pytest.raises(UnreadableFile, match="declares a DOCTYPE"):
        _read_all(path)


def test_a_folder_name_over_255_bytes_is_refused_not_a_500() -> None:
    sandbox = OnpremSandbox()
    ctx = _agent_ctx(sandbox)
    name = "é" * 200  # 200 characters, 400 bytes
    with pytest.raises(InvalidSyncReference, match="at most 255 bytes"):
        asyncio.run(onprem.sfsync_fetch_fiscal_years(ctx=ctx, company=Company(ref=name)))


@pytest.mark.parametrize("name", ["é" * 200, "x" * 300])
def test_the_agent_answers_a_too_long_folder_name_with_400(name: str) -> None:
    sandbox = OnpremSandbox()
    service = agent_module.AgentService(sandbox.root)
    with pytest.raises(InvalidSyncReference, match="too long"):
        service.dispatch(f"/v1/companies/{name}/fiscal-years", {})
    assert agent_module.error_of(InvalidSyncReference("x")).status == 400
