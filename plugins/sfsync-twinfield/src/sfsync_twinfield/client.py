"""Twinfield's web services over httpx: the access token, the cluster, SOAP envelopes and errors.

Twinfield answers on a per-organisation *cluster* host, found by validating the access token at
the login host (``twf.clusterUrl``). Every cluster call is a SOAP 1.1 POST that carries the
access token (and, for company-scoped calls, the office code) in a SOAP header: ``Header`` for
the ``*.asmx`` services, ``Authentication`` for the WCF ``*.svc`` services.

Faults ride on HTTP 500, so cluster calls go through a client that retries a 500 only when its
body is not a SOAP envelope (``ctx.http(keeps=soap_envelope)``: a gateway's plain-text page is an
outage, a SOAP fault is an answer): fault 354 (token invalid) and 103 (logon no longer valid) get
one token refresh and one retry here; every other fault is mapped to the core's errors.
"""

from __future__ import annotations

import base64
import dataclasses
import gzip
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
from lxml import etree  # type: ignore[import-untyped,unused-ignore]  # no stubs
from sfsync.auth import OAuth2Spec, TokenSet
from sfsync.context import ConnectorContext
from sfsync.errors import (
    AuthError,
    FatalError,
    MalformedResponse,
    NeedsReconsent,
    RetriableError,
    SfsyncError,
)
from sfsync.http import ManagedTransport, soap_envelope

LOGIN_URL = "https://login.twinfield.com"
AUTH_PATH = "/auth/authentication/connect"

NS_SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
NS_TWIN = "http://www.twinfield.com/"
NS_SHARED = "http://schemas.datacontract.org/2004/07/Twinfield.WebServices.Shared"
NS_XSI = "http://www.w3.org/2001/XMLSchema-instance"
NS_DELETED = (
    "http://schemas.datacontract.org/2004/07/Twinfield.WebServices.DeletedTransactionsService"
)
NS_PERIOD = "http://schemas.datacontract.org/2004/07/Twinfield.WebServices.PeriodService"

PROCESSXML = "/webservices/processxml.asmx"
FINDER = "/webservices/finder.asmx"
DELETED = "/webservices/DeletedTransactionsService.svc"
PERIODS = "/webservices/PeriodService.svc"

TOKEN_INVALID = "354"
LOGON_INVALID = "103"

# No DTDs, no entities, no network: the package's XML is data, never instructions.
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


def q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def parse_xml(data: bytes | str, *, response: httpx.Response | None = None) -> etree._Element:
    try:
        return etree.fromstring(data.encode() if isinstance(data, str) else data, PARSER)
    except etree.XMLSyntaxError as exc:
        raise MalformedResponse(
            "Twinfield sent XML that cannot be read", response=response
        ) from exc


def text(element: etree._Element | None, default: str = "") -> str:
    return default if element is None or element.text is None else element.text.strip()


def decimal(value: str) -> Decimal:
    try:
        return Decimal(value) if value else Decimal(0)
    except ArithmeticError as exc:
        raise MalformedResponse(
            f"Twinfield sent an amount that is not a number: {value!r}"
        ) from exc


@dataclasses.dataclass(frozen=True)
class Fault:
    """A SOAP fault: its Twinfield code (``detail/code``), when there is one, and its text."""

    code: str
    message: str


def find_fault(body: etree._Element) -> Fault | None:
    fault = body.find(q(NS_SOAP, "Fault"))
    if fault is None:
        return None
    code = ""
    detail = fault.find("detail")
    if detail is not None:
        for node in detail.iter():
            if etree.QName(node).localname == "code" and node.text:
                code = node.text.strip()
                break
    return Fault(code=code, message=text(fault.find("faultstring")))


# -------------------------------------------------------------------------------------------------
# HTTP clients
# -------------------------------------------------------------------------------------------------


