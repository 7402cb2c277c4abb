"""Octopus's REST API as a generic Swagger client sees it, against the served Octopus sandbox.

No Python client of Octopus is on PyPI (see pyproject.toml), and Octopus's own swagger is hosted
by Inaras without a public copy. bravado (Yelp's Swagger 2.0 client) is loaded with a Swagger
document written from the facts the plugin records (``specs/octopus-v1.json``) and validates
both what it sends and every answer against it: the login with the software house in its header,
the dossier list, a dossier token, bookyears and the modified feeds, each as a third party would
call them over real HTTP.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from bravado.client import SwaggerClient
from bravado.exception import HTTPUnauthorized
from sfsync.clock import Clock
from sfsync_octopus.sandbox import OctopusSandbox

SPEC = Path(__file__).parent / "specs" / "octopus-v1.json"
BRAVADO = {"validate_responses": True, "validate_requests": True, "validate_swagger_spec": True, "use_models": False}
EPOCH = "2000-01-01 00:00:00.000"


def _client(base: str) -> Any:
    spec = json.loads(SPEC.read_text())
    served = urlsplit(base)
    spec["host"], spec["schemes"] = served.netloc, [served.scheme]
    return SwaggerClient.from_spec(spec, origin_url=base, config=BRAVADO)


def test_bravado_logs_in_opens_a_dossier_and_reads_its_books(serve):
    sandbox = OctopusSandbox(clock=Clock())
    client = _client(serve(sandbox.app))
    token = client.Authentication.authenticate(
        softwareHouseUuid=sandbox.software_house, credentials={"user": sandbox.user, "password": sandbox.password},
    ).response().result["token"]
    dossiers = client.Dossiers.getDossiers(Token=token).response().result
    assert [d["dossierKey"]["id"] for d in dossiers] == [int(r) for r in sandbox.company_refs()]
    number = dossiers[2]["dossierKey"]["id"]
    dossier_token = client.Dossiers.connectDossier(Token=token, dossierId=number, localeId=1).response().result["Dossiertoken"]
    years = client.Bookyears.getBookyears(dossierToken=dossier_token, dossierId=number).response().result
    assert [y["closed"] for y in years] == [True, False, False]
    assert years[0]["startDate"].month == 7  # the trading partnership's July–June bookyears
    seen = 0
    for year in years:
        bookings = client.Bookings.getModifiedBookings(dossierToken=dossier_token, dossierId=number,
                                                       bookyearId=year["bookyearKey"]["id"], modifiedTimeStamp=EPOCH).response().result
        seen += sum(len(b["bookingLines"]) for b in bookings)
    assert seen == len(sandbox.truth(str(number)).line_places)
    amounts = client.Accounts.getModifiedAccountAmounts(dossierToken=dossier_token, dossierId=number,
                                                        modifiedTimeStamp=EPOCH).response().result
    assert {a["accountKey"] for a in amounts} >= {400000, 700000}
    chart = client.Accounts.getModifiedAccounts(dossierToken=dossier_token, dossierId=number, modifiedTimeStamp=EPOCH).response().result
    assert len({a["accountKey"] for a in chart}) == 10


def test_bravado_is_refused_another_dossier_with_this_dossier_token(serve):
    sandbox = OctopusSandbox(clock=Clock())
    client = _client(serve(sandbox.app))
    token = client.Authentication.authenticate(
        softwareHouseUuid=sandbox.software_house, credentials={"user": sandbox.user, "password": sandbox.password},
    ).response().result["token"]
    dossier_token = client.Dossiers.connectDossier(Token=token, dossierId=1001).response().result["Dossiertoken"]
    with pytest.raises(HTTPUnauthorized) as refused:
        client.Bookyears.getBookyears(dossierToken=dossier_token, dossierId=1002).response()
    assert refused.value.swagger_result["errorMessage"] == "Dossiertoken expired or invalid"
