"""Web forms made from a command model: its fields are the form's inputs (grouped into
fieldsets, labelled and explained by the field's ``title``, ``description`` and ``ui`` hints),
the posted text becomes the command, and the command's refusals are shown beside their fields.
A field added to a command appears in its form without further code.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from starlette.responses import Response

from acmehub.domain.errors import DomainError, ErrorKind, FieldError
from acmehub.services.commands.base import hints, kind_of, parse
from acmehub.webui.framework import Form, Req


@dataclass(frozen=True)
class Input:
    name: str  # the API's name (camelCase): the form's field name and error key
    label: str
    widget: str  # text | url | number | textarea | json | lines | checkbox | select
    #              | checkboxes | password | pem
    help: str = ""
    required: bool = False
    readonly: bool = False
    options: Sequence[tuple[str, str]] = ()
    #: The name the value is posted under, when not ``name`` (each box of a checkbox group).
    post: str = ""


@dataclass(frozen=True)
class Fieldset:
    legend: str
    inputs: list[Input] = field(default_factory=list)


_OWN_WIDGETS = ("textarea", "url", "select", "json", "lines", "checkboxes", "password", "pem")


def _widget(kind: str, found: Mapping[str, Any]) -> str:
    if found.get("widget") in _OWN_WIDGETS:
        return str(found["widget"])
    return {"bool": "checkbox", "int": "number", "json": "json", "lines": "lines"}.get(kind, "text")


@dataclass(frozen=True)
class _Entry:
    """One input of a (possibly nested) command model."""

    path: tuple[str, ...]  # field names, outermost first
    info: FieldInfo
    api: str  # the field's path in the API ("issuancePolicy.maxNames")
    name: str  # the input's name and error key
    post: str  # what the value is posted under
    legend: str
    position: int


def _entries(
    model: type[BaseModel],
    skip: Collection[str] = (),
    path: tuple[str, ...] = (),
    api: str = "",
    legend: str | None = None,
    counter: Iterator[int] | None = None,
) -> list[_Entry]:
    """The inputs of ``model``: a field with the ``fieldset`` hint (a nested command) gives
    one input per field of it, in a fieldset of its own (``skip`` may name them dotted)."""
    counter = counter if counter is not None else iter(range(10**6))
    found_entries: list[_Entry] = []
    for name, info in model.model_fields.items():
        dotted = ".".join((*path, name))
        if (name in skip and not path) or dotted in skip:
            continue
        found = hints(info)
        alias = api + (info.alias or name)
        nested = _nested_model(info)
        if found.get("fieldset") and nested is not None:
            inner = str(found.get("group") or info.title or name)
            found_entries += _entries(nested, skip, (*path, name), alias + ".", inner, counter)
            continue
        form = str(found.get("form") or "")
        input_name = alias if (not form or found.get("widget") == "checkboxes") else form
        group = legend or str(found.get("group") or "Settings")
        position = next(counter)
        found_entries.append(
            _Entry((*path, name), info, alias, input_name, form or alias, group, position)
        )
    return found_entries


def _nested_model(info: FieldInfo) -> type[BaseModel] | None:
    annotation = info.annotation
    for candidate in (annotation, *get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _choices(info: FieldInfo) -> tuple[tuple[str, str], ...]:
    """The values of a Literal field (or of a list of them), as select options."""
    annotation = info.annotation
    if get_origin(annotation) is list:
        annotation = get_args(annotation)[0]
    args = get_args(annotation) if get_origin(annotation) is Literal else ()
    return tuple((str(a), str(a)) for a in args)


def fieldsets(
    model: type[BaseModel],
    *,
    options: Mapping[str, Sequence[tuple[str, str]]] | None = None,
    readonly: Collection[str] = (),
    skip: Collection[str] = (),
) -> list[Fieldset]:
    """The form's inputs in the model's order, grouped by their ``group`` hint (a field with an
    ``order`` hint goes to that place in its group); a nested command's fields form a fieldset
    of their own."""
    groups: dict[str, list[tuple[int, Input]]] = {}
    for e in _entries(model, skip):
        found = hints(e.info)
        kind, nullable = kind_of(e.info)
        widget = _widget(kind, found)
        choices: Sequence[tuple[str, str]] = ()
        if widget in ("select", "checkboxes"):
            choices = (
                (options or {}).get(str(found.get("options")), ())
                or _choices(e.info)
                or [(str(c), str(c)) for c in found.get("choices", ())]
            )
        entry = Input(
            name=e.name,
            label=e.info.title or e.name,
            widget=widget,
            help=str(found.get("help") or ""),
            required=e.info.is_required() or (kind == "int" and not nullable),
            readonly=e.path[-1] in readonly and len(e.path) == 1,
            options=choices,
            post=e.post if e.post != e.name else "",
        )
        order = int(found.get("order", e.position + 100))
        groups.setdefault(e.legend, []).append((order, entry))
    return [
        Fieldset(legend, [entry for _, entry in sorted(entries, key=lambda e: e[0])])
        for legend, entries in groups.items()
    ]


def render_form(
    req: Req,
    template: str,
    model: type[BaseModel],
    values: Mapping[str, Any],
    errors: Mapping[str, str] | None = None,
    error: str = "",
    status: int = 200,
    *,
    options: Mapping[str, Sequence[tuple[str, str]]] | None = None,
    readonly: Collection[str] = (),
    skip: Collection[str] = (),
    **context: Any,
) -> Response:
    """``template`` with the model's form (``fieldsets``), its values and refusals."""
    sets = fieldsets(model, options=options, readonly=readonly, skip=skip)
    return req.render(
        template,
        status=status,
        fieldsets=sets,
        values=values,
        errors=errors or {},
        error=error,
        **context,
    )


