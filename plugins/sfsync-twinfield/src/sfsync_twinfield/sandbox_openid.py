"""The Twinfield sandbox's OpenID Connect parts: a signed ``id_token`` when ``openid`` is asked,
the discovery document and the JWKS that clients use to check it.

``login.twinfield.com`` is an IdentityServer: RS256 tokens, keys at
``/auth/authentication/.well-known/openid-configuration/jwks``. The key is the toolkit's
(:func:`sfsync.sandbox.jwt.signing_key`).
"""

from __future__ import annotations

import hashlib
from typing import Any

from sfsync.sandbox.jwt import SigningKey, b64url, signing_key

from sfsync_twinfield.client import AUTH_PATH

ISSUER_PATH = AUTH_PATH.rsplit("/connect", 1)[0]  # /auth/authentication
DISCOVERY_PATH = f"{ISSUER_PATH}/.well-known/openid-configuration"
JWKS_PATH = f"{DISCOVERY_PATH}/jwks"
ID_TOKEN_LIFETIME = 300  # IdentityServer's default identity-token lifetime, in seconds


def at_hash(access_token: str) -> str:
    """OpenID's ``at_hash``: the left half of the token's SHA-256, base64url."""
    return b64url(hashlib.sha256(access_token.encode()).digest()[:16])


class OpenIdProvider:
    """The discovery document, the JWKS and ``id_token`` minting (a mixin of the login host)."""

    login_url: str

    @property
    def signing_key(self) -> SigningKey:
        return signing_key()  # made on first use: most sandboxes never sign a token

    @property
    def issuer(self) -> str:
        return f"{self.login_url}{ISSUER_PATH}"

    def discovery(self) -> dict[str, Any]:
        connect = f"{self.login_url}{AUTH_PATH}"
        return {
            "issuer": self.issuer,
            "jwks_uri": f"{self.login_url}{JWKS_PATH}",
            "authorization_endpoint": f"{connect}/authorize",
            "token_endpoint": f"{connect}/token",
            "userinfo_endpoint": f"{connect}/userinfo",
            "scopes_supported": ["openid", "twf.user", "twf.organisation", "twf.organisationUser",
                                 "offline_access"],
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        }

    def jwks(self) -> dict[str, Any]:
        return self.signing_key.jwks()

    def id_token(self, *, client_id: str, subject: str, nonce: str | None, access_token: str,
                 issued_at: int) -> str:
        claims: dict[str, Any] = {
            "iss": self.issuer, "aud": client_id, "sub": subject, "iat": issued_at,
            "nbf": issued_at, "exp": issued_at + ID_TOKEN_LIFETIME, "auth_time": issued_at,
            "at_hash": at_hash(access_token), "amr": ["password"],
        }
        if nonce:
            claims["nonce"] = nonce
        return self.signing_key.sign(claims)
