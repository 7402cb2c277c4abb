"""The error body of an OData v4 refusal (OData v4.01 JSON Format §21.1).

``{"error": {"code": "BadRequest_NotFound", "message": "…", "target": …, "details": […]}}``;
Business Central puts a ``CorrelationId`` in the message. :func:`odata_error` reads it from any
response, and gives ``None`` when the body is not one (a gateway's HTML page).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import httpx

__all__ = ["ODataErrorBody", "odata_error"]


@dataclass(frozen=True)
class ODataErrorBody:
    """What an OData service said when it refused a request."""

    code: str
    message: str
    target: str | None = None

    def __str__(self) -> str:
        """``code: message`` (with the target in brackets), for an error message."""
        text = f"{self.code}: {self.message}" if self.code and self.message else self.code or self.message
        return f"{text} [{self.target}]" if self.target else text


def odata_error(response: httpx.Response) -> ODataErrorBody | None:
    """The OData error body of ``response``, or ``None`` when it has none."""
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None
    target = error.get("target")
    return ODataErrorBody(
        code=str(error.get("code") or ""),
        message=str(error.get("message") or ""),
        target=str(target) if target else None,
    )
