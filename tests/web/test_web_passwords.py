"""The host's sign-in accounts on both databases: Argon2 hashes, a wrong password refused, a
changed password replacing the old one, and hashes made with older parameters upgraded."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sfsync.web.passwords import PasswordBook

CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def _assert_accounts_work(book: PasswordBook) -> None:
    """Every assertion of both tests: sign in, refuse, replace, refuse short, upgrade old hashes."""
    email = f"anne-{uuid.uuid4().hex[:8]}@dupont.be"
    book.set_password(email, "usr_1", "first password!")
    assert book.check(email.upper(), "first password!") == "usr_1"  # addresses are case-blind
    assert book.check(email, "wrong password!") is None
    assert book.check("nobody@dupont.be", "first password!") is None
    book.set_password(email, "usr_1", "second password")
    assert book.check(email, "first password!") is None
    assert book.check(email, "second password") == "usr_1"
    with pytest.raises(ValueError, match="at least 10"):
        book.set_password(email, "usr_1", "short")
    # A hash made with other parameters is upgraded at the next sign-in.
    stronger = PasswordBook(path=book.path, dsn=book.dsn, hasher=PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1))
    assert stronger.check(email, "second password") == "usr_1"
    digest = stronger._execute("SELECT password_hash FROM web_accounts WHERE email = ?", (email,))[0][0]
    assert "t=2" in digest and "m=2048" in digest


def test_sign_in_accounts_on_sqlite(tmp_path: Path) -> None:
    _assert_accounts_work(PasswordBook(path=tmp_path / "web.sqlite3", hasher=CHEAP))


@pytest.mark.postgres
def test_sign_in_accounts_on_postgresql() -> None:
    dsn = os.environ.get("SFSYNC_TEST_POSTGRES_DSN")
    if not dsn:
        pytest.skip("SFSYNC_TEST_POSTGRES_DSN is not set (.ci/services.sh starts PostgreSQL)")
    _assert_accounts_work(PasswordBook(dsn=dsn, hasher=CHEAP))


@pytest.mark.postgres
def test_the_host_on_postgresql_signs_a_person_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    from sfsync.plugins import PluginRegistry
    from sfsync.secrets import generate_key
    from sfsync.web import WebSettings, create_host

    from .conftest import browser_for

    dsn = os.environ.get("SFSYNC_TEST_POSTGRES_DSN")
    if not dsn:
        pytest.skip("SFSYNC_TEST_POSTGRES_DSN is not set (.ci/services.sh starts PostgreSQL)")
    monkeypatch.setenv("SFSYNC_SECRET_KEY", generate_key())
    host = create_host(WebSettings(db=tmp_path / "unused.sqlite3", postgres_dsn=dsn, session_secret="p" * 48),
                       registry=PluginRegistry())
    try:
        firm = host.app.create_firm(f"Postgres {uuid.uuid4().hex[:8]}")
        email = f"pg-{uuid.uuid4().hex[:8]}@dupont.be"
        user = host.app.add_user(firm.id, email, "admin")
        host.passwords = PasswordBook(dsn=dsn, hasher=CHEAP)
        host.passwords.set_password(email, user.id, "a good password")
        assert not (tmp_path / "unused.sqlite3").exists()  # nothing went to SQLite

        async def go() -> None:
            browser = browser_for(host)
            assert (await browser.sign_in(email, "a good password")).status_code == 303
            page = await browser.client.get("/dossiers")
            assert page.status_code == 200 and email in page.text
            await browser.client.aclose()

        asyncio.run(go())
    finally:
        host.app.store.close()