def values_of(model: type[BaseModel], source: BaseModel | None = None) -> dict[str, Any]:
    """The form's text for each field: from a view that has the fields, or the defaults."""
    values: dict[str, Any] = {}
    for e in _entries(model):
        value = _source_value(source, e)
        kind, _ = kind_of(e.info)
        widget = _widget(kind, hints(e.info))
        if widget == "checkboxes":
            values[e.name] = [str(v) for v in value or ()]
        elif widget == "password":
            values[e.name] = ""
        elif kind == "bool":
            values[e.name] = bool(value)
        elif kind == "json":
            if isinstance(value, BaseModel):
                value = value.model_dump(mode="json", by_alias=True)
            values[e.name] = json.dumps(value, indent=2, sort_keys=True) if value else ""
        elif kind == "lines":
            values[e.name] = "\n".join(value or ())
        else:
            values[e.name] = "" if value is None else str(value)
    return values


def _source_value(source: BaseModel | None, e: _Entry) -> Any:
    """The entry's value in ``source`` (a view with the same fields), or its default."""
    current: Any = source
    for name in e.path:
        if not isinstance(current, BaseModel) or name not in type(current).model_fields:
            return None if e.info.is_required() else e.info.get_default(call_default_factory=True)
        current = getattr(current, name)
    return current


def posted(model: type[BaseModel], form: Form, *, skip: Collection[str] = ()) -> dict[str, Any]:
    """What the form shows again after a refusal: the posted text of each field (never a
    password)."""
    values: dict[str, Any] = {}
    for e in _entries(model, skip):
        kind, _ = kind_of(e.info)
        widget = _widget(kind, hints(e.info))
        if widget == "checkboxes":
            values[e.name] = form.get_all(e.post)
        elif widget == "password":
            values[e.name] = ""
        else:
            values[e.name] = form.has(e.post) if kind == "bool" else form.get(e.post)
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
    for e in _entries(model, skip):
        if e.path[0] in data and len(e.path) == 1:
            continue
        kind, nullable = kind_of(e.info)
        widget = _widget(kind, hints(e.info))
        if not form.has(e.post) and widget != "checkboxes" and kind != "bool":
            continue  # not on the form: the command's default
        raw = form.get(e.post)
        text = raw if widget == "password" else raw.strip()
        value: Any
        if widget == "checkboxes":
            value = form.get_all(e.post)
        elif kind == "bool":
            value = form.has(e.post)
        elif kind == "int":
            if not text and nullable:
                value = None
            elif text.lstrip("-").isdigit():
                value = int(text)
            else:
                errors[e.name] = f"{e.name} must be a whole number"
                continue
        elif kind == "json":
            value, problem = _json_object(text, nullable)
            if problem:
                errors[e.name] = f'{e.name} must be a JSON object, e.g. {{"key": "value"}}'
        elif kind == "lines":
            value = [line.strip() for line in text.splitlines() if line.strip()]
        else:
            value = text or (None if nullable else "")
        _put(data, e, value)
    if errors:
        detail = "; ".join(errors.values())
        raise DomainError(ErrorKind.INVALID_INPUT, detail, status=422, errors=_field_errors(errors))
    return parse(model, data)


def _put(data: dict[str, Any], e: _Entry, value: Any) -> None:
    """``value`` at the entry's place: nested commands by their JSON names (so that their
    refusals name the field as the API does)."""
    if len(e.path) == 1:
        data[e.path[0]] = value
        return
    target = data.setdefault(e.path[0], {})
    for segment in e.api.split(".")[1:-1]:
        target = target.setdefault(segment, {})
    target[e.api.rsplit(".", 1)[1]] = value


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
    """Where a refusal belongs: beside its fields, or (none named) at the top of the form. A
    field the form knows by another name than the API's is named so in the message."""
    entries = _entries(model)
    by_api = {e.api: e.name for e in entries}
    names = {e.name for e in entries} | {info.alias or n for n, info in model.model_fields.items()}
    if exc.errors:
        by_field: dict[str, str] = {}
        for error in exc.errors:
            key, message = _place(error.field, error.message, by_api, names)
            if key is not None:
                by_field.setdefault(key, message)
        if by_field:
            return by_field, ""
    first = exc.detail.split(" ", 1)[0].rstrip(":,")
    key, message = _place(first, exc.detail, by_api, names)
    if key is not None:
        return {key: message}, ""
    return {}, exc.detail


def _place(
    field_path: str, message: str, by_api: Mapping[str, str], names: Collection[str]
) -> tuple[str | None, str]:
    """The input a field path (or a path below it) belongs to, and the message in its name."""
    parts = field_path.split(".")
    for end in range(len(parts), 0, -1):
        path = ".".join(parts[:end])
        name = by_api.get(path)
        if name is not None:
            if name != path and message.startswith(path):
                message = name + message[len(path) :]
            return name, message
        if path in names:
            return path, message
    return None, message
