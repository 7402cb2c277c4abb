"""Serve a sandbox over real HTTP (uvicorn on 127.0.0.1, a free port), as ``sfsync sandbox serve``
does, so a client built for the real API talks to it through its own HTTP stack."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

SPECS = Path(__file__).parent / "specs"


@contextlib.contextmanager
def serving(app: Any, *, certfile: str | None = None, keyfile: str | None = None) -> Iterator[str]:
    """Run ``app`` on 127.0.0.1 until the block ends; yields its base URL (``https`` with a key)."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off",
                            ssl_certfile=certfile, ssl_keyfile=keyfile)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"{'https' if certfile else 'http'}://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def serve() -> Iterator[Callable[..., str]]:
    """``serve(app, **tls)`` starts a server for this test and returns its base URL."""
    with contextlib.ExitStack() as stack:
        yield lambda app, **tls: stack.enter_context(serving(app, **tls))


def offline_soap_client(wsdl: str) -> Any:
    """A zeep client for a local WSDL that never reaches the network: the SOAP-encoding schema that
    ASMX WSDLs import by namespace alone is answered by a stub of the two names they use, anything else remote is
    refused (every request of the test goes to 127.0.0.1)."""
    import zeep
    from zeep.transports import Transport

    # Only what the WSDLs refer to: SOAP encoding's Array type and its arrayType attribute.
    empty = {
        "http://schemas.xmlsoap.org/soap/encoding/": (
            b'<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
            b'targetNamespace="http://schemas.xmlsoap.org/soap/encoding/">'
            b'<xsd:attribute name="arrayType" type="xsd:string"/>'
            b'<xsd:complexType name="Array"><xsd:sequence>'
            b'<xsd:any minOccurs="0" maxOccurs="unbounded" processContents="lax"/></xsd:sequence>'
            b'<xsd:anyAttribute processContents="lax"/></xsd:complexType></xsd:schema>'
        ),
    }

    class OfflineTransport(Transport):  # type: ignore[misc]  # zeep has no type hints
        def load(self, url: str) -> bytes:
            if url in empty:
                return empty[url]
            if url.startswith(("http://", "https://")) and not url.startswith(("http://127.0.0.1", "https://127.0.0.1")):
                raise RuntimeError(f"the test would fetch {url}: it must stay offline")
            loaded: bytes = super().load(url)
            return loaded

    return zeep.Client(wsdl, transport=OfflineTransport())
