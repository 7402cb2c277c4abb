"""The sync service over HTTPS: `sfsync agent serve --certfile --keyfile`, a pinned self-signed
certificate, and a folder synced through `sfsync link … --reference` (real processes, real TLS)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sfsync_onprem
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sfsync.cli import cli
from sfsync_onprem.commands import agent_group
from sfsync_onprem.tls import certificate_fingerprint, normalise_fingerprint

pytestmark = pytest.mark.slow

SAMPLE = Path(sfsync_onprem.__file__).parent / "sandbox_data" / "auditfile_v3.2_nl_20180101_20181231.xaf"
TOKEN = "tls-test-token-0123456789"


def _self_signed(folder: Path, name: str) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        # A server's certificate as an admin makes one: a leaf, not a CA, for the server's name.
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    certfile, keyfile = folder / f"{name}.pem", folder / f"{name}.key"
    certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return certfile, keyfile


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    base = tmp_path_factory.mktemp("tls")
    root = base / "server"
    (root / "BAKKER").mkdir(parents=True)
    shutil.copy(SAMPLE, root / "BAKKER" / SAMPLE.name)
    # A name that is not the host's: pinning must not depend on it.
    certfile, keyfile = _self_signed(base, "fileserver.dupont.local")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "SFSYNC_LOAD_PLUGINS"}
    log = (base / "agent.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-c", "from sfsync.cli import main; main()", "agent", "serve", "--root", str(root),
         "--token", TOKEN, "--port", str(port), "--certfile", str(certfile), "--keyfile", str(keyfile)],
        stdout=subprocess.PIPE, stderr=log, text=True, env=env,
    )
    try:
        assert process.stdout is not None
        banner = [process.stdout.readline(), process.stdout.readline()]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                ssl.get_server_certificate(("127.0.0.1", port), timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail(f"the agent did not serve HTTPS within 30 s: {banner}")
        yield {"url": f"https://127.0.0.1:{port}", "banner": banner, "certfile": certfile, "log": base / "agent.log",
               "base": base}
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
        log.close()


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.delenv("SFSYNC_SECRET_KEY", raising=False)
    db = str(tmp_path / "cli.sqlite3")

    def invoke(*args: str) -> Any:
        return CliRunner().invoke(cli, ["--db", db, *args], catch_exceptions=False)

    assert invoke("firm", "create", "Dupont", "--admin", "anne@dupont.be").exit_code == 0
    return invoke


def test_the_agent_prints_https_and_the_certificate_fingerprint(agent: dict[str, Any]) -> None:
    first, second = agent["banner"]
    assert first.startswith("sfsync agent: serving") and "https://127.0.0.1:" in first
    assert second.strip() == f"certificate SHA-256 fingerprint: {certificate_fingerprint(agent['certfile'])}"


def test_a_folder_served_over_https_syncs_through_link_reference(agent: dict[str, Any], run: Any) -> None:
    fingerprint = agent["banner"][1].split(":", 1)[1].strip()
    connected = run("connect", "onprem", "--field", f"url={agent['url']}", "--field", f"token={TOKEN}",
                    "--field", f"fingerprint={fingerprint}")
    assert connected.exit_code == 0, connected.output
    linked = run("link", "Bakker", "--connection", "onprem", "--reference", "BAKKER", "--replace")
    assert linked.exit_code == 0, linked.output
    shown = run("show", "Bakker")
    assert "balanced" in shown.output, shown.output
    # The request log names what was asked, never the token.
    logged = agent["log"].read_text()
    assert "GET /v1/companies/BAKKER/ledger -> 200" in logged and TOKEN not in logged


def test_a_certificate_that_is_not_the_pinned_one_is_refused(agent: dict[str, Any], run: Any) -> None:
    other, _ = _self_signed(agent["base"], "impostor.example")
    wrong = certificate_fingerprint(other)
    result = run("connect", "onprem", "--field", f"url={agent['url']}", "--field", f"token={TOKEN}",
                 "--field", f"fingerprint={wrong}")
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "not the pinned one" in result.output and f"expects {wrong[:23]}" in result.output


def test_an_unpinned_self_signed_certificate_is_refused_at_once(agent: dict[str, Any], run: Any) -> None:
    started = time.monotonic()
    result = run("connect", "onprem", "--field", f"url={agent['url']}", "--field", f"token={TOKEN}")
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "certificate was refused" in result.output, result.output
    assert time.monotonic() - started < 10, "a refused certificate is not a transient fault to retry"


def test_a_ca_file_that_signed_the_certificate_is_trusted(agent: dict[str, Any], run: Any) -> None:
    # A self-signed certificate is its own CA: given as the CA file, it is trusted by name. Its
    # name is not 127.0.0.1, so the name check (on with a CA file) refuses it: proof it is made.
    result = run("connect", "onprem", "--field", f"url={agent['url']}", "--field", f"token={TOKEN}",
                 "--field", f"ca_file={agent['certfile']}")
    assert result.exit_code != 0 and "certificate was refused" in result.output
    assert "127.0.0.1" in result.output or "mismatch" in result.output.lower()


def test_fingerprints_are_read_in_every_usual_form() -> None:
    digits = "ab" * 32
    assert normalise_fingerprint(":".join(["AB"] * 32)) == digits == normalise_fingerprint(f" {digits.upper()} ")
    with pytest.raises(Exception, match="64 hex digits"):
        normalise_fingerprint("ab:cd")


def test_serve_warns_about_plain_http_on_the_network(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append(kw))
    loopback = CliRunner().invoke(agent_group, ["serve", "--root", str(tmp_path), "--token", TOKEN])
    assert loopback.exit_code == 0 and "warning" not in loopback.output
    assert calls[-1]["host"] == "127.0.0.1", "loopback unless told otherwise"
    network = CliRunner().invoke(agent_group, ["serve", "--root", str(tmp_path), "--token", TOKEN, "--host", "0.0.0.0"])
    assert network.exit_code == 0 and "plain HTTP on the network" in network.output
    half = CliRunner().invoke(agent_group, ["serve", "--root", str(tmp_path), "--token", TOKEN,
                                            "--certfile", str(SAMPLE)])
    assert half.exit_code != 0 and "both --certfile and --keyfile" in half.output
    assert ipaddress.ip_address(calls[-1]["host"]).is_unspecified
