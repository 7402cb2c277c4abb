"""A connector's connection fields as JSON Schema, for ``sfsync spec CONNECTOR`` and for hosts
that build their own connection form (the Airbyte ``spec`` idea).

The schema is the connector's pydantic form model's, with every secret field (a ``SecretStr``)
marked ``"writeOnly": true`` and ``"airbyte_secret": true`` so that a form masks it and never
shows it back. OAuth2 connectors add the app's ``client_id`` and ``client_secret``; ``x-sfsync``
says how the connection is made (flavour, level) and which command makes it.
"""

from __future__ import annotations

from typing import Any

from sfsync.auth import OAuth2Spec, secret_field_names
from sfsync.plugins import LoadedConnector

__all__ = ["connection_schema"]


def connection_schema(loaded: LoadedConnector) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of ``loaded``'s connection fields, secrets marked."""
    spec = loaded.auth
    model = spec.fields
    schema: dict[str, Any] = model.model_json_schema()
    properties: dict[str, Any] = schema.setdefault("properties", {})
    secrets = secret_field_names(model)
    if isinstance(spec, OAuth2Spec):
        properties.setdefault("client_id", {"type": "string", "title": "Client Id",
                                            "description": "The client id of the firm's app at the package"})
        properties.setdefault("client_secret", {"type": "string", "title": "Client Secret",
                                                "description": "The client secret of that app"})
        secrets.add("client_secret")
        schema.setdefault("required", [])
        if "client_id" not in schema["required"]:
            schema["required"].append("client_id")
    for name in secrets:
        if name in properties:
            properties[name].update({"writeOnly": True, "airbyte_secret": True})
            properties[name].pop("format", None)  # pydantic's "password" format says less than writeOnly
    command = (f"sfsync connect {loaded.name} --client-id ID --client-secret -" if isinstance(spec, OAuth2Spec)
               else f"sfsync connect {loaded.name} " + " ".join(
                   f"--field {n}={'-' if n in secrets else '…'}" for n in properties))
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"{loaded.info.title} connection",
        **{k: v for k, v in schema.items() if k != "title"},
        "x-sfsync": {"connector": loaded.name, "flavour": spec.flavour, "level": spec.level.value,
                     "command": command},
    }
