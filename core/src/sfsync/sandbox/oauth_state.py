"""Keep an :class:`~sfsync.sandbox.oauth.OAuthServer`'s state in a file between processes.

An in-process sandbox lives as long as its process: ``sfsync connect exact --sandbox`` logs in at
it, and the next command (``sfsync sync … --sandbox``) starts a new sandbox that never issued the
tokens the store holds. :func:`save_oauth_state` writes what the server must remember (its grants,
the consent each recorded, which access and refresh tokens it issued, when, and which were
rotated) and :func:`load_oauth_state` gives it back to a fresh server of the same sandbox.

The file holds no token: each token is kept as its SHA-256 digest, and a restored server finds a
token by its digest (:class:`TokenTable`), so the file answers no request by itself. Nor does it
hold a client secret or a password (those are the sandbox's own settings). Not kept: codes (a login
finishes within its command) and the successor of a rotated refresh token (so a rotated token
presented again in a later process is reuse, with no grace).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import importlib
import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sfsync.sandbox.oauth import AccessToken, Grant, _Refresh

if TYPE_CHECKING:
    from sfsync.sandbox.oauth import OAuthServer

__all__ = ["FORMAT", "TokenTable", "load_oauth_state", "oauth_state", "restore_oauth_state", "save_oauth_state"]

FORMAT = 1
"""The version of the file's shape; a file of another version is ignored (the server starts fresh)."""


def token_digest(token: str) -> str:
    """The SHA-256 digest, in hex, a token is kept and found by."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class TokenTable(dict[str, Any]):
    """The server's token tables (``access_tokens``, ``refresh_tokens``) keyed by each token's
    digest: a token is stored, found and removed by its value as before, but only its digest is
    held (and written)."""

    def __setitem__(self, token: str, value: Any) -> None:
        super().__setitem__(token_digest(token), value)

    def __getitem__(self, token: str) -> Any:
        return super().__getitem__(token_digest(token))

    def __delitem__(self, token: str) -> None:
        super().__delitem__(token_digest(token))

    def __contains__(self, token: object) -> bool:
        return isinstance(token, str) and super().__contains__(token_digest(token))

    def get(self, token: str, default: Any = None) -> Any:
        """The entry of ``token`` (its value, not its digest), or ``default``."""
        return super().get(token_digest(token), default)

    def pop(self, token: str, *default: Any) -> Any:
        """Remove and return the entry of ``token``."""
        return super().pop(token_digest(token), *default)

    @classmethod
    def of(cls, table: dict[str, Any]) -> TokenTable:
        """A table holding ``table``'s entries (tokens by value, or a :class:`TokenTable`)."""
        if isinstance(table, TokenTable):
            return table
        made = cls()
        for token, value in table.items():
            made[token] = value
        return made


def oauth_state(server: OAuthServer) -> dict[str, Any]:
    """What ``server`` must remember, as JSON-ready data (token digests, never tokens)."""
    access, refresh = TokenTable.of(server.access_tokens), TokenTable.of(server.refresh_tokens)
    grants = {id(g): g for g in [*server.grants, *(t.grant for t in access.values()), *(r.grant for r in refresh.values())]}
    return {
        "format": FORMAT,
        "about": "an offline sfsync sandbox's OAuth state: grants and SHA-256 digests of the tokens it issued",
        "grants": [_grant_row(g) for g in grants.values()],
        "access_tokens": [
            {"digest": digest, "grant": t.grant.id, "expires": _time(t.expires)}
            for digest, t in dict.items(access)
        ],
        "refresh_tokens": [
            {"digest": digest, "grant": r.grant.id, "issued": _time(r.issued), "last_used": _time(r.last_used),
             "rotated_at": _time(r.rotated_at)}
            for digest, r in dict.items(refresh)
        ],
        "token_calls": [[client, user, day.isoformat(), count] for (client, user, day), count in
                        server.token_calls.items()],
        "token_requests": server.token_requests,
    }


