"""What is particular to AdminPulse: its relations as companies, the master data mapped to
company details, change detection by the relation's lastModified, its 480 calls a minute kept by
the shared limiter, and a deleted API key."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from sfsync.errors import MalformedResponse
from sfsync.models import Company, Granularity
from sfsync_adminpulse.connector import AdminPulseConnector
from sfsync_adminpulse.mapping import to_details
from sfsync_adminpulse.sandbox import AdminPulseSandbox
from sfsync_adminpulse.sandbox.harness import api_get


def _relation(sandbox: AdminPulseSandbox, n: int = 0) -> dict:
    return api_get(sandbox, f"/relations/{sandbox.relations[n].id}").json()


def test_companies_are_the_client_companies_searchable_by_name_and_code(host):
    assert host.connection is not None
    names = [c.name for c in host.run(host.app.list_companies(host.admin, host.connection.id))]
    assert names == ["Bakkerij Peeters", "Boulangerie Henrard", "Dewitte & Co", "Sportclub De Leeuw", "Transports Lambert"]
    by_code = host.run(host.app.list_companies(host.admin, host.connection.id, search="apr0002"))
    assert [(c.code, c.name) for c in by_code] == [("APR0002", "Transports Lambert")]
    assert [c.name for c in host.run(host.app.list_companies(host.admin, host.connection.id, search="lambert"))] == [
        "Transports Lambert"]


def test_the_master_data_mapped(sandbox):
    lambert = to_details(_relation(sandbox, 1))
    assert (lambert.name, lambert.legal_form, lambert.vat_number, lambert.enterprise_number) == (
        "Transports Lambert", "NV", "BE0441986537", "0441.986.537")
    assert (lambert.street, lambert.postal_code, lambert.city, lambert.country) == (
        "Rue de la Station 45", "4000", "Liège", "BE")
    assert lambert.fiscal_year_end == "06-30" and lambert.start_date == dt.date(1998, 7, 1)
    assert [(p.name, p.role) for p in lambert.people] == [("Marc Lambert", "administrateur délégué")]
    assert lambert.modified is not None and lambert.modified.tzinfo is not None
    club = to_details(_relation(sandbox, 2))
    assert club.street == "Tiensesteenweg 150 bus 2" and club.vat_number is None and club.legal_form == "VZW"
    henrard = to_details(_relation(sandbox, 4))
    assert henrard.legal_form is None and henrard.vat_number == "BE0876543270"  # a sole proprietor


@pytest.mark.parametrize(("typed", "kept"), [("be 0462.318.727", "BE0462318727"), ("0462318727", "BE0462318727"),
                                             ("NL123456789B01", "NL123456789B01")])
def test_a_vat_number_is_kept_compact_with_its_country(sandbox, typed, kept):
    assert to_details({**_relation(sandbox), "vatNumber": typed}).vat_number == kept


@pytest.mark.parametrize(("field", "value", "says"), [
    ("fiscalYearEnd", "31-12", "fiscal-year end"), ("lastModified", "yesterday", "modification stamp"),
    ("id", None, "without id"), ("addresses", "Veldstraat 12", "not a list"),
])
def test_unreadable_master_data_is_refused_clearly(sandbox, field, value, says):
    with pytest.raises(MalformedResponse, match=says):
        to_details({**_relation(sandbox), field: value})


def test_an_unchanged_relation_costs_one_request_and_stores_nothing(host, sandbox):
    host.app.runner.details_interval = dt.timedelta(0)
    dossier = host.new_dossier()
    first = host.sync(dossier)
    assert first.status == "ok" and first.counts["details_changed"] == 1 and first.requests == 1
    second = host.sync(dossier)
    assert second.counts["details_changed"] == 0 and second.requests == 1
    kept = host.app.store.company_details(dossier.id)
    assert kept is not None
    company = Company(ref=sandbox.company_refs()[0], name="Bakkerij Peeters")
    # The same lastModified: the connector answers "unchanged" without mapping anything.
    assert host.call_hook("sfsync_fetch_company_details", company=company, previous=kept.details) is None
    older = kept.details.model_copy(update={"modified": kept.details.modified - dt.timedelta(days=1)})
    assert host.call_hook("sfsync_fetch_company_details", company=company, previous=older) == kept.details
    sandbox.edit_company_details(company.ref)
    moved = host.sync(dossier)
    assert moved.counts["details_changed"] == 1 and moved.requests == 1
    assert host.app.store.company_details(dossier.id).details.city == "Brussel"  # type: ignore[union-attr]


def test_the_policy_declares_480_calls_a_minute():
    windows = AdminPulseConnector().sfsync_connector_info().rate_limits.windows  # type: ignore[union-attr]
    assert [(w.limit, w.seconds) for w in windows] == [(480, 60.0)]


def test_pages_wait_for_the_limit_and_are_never_refused(make_host):
    # The office allows two calls per fixed half second; the connector declares two per 0.6 s (the
    # margin stands for the time a request takes to arrive, which over 60 s is nothing): listing
    # five pages must wait, and never meet a 429.
    sandbox = AdminPulseSandbox(extra=1_700, per_minute=2, window_seconds=0.5)
    host = make_host(sandbox, AdminPulseConnector(per_minute=2, window_seconds=0.6))
    time.sleep(0.6)  # the connection check ran before the connection had its limiter key
    started = time.monotonic()
    companies = host.run(host.app.list_companies(host.admin, host.connection.id))
    assert len(companies) == 1_705 and sandbox.limits.refusals == 0
    assert time.monotonic() - started >= 1.0, "five calls at two per 0.6 s went through without waiting"


def test_a_deleted_key_marks_the_connection_and_a_new_key_resumes(host, sandbox):
    dossier = host.new_dossier()
    assert host.sync(dossier).status == "ok"
    host.app.runner.details_interval = dt.timedelta(0)
    old = sandbox.api_key
    sandbox.revoke()  # the office replaced its key
    failed = host.sync(dossier)
    assert failed.status == "failed" and failed.error_kind == "NeedsReconsent" and "API key" in (failed.error or "")
    assert old not in (failed.error or "")
    assert host.connection is not None
    assert host.app.store.get_connection(host.connection.id).status == "needs_reconsent"
    host.reconsent(host.connection)  # the new key, entered in place
    assert host.sync(dossier).status == "ok"


def test_adminpulse_declares_details_only():
    info = AdminPulseConnector().sfsync_connector_info()
    assert info.granularities == (Granularity.DETAILS,) and info.unchanged_night_requests == {Granularity.DETAILS: 1}
    assert sum("Assumed, to confirm with the vendor" in limit for limit in info.known_limits) >= 5
