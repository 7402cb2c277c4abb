"""TLS between the onprem connector and the sync service: HTTPS, a firm's CA, a pinned certificate.

The sync service usually runs on a firm's own server with a self-signed certificate. The
connector then pins it: the connection stores the certificate's SHA-256 fingerprint (printed by
``sfsync agent serve`` on start), and the connector trusts exactly that certificate. The pinned
certificate becomes the only trust anchor of the TLS handshake, so a server with any other
certificate fails the handshake before the token is sent. Without a pin, the certificate is
checked as any HTTPS server's is (the usual authorities, or a firm's CA file).
"""

from __future__ import annotations

import hashlib
import re
import ssl
from pathlib import Path
from urllib.parse import urlsplit

from sfsync.errors import AuthError, ConfigurationError, RetriableError

__all__ = ["certificate_fingerprint", "client_context", "normalise_fingerprint"]

_HEX = re.compile(r"[0-9a-f]{64}")


def normalise_fingerprint(text: str) -> str:
    """A SHA-256 fingerprint as 64 lower-case hex digits, from ``AB:CD:…``, ``abcd…`` or with
    spaces; ``ConfigurationError`` when it is not one."""
    digits = re.sub(r"[\s:]", "", text).lower()
    if not _HEX.fullmatch(digits):
        raise ConfigurationError(
            "the certificate fingerprint must be a SHA-256 fingerprint: 64 hex digits, with or without colons"
        )
    return digits


def _shown(digits: str) -> str:
    return ":".join(digits[i : i + 2] for i in range(0, len(digits), 2)).upper()


def certificate_fingerprint(certfile: Path) -> str:
    """The SHA-256 fingerprint of the (first) certificate in a PEM file, as ``AB:CD:…``."""
    pem = Path(certfile).read_text(encoding="ascii", errors="replace")
    match = re.search(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", pem, re.S)
    if match is None:
        raise ConfigurationError(f"{Path(certfile).name} holds no PEM certificate")
    return _shown(hashlib.sha256(ssl.PEM_cert_to_DER_cert(match[0])).hexdigest())


def client_context(url: str, *, fingerprint: str | None = None, ca_file: str | None = None) -> ssl.SSLContext | None:
    """The TLS context for ``url``: ``None`` for the default checks (or plain HTTP); a context
    trusting ``ca_file``; or one trusting only the certificate with ``fingerprint``.

    Pinning reads the server's certificate once (no token is sent), checks its fingerprint and
    makes it the only trust anchor; it blocks, so call it from a worker thread.

    Raises:
        AuthError: The server's certificate is not the pinned one (a fatal, person-facing error).
        RetriableError: The server could not be reached to read its certificate.
        ConfigurationError: A pin or CA file on a plain-HTTP URL, or an unreadable CA file.
    """
    parts = urlsplit(url)
    if parts.scheme != "https":
        if fingerprint or ca_file:
            raise ConfigurationError("a certificate fingerprint or CA file needs an https:// sync service url")
        return None
    if fingerprint:
        pinned = normalise_fingerprint(fingerprint)
        host, port = parts.hostname or "", parts.port or 443
        try:
            pem = ssl.get_server_certificate((host, port), timeout=15)
        except OSError as exc:
            raise RetriableError(f"the sync service at {host}:{port} could not be reached ({type(exc).__name__})") from exc
        found = hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest()
        if found != pinned:
            # The first 8 bytes tell them apart; the full fingerprint is on the service's banner.
            raise AuthError(
                f"the sync service's certificate is not the pinned one: it has SHA-256 {_shown(found)[:23]}…, "
                f"the connection expects {_shown(pinned)[:23]}…; if the service's certificate was "
                "renewed, connect again with the fingerprint `sfsync agent serve` prints"
            )
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        # The pinned certificate is the trust anchor: its name need not match the host (an IP, a
        # server's short name), and it need not be a CA.
        context.check_hostname = False
        context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
        context.load_verify_locations(cadata=pem)
        return context
    if ca_file:
        try:
            return ssl.create_default_context(cafile=ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigurationError(f"the CA file {Path(ca_file).name} could not be read ({exc})") from exc
    return None