def restore_oauth_state(server: OAuthServer, state: dict[str, Any]) -> None:
    """Give ``server`` the grants and tokens of ``state`` (from :func:`oauth_state`), from now on
    keeping its tokens by digest. A grant whose client or user the server no longer has is dropped,
    with its tokens."""
    grants: dict[str, Grant] = {}
    for row in state.get("grants", []):
        client, user = server.clients.get(row["client"]), server.users.get(row["user"])
        if client is None or user is None:
            continue
        grants[row["id"]] = Grant(
            row["id"], client, user, frozenset(row["scopes"]), _parse(row["consented_at"]), nonce=row.get("nonce"),
            revoked=bool(row.get("revoked")), extra=_decode(row.get("extra", {})),
            access_expires=_parse(row.get("access_expires")),
        )
    access, refresh = TokenTable(), TokenTable()
    for row in state.get("access_tokens", []):
        if row["grant"] in grants:
            dict.__setitem__(access, row["digest"], AccessToken(row["digest"], grants[row["grant"]], _parse(row["expires"])))
    for row in state.get("refresh_tokens", []):
        if row["grant"] in grants:
            dict.__setitem__(refresh, row["digest"], _Refresh(
                grants[row["grant"]], _parse(row["issued"]), _parse(row["last_used"]), _parse(row.get("rotated_at")),
            ))
    server.grants = list(grants.values())
    server.access_tokens, server.refresh_tokens = access, refresh
    server.token_calls = {(c, u, dt.date.fromisoformat(day)): n for c, u, day, n in state.get("token_calls", [])}
    server.token_requests = int(state.get("token_requests", 0))


def save_oauth_state(server: OAuthServer, path: Path) -> None:
    """Write ``server``'s state to ``path`` atomically (a reader sees the old file or the new one,
    never half of one), readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(oauth_state(server), indent=1, default=_encode)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def load_oauth_state(server: OAuthServer, path: Path) -> bool:
    """Restore ``server`` from ``path`` (see :func:`save_oauth_state`); ``False`` (the server left as
    it is) when there is no file or it is of another format."""
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return False
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        return False
    restore_oauth_state(server, state)
    return True


def _grant_row(grant: Grant) -> dict[str, Any]:
    return {
        "id": grant.id, "client": grant.client.client_id, "user": grant.user.username, "scopes": sorted(grant.scopes),
        "consented_at": _time(grant.consented_at), "nonce": grant.nonce, "revoked": grant.revoked,
        "extra": grant.extra, "access_expires": _time(grant.access_expires),
    }


def _time(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _parse(text: str | None) -> Any:
    return None if text is None else dt.datetime.fromisoformat(text)


def _encode(value: Any) -> Any:
    # What a consent step records beyond JSON (the divisions chosen, as a set; Xero's connections,
    # dataclasses with times), tagged so that _decode gives the same values back.
    if isinstance(value, (set, frozenset)):
        return {"__set__": sorted(value, key=str)}
    if isinstance(value, dt.datetime):
        return {"__datetime__": value.isoformat()}
    if isinstance(value, dt.date):
        return {"__date__": value.isoformat()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        kind = type(value)
        return {"__dataclass__": f"{kind.__module__}:{kind.__qualname__}",
                "fields": {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}}
    raise TypeError(f"a sandbox consent recorded a {type(value).__name__}, which cannot be kept")


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"__set__"}:
        return frozenset(_decode(v) for v in value["__set__"])
    if set(value) == {"__datetime__"}:
        return dt.datetime.fromisoformat(value["__datetime__"])
    if set(value) == {"__date__"}:
        return dt.date.fromisoformat(value["__date__"])
    if set(value) == {"__dataclass__", "fields"}:
        return _dataclass(value["__dataclass__"])(**{k: _decode(v) for k, v in value["fields"].items()})
    return {k: _decode(v) for k, v in value.items()}


def _dataclass(path: str) -> Any:
    # The sandbox's own record type (its plugin is installed: its sandbox just started).
    module, _, qualname = path.partition(":")
    found: Any = importlib.import_module(module)
    for part in qualname.split("."):
        found = getattr(found, part)
    if not (isinstance(found, type) and dataclasses.is_dataclass(found)):
        raise TypeError(f"{path} is not a dataclass")
    return found
