"""Sage's real API as third-party clients see it, against the served sandbox.

Run in this folder's own environment by ``../test_sage_thirdparty.py``:
``python drive.py CONFIG.json`` prints one JSON object of what the clients got.

* bravado, loaded with Sage's published swagger (by path; host pointed at the sandbox), calls
  the Accounts and User APIs with ``X-Business`` and the bearer token, as a Sage integration does.
* requests-oauthlib refreshes the token twice from the same refresh token: the second must fail.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

from bravado.client import SwaggerClient
from oauthlib.oauth2 import InvalidGrantError
from requests_oauthlib import OAuth2Session

BRAVADO = {"validate_responses": False, "validate_requests": True, "validate_swagger_spec": False, "use_models": False}


def _client(spec_path: Path, base: str) -> SwaggerClient:
    spec = json.loads(spec_path.read_text())
    served = urlsplit(base)
    spec["host"], spec["schemes"] = served.netloc, [served.scheme]
    return SwaggerClient.from_spec(spec, origin_url=base, config=BRAVADO)


def main(config_path: str) -> None:
    config = json.loads(Path(config_path).read_text())
    specs, base = Path(config["specs"]), config["base"]
    accounts = _client(specs / "swagger-accounts-v3.1.json", base)
    users = _client(specs / "swagger-core-user-businesses-v3.1.json", base)
    options = {"headers": {"Authorization": f"Bearer {config['access_token']}", "Accept": "application/json"}}
    business_options = {"headers": {**options["headers"], "X-Business": config["business"]}}
    out: dict[str, object] = {}

    def raw(future, status: int = 200) -> object:  # type: ignore[no-untyped-def]
        # The swagger declares lists as bare arrays while the wire wraps them in the $items
        # envelope, so bravado's unmarshalling of a list fails on Sage itself too: Sage
        # integrations on bravado read the raw response, as here.
        response = future.future.result(timeout=60)
        assert response.status_code == status, (response.status_code, response.text[:300])
        return response.json()

    out["businesses"] = raw(users.Businesses.get_businesses(_request_options=options))
    out["lead"] = raw(users.Businesses.get_businesses_key(key="lead", _request_options=options))
    out["financial_settings"] = raw(accounts.Financial_Settings.getFinancialSettings(_request_options=business_options))
    out["ledger_accounts"] = raw(accounts.Ledger_Accounts.getLedgerAccounts(
        items_per_page=200, attributes="nominal_code,name,ledger_account_type", _request_options=business_options))
    # The swagger types from_date as a date-time: bravado marshals a datetime.
    since = dt.datetime.combine(dt.date.fromisoformat(config["from_date"]), dt.time(), dt.UTC)
    pages = []
    page = 1
    while True:
        body = raw(accounts.Ledger_Entries.getLedgerEntries(
            items_per_page=200, page=page, attributes="all", from_date=since, _request_options=business_options))
        pages.append({"page": body["$page"], "count": len(body["$items"]), "total": body["$total"], "next": body["$next"]})
        if not body["$next"]:
            break
        page += 1
    out["ledger_pages"] = pages
    out["first_entry"] = body["$items"][0] if body["$items"] else None
    try:
        raw(accounts.Ledger_Entries.getLedgerEntries(items_per_page=500, _request_options=business_options), 422)
        out["too_many"] = "refused by Sage"
    except Exception as exc:  # bravado refuses it before sending: the swagger's maximum is 200
        out["too_many"] = type(exc).__name__
    unknown = {"headers": {**business_options["headers"], "X-Business": "0" * 32}}
    out["unknown_business"] = raw(accounts.Ledger_Entries.getLedgerEntries(_request_options=unknown), 404)

    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"  # the sandbox is served over plain HTTP on 127.0.0.1
    session = OAuth2Session(config["client_id"])
    token_url = f"{base}/token"
    fresh = session.refresh_token(token_url, refresh_token=config["refresh_token"], client_id=config["client_id"],
                                  client_secret=config["client_secret"], include_client_id=True)
    out["refreshed"] = {k: fresh.get(k) for k in ("token_type", "expires_in", "refresh_token_expires_in", "scope")}
    out["rotated"] = fresh["refresh_token"] != config["refresh_token"]
    try:
        session.refresh_token(token_url, refresh_token=config["refresh_token"], client_id=config["client_id"],
                              client_secret=config["client_secret"], include_client_id=True)
        out["reuse"] = "accepted"
    except InvalidGrantError as exc:
        out["reuse"] = exc.error
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    main(sys.argv[1])
