"""zeep, a SOAP client that builds every call from a WSDL, against the served Yuki sandbox: the
published Archive WSDL's SOAP 1.1, SOAP 1.2 and HTTP GET bindings, and the Accounting services'
WSDLs the plugin ships."""

from __future__ import annotations

from importlib import resources

import pytest
from conftest import offline_soap_client  # type: ignore[import-not-found]
from lxml import etree
from sfsync_yuki.sandbox import VALID_KEY, YukiSandbox
from zeep.exceptions import Fault

TNS = "{http://www.theyukicompany.com/}"
ADMIN = "0b7e7c0e-2f43-4a55-8d1a-3c4f5e6a7b8c"


def _wsdl(service: str) -> str:
    return str(resources.files("sfsync_yuki").joinpath("wsdl", f"{service}.asmx.wsdl.xml"))


def _administrations(result: object) -> list[str]:
    """The IDs in an untyped ``Administrations`` result, however zeep hands the XML back."""
    element = result if isinstance(result, etree._Element) else getattr(result, "_value_1", None)
    if element is None and isinstance(result, dict):
        element = result.get("_value_1")
    assert isinstance(element, etree._Element), type(result)
    return [a.get("ID") for a in element.iter("Administration")]


@pytest.mark.parametrize("binding", ["ArchiveSoap", "ArchiveSoap12", "ArchiveHttpGet", "ArchiveHttpPost"])
def test_zeep_on_every_binding_of_the_published_archive_wsdl(serve, binding: str):
    sandbox = YukiSandbox()
    url = serve(sandbox.app)
    client = offline_soap_client(_wsdl("Archive"))
    service = client.create_service(f"{TNS}{binding}", f"{url}/ws/Archive.asmx")
    session_id = service.Authenticate(accessKey=VALID_KEY)
    assert session_id in sandbox.sessions
    name = sandbox.admins[ADMIN].name
    assert service.AdministrationID(sessionID=session_id, administrationName=name) == ADMIN
    if binding in ("ArchiveSoap", "ArchiveSoap12"):  # an untyped (XmlNode) result
        assert ADMIN in _administrations(service.Administrations(sessionID=session_id))
        with pytest.raises(Fault, match="Invalid access key"):
            service.Authenticate(accessKey="not-a-key")


def test_zeep_reads_the_chart_and_balances_through_the_accounting_wsdls(serve):
    sandbox = YukiSandbox()
    url = serve(sandbox.app)
    info = offline_soap_client(_wsdl("AccountingInfo")).create_service(f"{TNS}AccountingInfoSoap", f"{url}/ws/AccountingInfo.asmx")
    session_id = info.Authenticate(accessKey=VALID_KEY)
    scheme = info.GetGLAccountScheme(sessionID=session_id, administrationID=ADMIN)
    codes = {account.code for account in scheme}
    assert codes == set(sandbox.admins[ADMIN].chart)
    accounting = offline_soap_client(_wsdl("Accounting")).create_service(f"{TNS}AccountingSoap", f"{url}/ws/Accounting.asmx")
    day = max(line.date for line in sandbox.admins[ADMIN].lines())
    balance = accounting.GLAccountBalance(sessionID=session_id, administrationID=ADMIN, transactionDate=day)
    element = balance if isinstance(balance, etree._Element) else balance["_value_1"]
    assert element.find("GLAccount") is not None
