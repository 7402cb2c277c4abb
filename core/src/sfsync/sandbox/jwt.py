"""Signed JSON Web Tokens for the sandboxes' OpenID ``id_token`` (RS256), and their JWKS.

Real clients fetch the JWKS and check the signature, issuer, audience and expiry, so the sandbox's
tokens are real: an RSA key (made once per process, the same for every sandbox), a ``kid`` that is
the key's RFC 7638 thumbprint, and standard base64url encoding.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

__all__ = ["SigningKey", "b64url", "signing_key"]


def b64url(data: bytes) -> str:
    """Base64url without padding, as JOSE writes it."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _uint(number: int) -> str:
    return b64url(number.to_bytes((number.bit_length() + 7) // 8, "big"))


class SigningKey:
    """An RSA key that signs RS256 tokens and publishes itself as a JWK."""

    def __init__(self, private_key: rsa.RSAPrivateKey) -> None:
        """Wrap ``private_key``."""
        self._key = private_key
        numbers = private_key.public_key().public_numbers()
        self._public = {"e": _uint(numbers.e), "kty": "RSA", "n": _uint(numbers.n)}
        canonical = json.dumps(self._public, separators=(",", ":"), sort_keys=True).encode()
        self.kid = b64url(hashlib.sha256(canonical).digest())

    def jwk(self) -> dict[str, str]:
        """The public key as a JWK (``use: sig``, ``alg: RS256``, with its ``kid``)."""
        return {**self._public, "use": "sig", "alg": "RS256", "kid": self.kid}

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """The JWKS document (``{"keys": [...]}``) a ``jwks_uri`` serves."""
        return {"keys": [self.jwk()]}

    def sign(self, claims: dict[str, Any]) -> str:
        """``claims`` as a compact RS256 JWS."""
        header = {"alg": "RS256", "kid": self.kid, "typ": "JWT"}
        signing_input = ".".join(
            b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
        )
        signature = self._key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{b64url(signature)}"

    def verify(self, token: str) -> dict[str, Any]:
        """The claims of a token this key signed (tests); raises ``ValueError`` otherwise."""
        try:
            header_part, claims_part, signature_part = token.split(".")
            self._key.public_key().verify(
                _unb64url(signature_part), f"{header_part}.{claims_part}".encode("ascii"),
                padding.PKCS1v15(), hashes.SHA256(),
            )
        except (ValueError, InvalidSignature) as exc:
            raise ValueError("not a token signed by this key") from exc
        claims: dict[str, Any] = json.loads(_unb64url(claims_part))
        return claims


@functools.cache
def signing_key() -> SigningKey:
    """The process's signing key (made on first use: RSA generation costs a few tens of ms)."""
    return SigningKey(rsa.generate_private_key(public_exponent=65537, key_size=2048))
