"""Web forms made from a command model: its fields are the form's inputs (grouped into
fieldsets, labelled and explained by the field's ``title``, ``description`` and ``ui`` hints),
the posted text becomes the command, and the command's refusals are shown beside their fields.
A field added to a command appears in its form without further code.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from acmehub.domain.errors import DomainError, ErrorKind, FieldError
from acmehub.services.commands.base import hints, kind_of, parse
from acmehub.webui.framework import Form


@dataclass(frozen=True)
class Input:
    name: str  # the API's name (camelCase): the form's field name and error key
    label: str
    widget: str  # text | url | number | textarea | json | lines | checkbox | select
    help: str = ""
    required: bool = False
    readonly: bool = False
    options: Sequence[tuple[str, str]] = ()


@dataclass(frozen=True)
class Fieldset:
    legend: str
    inputs: list[Input] = field(default_factory=list)


def _widget(kind: str, found: Mapping[str, Any]) -> str:
    if found.get("widget") in ("textarea", "url", "select", "json", "lines"):
        return str(found["widget"])
    return {"bool": "checkbox", "int": "number", "json": "json", "lines": "lines"}.get(kind, "text")


def fieldsets(
    model: type[BaseModel],
    *,
    options: Mapping[str, Sequence[tuple[str, str]]] | None = None,
    readonly: Collection[str] = (),
    skip: Collection[str] = (),
) -> list[Fieldset]:
    """The form's inputs in the model's order, grouped by their ``group`` hint (a field with an
    ``order`` hint goes to that place in its group)."""
    groups: dict[str, list[tuple[int, Input]]] = {}
    for position, (name, info) in enumerate(model.model_fields.items()):
        if name in skip:
            continue
        found = hints(info)
        kind, _ = kind_of(info)
        widget = _widget(kind, found)
        choices: Sequence[tuple[str, str]] = ()
        if widget == "select":
            choices = (options or {}).get(str(found.get("options")), ()) or [
                (str(c), str(c)) for c in found.get("choices", ())
            ]
        entry = Input(
            name=info.alias or name,
            label=info.title or name,
            widget=widget,
            help=str(found.get("help") or ""),
            required=info.is_required() or (kind == "int" and not kind_of(info)[1]),
            readonly=name in readonly,
            options=choices,
        )
        order = int(found.get("order", position + 100))
        groups.setdefault(str(found.get("group") or "Settings"), []).append((order, entry))
    return [
        Fieldset(legend, [entry for _, entry in sorted(entries, key=lambda e: e[0])])
        for legend, entries in groups.items()
    ]


def values_of(model: type[BaseModel], source: BaseModel | None = None) -> dict[str, Any]:
    """The form's text for each field: from a view that has the fields, or the defaults."""
    values: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if source is not None and name in type(source).model_fields:
            value = getattr(source, name)
        else:
            value = info.get_default(call_default_factory=True)
        kind, _ = kind_of(info)
        alias = info.alias or name
        if kind == "bool":
            values[alias] = bool(value)
        elif kind == "json":
            if isinstance(value, BaseModel):
                value = value.model_dump(mode="json", by_alias=True)
            values[alias] = json.dumps(value, indent=2, sort_keys=True) if value else ""
        elif kind == "lines":
            values[alias] = "\n".join(value or ())
        else:
            values[alias] = "" if value is None else str(value)
    return values


def posted(model: type[BaseModel], form: Form, *, skip: Collection[str] = ()) -> dict[str, Any]:
    """What the form shows again after a refusal: the posted text of each field."""
    values: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if name in skip:
            continue
        alias = info.alias or name
        kind, _ = kind_of(info)
        values[alias] = form.has(alias) if kind == "bool" else form.get(alias)
    return values


def command_of(
    model: type[BaseModel],
    form: Form,
    *,
    extra: Mapping[str, Any] | None = None,
    skip: Collection[str] = (),
) -> Any:
    """The command the posted form makes; refusals as DomainError with one error per field
    (a number or JSON the text cannot be read as, then the command's own rules)."""
    data: dict[str, Any] = dict(extra or {})
    errors: dict[str, str] = {}
    for name, info in model.model_fields.items():
        if name in skip or name in data:
            continue
        alias = info.alias or name
        kind, nullable = kind_of(info)
        text = form.get(alias).strip()
        if kind == "bool":
            data[name] = form.has(alias)
        elif kind == "int":
            if not text and nullable:
                data[name] = None
            elif text.lstrip("-").isdigit():
                data[name] = int(text)
            else:
                errors[alias] = f"{alias} must be a whole number"
        elif kind == "json":
            data[name], problem = _json_object(text, nullable)
            if problem:
                errors[alias] = f'{alias} must be a JSON object, e.g. {{"key": "value"}}'
        elif kind == "lines":
            data[name] = [line.strip() for line in text.splitlines() if line.strip()]
        else:
            data[name] = text or (None if nullable else "")
    if errors:
        detail = "; ".join(errors.values())
        raise DomainError(ErrorKind.INVALID_INPUT, detail, status=422, errors=_field_errors(errors))
    return parse(model, data)


def _json_object(text: str, nullable: bool) -> tuple[Any, bool]:
    if not text:
        return (None if nullable else {}), False
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return None, True
    return value, not isinstance(value, dict)


def _field_errors(errors: Mapping[str, str]) -> tuple[FieldError, ...]:
    return tuple(FieldError(name, "not_readable", message) for name, message in errors.items())


def errors_of(exc: DomainError, model: type[BaseModel]) -> tuple[dict[str, str], str]:
    """Where a refusal belongs: beside its fields, or (none named) at the top of the form."""
    names = {info.alias or name for name, info in model.model_fields.items()}
    if exc.errors:
        by_field: dict[str, str] = {}
        for error in exc.errors:
            head = error.field.split(".", 1)[0]
            if head in names:
                by_field.setdefault(head, error.message)
        if by_field:
            return by_field, ""
    first = exc.detail.split(" ", 1)[0].rstrip(":,")
    if first in names:
        return {first: exc.detail}, ""
    return {}, exc.detail
