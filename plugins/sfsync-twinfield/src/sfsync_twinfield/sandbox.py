"""The Twinfield sandbox: the login host and an organisation's cluster, offline.

Covers the simulator checklist of the provider notes (section 9):

1. ``login.twinfield.com``: the authorize page (``nonce`` mandatory), the token endpoint (client
   authenticated with HTTP Basic, 3600-second access tokens, long-lived refresh tokens, a signed
   ``id_token`` for ``openid``, with discovery document and JWKS) and ``accesstokenvalidation``
   (JSON claims with ``twf.clusterUrl`` and ``exp``; 400 when invalid); the legacy
   ``session.asmx`` logon (``sandbox_session``), whose ``SessionID`` the cluster also takes.
2. ``processxml.asmx`` (``ProcessXmlString``, ``ProcessXmlDocument``, ``ProcessXmlCompressed``):
   ``<list>`` of offices and dimensions, ``<read>`` of a dimension or a transaction, and browse
   ``<columns>`` ``000``, ``030_3`` and ``040_1`` with their filters.
3. ``finder.asmx`` ``Search`` for ``OFF`` and ``DIM`` (``dimtype``, ``office``,
   ``modifiedsince``), paged by ``firstRow``/``maxRows`` with ``TotalRows``.
4. ``DeletedTransactionsService.svc`` and ``PeriodService.svc`` (``GetYears``, ``GetPeriods``).
5. Faults 354 (token invalid or expired) and 103 (logon no longer valid), the missing
   ``CompanyCode`` fault, ``result="0"`` business errors, and 429 with ``Retry-After`` when the
   credits of a minute are spent.

Shapes the notes mark unverified (the period service's result fields, the deleted-transactions
date filter being on the deletion date, stamps in UTC) are the sandbox's assumptions, named in
``docs/twinfield.md``.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import datetime as dt
import fnmatch
import gzip
from decimal import Decimal
from typing import Any

import httpx
from lxml import etree  # type: ignore[import-untyped,unused-ignore]  # no stubs
from sfsync.clock import Clock
from sfsync.sandbox import ASGIApp, Receive, Sandbox, Scope, Send
from sfsync.sandbox.limits import Quota, RateLimits
from sfsync.sandbox.oauth import OAuthClient, OAuthUser
from sfsync.sandbox.responses import exact
from sfsync.sandbox.routing import BaseRoute, Request, Route
from sfsync.sandbox.routing import Response as HttpResponse
from sfsync.truth import PackageTruth

from sfsync_twinfield.client import (
    LOGIN_URL,
    NS_DELETED,
    NS_PERIOD,
    NS_SHARED,
    NS_SOAP,
    NS_TWIN,
    NS_XSI,
    PARSER,
    q,
)
from sfsync_twinfield.sandbox_browse import browse, refused
from sfsync_twinfield.sandbox_data import STAMP, Books, Deletion, Office, Transaction
from sfsync_twinfield.sandbox_errors import SoapFault, read_envelope, unknown_action
from sfsync_twinfield.sandbox_login import (
    SUBJECT,
    VALIDATION_PATH,
    TwinfieldLogin,
    twinfield_settings,
)
from sfsync_twinfield.sandbox_session import SESSION_PATH, LegacySession, SessionService
from sfsync_twinfield.sandbox_truth import office_truth

CLUSTER_URL = "https://api.accounting2.twinfield.com"
Response = tuple[int, dict[str, str], bytes]

ACTIONS = {
    "/webservices/processxml.asmx": {
        f"{NS_TWIN}ProcessXmlString",
        f"{NS_TWIN}ProcessXmlDocument",
        f"{NS_TWIN}ProcessXmlCompressed",
    },
    "/webservices/finder.asmx": {f"{NS_TWIN}Search"},
    "/webservices/DeletedTransactionsService.svc": {f"{NS_TWIN}DeletedTransactionsService/Query"},
    "/webservices/PeriodService.svc": {f"{NS_TWIN}PeriodService/Query"},
}
QUERY_ROOTS = {"list", "read", "columns", "accountcode", "accountcodes"}
MAX_FINDER_ROWS = 100


class TwinfieldSandbox(SessionService, Sandbox):
    """Twinfield's login host and one organisation's cluster.

    Args:
        clock: Time for token expiry, stamps and the credit window.
        scale: Sales invoices a month in office 001 (for benchmarks).
        login_url, cluster_url: Where it is served (real HTTP on localhost for the demo).
    """

    connector = "twinfield"
    client_id = "sfsync-sandbox-app"
    client_secret = "twf-sandbox-secret-7f3a9c"
    organisation = "VOORBEELD"
    username = "boekhouder"
    password = "Zomer2026!"
    access_lifetime = 3600
    default_credits_per_minute = 1000

    def __init__(
        self,
        clock: Clock | None = None,
        *,
        scale: int = 1,
        login_url: str = LOGIN_URL,
        cluster_url: str = CLUSTER_URL,
    ) -> None:
        self.clock = clock or Clock()
        self.login_url = login_url
        self.cluster_url = cluster_url
        self.base_urls = (self.login_url, self.cluster_url)
        self.books = Books(self.clock.now().date(), self.clock.now(), scale=scale)
        self.login = self.oauth_server = TwinfieldLogin(
            twinfield_settings(self.login_url, self.access_lifetime),
            client=OAuthClient(self.client_id, self.client_secret, name="Twinfield app"),
            user=OAuthUser(self.username, self.password, subject=SUBJECT),
            organisation=self.organisation, cluster_url=self.cluster_url, clock=self.clock,
        )
        self.sessions: dict[str, LegacySession] = {}  # session.asmx logons, by SessionID
        # Credits per caller in a rolling minute: a query costs 1, anything else 3.
        self.credits = RateLimits([Quota("credits", self.credits_per_minute, 60, scope="caller", window="sliding")],
                                  clock=self.clock, scopes={})
        self.calls: collections.Counter[str] = collections.Counter()
        self.log: list[dict[str, Any]] = []  # every cluster call that got past auth, described
        super().__init__()

    @property
    def credits_per_minute(self) -> int:
        """Credits a caller may spend in a rolling minute (the toolkit's limiter counts them)."""
        return self.credits.limit_of("credits", "") if hasattr(self, "credits") else self.default_credits_per_minute

    @credits_per_minute.setter
    def credits_per_minute(self, credits: int) -> None:
        self.credits.set_limit("credits", credits)

    @property
    def login_url(self) -> str:
        """Where the login host is served; set anew (one served port for both hosts), the OAuth
        server's issuer and endpoints follow."""
        return self._login_url

    @login_url.setter
    def login_url(self, url: str) -> None:
        self._login_url = url.rstrip("/")
        if hasattr(self, "login"):
            self.login.settings = twinfield_settings(self._login_url, self.access_lifetime)

    @property
    def cluster_url(self) -> str:
        """Where the organisation's cluster is served (token validation names it)."""
        return self._cluster_url

    @cluster_url.setter
    def cluster_url(self, url: str) -> None:
        self._cluster_url = url.rstrip("/")
        if hasattr(self, "login"):
            self.login.cluster_url = self._cluster_url

    def credentials(self) -> dict[str, str]:
        """The toolkit's list, with the organisation the login form asks."""
        return {**super().credentials(), "organisation": self.organisation}

    # --- the contract suite's handles -----------------------------------------------------------

    def connection_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {"client_id": self.client_id}
        if self.login_url != LOGIN_URL:
            config["login_url"] = self.login_url
        return config

    def connection_secrets(self) -> dict[str, str]:
        return {"client_secret": self.client_secret}

    def bad_connection_secrets(self) -> dict[str, str]:
        return {"client_secret": "not-the-twinfield-secret"}

    def company_refs(self) -> list[str]:
        return self.books.richest()

    async def authorize(self, client: httpx.AsyncClient, authorize_url: str) -> str:
        """Log in at the login host as a person would (organisation, user, password)."""
        return await self.login.log_in(client, authorize_url)

    def invalidate_logons(self) -> None:
        """Every issued access token now gets fault 103 on the cluster (a logon replaced)."""
        self.login.invalidate_logons()

    def truth(self, company_ref: str) -> PackageTruth:
        return office_truth(self.books.offices[company_ref])

    def _stamp(self) -> dt.datetime:
        return self.books.stamp(self.clock.now())

    def add_entry(self, company_ref: str) -> list[str]:
        office = self.books.offices[company_ref]
        latest = office.years[-1]
        day = min(max(self.clock.now().date(), latest.start), latest.end)
        net = Decimal("123.45")
        vat = (net * Decimal("0.21")).quantize(Decimal("0.01"))
        txn = self.books.book(
            office,
            day,
            "VRK",
            [
                ("1300", net + vat, "Factuur toegevoegd", "1002"),
                ("8000", -net, "Omzet toegevoegd", ""),
                ("1520", -vat, "Btw 21% toegevoegd", ""),
            ],
            stamp=self._stamp(),
            vatcode="VH",
        )
        return [f"{txn.code}/{txn.number}/{line.line}" for line in txn.lines]

    def _ordered(self, office: Office) -> list[Transaction]:
        return [t for _, t in sorted(office.transactions.items()) if t.code != "BEGIN"]

    def edit_line(self, company_ref: str) -> str:
        office = self.books.offices[company_ref]
        txn = self._ordered(office)[0]
        txn.lines[0].description += " (gewijzigd)"
        txn.modified = self._stamp()
        return f"{txn.code}/{txn.number}/{txn.lines[0].line}"

    def delete_entry(self, company_ref: str) -> list[str]:
        office = self.books.offices[company_ref]
        ordered = self._ordered(office)
        txn = ordered[len(ordered) // 2]
        del office.transactions[(txn.code, txn.number)]
        office.deletions.append(
            Deletion(txn.code, txn.number, txn.date, self._stamp(), "BOEKHOUDER", "Dubbel geboekt")
        )
        return [f"{txn.code}/{txn.number}/{line.line}" for line in txn.lines]

    # --- ASGI -----------------------------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        """The cluster's paths, answered by :meth:`handle`, and token validation (the login host's
        OAuth routes come first, from the toolkit's server)."""
        serve = self._serve
        return [
            Route(VALIDATION_PATH, self.login.validation, methods=["GET"]),
            Route(SESSION_PATH, serve, methods=["POST"]),
            # The services refuse a GET (405, or 404 for ?wsdl) themselves, as ASMX and WCF do.
            *(Route(path, serve, methods=["GET", "POST"]) for path in ACTIONS),
        ]

    def build_app(self) -> ASGIApp:
        """The toolkit's app, counting the calls per path (:attr:`calls`)."""
        app = super().build_app()

        async def counted(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http":
                self.calls[scope["path"]] += 1
            await app(scope, receive, send)

        return counted

    def refusal(self, request: Request, status: int) -> HttpResponse:
        return exact(b"Not Found", 404, {"content-type": "text/plain"})

    async def _serve(self, request: Request) -> HttpResponse:
        # A parameter without a value (``?wsdl``) is dropped, as parse_qs does.
        query = {k: v for k, v in request.query_params.multi_items() if v}
        headers = {k.lower(): v for k, v in request.headers.items()}
        status, out, payload = self.handle(request.method, request.url.path, query, headers, await request.body())
        return exact(payload, status, out)

    def over_http(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Response:
        """One request through the whole app (login host included), as :meth:`handle` takes it:
        for tests that speak to the sandbox without a client."""

        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url=self.login_url) as client:
                return await client.request(method, path, params=query, headers=headers, content=body)

        answer = asyncio.run(send())
        return answer.status_code, dict(answer.headers), answer.content

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Response:
        if path == SESSION_PATH and method == "POST":
            return self._session_service(headers, body)
        if path in ACTIONS:
            if method == "GET" and "wsdl" in {k.lower() for k in query}:
                return 404, {"content-type": "text/plain"}, b"the sandbox does not serve WSDLs"
            if method != "POST":
                return 405, {"content-type": "text/plain", "allow": "POST"}, b"Method Not Allowed"
            return self._soap(path, headers, body)
        return 404, {"content-type": "text/plain"}, b"Not Found"

    # --- cluster: SOAP --------------------------------------------------------------------------

    def _soap(self, path: str, headers: dict[str, str], body: bytes) -> Response:
        if not headers.get("content-type", "").startswith("text/xml"):
            return (
                415,
                {"content-type": "text/plain"},
                b"Unsupported Media Type: SOAP 1.1 wants text/xml",
            )
        action = headers.get("soapaction", "").strip().strip('"')
        source = action.rsplit("/", 1)[-1]
        try:
            if action not in ACTIONS[path]:
                raise unknown_action(action)
            envelope = read_envelope(body)
            wcf = path.endswith(".svc")
            token, office = self._credentials(envelope, wcf)
            session = None if token or wcf else self.legacy_session(envelope)
            if session is not None:  # a session.asmx logon instead of an access token
                caller = f"session:{session.user}"
                office = office or session.office
            else:
                issued = self.login.access(token)
                if issued is None:
                    raise SoapFault("Access denied. Token invalid.", "354")
                if issued.token in self.login.replaced_logons:
                    raise SoapFault(
                        "Your logon credentials are not valid anymore. Try to log on again.", "103"
                    )
                caller = issued.grant.client.client_id
            limited = self._spend(caller, self._cost(path, envelope))
            self.log.append(
                {
                    "path": path,
                    "office": office,
                    "limited": limited is not None,
                    **self._describe(path, envelope),
                }
            )
            if limited is not None:
                return limited
            payload = envelope.find(f"{q(NS_SOAP, 'Body')}/*")
            if payload is None:
                raise SoapFault("Server was unable to read request: the Body is empty.")
            if path.endswith("processxml.asmx"):
                answer = self._processxml(payload, office)
            elif path.endswith("finder.asmx"):
                answer = self._finder(payload, office)
            elif "DeletedTransactions" in path:
                answer = self._deleted(payload, office)
            else:
                answer = self._periods(payload, office)
        except SoapFault as fault:
            return self._fault(path, source, fault)
        out = etree.Element(q(NS_SOAP, "Envelope"), nsmap={"soap": NS_SOAP})
        etree.SubElement(out, q(NS_SOAP, "Body")).append(answer)
        return (
            200,
            {"content-type": "text/xml; charset=utf-8"},
            etree.tostring(out, xml_declaration=True, encoding="utf-8"),
        )

    def _credentials(self, envelope: etree._Element, wcf: bool) -> tuple[str | None, str | None]:
        header = envelope.find(q(NS_SOAP, "Header"))
        if header is None:
            return None, None
        if wcf:
            node = header.find(q(NS_TWIN, "Authentication"))
            ns = NS_SHARED
        else:
            node = header.find(q(NS_TWIN, "Header"))
            ns = NS_TWIN
        if node is None:
            return None, None
        token = node.findtext(q(ns, "AccessToken"))
        office = node.findtext(q(ns, "CompanyCode"))
        return (token.strip() if token else None), (office.strip() if office else None)

    def _describe(self, path: str, envelope: etree._Element) -> dict[str, Any]:
        """What a call asked for, for tests: the request root, browse filters, finder options."""
        payload = envelope.find(f"{q(NS_SOAP, 'Body')}/*")
        if payload is None:
            return {}
        if path.endswith("processxml.asmx"):
            try:
                root = self._inner_request(payload)
            except SoapFault:
                return {}
            return {
                "operation": etree.QName(payload).localname,
                "request": root.tag,
                "type": root.findtext("type") or root.get("code"),
                "filters": {
                    c.findtext("field"): (
                        c.findtext("operator"),
                        c.findtext("from"),
                        c.findtext("to"),
                    )
                    for c in root.iterfind("column")
                    if (c.findtext("operator") or "none") != "none"
                },
            }
        if path.endswith("finder.asmx"):
            options = {}
            for pair in payload.iterfind(f"{q(NS_TWIN, 'options')}/{q(NS_TWIN, 'ArrayOfString')}"):
                parts = [x.text or "" for x in pair.findall(q(NS_TWIN, "string"))]
                if len(parts) == 2:
                    options[parts[0]] = parts[1]
            return {
                "request": "Search",
                "type": payload.findtext(q(NS_TWIN, "type")),
                "options": options,
            }
        return {"request": "Query", "type": payload.get(q(NS_XSI, "type"), "").rpartition(":")[2]}

    def _cost(self, path: str, envelope: etree._Element) -> int:
        if not path.endswith("processxml.asmx"):
            return 1  # Search, Query and the DeletedTransactionsService are queries
        payload = envelope.find(f"{q(NS_SOAP, 'Body')}/*")
        try:
            root = self._inner_request(payload) if payload is not None else None
        except SoapFault:
            return 3
        return 1 if root is not None and root.tag in QUERY_ROOTS else 3

    def _spend(self, client_id: str, cost: int) -> Response | None:
        verdict = self.credits.take_keys({"caller": client_id}, cost=cost)
        if verdict.allowed:
            return None
        return 429, {"content-type": "text/plain", "retry-after": str(verdict.retry_after)}, b"Too Many Requests"

    def _fault(self, path: str, source: str, fault: SoapFault) -> Response:
        env = etree.Element(q(NS_SOAP, "Envelope"), nsmap={"soap": NS_SOAP})
        node = etree.SubElement(etree.SubElement(env, q(NS_SOAP, "Body")), q(NS_SOAP, "Fault"))
        etree.SubElement(node, "faultcode").text = fault.faultcode
        etree.SubElement(node, "faultstring").text = fault.message
        etree.SubElement(node, "faultactor").text = f"{self.cluster_url}{path}?wsdl"
        detail = etree.SubElement(node, "detail")
        etree.SubElement(detail, "message").text = fault.message
        if fault.code:
            etree.SubElement(detail, "code").text = fault.code
        etree.SubElement(detail, "source").text = source
        return (
            500,
            {"content-type": "text/xml; charset=utf-8"},
            etree.tostring(env, xml_declaration=True, encoding="utf-8"),
        )

    def _office(self, office: str | None) -> Office:
        if not office:
            raise SoapFault("Toegang geweigerd. Company ontbreekt in request header.")
        return self._known_office(office)

    def _known_office(self, office: str) -> Office:
        found = self.books.offices.get(office)
        if found is None:
            raise SoapFault(f"Toegang geweigerd. Geen toegang tot administratie {office}.")
        return found

    # --- ProcessXml -----------------------------------------------------------------------------

    def _inner_request(self, payload: etree._Element) -> etree._Element:
        operation = etree.QName(payload).localname
        holder = payload.find(q(NS_TWIN, "xmlRequest"))
        if holder is None:
            raise SoapFault(f"{operation}: xmlRequest is missing.")
        try:
            if operation == "ProcessXmlString":
                return etree.fromstring((holder.text or "").encode(), PARSER)
            if operation == "ProcessXmlCompressed":
                return etree.fromstring(
                    gzip.decompress(base64.b64decode(holder.text or "")), PARSER
                )
            children = [c for c in holder if isinstance(c.tag, str)]
            if len(children) != 1:
                raise SoapFault("ProcessXmlDocument: xmlRequest must hold one element.")
            return children[0]
        except (etree.XMLSyntaxError, ValueError, OSError) as exc:
            raise SoapFault(f"{operation}: the request is not well-formed XML.") from exc

    def _processxml(self, payload: etree._Element, office: str | None) -> etree._Element:
        operation = etree.QName(payload).localname
        request = self._inner_request(payload)
        answer = self._process(request, office)
        # Prefixed, so the unqualified answer of ProcessXmlDocument stays unqualified.
        response = etree.Element(q(NS_TWIN, f"{operation}Response"), nsmap={"tw": NS_TWIN})
        result = etree.SubElement(response, q(NS_TWIN, f"{operation}Result"))
        raw = etree.tostring(answer, encoding="utf-8")
        if operation == "ProcessXmlString":
            result.text = raw.decode()
        elif operation == "ProcessXmlCompressed":
            result.text = base64.b64encode(gzip.compress(raw)).decode()
        else:
            result.append(answer)
        return response

    def _process(self, request: etree._Element, office: str | None) -> etree._Element:
        kind = request.findtext("type")
        if request.tag == "list" and kind == "offices":
            out = etree.Element("offices", result="1")
            for item in self.books.offices.values():
                node = etree.SubElement(out, "office", name=item.name, shortname=item.shortname)
                node.text = item.code
            return out
        if request.tag in ("list", "read", "columns"):
            books = self._office(office)
            if request.tag == "columns":
                return browse(request, books, self.username)
            named = request.findtext("office")
            if named is not None and named != books.code:
                return refused(
                    request,
                    request.find("office"),
                    f"Administratie {named} komt niet overeen met de header.",
                )
            if request.tag == "list" and kind == "dimensions":
                return self._list_dimensions(request, books)
            if request.tag == "read" and kind == "dimensions":
                return self._read_dimension(request, books)
            if request.tag == "read" and kind == "transaction":
                return self._read_transaction(request, books)
        return refused(request, request, f"Onbekend verzoek <{request.tag}> van type {kind!r}.")

    def _list_dimensions(self, request: etree._Element, books: Office) -> etree._Element:
        dimtype = request.findtext("dimtype") or ""
        if dimtype not in {k for k, _ in books.dimensions}:
            return refused(
                request,
                request.find("dimtype") if request.find("dimtype") is not None else request,
                f"Dimensietype {dimtype!r} bestaat niet.",
            )
        out = etree.Element("dimensions", office=books.code, type=dimtype, result="1")
        for (kind, code), dim in sorted(books.dimensions.items()):
            if kind == dimtype:
                node = etree.SubElement(
                    out, "dimension", name=dim.name, shortname=dim.name[:16], dimensiontype=kind
                )
                node.text = code
        return out

    def _read_dimension(self, request: etree._Element, books: Office) -> etree._Element:
        key = (request.findtext("dimtype") or "", request.findtext("code") or "")
        dim = books.dimensions.get(key)
        if dim is None:
            return refused(
                request,
                request.find("code") if request.find("code") is not None else request,
                f"Dimensie {key[1]} van type {key[0]} bestaat niet.",
            )
        out = etree.Element("dimension", status="active", result="1")
        for name, value in (
            ("office", books.code),
            ("type", dim.type),
            ("code", dim.code),
            ("name", dim.name),
            ("shortname", dim.name[:16]),
            ("inuse", "true"),
            ("behaviour", "normal"),
            ("modified", dim.modified.strftime(STAMP)),
            ("touched", "1"),
        ):
            etree.SubElement(out, name).text = value
        return out

    def _read_transaction(self, request: etree._Element, books: Office) -> etree._Element:
        txn = books.transactions.get(
            (request.findtext("code") or "", request.findtext("number") or "")
        )
        if txn is None:
            return refused(request, request, "Boeking bestaat niet.")
        out = etree.Element("transaction", location="final", result="1")
        header = etree.SubElement(out, "header")
        for name, value in (
            ("office", books.code),
            ("code", txn.code),
            ("number", txn.number),
            ("period", f"{txn.year}/{txn.period:02d}"),
            ("currency", txn.currency),
            ("date", txn.date.strftime("%Y%m%d")),
            ("modificationdate", txn.modified.strftime(STAMP)),
        ):
            etree.SubElement(header, name).text = value
        lines = etree.SubElement(out, "lines")
        for line in txn.lines:
            node = etree.SubElement(lines, "line", type="detail", id=str(line.line))
            for name, value in (
                ("dim1", line.dim1),
                ("dim2", line.dim2),
                ("debitcredit", "debit" if line.base >= 0 else "credit"),
                ("value", f"{abs(line.value):.2f}"),
                ("basevalue", f"{abs(line.base):.2f}"),
                ("description", line.description),
                ("vatcode", line.vatcode),
            ):
                etree.SubElement(node, name).text = value
        return out

    # --- finder ---------------------------------------------------------------------------------

    def _finder(self, payload: etree._Element, office: str | None) -> etree._Element:
        def value(name: str) -> str:
            return (payload.findtext(q(NS_TWIN, name)) or "").strip()

        errors: list[tuple[str, str]] = []
        options: dict[str, str] = {}
        for pair in payload.iterfind(f"{q(NS_TWIN, 'options')}/{q(NS_TWIN, 'ArrayOfString')}"):
            parts = [s.text or "" for s in pair.findall(q(NS_TWIN, "string"))]
            if len(parts) == 2:
                options[parts[0]] = parts[1]
        finder_type = value("type")
        try:
            first, most = int(value("firstRow")), int(value("maxRows"))
        except ValueError:
            first, most = 0, 0
        if first < 1 or not 1 <= most <= MAX_FINDER_ROWS:
            errors.append(
                (
                    "ParameterOutOfRange",
                    f"firstRow must be 1 or more, maxRows 1 to {MAX_FINDER_ROWS}",
                )
            )
        columns: list[str] = []
        items: list[list[str]] = []
        if finder_type == "OFF":
            columns = ["Code", "Name", "CountryCode"]
            items = [[o.code, o.name, "NL"] for o in self.books.offices.values()]
        elif finder_type == "DIM":
            allowed = {"dimtype", "office", "modifiedsince", "section", "hidden"}
            for name in options:
                if name not in allowed:
                    errors.append(("OptionNotAllowed", f"Option {name} is not allowed"))
            code = options.get("office") or office
            books = self.books.offices.get(code or "")
            if books is None:
                errors.append(("NoAccessToOffice", f"No access to office {code}"))
            dimtype = options.get("dimtype")
            if not dimtype:
                errors.append(("OptionMandatory", "Option dimtype is mandatory"))
            elif dimtype not in ("BAS", "PNL", "DEB", "CRD", "KPL", "PRJ", "AST", "ACT"):
                errors.append(("InvalidEnumerationOptionValue", f"Invalid dimtype {dimtype}"))
            since = options.get("modifiedsince")
            if since is not None and len(since) != 14:
                errors.append(("InvalidDateTimeOptionLength", "modifiedsince is YYYYMMDDHHMMSS"))
            elif since is not None and not since.isdigit():
                errors.append(("InvalidDateTimeOptionValue", "modifiedsince is YYYYMMDDHHMMSS"))
            if books is not None and not errors:
                columns = ["Code", "Name"]
                pattern = value("pattern") or "*"
                items = [
                    [d.code, d.name]
                    for (kind, _), d in sorted(books.dimensions.items())
                    if kind == dimtype
                    and (since is None or d.modified.strftime(STAMP) >= since)
                    and fnmatch.fnmatchcase(d.code, pattern)
                ]
        else:
            errors.append(("InvalidFinderType", f"Finder type {finder_type!r} does not exist"))
        response = etree.Element(q(NS_TWIN, "SearchResponse"), nsmap={None: NS_TWIN})
        result = etree.SubElement(response, q(NS_TWIN, "SearchResult"))
        for code, message in errors:
            node = etree.SubElement(result, q(NS_TWIN, "MessageOfErrorCodes"))
            etree.SubElement(node, q(NS_TWIN, "Type")).text = "Error"
            etree.SubElement(node, q(NS_TWIN, "Text")).text = message
            etree.SubElement(node, q(NS_TWIN, "Code")).text = code
        if errors:
            return response
        data = etree.SubElement(response, q(NS_TWIN, "data"))
        etree.SubElement(data, q(NS_TWIN, "TotalRows")).text = str(len(items))
        cols = etree.SubElement(data, q(NS_TWIN, "Columns"))
        for name in columns:
            etree.SubElement(cols, q(NS_TWIN, "string")).text = name
        rows = etree.SubElement(data, q(NS_TWIN, "Items"))
        for item in items[first - 1 : first - 1 + most]:
            row = etree.SubElement(rows, q(NS_TWIN, "ArrayOfString"))
            for cell in item:
                etree.SubElement(row, q(NS_TWIN, "string")).text = cell
        return response

    # --- WCF query services ---------------------------------------------------------------------

    def _query_type(self, payload: etree._Element, contract_ns: str) -> str:
        if etree.QName(payload).localname != "Query":
            raise SoapFault("The message with Action cannot be processed: expected Query.")
        declared = str(payload.get(q(NS_XSI, "type"), ""))
        prefix, _, name = declared.rpartition(":")
        if payload.nsmap.get(prefix or None) != contract_ns:
            raise SoapFault(f"Query type {declared!r} is not a query of this service.")
        return name

    def _deleted(self, payload: etree._Element, office: str | None) -> etree._Element:
        books = self._office(office)
        if self._query_type(payload, NS_DELETED) != "GetDeletedTransactions":
            raise SoapFault("Unknown query.")

        def field(name: str) -> str | None:
            found = payload.findtext(q(NS_DELETED, name))
            return found.strip() if found else None

        company = field("CompanyCode")
        if not company or company != books.code:
            raise SoapFault(
                "InvalidCompanyCode: CompanyCode is mandatory and must be the header's company.",
                "InvalidCompanyCode",
            )
        try:
            date_from = dt.datetime.fromisoformat(field("DateFrom")) if field("DateFrom") else None  # type: ignore[arg-type]
            date_to = dt.datetime.fromisoformat(field("DateTo")) if field("DateTo") else None  # type: ignore[arg-type]
        except ValueError as exc:
            raise SoapFault(
                "InvalidDates: DateFrom and DateTo are xs:dateTime.", "InvalidDates"
            ) from exc
        if date_from and date_to and date_to < date_from:
            raise SoapFault("InvalidDates: DateTo is before DateFrom.", "InvalidDates")
        daybook = field("Daybook")
        if daybook and daybook not in {d.daybook for d in books.deletions} | {
            t.code for t in books.transactions.values()
        }:
            raise SoapFault("InvalidDaybook: the daybook does not exist.", "InvalidDaybook")
        result = etree.Element(
            q(NS_TWIN, "Result"), nsmap={None: NS_TWIN, "i": NS_XSI, "b": NS_DELETED}
        )
        result.set(q(NS_XSI, "type"), "b:GetDeletedTransactionsResult")
        listing = etree.SubElement(result, q(NS_DELETED, "DeletedTransactions"))
        for item in books.deletions:
            when = item.deleted_at
            if (date_from and when < date_from.replace(tzinfo=None)) or (
                date_to and when > date_to.replace(tzinfo=None)
            ):
                continue
            if daybook and item.daybook != daybook:
                continue
            node = etree.SubElement(listing, q(NS_DELETED, "DeletedTransaction"))
            for name, value in (
                ("Daybook", item.daybook),
                ("TransactionNumber", item.number),
                ("TransactionDate", f"{item.date.isoformat()}T00:00:00"),
                ("DeletionDate", when.isoformat()),
                ("User", item.user),
                ("ReasonForDeletion", item.reason),
            ):
                etree.SubElement(node, q(NS_DELETED, name)).text = value
        return result

    def _periods(self, payload: etree._Element, office: str | None) -> etree._Element:
        books = self._office(office)
        query = self._query_type(payload, NS_PERIOD)
        result = etree.Element(
            q(NS_TWIN, "Result"), nsmap={None: NS_TWIN, "i": NS_XSI, "b": NS_PERIOD}
        )
        result.set(q(NS_XSI, "type"), f"b:{query}Result")
        if query == "GetYears":
            years = etree.SubElement(result, q(NS_PERIOD, "Years"))
            for year in books.years:
                etree.SubElement(years, q(NS_PERIOD, "Year")).text = str(year.number)
            return result
        if query == "GetPeriods":
            wanted = (payload.findtext(q(NS_PERIOD, "Year")) or "").strip()
            asked = next((y for y in books.years if str(y.number) == wanted), None)
            if asked is None:
                raise SoapFault(f"YearNotFound: year {wanted!r} does not exist.", "YearNotFound")
            periods = etree.SubElement(result, q(NS_PERIOD, "Periods"))
            for number, end, is_open in asked.periods:
                node = etree.SubElement(periods, q(NS_PERIOD, "Period"))
                for name, value in (
                    ("Year", str(asked.number)),
                    ("Number", str(number)),
                    ("Name", end.strftime("%B").lower()),
                    ("EndDate", f"{end.isoformat()}T00:00:00"),
                    ("IsOpen", "true" if is_open else "false"),
                ):
                    etree.SubElement(node, q(NS_PERIOD, name)).text = value
            return result
        raise SoapFault(f"Unknown query {query!r}.")
