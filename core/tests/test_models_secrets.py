"""Models refuse floats and name what is wrong; secrets are sealed and never shown."""

from __future__ import annotations

import datetime as dt
import os
import stat
from decimal import Decimal

import pytest
from pydantic import ValidationError

from sfsync.context import Secrets
from sfsync.errors import ConfigurationError, NeedsReconsent
from sfsync.models import LedgerLine, TrialBalanceLine
from sfsync.secrets import SecretBox, generate_key


def test_a_float_amount_is_refused_with_the_field_and_value():
    with pytest.raises(ValidationError) as caught:
        LedgerLine(id="1", entry="e", date=dt.date(2025, 1, 1), account="700000", debit=0.1)
    text = str(caught.value)
    assert "debit" in text and "0.1" in text and "float" in text


def test_from_signed_splits_debit_and_credit():
    credit = LedgerLine.from_signed(Decimal("-12.30"), id="1", entry="e", date=dt.date(2025, 1, 1), account="7")
    assert (credit.debit, credit.credit) == (Decimal(0), Decimal("12.30"))


def test_trial_balance_line_must_add_up():
    with pytest.raises(ValidationError, match="is not the closing"):
        TrialBalanceLine(account="1", period_start=dt.date(2025, 1, 1), period_end=dt.date(2025, 1, 31),
                         opening=Decimal(1), debit=Decimal(2), credit=Decimal(0), closing=Decimal(4))


def test_key_file_is_created_private_and_reused(tmp_path, monkeypatch):
    monkeypatch.delenv("SFSYNC_SECRET_KEY", raising=False)
    key_file = tmp_path / "db.key"
    box = SecretBox.from_environment(key_file)
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    sealed = box.seal({"api_key": "s3cr3t-value"})
    assert b"s3cr3t" not in sealed
    assert SecretBox.from_environment(key_file).open(sealed) == {"api_key": "s3cr3t-value"}
    os.chmod(key_file, 0o644)
    with pytest.raises(ConfigurationError, match="chmod 600"):
        SecretBox.from_environment(key_file)


def test_wrong_key_is_a_clear_error():
    sealed = SecretBox(generate_key()).seal({"x": 1})
    with pytest.raises(ConfigurationError, match="cannot be decrypted"):
        SecretBox(generate_key()).open(sealed)
    assert "key=***" in repr(SecretBox(generate_key()))


def test_secrets_mapping_masks_values():
    secrets = Secrets({"api_key": "very-secret-key"})
    assert secrets["api_key"] == "very-secret-key"
    assert "very-secret-key" not in repr(secrets) and "very-secret-key" not in str(secrets)


def test_errors_name_the_context():
    error = NeedsReconsent("log in again", connector="exact-be").with_context(dossier="Jansen", company="123")
    assert str(error) == "dossier Jansen, connector exact-be, company 123: log in again"


def test_httpx_request_log_drops_query_strings(caplog):
    import asyncio
    import logging

    import httpx

    import sfsync.context  # noqa: F401 (installs the filter)

    caplog.set_level(logging.INFO, logger="httpx")

    async def go():
        transport = httpx.MockTransport(lambda request: httpx.Response(200))
        async with httpx.AsyncClient(transport=transport) as client:
            await client.get("https://login.test/validate?token=tok-SECRET-123")

    asyncio.run(go())
    assert "login.test/validate" in caplog.text
    assert "tok-SECRET-123" not in caplog.text