class _TokenQuery(httpx.AsyncBaseTransport):
    """Adds ``?token=`` to a request below the client, so httpx's request log never shows it."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        token = request.extensions.get("twinfield_token")
        if token:
            request = httpx.Request(
                request.method,
                request.url.copy_merge_params({"token": token}),
                headers=request.headers,
                content=request.content,
                extensions={k: v for k, v in request.extensions.items() if k != "twinfield_token"},
            )
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        pass  # the inner transport is the context's router: the context closes it


def _validation_client(ctx: ConnectorContext) -> httpx.AsyncClient:
    """A client whose transport adds the token below httpx (ctx.http() cannot be wrapped):
    the same managed transport, limits and counters as every other call of the connection."""
    transport = ManagedTransport(
        _TokenQuery(ctx.router()),
        key=ctx.connection_id,
        policy=ctx.rate_limits,
        backend=ctx.limiter,
        clock=ctx.clock,
        stats=ctx.stats,
        retry=ctx.retry,
    )
    return httpx.AsyncClient(base_url=login_url(ctx), transport=transport, timeout=60.0)


def login_url(ctx: ConnectorContext) -> str:
    return str(ctx.config.get("login_url", LOGIN_URL)).rstrip("/")


def _login_client(ctx: ConnectorContext) -> httpx.AsyncClient:
    return ctx.http(login_url(ctx), authenticated=False)


def _cluster_client(ctx: ConnectorContext, cluster: str) -> httpx.AsyncClient:
    # Faults ride on HTTP 500: a SOAP envelope is read, anything else with a 5xx is retried.
    return ctx.http(cluster, authenticated=False, timeout=300.0, keeps=soap_envelope)


# -------------------------------------------------------------------------------------------------
# The access token and the cluster
# -------------------------------------------------------------------------------------------------


def _spec(ctx: ConnectorContext) -> OAuth2Spec:
    if not isinstance(ctx.auth_spec, OAuth2Spec) or ctx.vault is None:
        raise AuthError("the Twinfield connection has no OAuth2 tokens; an admin must connect it")
    return ctx.auth_spec


async def _refresh(ctx: ConnectorContext, tokens: TokenSet) -> TokenSet:
    spec = _spec(ctx)
    if tokens.refresh_token is None:
        raise NeedsReconsent(
            "Twinfield gave no refresh token (offline_access); an admin must connect again"
        )
    request = spec.token_request(
        {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token.get_secret_value()},
        client_id=str(ctx.config.get("client_id", "")),
        client_secret=ctx.secrets.get("client_secret"),
    )
    request = httpx.Request(
        "POST",
        f"{login_url(ctx)}{AUTH_PATH}/token",
        headers=request.headers,
        content=request.content,
    )
    response = await _login_client(ctx).send(request)
    await response.aread()
    if response.status_code != 200:
        raise spec.classify_token_error(response)
    fresh = spec.parse_token_response(response, now=ctx.clock.now(), previous=tokens)
    assert ctx.vault is not None
    await ctx.vault.save(fresh)  # saved before use
    return fresh


async def access_token(ctx: ConnectorContext, *, refused: str | None = None) -> str:
    """A valid access token; ``refused`` is one Twinfield just refused (refresh it, once)."""
    spec = _spec(ctx)
    assert ctx.vault is not None
    tokens = await ctx.vault.load()
    if tokens is None:
        raise NeedsReconsent("the Twinfield connection has no tokens; an admin must connect it")
    now = ctx.clock.now()
    if refused is None and not tokens.expires_within(spec.refresh_margin, now):
        return tokens.access_token.get_secret_value()
    async with ctx.vault.lock():
        current = await ctx.vault.load() or tokens
        value = current.access_token.get_secret_value()
        stale = (
            value == refused
            if refused is not None
            else current.expires_within(spec.refresh_margin, ctx.clock.now())
        )
        if stale:
            current = await _refresh(ctx, current)
        return current.access_token.get_secret_value()


async def validate_token(ctx: ConnectorContext) -> dict[str, Any]:
    """Twinfield's ``accesstokenvalidation``: the token's claims, among them ``twf.clusterUrl``."""
    refused: str | None = None
    for attempt in range(2):
        token = await access_token(ctx, refused=refused)
        headers = {"Accept": "application/json"}
        secret = ctx.secrets.get("client_secret")
        if secret:
            raw = f"{ctx.config.get('client_id', '')}:{secret}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(raw).decode()
        async with _validation_client(ctx) as validation:
            response = await validation.get(
                f"{AUTH_PATH}/accesstokenvalidation",
                headers=headers,
                extensions={"twinfield_token": token},
            )
        if response.status_code == 400 and attempt == 0:
            refused = token
            continue
        if response.status_code == 400:
            raise AuthError(
                "Twinfield does not accept the connection's access token even after a refresh; "
                "an admin must connect again",
                response=response,
            )
        if response.status_code >= 500:
            raise RetriableError(
                f"Twinfield's login host failed ({response.status_code})", response=response
            )
        if response.status_code != 200:
            raise AuthError(
                f"Twinfield refused the token validation ({response.status_code})",
                response=response,
            )
        try:
            claims = json.loads(response.content)
        except ValueError as exc:
            raise MalformedResponse(
                "Twinfield's token validation is not JSON", response=response
            ) from exc
        if not isinstance(claims, dict) or not str(claims.get("twf.clusterUrl", "")).startswith(
            ("https://", "http://")
        ):
            raise AuthError(
                "Twinfield's token carries no cluster (twf.clusterUrl): the app must ask for the "
                "twf.organisation scope",
                response=response,
            )
        return claims
    raise AssertionError("unreachable")  # pragma: no cover


async def cluster_url(ctx: ConnectorContext) -> str:
    """The organisation's cluster, from the connection's state (found once, at connect time)."""
    cluster = ctx.state.get("cluster_url")
    if not cluster:
        claims = await validate_token(ctx)
        await ctx.update_state(lambda state: remember_cluster(state, claims))
        cluster = ctx.state["cluster_url"]
    return str(cluster).rstrip("/")


def remember_cluster(state: dict[str, Any], claims: dict[str, Any]) -> None:
    """Keep the cluster (and the organisation) in the connection's state."""
    state["cluster_url"] = str(claims["twf.clusterUrl"]).rstrip("/")
    if claims.get("twf.organisationCode"):
        state["organisation"] = str(claims["twf.organisationCode"])


