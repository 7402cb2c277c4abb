"""Odoo's three external transports over httpx: XML-RPC, JSON-RPC and JSON-2.

Every transport answers ``version()``, ``login()`` (the uid; ``False`` from ``authenticate`` is
an :class:`~sfsync.errors.AuthError`) and ``call(model, method, first, kwargs)`` where ``first`` is
the method's first positional argument (a domain or ids) and the rest are keyword arguments.
Amounts become :class:`~decimal.Decimal` from the text on the wire, never through a float: the
XML-RPC unmarshaller reads ``<double>`` with ``Decimal(text)``; JSON is parsed with
``parse_float=Decimal``.
"""

from __future__ import annotations

import abc
import json
import xmlrpc.client
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx
from sfsync.errors import MalformedResponse, RetriableError

from sfsync_odoo.errors import from_fault, from_json2, from_jsonrpc, login_refused

__all__ = ["Json2Transport", "JsonRpcTransport", "Transport", "XmlRpcTransport", "loads_xmlrpc"]


class _DecimalUnmarshaller(xmlrpc.client.Unmarshaller):
    dispatch = dict(xmlrpc.client.Unmarshaller.dispatch)

    def end_double(self, data: str) -> None:
        try:
            self.append(Decimal(data.strip()))
        except InvalidOperation as exc:
            raise ValueError(f"bad double {data!r}") from exc
        self._value = False

    dispatch["double"] = end_double  # type: ignore[assignment]
    dispatch["float"] = end_double  # type: ignore[assignment]


def loads_xmlrpc(data: bytes) -> Any:
    """Unmarshal a methodResponse, doubles as Decimal; raises ``xmlrpc.client.Fault``."""
    target = _DecimalUnmarshaller()
    parser = xmlrpc.client.ExpatParser(target)
    parser.feed(data)
    parser.close()
    result = target.close()
    return result[0] if len(result) == 1 else result


class Transport(abc.ABC):
    """One way of talking to an Odoo server."""

    name: str

    def __init__(self, client: httpx.AsyncClient, *, database: str, login: str, secret: str) -> None:
        self.client = client
        self.database = database
        self.login_name = login
        self._secret = secret
        self.uid: int | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(database={self.database!r}, login={self.login_name!r})"

    @abc.abstractmethod
    async def version(self) -> dict[str, Any]:
        """``common.version()``."""

    @abc.abstractmethod
    async def login(self) -> int:
        """Check the credentials; return the uid."""

    @abc.abstractmethod
    async def call(self, model: str, method: str, first: Any, kwargs: dict[str, Any]) -> Any:
        """Call ``model.method(first, **kwargs)``."""


class XmlRpcTransport(Transport):
    name = "xmlrpc"

    async def _rpc(self, service: str, method: str, params: tuple[Any, ...]) -> Any:
        body = xmlrpc.client.dumps(params, method, allow_none=False).encode()
        response = await self.client.post(f"/xmlrpc/2/{service}", content=body, headers={"Content-Type": "text/xml"})
        if response.status_code != 200:
            raise _status_error(response)
        try:
            return loads_xmlrpc(response.content)
        except xmlrpc.client.Fault as fault:
            raise from_fault(fault.faultCode, fault.faultString, response=response) from None
        except Exception as exc:
            raise MalformedResponse(f"Odoo sent XML-RPC we cannot read ({type(exc).__name__})", response=response) from exc

    async def version(self) -> dict[str, Any]:
        result = await self._rpc("common", "version", ())
        return result if isinstance(result, dict) else {}

    async def login(self) -> int:
        uid = await self._rpc("common", "authenticate", (self.database, self.login_name, self._secret, {}))
        if not isinstance(uid, int) or isinstance(uid, bool):
            raise login_refused(self.database, self.login_name, "XML-RPC")
        self.uid = uid
        return uid

    async def call(self, model: str, method: str, first: Any, kwargs: dict[str, Any]) -> Any:
        if self.uid is None:
            await self.login()
        args = [] if first is None else [first]
        return await self._rpc("object", "execute_kw", (self.database, self.uid, self._secret, model, method, args, kwargs))


