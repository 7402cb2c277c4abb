"""The fault vocabulary of sfsync.sandbox: each kind as a client sees it, in-process and served."""

from __future__ import annotations

import asyncio
import email.utils
from typing import Any

import httpx
import pytest
from sfsync.clock import FakeClock
from sfsync.context import RoutingTransport
from sfsync.echo import EchoSandbox
from sfsync.echo.sandbox import API_KEY, BASE_URL
from sfsync.sandbox import (
    FAULT_KINDS,
    HtmlPage,
    RateLimited,
    Reply,
    RevokedConsent,
    ServerError,
    Timeout,
    TokenExpiry,
    Truncated,
    WrongTypes,
    parse_fault,
)


def _get(sandbox: EchoSandbox, path: str, *, timeout: float = 20.0, key: str = API_KEY) -> httpx.Response:
    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=RoutingTransport(sandbox.transports()), timeout=timeout) as client:
            return await client.get(BASE_URL + path, headers={"X-Api-Key": key})

    return asyncio.run(go())


@pytest.fixture
def sandbox() -> EchoSandbox:
    return EchoSandbox(clock=FakeClock(), lines_per_company=30)


def test_rate_limited_sends_retry_after_in_seconds_or_as_a_date(sandbox: EchoSandbox) -> None:
    sandbox.faults.inject(RateLimited(retry_after=7, headers={"X-Rate-Limit-Problem": "minute"}, body=b"{}"))
    first = _get(sandbox, "/companies")
    assert first.status_code == 429 and first.headers["Retry-After"] == "7"
    assert first.headers["X-Rate-Limit-Problem"] == "minute" and first.content == b"{}"
    assert _get(sandbox, "/companies").status_code == 200, "a fault given once is spent"

    sandbox.faults.inject(RateLimited(retry_after=60, http_date=True))
    dated = _get(sandbox, "/companies").headers["Retry-After"]
    moment = email.utils.parsedate_to_datetime(dated)
    assert (moment - sandbox.clock.now()).total_seconds() == pytest.approx(60, abs=1)


def test_server_error_times_path_method_and_after(sandbox: EchoSandbox) -> None:
    sandbox.faults.inject(ServerError(status=503, times=2, path_contains="/lines", after=1))
    assert _get(sandbox, "/companies").status_code == 200, "another path is untouched"
    statuses = [_get(sandbox, "/companies/C1/lines").status_code for _ in range(4)]
    assert statuses == [200, 503, 503, 200]
    sandbox.faults.inject(ServerError(method="POST"))
    assert _get(sandbox, "/companies").status_code == 200, "a POST-only fault leaves a GET alone"


def test_timeout_in_process_costs_the_clients_timeout_on_the_sandbox_clock(sandbox: EchoSandbox) -> None:
    sandbox.faults.inject(Timeout(times=2))
    clock = sandbox.clock
    assert isinstance(clock, FakeClock)
    with pytest.raises(httpx.ReadTimeout):
        _get(sandbox, "/companies", timeout=12.5)
    assert clock.slept == [12.5]
    with pytest.raises(httpx.ReadTimeout):
        _get(sandbox, "/companies", timeout=3)
    assert _get(sandbox, "/companies").status_code == 200


def test_timeout_served_holds_until_the_client_disconnects_then_504() -> None:
    sandbox = EchoSandbox(lines_per_company=3)
    sent: list[Any] = []

    async def send(message: Any) -> None:
        sent.append(message)

    async def disconnecting() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def never() -> dict[str, Any]:
        await asyncio.sleep(3600)
        raise AssertionError

    scope = {"type": "http", "method": "GET", "path": "/companies", "headers": [(b"x-api-key", API_KEY.encode())]}
    sandbox.faults.inject(Timeout())
    asyncio.run(sandbox.app(scope, disconnecting, send))
    assert sent == [], "a client that gave up gets nothing"
    sandbox.faults.inject(Timeout(seconds=0.05))
    asyncio.run(sandbox.app(scope, never, send))
    assert sent[0]["status"] == 504


def test_truncated_body_arrives_cut_with_a_matching_length(sandbox: EchoSandbox) -> None:
    whole = _get(sandbox, "/companies").content
    sandbox.faults.inject(Truncated(fraction=0.6))
    cut = _get(sandbox, "/companies")
    assert cut.status_code == 200 and cut.content == whole[: int(len(whole) * 0.6)]
    assert cut.headers["content-length"] == str(len(cut.content))
    with pytest.raises(ValueError, match=r"Expecting|Unterminated"):
        cut.json()