# -------------------------------------------------------------------------------------------------
# SOAP
# -------------------------------------------------------------------------------------------------


def envelope(payload: etree._Element, *, token: str, office: str | None, wcf: bool) -> bytes:
    env = etree.Element(
        q(NS_SOAP, "Envelope"), nsmap={"soapenv": NS_SOAP, "twin": NS_TWIN, "sh": NS_SHARED}
    )
    header = etree.SubElement(env, q(NS_SOAP, "Header"))
    if wcf:
        auth = etree.SubElement(header, q(NS_TWIN, "Authentication"))
        etree.SubElement(auth, q(NS_SHARED, "AccessToken")).text = token
        if office is not None:
            etree.SubElement(auth, q(NS_SHARED, "CompanyCode")).text = office
    else:
        auth = etree.SubElement(header, q(NS_TWIN, "Header"))
        etree.SubElement(auth, q(NS_TWIN, "AccessToken")).text = token
        if office is not None:
            etree.SubElement(auth, q(NS_TWIN, "CompanyCode")).text = office
    etree.SubElement(env, q(NS_SOAP, "Body")).append(payload)
    return bytes(etree.tostring(env, xml_declaration=True, encoding="utf-8"))


async def soap(
    ctx: ConnectorContext,
    path: str,
    action: str,
    payload: Callable[[], etree._Element],
    *,
    office: str | None = None,
    wcf: bool = False,
) -> etree._Element:
    """POST one SOAP call to the cluster; returns the first child of the response's Body."""
    client = _cluster_client(ctx, await cluster_url(ctx))
    refused: str | None = None
    for attempt in range(2):
        token = await access_token(ctx, refused=refused)
        response = await client.post(
            path,
            content=envelope(payload(), token=token, office=office, wcf=wcf),
            headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{action}"'},
        )
        if response.status_code in (401, 403):
            # Twinfield puts "<code>: <description>" in the status line of these.
            raise AuthError(
                f"Twinfield refused the call ({response.status_code} "
                f"{response.reason_phrase or ''})".rstrip(),
                response=response,
            )
        if response.status_code not in (200, 500):
            raise FatalError(f"Twinfield answered {response.status_code}", response=response)
        if response.status_code == 500 and not soap_envelope(response):  # status first, then the body
            raise RetriableError("Twinfield failed (500) with an answer that is not SOAP", response=response)
        root = parse_xml(response.content, response=response) if response.content else None
        body = root.find(q(NS_SOAP, "Body")) if root is not None else None
        if body is None:
            if response.status_code == 500:
                raise RetriableError(
                    "Twinfield failed (500) without a SOAP fault", response=response
                )
            raise MalformedResponse("Twinfield answered without a SOAP body", response=response)
        fault = find_fault(body)
        if fault is None:
            if response.status_code == 500:
                raise RetriableError("Twinfield failed (500)", response=response)
            children = list(body)
            if not children:
                raise MalformedResponse(
                    "Twinfield answered with an empty SOAP body", response=response
                )
            return children[0]
        if fault.code in (TOKEN_INVALID, LOGON_INVALID) and attempt == 0:
            refused = token
            continue
        raise fault_error(fault, response)
    raise AssertionError("unreachable")  # pragma: no cover


