"""The Twinfield sandbox's legacy ``session.asmx``: the web-service logon older clients still use.

As the published WSDLs (``session-login.wsdl``, ``session-cluster.wsdl``) declare it:
``Logon(user, password, organisation)`` answers ``LogonResult`` (``Ok`` or ``Invalid``),
``nextAction`` and the ``cluster``, with the ``SessionID`` in the SOAP response header; the
cluster then takes ``<Header><SessionID>`` instead of an access token, ``SelectCompany`` picks the
office the session works in, ``KeepAlive`` and ``Abandon`` do what they say. A second logon of the
same user replaces the first: the old session gets fault 103, as Twinfield answers.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from lxml import etree  # type: ignore[import-untyped,unused-ignore]  # no stubs

from sfsync_twinfield.client import NS_SOAP, NS_TWIN, q
from sfsync_twinfield.sandbox_data import Books
from sfsync_twinfield.sandbox_errors import SoapFault, read_envelope, unknown_action

SESSION_PATH = "/webservices/session.asmx"
SESSION_OPERATIONS = ("Logon", "SelectCompany", "KeepAlive", "Abandon")
Response = tuple[int, dict[str, str], bytes]


@dataclass
class LegacySession:
    user: str
    office: str | None = None
    valid: bool = True


class SessionService:
    """``session.asmx`` (a mixin of :class:`~sfsync_twinfield.sandbox.TwinfieldSandbox`)."""

    organisation: str
    username: str
    password: str
    cluster_url: str
    books: Books
    sessions: dict[str, LegacySession]

    def _fault(self, path: str, source: str, fault: SoapFault) -> Response:
        raise NotImplementedError  # the sandbox's

    def _session_service(self, headers: dict[str, str], body: bytes) -> Response:
        action = headers.get("soapaction", "").strip().strip('"')
        operation = action.removeprefix(NS_TWIN)
        try:
            if not headers.get("content-type", "").startswith("text/xml"):
                raise SoapFault("Unsupported Media Type: SOAP 1.1 wants text/xml")
            if operation not in SESSION_OPERATIONS or not action.startswith(NS_TWIN):
                raise unknown_action(action)
            envelope = read_envelope(body)
            call = envelope.find(f"{q(NS_SOAP, 'Body')}/{q(NS_TWIN, operation)}")
            if call is None:
                raise SoapFault(f"Server was unable to read request: no {operation} in the Body.")
            if operation == "Logon":
                return self._logon(call)
            session_id, session = self._session_of(envelope)
            if operation == "SelectCompany":
                company = (call.findtext(q(NS_TWIN, "company")) or "").strip()
                ok = company in self.books.offices
                if ok:
                    session.office = company
                return _answer(operation, {"SelectCompanyResult": "Ok" if ok else "Invalid"})
            if operation == "Abandon":
                del self.sessions[session_id]
            return _answer(operation, {})
        except SoapFault as fault:
            return self._fault(SESSION_PATH, operation or "session", fault)

    def _logon(self, call: etree._Element) -> Response:
        given = tuple(
            (call.findtext(q(NS_TWIN, name)) or "").strip()
            for name in ("user", "password", "organisation")
        )
        if given != (self.username, self.password, self.organisation):
            return _answer("Logon", {"LogonResult": "Invalid", "nextAction": "None"})
        for earlier in self.sessions.values():
            if earlier.user == self.username:
                earlier.valid = False  # a second logon replaces the first
        session_id = secrets.token_hex(16)
        self.sessions[session_id] = LegacySession(self.username)
        fields = {"LogonResult": "Ok", "nextAction": "None", "cluster": self.cluster_url}
        return _answer("Logon", fields, session_id=session_id)

    def _session_of(self, envelope: etree._Element) -> tuple[str, LegacySession]:
        """The session a request's ``<Header><SessionID>`` names; a fault when it is not live."""
        session_id = envelope.findtext(
            f"{q(NS_SOAP, 'Header')}/{q(NS_TWIN, 'Header')}/{q(NS_TWIN, 'SessionID')}"
        )
        session = self.sessions.get((session_id or "").strip())
        if session is None:
            raise SoapFault("Access denied. Session invalid.", "354")
        if not session.valid:
            raise SoapFault(
                "Your logon credentials are not valid anymore. Try to log on again.", "103"
            )
        return (session_id or "").strip(), session

    def legacy_session(self, envelope: etree._Element) -> LegacySession | None:
        """The live session of a cluster call that carries a ``SessionID`` (``None`` without)."""
        header = envelope.find(f"{q(NS_SOAP, 'Header')}/{q(NS_TWIN, 'Header')}")
        if header is None or header.find(q(NS_TWIN, "SessionID")) is None:
            return None
        return self._session_of(envelope)[1]


def _answer(operation: str, fields: dict[str, str], *, session_id: str | None = None) -> Response:
    env = etree.Element(q(NS_SOAP, "Envelope"), nsmap={"soap": NS_SOAP})
    if session_id is not None:
        header = etree.SubElement(etree.SubElement(env, q(NS_SOAP, "Header")), q(NS_TWIN, "Header"),
                                  nsmap={None: NS_TWIN})
        etree.SubElement(header, q(NS_TWIN, "SessionID")).text = session_id
    body = etree.SubElement(env, q(NS_SOAP, "Body"))
    result = etree.SubElement(body, q(NS_TWIN, f"{operation}Response"), nsmap={None: NS_TWIN})
    for name, value in fields.items():
        etree.SubElement(result, q(NS_TWIN, name)).text = value
    return (
        200,
        {"content-type": "text/xml; charset=utf-8"},
        etree.tostring(env, xml_declaration=True, encoding="utf-8"),
    )