class JsonRpcTransport(Transport):
    name = "jsonrpc"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._id = 0

    async def _rpc(self, service: str, method: str, args: list[Any]) -> Any:
        self._id += 1
        payload = {"jsonrpc": "2.0", "method": "call", "id": self._id,
                   "params": {"service": service, "method": method, "args": args}}
        response = await self.client.post("/jsonrpc", content=json.dumps(payload, default=_json_default).encode(),
                                          headers={"Content-Type": "application/json"})
        if response.status_code != 200:
            raise _status_error(response)
        body = _json_body(response)
        if not isinstance(body, dict):
            raise MalformedResponse("Odoo sent a JSON-RPC answer that is not an object", response=response)
        if "error" in body:
            raise from_jsonrpc(body["error"], response=response)
        if "result" not in body:
            raise MalformedResponse("Odoo sent a JSON-RPC answer without result", response=response)
        return body["result"]

    async def version(self) -> dict[str, Any]:
        result = await self._rpc("common", "version", [])
        return result if isinstance(result, dict) else {}

    async def login(self) -> int:
        uid = await self._rpc("common", "authenticate", [self.database, self.login_name, self._secret, {}])
        if not isinstance(uid, int) or isinstance(uid, bool):
            raise login_refused(self.database, self.login_name, "JSON-RPC")
        self.uid = uid
        return uid

    async def call(self, model: str, method: str, first: Any, kwargs: dict[str, Any]) -> Any:
        if self.uid is None:
            await self.login()
        args = [] if first is None else [first]
        return await self._rpc("object", "execute_kw", [self.database, self.uid, self._secret, model, method, args, kwargs])


# The first positional parameter of each method, by name (JSON-2 takes named parameters only).
_FIRST = {"read": "ids", "search_read": "domain", "search": "domain", "search_count": "domain",
          "read_group": "domain", "fields_get": "allfields"}


class Json2Transport(Transport):
    """``POST /json/2/<model>/<method>`` with a bearer API key (Odoo 19+)."""

    name = "json2"

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"bearer {self._secret}", "X-Odoo-Database": self.database,
                "Content-Type": "application/json"}

    async def version(self) -> dict[str, Any]:
        # JSON-2 has no version call; the JSON-RPC common service answers it without credentials.
        return await JsonRpcTransport(self.client, database=self.database, login=self.login_name, secret="").version()

    async def login(self) -> int:
        context = await self.call("res.users", "context_get", None, {})
        uid = context.get("uid") if isinstance(context, dict) else None
        if not isinstance(uid, int):
            raise MalformedResponse("Odoo's res.users/context_get answered without a uid")
        self.uid = uid
        return uid

    async def call(self, model: str, method: str, first: Any, kwargs: dict[str, Any]) -> Any:
        body = dict(kwargs)
        if first is not None:
            body[_FIRST.get(method, "ids")] = first
        try:
            response = await self.client.post(f"/json/2/{model}/{method}", content=json.dumps(body, default=_json_default).encode(),
                                              headers=self._headers())
        except RetriableError as exc:
            # The core retried a 5xx; Odoo's 500s are usually deterministic errors with a JSON body.
            if exc.response is not None and exc.response.headers.get("content-type", "").startswith("application/json"):
                raise from_json2(exc.response, _json_body(exc.response)) from exc
            raise
        if response.status_code != 200:
            body_json = _json_body(response) if response.headers.get("content-type", "").startswith("application/json") else None
            raise from_json2(response, body_json)
        return _json_body(response)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _json_body(response: httpx.Response) -> Any:
    try:
        return json.loads(response.content, parse_float=Decimal)
    except ValueError as exc:
        raise MalformedResponse("Odoo sent a body that is not JSON", response=response) from exc


def _status_error(response: httpx.Response) -> Exception:
    from sfsync.errors import AuthError, FatalError

    if response.status_code in (401, 403):
        return AuthError(f"Odoo refused the request ({response.status_code})", response=response)
    if response.status_code == 404:
        return FatalError(
            "Odoo answered 404: check the server URL (the external API lives at /xmlrpc/2 and /jsonrpc)",
            response=response,
        )
    if response.status_code == 429 or response.status_code >= 500:  # status first: an outage, whatever the body
        return RetriableError(f"Odoo answered {response.status_code}", response=response)
    return FatalError(f"Odoo answered {response.status_code}", response=response)


TRANSPORTS: dict[str, type[Transport]] = {"xmlrpc": XmlRpcTransport, "jsonrpc": JsonRpcTransport, "json2": Json2Transport}