def test_truncated_with_cut_connection_fails_the_read(sandbox: EchoSandbox) -> None:
    sandbox.faults.inject(Truncated(fraction=0.3, cut_connection=True))
    with pytest.raises(httpx.RemoteProtocolError):
        _get(sandbox, "/companies")


def test_html_page_with_status_200(sandbox: EchoSandbox) -> None:
    sandbox.faults.inject(HtmlPage())
    page = _get(sandbox, "/companies")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.text.startswith("<!DOCTYPE html>")


def test_wrong_types_spoils_every_figure_or_the_fields_named(sandbox: EchoSandbox) -> None:
    clean = _get(sandbox, "/companies/C1/lines").json()
    sandbox.faults.inject(WrongTypes())
    spoilt = _get(sandbox, "/companies/C1/lines").json()
    assert clean != spoilt
    first_clean, first_spoilt = clean["lines"][0], spoilt["lines"][0]
    assert first_spoilt["amount"] == "n/a" and first_spoilt["date"] == "n/a"
    assert first_spoilt["description"] == first_clean["description"], "text that is no figure stays"

    sandbox.faults.inject(WrongTypes(fields=("amount", "description")))
    named = _get(sandbox, "/companies/C1/lines").json()["lines"][0]
    assert named["amount"] == {"unexpected": first_clean["amount"]}
    assert named["description"] == 12345 and named["date"] == first_clean["date"]


def test_wrong_types_in_xml_edits_text_in_place() -> None:
    body = b'<?xml version="1.0"?><s:Envelope xmlns:s="x"><s:Body><Amount cur="EUR">12.50</Amount><Name>Acme</Name><Date>2025-01-31</Date></s:Body></s:Envelope>'
    headers = [(b"content-type", b"text/xml; charset=utf-8")]
    assert WrongTypes().spoil(headers, body) == body.replace(b"12.50", b"n/a").replace(b"2025-01-31", b"n/a")
    named = WrongTypes(fields=("Amount", "Name")).spoil(headers, body)
    assert named == body.replace(b">12.50<", b">n/a<").replace(b">Acme<", b">-1.5e999<")


class _TokenSandbox(EchoSandbox):
    """Echo with a token store, to see the OAuth faults reach the sandbox's own knobs."""

    def __init__(self) -> None:
        self.expired = 0
        self.revoked = 0
        super().__init__(lines_per_company=3)

    def expire_tokens(self) -> None:
        self.expired += 1

    def revoke(self) -> None:
        self.revoked += 1


def test_token_expiry_and_revocation_use_the_sandboxs_own_knobs() -> None:
    box = _TokenSandbox()
    box.faults.inject(TokenExpiry(after=1))
    assert _get(box, "/companies").status_code == 200 and box.expired == 0
    assert _get(box, "/companies").status_code == 200 and box.expired == 1, "the package answers itself"
    box.faults.inject(RevokedConsent())
    _get(box, "/companies")
    assert box.revoked == 1


def test_token_expiry_without_tokens_answers_401_and_revocation_is_the_sandbox_s_own(sandbox: EchoSandbox) -> None:
    sandbox.faults.inject(TokenExpiry())
    expired = _get(sandbox, "/companies")
    assert expired.status_code == 401 and 'error="invalid_token"' in expired.headers["www-authenticate"]
    assert _get(sandbox, "/companies").status_code == 200
    sandbox.faults.inject(RevokedConsent())
    assert [_get(sandbox, "/companies").status_code for _ in range(3)] == [401, 401, 401], "revoked stays revoked"
    sandbox.faults.clear()
    # Echo revokes for real (its key is regenerated): the old key stays refused, the new one works.
    assert _get(sandbox, "/companies").status_code == 401
    assert _get(sandbox, "/companies", key=sandbox.connection_secrets()["api_key"]).status_code == 200


def test_injected_lasts_for_the_with_block_only(sandbox: EchoSandbox) -> None:
    with sandbox.faults.injected("503:times=always") as (fault,):
        assert [_get(sandbox, "/companies").status_code for _ in range(3)] == [503] * 3
    assert fault not in sandbox.faults.faults
    assert _get(sandbox, "/companies").status_code == 200
    assert len(sandbox.faults.served) == 3


