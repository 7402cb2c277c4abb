"""A connector's connection form, as inputs: its pydantic model's fields, the secret ones as
password inputs that never show a value."""

from __future__ import annotations

import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from sfsync.auth import secret_field_names

__all__ = ["FormField", "form_fields", "posted_values"]


@dataclass(frozen=True)
class FormField:
    """One input of a connection form."""

    name: str
    label: str
    help: str
    secret: bool
    required: bool
    value: str
    choices: tuple[str, ...] = ()
    kind: str = "text"


def form_fields(model: type[BaseModel], current: Mapping[str, Any] | None = None) -> list[FormField]:
    """The inputs for ``model``; ``current`` holds the non-secret values kept (re-consent)."""
    secret = secret_field_names(model)
    fields = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        choices: tuple[str, ...] = ()
        if typing.get_origin(annotation) is typing.Literal:
            choices = tuple(str(c) for c in typing.get_args(annotation))
        kind = "password" if name in secret else "number" if annotation is int else "text"
        default = info.default if info.default is not None and not info.is_required() else ""
        shown = "" if name in secret else str((current or {}).get(name, default))
        fields.append(FormField(
            name=name, label=info.title or name.replace("_", " ").capitalize(), help=info.description or "",
            secret=name in secret, required=info.is_required(), value=shown, choices=choices, kind=kind,
        ))
    return fields


def posted_values(model: type[BaseModel], form: Mapping[str, Any], *, keep_blank_secrets: bool) -> dict[str, Any]:
    """The model's fields as posted; a blank secret is left out when the stored one is kept."""
    secret = secret_field_names(model)
    values: dict[str, Any] = {}
    for name in model.model_fields:
        value = form.get(name)
        if not isinstance(value, str):
            continue
        if value == "" and ((name in secret and keep_blank_secrets) or not model.model_fields[name].is_required()):
            continue
        values[name] = value
    return values
