"""Business Central's and BoCount's sandboxes, served over real HTTP, read by tuomur's python-odata:
a generic OData v4 client that knows nothing of Business Central and builds its entity classes
from the served ``$metadata`` alone. It reads every entity set the connectors use, page by page
(``Prefer: odata.maxpagesize`` and ``@odata.nextLink``), with a token from the sandbox's Entra
client-credentials grant, or BoCount's Basic web-service credentials.

No maintained Python client of Business Central's API v2.0 is on PyPI (``pybusinesscentral`` is
generated from a trimmed spec and published under "NoLicense"), hence a generic one.

One adaptation, of the client and not of the sandbox: Business Central's enum members encode a
blank as ``_x0020_`` (an OData identifier cannot hold a space), and Python's ``Enum`` refuses
``_sunder_`` names, so such a member is given the name ``x0020`` on its way into python-odata.
"""

from __future__ import annotations

from decimal import Decimal
from enum import EnumMeta

import odata.enumtype
import odata.metadata
import pytest
import requests
from odata import ODataService
from sfsync.clock import FakeClock
from sfsync_businesscentral.bocount_names import API_PATH
from sfsync_businesscentral.sandbox import BoCountSandbox, BusinessCentralSandbox

PAGE = 150


def _python_name(name: str) -> str:
    return name.strip("_") if name.startswith("_") and name.endswith("_") else name


class _LenientMeta(EnumMeta):
    def __call__(cls, value, names=None, *args, **kwargs):  # type: ignore[no-untyped-def, override]
        if names is not None:
            names = [(_python_name(n), v) for n, v in names]
        return super().__call__(value, names, *args, **kwargs)


class _LenientEnumType(odata.enumtype.EnumType, metaclass=_LenientMeta):
    pass


@pytest.fixture(autouse=True)
def _lenient_enums(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(odata.metadata, "EnumType", _LenientEnumType)
    deserialize = odata.enumtype.EnumTypeProperty.deserialize
    monkeypatch.setattr(odata.enumtype.EnumTypeProperty, "deserialize",
                        lambda self, value: deserialize(self, _python_name(value)))


class CompanySession(requests.Session):
    """A session that names the company in every URL, as Business Central's ``?company={id}``
    takes it beside the contained paths (python-odata queries entity sets, not containment)."""

    company: str | None = None

    def request(self, method, url, *args, **kwargs):  # type: ignore[no-untyped-def, override]
        if self.company and "company=" not in url and not url.endswith("$metadata"):
            url = f"{url}{'&' if '?' in url else '?'}company={self.company}"
        return super().request(method, url, *args, **kwargs)


def _read_everything(service: ODataService, session: CompanySession, company_id: str, company: object) -> dict[str, int]:
    """Every entity set the connectors read, through the client's own queries."""
    session.company = company_id
    counts = {}
    for name in ("companyInformation", "accountingPeriods", "accounts", "generalLedgerEntries", "generalLedgerSetup"):
        counts[name] = len(service.query(service.entities[name]).all())
    tb = service.entities["trialBalances"]
    start, end = company.years[-2]  # type: ignore[attr-defined]
    # python-odata reads Edm.Date as a string property and would quote it (Business Central refuses a
    # quoted date): the date bounds are given as the expression itself.
    rows = service.query(tb).filter(f"dateFilter ge {start} and dateFilter le {end}").all()
    counts["trialBalances"] = len(rows)
    sales = next(r for r in rows if r.display in ("Omzet", "Omzet installaties"))
    expected = sum((e.credit for e in company.entries.values()  # type: ignore[attr-defined]
                    if e.account.role == "sales" and start <= e.posting_date <= end), Decimal(0))
    assert Decimal(sales.totalCredit) == expected
    return counts


def test_python_odata_reads_business_central_from_its_metadata(serve):
    sandbox = BusinessCentralSandbox(clock=FakeClock())
    base = serve(sandbox.app)
    token = requests.post(f"{base}/{sandbox.tenant.id}/oauth2/v2.0/token", data={
        "grant_type": "client_credentials", "client_id": sandbox.client_id, "client_secret": sandbox.client_secret,
        "scope": "https://api.businesscentral.dynamics.com/.default"}, timeout=10).json()["access_token"]
    session = CompanySession()
    session.headers["Authorization"] = f"Bearer {token}"
    service = ODataService(f"{base}/v2.0/{sandbox.tenant.id}/Production/api/v2.0/", reflect_entities=True,
                           session=session, quiet_progress=True, extra_headers={"Prefer": f"odata.maxpagesize={PAGE}"})
    companies = service.query(service.entities["companies"]).all()
    assert sorted(c.displayName for c in companies) == ["Bakkerij Peeters NV", "Van Dijk Installatietechniek BV"]
    company = sandbox.tenant.companies[0]
    sandbox.requests.clear()
    counts = _read_everything(service, session, company.id, company)
    assert counts["generalLedgerEntries"] == len(company.entries) > 3 * PAGE
    assert counts["accountingPeriods"] == 36 and counts["accounts"] == 13 and counts["companyInformation"] == 1
    assert counts["trialBalances"] == 13
    pages = [q for p, q in sandbox.requests if p.endswith("/generalLedgerEntries")]
    assert len(pages) == -(-len(company.entries) // PAGE) and all("$skiptoken" in q for q in pages[1:])
    # Typed as the metadata says: decimals, dates, GUIDs.
    entries = service.query(service.entities["generalLedgerEntries"]).filter(f"postingDate eq {company.years[0][0]}").all()
    assert entries and all(e.postingDate == company.years[0][0].isoformat() for e in entries)
    assert isinstance(entries[0].debitAmount, Decimal | float)


def test_python_odata_reads_bocount_with_basic_credentials(serve):
    sandbox = BoCountSandbox(clock=FakeClock())
    base = serve(sandbox.app)
    session = CompanySession()
    session.auth = (sandbox.bocount_user, sandbox.bocount_key)
    service = ODataService(f"{base}/BC{API_PATH}/", reflect_entities=True, session=session, quiet_progress=True,
                           extra_headers={"Prefer": f"odata.maxpagesize={PAGE}"})
    companies = service.entities["companies"]
    lambert = service.query(companies).filter(companies.vatRegistrationNumber == "BE0765432198").all()
    assert [c.name for c in lambert] == ["Brasserie Lambert SRL"]
    company = sandbox.company("BE0765432198")
    counts = _read_everything(service, session, lambert[0].id, company)
    assert counts["generalLedgerEntries"] == len(company.entries)