def test_add_keeps_its_old_form(sandbox: EchoSandbox) -> None:
    fault = sandbox.faults.add(401, body={"error": "invalid_api_key"}, path_contains="/companies")
    answer = _get(sandbox, "/companies")
    assert isinstance(fault, Reply) and answer.status_code == 401 and answer.json() == {"error": "invalid_api_key"}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("rate-limit:retry-after=30", RateLimited(retry_after=30.0)),
        ("429", RateLimited()),
        ("503:times=3", ServerError(status=503, times=3)),
        ("server-error:status=502,path=/lines,method=GET", ServerError(status=502, path_contains="/lines", method="GET")),
        ("timeout:times=3,after=2", Timeout(times=3, after=2)),
        ("truncate:fraction=0.6,cut=yes", Truncated(fraction=0.6, cut_connection=True)),
        ("html", HtmlPage()),
        ("wrong-types:fields=Amount+Date", WrongTypes(fields=("Amount", "Date"))),
        ("token-expiry:after=5", TokenExpiry(after=5)),
        ("revoked-consent", RevokedConsent()),
        ("418:body=teapot,headers=X-A=1", Reply(status=418, body=b"teapot", headers={"X-A": "1"})),
    ],
)
def test_parse_fault_reads_the_command_line_form(spec: str, expected: object) -> None:
    assert parse_fault(spec) == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("tiemout", "unknown fault 'tiemout'"),
        ("timeout:tims=3", "'tims=3' is not an option"),
        ("timeout:times=three", "times='three' is not a valid int"),
        ("truncate:cut=maybe", "cut_connection='maybe' is not a valid bool"),
    ],
)
def test_parse_fault_names_what_is_wrong(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_fault(spec)


def test_every_kind_has_a_name_and_parses_bare() -> None:
    assert set(FAULT_KINDS) == {
        "rate-limit", "server-error", "timeout", "truncate", "html", "wrong-types", "token-expiry",
        "revoked-consent", "reply",
    }
    for name, kind in FAULT_KINDS.items():
        assert type(parse_fault(name)) is kind


def test_sandbox_serve_injects_the_faults_it_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    import sfsync.plugins as plugins_module
    from click.testing import CliRunner
    from sfsync.cli import cli
    from sfsync.echo import connector
    from sfsync.plugins import PluginRegistry

    registry = PluginRegistry()
    registry.register(connector, "echo")
    monkeypatch.setattr(plugins_module, "_registry", registry)
    served: list[Any] = []
    monkeypatch.setattr("uvicorn.run", lambda app, **kw: served.append(app))
    result = CliRunner().invoke(cli, ["sandbox", "serve", "echo", "--fault", "503:times=2"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "fault injected: 503:times=2" in result.output

    async def call() -> list[Any]:
        sent: list[Any] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b""}

        async def send(message: Any) -> None:
            sent.append(message)

        scope = {"type": "http", "method": "GET", "path": "/companies", "headers": [(b"host", b"api.echo.sandbox")]}
        await served[0](scope, receive, send)
        return sent

    assert asyncio.run(call())[0]["status"] == 503

    bad = CliRunner().invoke(cli, ["sandbox", "serve", "echo", "--fault", "nonsense"])
    assert bad.exit_code != 0 and "unknown fault 'nonsense'" in bad.output


def test_a_sync_rides_out_three_timeouts_and_counts_the_retries(env: Any) -> None:
    env.sandbox.faults.clock = FakeClock()  # the client's 60 s timeout, three times, in no time
    fault = env.sandbox.faults.inject(Timeout(times=3, path_contains="/lines", after=1))
    dossier = env.dossier("d-timeouts")
    run = env.sync(dossier)
    assert run.status == "ok", run.error
    assert fault.times == 0 and env.sandbox.faults.clock.slept == [60.0, 60.0, 60.0]
    assert len(env.lines(dossier)) == len(env.sandbox.companies["C1"].lines), "nothing lost to the timeouts"


def test_a_timeout_on_a_real_clock_costs_no_real_time() -> None:
    import time

    from sfsync.clock import Clock

    sandbox = EchoSandbox(clock=Clock(), lines_per_company=3)
    sandbox.faults.inject(Timeout())
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        _get(sandbox, "/companies", timeout=30)
    assert time.monotonic() - started < 5
