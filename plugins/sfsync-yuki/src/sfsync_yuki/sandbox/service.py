"""Yuki's ASMX SOAP services, offline: ``POST /ws/<Service>.asmx``, dispatched on ``SOAPAction``
(SOAP 1.1) or the ``action`` of ``application/soap+xml`` (SOAP 1.2), and the HTTP GET/POST
bindings ``/ws/<Service>.asmx/<Operation>`` (see ``protocols``).

Requests are checked against the WSDL as strictly as a generated server would be: the SOAPAction
must name an operation of that service and match the body element; parameters must be the WSDL's
names (case-sensitive, in the Yuki namespace, in order) with values of the declared type. Every
call but ``Authenticate`` needs a live session; each call counts against its domain's daily
budget. Faults are ASMX-style ``soap:Fault`` bodies with HTTP 500.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from lxml import etree
from sfsync.sandbox.responses import exact
from sfsync.sandbox.routing import BaseRoute, Request, Response, Route

from sfsync_yuki.sandbox.data import Administration, Line
from sfsync_yuki.sandbox.protocols import (
    FORM_TYPE,
    SOAP11,
    SoapVersion,
    action_of,
    fault_body,
    soap_version,
)
from sfsync_yuki.soap import AMSTERDAM, XSI, parse_xml
from sfsync_yuki.wsdl import SERVICES, TNS, Operation, Param, Service, load_service

if TYPE_CHECKING:
    from sfsync_yuki.sandbox import YukiSandbox

__all__ = ["Fault", "SoapApp"]

ASMX_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]  # refused in handle(), as ASMX does
UNABLE_READ = "Server was unable to read request. ---> "
UNABLE_PROCESS = "Server was unable to process request. ---> "
SESSION_FREE = {"Authenticate", "AuthenticateByUserName", "AuthenticateClient", "SupportedLanguages"}
DATA_GROUPS = {"document", "documentprocessed", "contact", "documentmatching", "foreigncurrency", "vat", "project"}


class Fault(Exception):
    def __init__(self, message: str, code: str = "soap:Server") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class Typed:
    service: str
    type_name: str
    tag: str
    values: dict[str, Any]


@dataclass
class Session:
    id: str
    key: str
    expires_at: dt.datetime
    domain: str


def _dt(value: dt.date | dt.datetime) -> str:
    if isinstance(value, dt.datetime):
        return value.astimezone(AMSTERDAM).replace(tzinfo=None).isoformat(timespec="seconds") if value.tzinfo else value.isoformat(timespec="seconds")
    return f"{value.isoformat()}T00:00:00"


def _parse_value(param: Param, text: str) -> Any:
    t = param.type
    if t == "s:int":
        return int(text.strip())
    if t == "s:dateTime":
        raw = text.strip()
        return dt.datetime.fromisoformat(raw.replace("Z", "+00:00")) if "T" in raw else dt.datetime.fromisoformat(raw)
    if t == "s:boolean":
        if text.strip() not in ("true", "false", "1", "0"):
            raise ValueError(text)
        return text.strip() in ("true", "1")
    if t in ("s:decimal", "s:double"):
        return Decimal(text.strip())
    return text


class SoapApp:
    """The services' route table and handlers; state lives on the sandbox."""

    def __init__(self, sandbox: YukiSandbox) -> None:
        self.sb = sandbox
        self.handlers: dict[str, Callable[..., Any]] = {
            "Authenticate": self.authenticate,
            "AdministrationID": self.administration_id,
            "Administrations": self.administrations,
            "Companies": self.companies,
            "Domains": self.domains,
            "GetCurrentDomain": self.get_current_domain,
            "SetCurrentDomain": self.set_current_domain,
            "GetGLAccountScheme": self.gl_account_scheme,
            "GetPeriodDateTable": self.period_date_table,
            "GetFinancialYearModifiedDate": self.year_modified_date,
            "GetTransactionDetails": self.transaction_details,
            "GetTransactions": self.transactions,
            "GetStartBalanceByGlAccount": self.start_balances,
            "GLAccountTransactions": self.gl_transactions,
            "GLAccountTransactionsFiscal": self.gl_transactions,
            "GLAccountBalance": self.gl_balance,
            "GLAccountBalanceFiscal": self.gl_balance,
            "GLAccountBalanceYearEnd": self.gl_balance,
        }

    # --- routes -------------------------------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        """ASMX's URL space: ``/ws/<Service>.asmx`` (SOAP, ``?wsdl``) and ``/ws/<Service>.asmx/<Operation>``
        (the HttpGet/HttpPost bindings)."""
        return [Route("/ws/{service}", self.endpoint, methods=ASMX_METHODS),
                Route("/ws/{service}/{operation}", self.endpoint, methods=ASMX_METHODS)]

    async def endpoint(self, request: Request) -> Response:
        headers = {k.lower(): v for k, v in request.headers.items()}
        status, content_type, payload = await self.handle(request.method, request.url.path, request.url.query,
                                                          headers, await request.body())
        return exact(payload, status, {"content-type": content_type})

    @staticmethod
    def refusal(request: Request, status: int) -> Response:
        """IIS's page for a path no service answers."""
        return exact(b"<html><body>The resource cannot be found.</body></html>", 404, {"content-type": "text/html"})

    async def handle(self, method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> tuple[int, str, bytes]:
        parts = path.strip("/").split("/")
        if len(parts) not in (2, 3) or parts[0] != "ws" or not parts[1].endswith(".asmx") or parts[1][:-5] not in SERVICES:
            return 404, "text/html", b"<html><body>The resource cannot be found.</body></html>"
        service = load_service(parts[1][:-5])
        if len(parts) == 3:
            return await self.handle_http(service, parts[2], method, query, headers, body)
        if method == "GET" and "wsdl" in {k.lower() for k in parse_qs(query, keep_blank_values=True)}:
            from importlib import resources

            data = resources.files("sfsync_yuki").joinpath("wsdl", f"{service.name}.asmx.wsdl.xml").read_bytes()
            return 200, "text/xml; charset=utf-8", data
        if method != "POST":
            return 405, "text/html", b"<html><body>Method not allowed: use SOAP over POST.</body></html>"
        version = soap_version(headers.get("content-type", ""))
        if version is None:
            return 415, "text/html", b"<html><body>Unsupported media type: SOAP wants text/xml (1.1) or application/soap+xml (1.2).</body></html>"
        if self.sb.latency:
            await asyncio.sleep(self.sb.latency)
        action = action_of(version, headers)
        try:
            op, params = self.read_request(service, action, body, version)
            self.sb.log.append((op.name, {k: v for k, v in params.items() if k not in ("sessionID", "accessKey")}))
            result = self.dispatch(service, op, params)
            status, payload = 200, self.response_envelope(op, result, version)
        except Fault as fault:
            status, payload = 500, fault_body(version, fault.message, fault.code)
        if self.sb.record:
            self.sb.exchanges.append((service.name, action if version.is_12 else headers.get("soapaction", ""), body, status, payload))
        return status, f"{version.content_type}; charset=utf-8", payload

    async def handle_http(self, service: Service, name: str, method: str, query: str, headers: dict[str, str],
                          body: bytes) -> tuple[int, str, bytes]:
        """The HttpGet and HttpPost bindings: parameters by name, a bare XML result."""
        if method not in ("GET", "POST"):
            return 405, "text/html", b"<html><body>Method not allowed.</body></html>"
        op = service.operations.get(name)
        if op is None:
            return 500, "text/plain; charset=utf-8", f"System.InvalidOperationException: {name} Web Service method name is not valid.".encode()
        if method == "POST" and not headers.get("content-type", "").lower().startswith(FORM_TYPE):
            return 415, "text/plain; charset=utf-8", f"Request format is unrecognized: HttpPost wants {FORM_TYPE}.".encode()
        if self.sb.latency:
            await asyncio.sleep(self.sb.latency)
        raw = parse_qs(query if method == "GET" else body.decode(), keep_blank_values=True)
        try:
            params: dict[str, Any] = {}
            for param in op.params:
                if not param.is_builtin:
                    raise Fault(f"{op.name} takes {param.name}, which HTTP {method} cannot carry: use SOAP.")
                if param.name not in raw:
                    raise Fault(f"System.InvalidOperationException: Missing parameter: {param.name}.")
                try:
                    params[param.name] = _parse_value(param, raw[param.name][-1])
                except ValueError as exc:
                    raise Fault(f"System.ArgumentException: Cannot convert {raw[param.name][-1]!r} for {param.name}.") from exc
            self.sb.log.append((op.name, {k: v for k, v in params.items() if k not in ("sessionID", "accessKey")}))
            payload = self.http_result(op, self.dispatch(service, op, params))
        except Fault as fault:
            return 500, "text/plain; charset=utf-8", fault.message.encode()
        return 200, "text/xml; charset=utf-8", payload

    # --- requests -----------------------------------------------------------------------------------

    def read_request(self, service: Service, action: str, body: bytes,
                     version: SoapVersion = SOAP11) -> tuple[Operation, dict[str, Any]]:
        try:
            root = parse_xml(body)
        except etree.XMLSyntaxError as exc:
            raise Fault(f"{UNABLE_READ}There is an error in XML document ({exc.lineno}, {exc.offset}).", "soap:Client") from exc
        env = version.envelope
        body_el = root.find(f"{{{env}}}Body") if root.tag == f"{{{env}}}Envelope" else None
        call = next((c for c in body_el if isinstance(c.tag, str)), None) if body_el is not None else None
        if version.is_12 and not action and call is not None:
            action = f"{etree.QName(call).namespace}{etree.QName(call).localname}"  # 1.2's action is optional
        name = action[len(TNS):] if action.startswith(TNS) else ""
        op = service.operations.get(name)
        if op is None:
            raise Fault(f"Server did not recognize the value of HTTP Header SOAPAction: {action}.", "soap:Client")
        if call is None:
            version_name = "1.2" if version.is_12 else "1.1"
            raise Fault(f"{UNABLE_READ}There is an error in XML document: no SOAP {version_name} Envelope/Body.", "soap:Client")
        if call.tag != f"{{{TNS}}}{op.name}":
            raise Fault(f"{UNABLE_READ}The body element {etree.QName(call).localname} does not match SOAPAction {op.name}.", "soap:Client")
        params: dict[str, Any] = {}
        position = 0
        declared = [p.name for p in op.params]
        for child in call:
            if not isinstance(child.tag, str):
                continue
            qname = etree.QName(child)
            local = qname.localname
            if qname.namespace != TNS or local not in declared:
                raise Fault(
                    f"{UNABLE_READ}There is an error in XML document. ---> <{local} xmlns='{qname.namespace or ''}'> "
                    f"was not expected; {op.name} takes {', '.join(declared)}.",
                    "soap:Client",
                )
            index = declared.index(local)
            if index < position or local in params:
                raise Fault(f"{UNABLE_READ}There is an error in XML document. ---> <{local}> is out of order.", "soap:Client")
            position = index
            param = op.params[index]
            if child.get(f"{{{XSI}}}nil") == "true":
                params[local] = None
                continue
            if not param.is_builtin:
                params[local] = child
                continue
            try:
                params[local] = _parse_value(param, child.text or "")
            except ValueError as exc:
                raise Fault(f"{UNABLE_READ}There is an error in XML document. ---> Input string was not in a correct format ({local}).", "soap:Client") from exc
        for param in op.params:
            if param.min_occurs >= 1 and not param.nillable and param.name not in params:
                raise Fault(f"{UNABLE_READ}There is an error in XML document. ---> {param.name} is required.", "soap:Client")
        return op, params

    def dispatch(self, service: Service, op: Operation, params: dict[str, Any]) -> Any:
        sb = self.sb
        sb.operation_counts[op.name] += 1
        session = None
        admin = None
        if op.name not in SESSION_FREE:
            session = self.session(params.get("sessionID"))
        if "administrationID" in [p.name for p in op.params]:
            admin = self.administration(session, params.get("administrationID"))
        if op.name == "Authenticate":
            domain = sb.keys.get(str(params.get("accessKey") or ""))
        elif admin is not None:
            domain = admin.domain_id
        elif op.name == "SetCurrentDomain" and str(params.get("domainID") or "").lower() in sb.domains:
            domain = str(params["domainID"]).lower()  # counted where the session goes [assumption]
        else:
            domain = session.domain if session else None
        if domain is not None:
            sb.count_call(domain)
        injected = sb.take_fault(op.name)
        if injected is not None:
            raise Fault(injected[0], injected[1])
        handler = self.handlers.get(op.name)
        if handler is None:
            raise Fault(f"{UNABLE_PROCESS}{op.name} is not implemented in the sfsync Yuki sandbox.")
        return handler(params=params, session=session, admin=admin)

    def session(self, session_id: Any) -> Session:
        if not session_id:
            raise Fault(f"{UNABLE_PROCESS}No session ID given: call Authenticate first (session invalid).")
        session = self.sb.sessions.get(str(session_id))
        if session is None or self.sb.clock.now() >= session.expires_at or session.key not in self.sb.keys:
            raise Fault(f"{UNABLE_PROCESS}The session ID is invalid or the session has expired.")
        return session

    def administration(self, session: Session | None, admin_id: Any) -> Administration:
        admin = self.sb.admins.get(str(admin_id or "").lower())
        if admin is None or session is None or admin.domain_id not in self.sb.key_domains(session.key):
            raise Fault(f"{UNABLE_PROCESS}Administration not found or no access to administration: {admin_id}.")
        return admin

    # --- responses ----------------------------------------------------------------------------------

    def http_result(self, op: Operation, result: Any) -> bytes:
        """The HttpGet/HttpPost answer: the result as its own XML document (nothing for a void)."""
        if op.result is None or result is None:
            return b""
        if op.untyped:
            return bytes(etree.tostring(result, xml_declaration=True, encoding="utf-8"))
        # A simple value is an element named by its XSD type; an array or object by its WSDL type.
        root = etree.Element(f"{{{TNS}}}{op.result.local_type}", nsmap={None: TNS, "xsi": XSI})
        if op.result.is_builtin:
            root.text = result
        elif isinstance(result, Typed):
            self.emit(root, result, into_parent=True)
        else:
            for item in result:
                self.emit(root, item)
        return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8"))

    def response_envelope(self, op: Operation, result: Any, version: SoapVersion = SOAP11) -> bytes:
        env = version.envelope
        envelope = etree.Element(f"{{{env}}}Envelope", nsmap={"soap": env, "xsi": XSI, "xsd": "http://www.w3.org/2001/XMLSchema"})
        body = etree.SubElement(envelope, f"{{{env}}}Body")
        wrapper = etree.SubElement(body, f"{{{TNS}}}{op.name}Response", nsmap={None: TNS})
        marker = "@@sfsync-untyped-result@@"
        if op.result is not None and result is not None:
            res = etree.SubElement(wrapper, f"{{{TNS}}}{op.result.name}")
            if op.untyped:
                res.text = marker
            elif op.result.is_builtin:
                res.text = result
            elif isinstance(result, Typed):
                self.emit(res, result, into_parent=True)
            else:
                for item in result:
                    self.emit(res, item)
        text = etree.tostring(envelope, xml_declaration=True, encoding="utf-8")
        if op.untyped and result is not None:
            # The inner document's root is in no namespace, under a parent whose default namespace
            # is Yuki's: it must undeclare it (xmlns=""), which lxml does not write by itself.
            inner = etree.tostring(result, encoding="utf-8")
            tag = result.tag.encode()
            inner = inner.replace(b"<" + tag, b"<" + tag + b' xmlns=""', 1)
            text = text.replace(marker.encode(), inner, 1)
        return bytes(text)

    def typed(self, service: str, type_name: str, tag: str, values: dict[str, Any]) -> Typed:
        """A value of a WSDL complex type, written when the response is built (children in the
        WSDL's order; a key the type does not declare is a sandbox bug)."""
        declared = load_service(service).types[type_name]
        unknown = set(values) - {p.name for p in declared}
        if unknown:
            raise ValueError(f"the WSDL's {type_name} has no {', '.join(sorted(unknown))}")
        return Typed(service, type_name, tag, values)

    def emit(self, parent: etree._Element, typed: Typed, *, into_parent: bool = False) -> None:
        el = parent if into_parent else etree.SubElement(parent, f"{{{TNS}}}{typed.tag}")
        for param in load_service(typed.service).types[typed.type_name]:
            if param.name not in typed.values:
                continue
            value = typed.values[param.name]
            if value is None:
                if param.min_occurs >= 1:
                    etree.SubElement(el, f"{{{TNS}}}{param.name}").set(f"{{{XSI}}}nil", "true")
                continue
            if isinstance(value, dict):
                self.emit(el, self.typed(typed.service, param.local_type, param.name, value))
                continue
            child = etree.SubElement(el, f"{{{TNS}}}{param.name}")
            if isinstance(value, bool):
                child.text = "true" if value else "false"
            elif isinstance(value, (dt.date, dt.datetime)):
                child.text = _dt(value)
            else:
                child.text = str(value)

    @staticmethod
    def plain(tag: str, attrib: dict[str, str] | None = None) -> etree._Element:
        return etree.Element(tag, attrib or {})

    # --- general operations ---------------------------------------------------------------------------

    def authenticate(self, params: dict[str, Any], **_: Any) -> str:
        key = str(params.get("accessKey") or "")
        if key not in self.sb.keys:
            raise Fault(f"{UNABLE_PROCESS}Invalid access key.")
        session_id = str(uuid.UUID(int=self.sb.rng.getrandbits(128), version=4))
        self.sb.sessions[session_id] = Session(session_id, key, self.sb.clock.now() + self.sb.session_lifetime, self.sb.keys[key])
        return session_id

    def administration_id(self, params: dict[str, Any], session: Session, **_: Any) -> str:
        """The GUID of the administration with that name (as Yuki: exact name, any case)."""
        wanted = str(params.get("administrationName") or "").strip().lower()
        for admin in self.sb.admins.values():
            if admin.name.lower() == wanted and admin.domain_id in self.sb.key_domains(session.key):
                return admin.id
        raise Fault(f"{UNABLE_PROCESS}Administration not found: {params.get('administrationName')}.")

    def administrations(self, session: Session, **_: Any) -> etree._Element:
        root = self.plain("Administrations")
        for admin in self.sb.admins.values():
            if admin.domain_id not in self.sb.key_domains(session.key):
                continue
            node = etree.SubElement(root, "Administration", ID=admin.id)
            for tag, value in (("Name", admin.name), ("AddressLine", admin.address), ("Postcode", admin.postcode),
                               ("City", admin.city), ("Country", admin.country), ("CoCNumber", admin.coc_number),
                               ("VATNumber", admin.vat_number), ("StartDate", admin.start_date.isoformat()),
                               ("DomainID", admin.domain_id), ("Active", "true" if admin.active else "false")):
                etree.SubElement(node, tag).text = value
        return root

    def companies(self, session: Session, **_: Any) -> etree._Element:
        root = self.plain("Companies")
        for admin in self.sb.admins.values():
            if admin.domain_id in self.sb.key_domains(session.key):
                node = etree.SubElement(root, "Company", ID=admin.id)
                etree.SubElement(node, "Name").text = admin.name
                etree.SubElement(node, "Active").text = "true" if admin.active else "false"
        return root

    def _domain_nodes(self, root: etree._Element, ids: list[str]) -> etree._Element:
        for domain_id in ids:
            domain = self.sb.domains[domain_id]
            node = etree.SubElement(root, "Domain", ID=domain.id)
            etree.SubElement(node, "Name").text = domain.name
            etree.SubElement(node, "URL").text = domain.url
        return root

    def domains(self, session: Session, **_: Any) -> etree._Element:
        return self._domain_nodes(self.plain("Domains"), sorted(self.sb.key_domains(session.key)))

    def get_current_domain(self, session: Session, **_: Any) -> etree._Element:
        return self._domain_nodes(self.plain("Domains"), [session.domain])

    def set_current_domain(self, params: dict[str, Any], session: Session, **_: Any) -> None:
        domain = str(params.get("domainID") or "").lower()
        if domain not in self.sb.key_domains(session.key):
            raise Fault(f"{UNABLE_PROCESS}Domain not found or no access to domain: {params.get('domainID')}.")
        session.domain = domain
        return None

    # --- AccountingInfo (typed) ---------------------------------------------------------------------------

    def gl_account_scheme(self, admin: Administration, **_: Any) -> list[Typed]:
        out = []
        for account in sorted(admin.chart.values(), key=lambda a: a.code):
            out.append(self.typed("AccountingInfo", "GlAccount", "GlAccount", {
                "code": account.code, "type": account.type, "subtype": account.subtype,
                "isEnabled": account.enabled, "descripton": admin.description(account),
                "descriptionNL": account.nl, "descriptionFR": account.fr, "descriptionEN": account.en,
                "isVATApplicable": account.vat, "deductableVATPercentage": "100", "professionalPercentage": "100",
            }))
        return out

    def period_date_table(self, params: dict[str, Any], admin: Administration, **_: Any) -> Typed:
        start, end = admin.year_bounds(int(params["yearID"]))
        return self.typed("AccountingInfo", "AdministrationPeriod", "", {
            "name": admin.name, "period": start, "wholePeriod": f"{_dt(start)} {_dt(end)}", "ISO8601Period": False,
        })

    def year_modified_date(self, params: dict[str, Any], admin: Administration, **_: Any) -> str:
        stamp = admin.year_modified.get(int(params["yearID"]))
        return _dt(stamp) if stamp else "0001-01-01T00:00:00"

    def _mode(self, params: dict[str, Any]) -> None:
        mode = params.get("financialMode")
        if mode not in (None, 0, 1):
            raise Fault(f"{UNABLE_PROCESS}financialMode must be 0 (commercial) or 1 (fiscal).")

    def _range(self, admin: Administration, code: Any, start: dt.datetime, end: dt.datetime) -> list[Line]:
        if end < start:
            raise Fault(f"{UNABLE_PROCESS}The end date lies before the start date.")
        return [line for line in admin.lines()
                if start.date() <= line.date <= end.date() and (not code or line.account == code)]

    def _entries(self, admin: Administration) -> dict[int, Any]:
        return {id(item): entry for entry in admin.entries.values() for item in entry.lines}

    def _period_of(self, admin: Administration, day: dt.date) -> int:
        start, _ = admin.year_bounds(admin.year_id_of(day))
        return (day.year - start.year) * 12 + day.month - start.month + 1

    def transaction_details(self, params: dict[str, Any], admin: Administration, **_: Any) -> list[Typed]:
        self._mode(params)
        lines = self._range(admin, params.get("GLAccountCode"), params["StartDate"], params["EndDate"])
        entries = self._entries(admin)
        out = []
        for line in lines:
            entry = entries[id(line)]
            c = line.contact
            foreign = line.currency != "EUR"
            out.append(self.typed("AccountingInfo", "TransactionInfo", "TransactionInfo", {
                "id": line.id, "hID": line.hid, "transactionDate": line.date, "description": line.description,
                "transactionAmount": line.amount,
                "transactionAmountForeignCurrency": line.amount_fc if foreign else line.amount,
                "currencyRate": line.rate, "currency": line.currency, "taxCodeDescription": line.vat_description,
                "fullName": c.name if c else "", "CoCNumber": c.coc_number if c else "",
                "VATNumber": c.vat_number if c else "", "contactHID": c.hid if c else 0,
                "contactCode": c.code if c else "", "contactCountry": c.country if c else "",
                "contactZipcode": c.zipcode if c else "", "project": "", "projectCode": "",
                "glAccountCode": line.account, "documentID": entry.document_id,
                "documentReference": entry.reference, "documentType": entry.doc_type,
                "documentFolder": entry.folder, "documentFolderTab": entry.folder_tab,
                "contactID": c.id if c else "", "periodId": self._period_of(admin, line.date),
                "company": admin.name, "mutationUser": "sandbox@sfsync",
            }))
        return out

    def transactions(self, params: dict[str, Any], admin: Administration, **_: Any) -> list[Typed]:
        self._mode(params)
        groups = {g.strip().lower() for g in str(params.get("dataGroups") or "").split(",") if g.strip() and g.strip() != "0"}
        unknown = groups - DATA_GROUPS
        if unknown:
            raise Fault(f"{UNABLE_PROCESS}Unknown data group(s): {', '.join(sorted(unknown))}.")
        lines = self._range(admin, params.get("glAccountCode"), params["startDate"], params["endDate"])
        skip = params.get("startRecord") or 0
        take = params.get("numberOfRecords")
        if skip < 0 or (take is not None and take < 0):
            raise Fault(f"{UNABLE_PROCESS}startRecord and numberOfRecords must not be negative.")
        lines = lines[skip:] if take is None else lines[skip:skip + take]
        entries = self._entries(admin)
        out = []
        for line in lines:
            entry = entries[id(line)]
            c = line.contact
            values: dict[str, Any] = {"id": line.id, "hID": line.hid, "transactionDate": line.date,
                                      "description": line.description, "amount": line.amount,
                                      "glAccountCode": line.account}
            if "contact" in groups and c:
                values["contact"] = {"HID": c.hid, "fullName": c.name, "zipCode": c.zipcode, "country": c.country,
                                     "contactCode": c.code, "CoCNumber": c.coc_number, "VATNumber": c.vat_number, "id": c.id}
            if "document" in groups:
                values["document"] = {"HID": entry.hid, "reference": entry.reference, "type": 1,
                                      "typeDescription": entry.doc_type, "folderId": 1, "folder": entry.folder,
                                      "folderTabId": 0, "folderTab": entry.folder_tab, "created": entry.created,
                                      "modified": entry.modified, "uploadMethod": "API", "id": entry.document_id}
            if "documentprocessed" in groups:
                values["documentProcessed"] = {"processedDate": entry.created, "processedBy": "sandbox@sfsync"}
            if "documentmatching" in groups:
                values["documentMatched"] = {"matchDate": entry.created, "matchedBy": "sandbox@sfsync"}
            if "foreigncurrency" in groups and line.currency != "EUR":
                values["foreignCurrency"] = {"amountFC": line.amount_fc, "rate": line.rate, "currency": line.currency}
            if "vat" in groups and line.vat_description:
                values["vat"] = {"codeType": "H", "codeDescription": line.vat_description, "codePercentage": "21"}
            if "project" in groups and line.project:
                values["project"] = {"code": line.project[0], "description": line.project[1]}
            out.append(self.typed("AccountingInfo", "Transaction", "Transaction", values))
        return out

    def start_balances(self, params: dict[str, Any], admin: Administration, **_: Any) -> list[Typed]:
        self._mode(params)
        start, _end = admin.year_bounds(int(params["bookyear"]))
        out = []
        for code, amount in sorted(self.sb.start_balances(admin, start).items()):
            if amount == 0:
                continue
            out.append(self.typed("AccountingInfo", "AccountStartBalance", "AccountStartBalance", {
                "accountID": code, "startBalance": f"{amount:.2f}",
                "accountDescription": admin.description(admin.chart[code]),
            }))
        return out

    # --- Accounting (untyped) ---------------------------------------------------------------------------

    def gl_transactions(self, params: dict[str, Any], admin: Administration, **_: Any) -> etree._Element:
        root = self.plain("GLAccountTransactions")
        for line in self._range(admin, params.get("GLAccountCode"), params["StartDate"], params["EndDate"]):
            node = etree.SubElement(root, "GLAccountTransaction", ID=line.id)
            etree.SubElement(node, "Date").text = line.date.isoformat()
            etree.SubElement(node, "Description").text = line.description
            etree.SubElement(node, "Amount").text = f"{line.amount:.2f}"
            if line.contact:
                etree.SubElement(node, "Contact").text = line.contact.name
                etree.SubElement(node, "ContactID").text = line.contact.id
            if line.project:
                etree.SubElement(node, "Project", Code=line.project[0]).text = line.project[1]
            etree.SubElement(node, "GLAccountCode").text = line.account
        return root

    def gl_balance(self, params: dict[str, Any], admin: Administration, **_: Any) -> etree._Element:
        day = params["transactionDate"].date()
        root = self.plain("GLAccountBalance")
        for code, amount in sorted(self.sb.balances_at(admin, day).items()):
            account = admin.chart[code]
            node = etree.SubElement(root, "GLAccount", Code=code, BalanceType="B" if account.balance_sheet else "W")
            etree.SubElement(node, "Description").text = admin.description(account)
            etree.SubElement(node, "Amount").text = f"{amount:.2f}"
        return root