def fault_error(fault: Fault, response: httpx.Response) -> SfsyncError:
    if fault.code == LOGON_INVALID:
        return NeedsReconsent(
            f"Twinfield no longer accepts this connection's logon (103: {fault.message}); "
            "an admin must connect it again",
            response=response,
        )
    if fault.code == TOKEN_INVALID:
        return AuthError(
            f"Twinfield refuses the access token even after a refresh (354: {fault.message}); "
            "an admin must connect it again",
            response=response,
        )
    label = f"{fault.code}: " if fault.code else ""
    return FatalError(f"Twinfield refused the request ({label}{fault.message})", response=response)


# --- ProcessXml ----------------------------------------------------------------------------------


def business_errors(root: etree._Element) -> list[str]:
    """The ``msg`` of every element flagged ``msgtype="error"`` in a ProcessXml answer."""
    return [
        node.get("msg", "")
        for node in root.iter()
        if isinstance(node.tag, str) and node.get("msgtype") == "error"
    ]


async def process_xml(
    ctx: ConnectorContext,
    request: etree._Element,
    *,
    office: str | None = None,
    compressed: bool = False,
) -> etree._Element:
    """Send Twinfield's own XML request language; returns the answer's root element.

    ``compressed`` uses ``ProcessXmlCompressed`` (gzip, base64), as Twinfield's own sample does
    for browse data; otherwise ``ProcessXmlString`` (the inner XML as an escaped string).
    """
    raw = etree.tostring(request, encoding="utf-8")
    operation = "ProcessXmlCompressed" if compressed else "ProcessXmlString"

    def payload() -> etree._Element:
        call = etree.Element(q(NS_TWIN, operation), nsmap={"twin": NS_TWIN})
        node = etree.SubElement(call, q(NS_TWIN, "xmlRequest"))
        if compressed:
            node.text = base64.b64encode(gzip.compress(raw)).decode()
        else:
            node.text = raw.decode()
        return call

    answer = await soap(ctx, PROCESSXML, f"{NS_TWIN}{operation}", payload, office=office)
    result = answer.find(q(NS_TWIN, f"{operation}Result"))
    if result is None or not result.text:
        raise MalformedResponse(f"Twinfield's {operation} answer has no result")
    if compressed:
        try:
            inner = gzip.decompress(base64.b64decode(result.text))
        except (ValueError, OSError) as exc:
            raise MalformedResponse("Twinfield's compressed answer cannot be unpacked") from exc
        root = parse_xml(inner)
    else:
        root = parse_xml(result.text)
    failed = root.get("result") == "0" or any(
        child.get("result") == "0" for child in root if isinstance(child.tag, str)
    )
    if failed:
        messages = [m for m in business_errors(root) if m] or [root.get("msg", "no message")]
        raise FatalError(f"Twinfield refused the {root.tag} request: {'; '.join(messages)}")
    return root


