"""The sandbox's wire contract: AFAS Profit REST's routes as a toolkit route table.

=======================================  ===============================================
``GET /connectors/{GetConnector}``       rows in ``{skip, take, rows}`` (:mod:`.query`)
``GET /metainfo/get/{GetConnector}``     the connector's fields (also ``/Metainfo/...``)
``GET /MetaInfo``                        the App Connector's GetConnectors
``POST /OtpRequest``, ``/OtpValidation``  the one-time-password flow (:mod:`.otp`)
=======================================  ===============================================

Every GetConnector and metainfo call needs ``Authorization: AfasToken <base64 of the token XML>``
of the environment the host names (401 with an empty body otherwise, as the spec's 401 has
``Content-Length: 0``), from an allowed address when the App Connector has an IP restriction
(403, likewise empty). A query string over 2,049 characters is 404. A GetConnector the App
Connector does not hold answers 404 with "GetConnector not supported for this app or the user is
not authorized" (troubleshooting.md; the status is UNVERIFIED). An answer larger than the
sandbox's ``max_answer_bytes`` (75 MB) is 413; one with more than ``timeout_rows`` rows (a knob
standing for a query that runs 15 minutes) is 500 with AFAS's timeout message.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from typing import TYPE_CHECKING

from sfsync.sandbox.responses import exact, json_body, json_response
from sfsync.sandbox.routing import BaseRoute, Request, Response, Route, query

from sfsync_afas.facts import CONNECTORS, MAX_QUERY_CHARS
from sfsync_afas.sandbox.query import QueryError, select
from sfsync_afas.sandbox.wire import FIELDS, afas_error, metainfo

if TYPE_CHECKING:
    from sfsync_afas.sandbox import AfasSandbox

__all__ = ["api_routes"]

EMPTY = [("Cache-Control", "no-store, no-cache"), ("Content-Length", "0")]
TIMEOUT_MESSAGE = "The maximum duration for performing the assignment has been exceeded."


def _token_of(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme != "AfasToken" or not value:
        return None
    try:
        return base64.b64decode(value.strip(), validate=True).decode("utf-8").strip()
    except (binascii.Error, UnicodeDecodeError):
        return None


def api_routes(box: AfasSandbox) -> list[BaseRoute]:
    """The routes of every environment host the sandbox serves."""

    def refused(request: Request) -> Response | None:
        if len(request.url.query) + 1 > MAX_QUERY_CHARS:
            return exact(b"", 404, EMPTY)
        environment = box.environment_of(request)
        token = _token_of(request)
        expected = box.tokens.get(environment or "")
        if token is None or expected is None or not secrets.compare_digest(token.encode(), expected.encode()):
            return exact(b"", 401, EMPTY)
        client = request.client.host if request.client else ""
        if box.allowed_ips is not None and client not in box.allowed_ips:
            return exact(b"", 403, EMPTY)
        return None

    async def get_connector(request: Request) -> Response:
        refusal = refused(request)
        if refusal is not None:
            return refusal
        name = request.path_params["connector"]
        if name not in CONNECTORS or name in box.withheld:
            return afas_error(404, "GetConnector not supported for this app or the user is not authorized")
        params = query(request)
        try:
            skip, take, rows = select(box.rows(name), FIELDS[name], params, box.rng)
        except QueryError as exc:
            return afas_error(500, str(exc))
        if box.timeout_rows is not None and len(rows) > box.timeout_rows:
            return afas_error(500, TIMEOUT_MESSAGE)
        body = json_body({"skip": skip, "take": take, "rows": rows})
        if len(body) > box.max_answer_bytes:
            return afas_error(413, "The answer is larger than 75 MB; take fewer rows.")
        box.observe(request.url.path, params, 200, body)
        return exact(body, 200, [("Content-Type", "application/json; charset=utf-8")])

    async def meta(request: Request) -> Response:
        refusal = refused(request)
        if refusal is not None:
            return refusal
        name = request.path_params["connector"]
        if request.path_params["kind"].lower() != "get" or name not in CONNECTORS:
            return afas_error(404, f"No metainfo for {name}")
        body = json_body(metainfo(name))
        box.observe(request.url.path, {}, 200, body)
        return exact(body, 200, [("Content-Type", "application/json; charset=utf-8")])

    async def catalogue(request: Request) -> Response:
        refusal = refused(request)
        if refusal is not None:
            return refusal
        document = {
            "updateConnectors": [],
            "getConnectors": [{"id": name, "description": name} for name in CONNECTORS if name not in box.withheld],
            "info": {"envid": f"O{box.environment}AA", "appName": "sfsync", "group": f"App Connector sfsync ({box.environment}.SFSYNC)",
                     "tokenExpiry": "0"},
        }
        box.observe(request.url.path, {}, 200, json_body(document))
        return json_response(document)

    prefix = "/ProfitRestServices"
    return [
        Route(prefix + "/connectors/{connector}", get_connector),
        Route(prefix + "/metainfo/{kind}/{connector}", meta),
        Route(prefix + "/Metainfo/{kind}/{connector}", meta),
        Route(prefix + "/MetaInfo", catalogue),
        Route(prefix + "/OtpRequest", box.otp.request_code, methods=["POST"]),
        Route(prefix + "/OtpValidation", box.otp.validate, methods=["POST"]),
    ]