# --- Finder --------------------------------------------------------------------------------------


async def finder(
    ctx: ConnectorContext,
    finder_type: str,
    options: dict[str, str],
    *,
    first_row: int,
    max_rows: int,
    office: str | None = None,
    pattern: str = "*",
) -> tuple[int, list[str], list[list[str]]]:
    """One page of the Finder ``Search``: total rows, column names and the rows."""

    def payload() -> etree._Element:
        search = etree.Element(q(NS_TWIN, "Search"), nsmap={None: NS_TWIN})
        for name, value in (
            ("type", finder_type),
            ("pattern", pattern),
            ("field", "0"),
            ("firstRow", str(first_row)),
            ("maxRows", str(max_rows)),
        ):
            etree.SubElement(search, q(NS_TWIN, name)).text = value
        opts = etree.SubElement(search, q(NS_TWIN, "options"))
        for name, value in options.items():
            pair = etree.SubElement(opts, q(NS_TWIN, "ArrayOfString"))
            etree.SubElement(pair, q(NS_TWIN, "string")).text = name
            etree.SubElement(pair, q(NS_TWIN, "string")).text = value
        return search

    answer = await soap(ctx, FINDER, f"{NS_TWIN}Search", payload, office=office)
    messages = answer.find(q(NS_TWIN, "SearchResult"))
    if messages is not None:
        errors = [
            f"{text(m.find(q(NS_TWIN, 'Code')))}: {text(m.find(q(NS_TWIN, 'Text')))}"
            for m in messages.findall(q(NS_TWIN, "MessageOfErrorCodes"))
            if text(m.find(q(NS_TWIN, "Type"))) == "Error"
        ]
        if errors:
            raise FatalError(
                f"Twinfield's finder refused the {finder_type} search: {'; '.join(errors)}"
            )
    data = answer.find(q(NS_TWIN, "data"))
    if data is None:
        raise MalformedResponse(f"Twinfield's {finder_type} search answered without data")
    try:
        total = int(text(data.find(q(NS_TWIN, "TotalRows")), "0"))
    except ValueError as exc:
        raise MalformedResponse("Twinfield's finder sent a TotalRows that is not a number") from exc
    columns = [text(c) for c in data.iterfind(f"{q(NS_TWIN, 'Columns')}/{q(NS_TWIN, 'string')}")]
    rows = [
        [text(cell) for cell in row.findall(q(NS_TWIN, "string"))]
        for row in data.iterfind(f"{q(NS_TWIN, 'Items')}/{q(NS_TWIN, 'ArrayOfString')}")
    ]
    return total, columns, rows


# --- WCF query services --------------------------------------------------------------------------


async def wcf_query(
    ctx: ConnectorContext,
    path: str,
    service: str,
    query_type: str,
    contract_ns: str,
    fields: dict[str, str],
    *,
    office: str,
) -> etree._Element:
    """A Command & Query service ``Query`` (``i:type`` polymorphism); returns its ``Result``."""

    def payload() -> etree._Element:
        query = etree.Element(
            q(NS_TWIN, "Query"), nsmap={None: NS_TWIN, "i": NS_XSI, "b": contract_ns}
        )
        query.set(q(NS_XSI, "type"), f"b:{query_type}")
        for name, value in fields.items():
            etree.SubElement(query, q(contract_ns, name)).text = value
        return query

    answer = await soap(ctx, path, f"{NS_TWIN}{service}/Query", payload, office=office, wcf=True)
    if etree.QName(answer).localname == "QueryResponse":
        inner = list(answer)
        if not inner:
            raise MalformedResponse(f"Twinfield's {query_type} answered without a result")
        answer = inner[0]
    return answer
