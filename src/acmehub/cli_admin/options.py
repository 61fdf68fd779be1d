"""CLI options made from a command model's fields: a field added to a command is an option of
every CLI command that takes it, with its help, its type and the command's own validation.

``--some-field VALUE`` per field (the field's ``cli`` hint names it when the name differs):
yes/no for true/false, a number, text ('' clears a field that takes null), a JSON object (or
@FILE) for objects, and a repeated option for lists. Fields whose values name other objects
(``options`` hint) take a name or a UUID, resolved by the command.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from enum import Enum
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from acmehub.cli_admin.argtypes import json_object, on_off, parse_time
from acmehub.services.commands.base import hints, kind_of, parse

#: Resolves a reference the user typed (a name or a UUID) to a UUID.
Resolver = Callable[[str], str]


def option_name(field: str, info_hints: Mapping[str, Any]) -> str:
    cli = info_hints.get("cli")
    return str(cli) if cli else re.sub(r"_", "-", field)


def _dest(model: type[BaseModel], field: str) -> str:
    return f"opt_{field}"


def _fields(
    model: type[BaseModel], skip: Collection[str] = (), path: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], FieldInfo]]:
    """The model's fields, a nested command's (``fieldset`` hint) one by one."""
    found: list[tuple[tuple[str, ...], FieldInfo]] = []
    for field, info in model.model_fields.items():
        if field in skip and not path:
            continue
        nested = info.annotation
        if hints(info).get("fieldset") and isinstance(nested, type):
            found += _fields(nested, skip, (*path, field))
        else:
            found.append(((*path, field), info))
    return found


def add_options(
    parser: argparse.ArgumentParser, model: type[BaseModel], *, skip: Collection[str] = ()
) -> None:
    """One option per field of ``model`` (except ``skip``)."""
    for path, info in _fields(model, skip):
        field = path[-1]
        found = hints(info)
        kind, nullable = kind_of(info)
        flag = "--" + option_name(field, found)
        text = str(found.get("help") or info.description or info.title or "")
        options: dict[str, Any] = {"dest": _dest(model, "__".join(path))}
        choices = _choices(info.annotation)
        if _is_time(info.annotation):
            options.update(type=parse_time, metavar="TIME")
            text = f"{text} (ISO 8601; UTC if no zone)"
        elif choices:
            options.update(choices=choices)
        elif kind == "bool" and found.get("flag"):
            options.update(action="store_const", const=True)
        elif kind == "bool":
            options.update(type=on_off, metavar="yes|no")
        elif kind == "int":
            options.update(type=int, metavar="N")
        elif kind == "json":
            options.update(type=json_object, metavar="JSON")
            text = f"{text} (a JSON object, or @FILE)"
        elif kind == "lines" and found.get("sep"):
            sep = str(found["sep"])
            options.update(action="extend", type=lambda v, sep=sep: v.split(sep), metavar="A,B")
        elif kind == "lines":
            options.update(action="append", metavar="VALUE")
            text = f"{text} (repeat the option)"
        elif found.get("choices"):
            options.update(choices=list(found["choices"]))
        elif found.get("options"):
            options.update(metavar="NAME-OR-UUID")
        if nullable and kind in ("text", "int", "json"):
            text = f"{text} ('' clears)" if kind == "text" else text
        parser.add_argument(flag, help=text.replace("%", "%%"), **options)


def _members(annotation: Any) -> list[Any]:
    """The types a field's annotation allows (``X | None``, ``Annotated[X, ...]`` unwrapped)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _members(get_args(annotation)[0])
    if origin in (Union, UnionType):
        return [m for a in get_args(annotation) for m in _members(a)]
    return [annotation]


def _is_time(annotation: Any) -> bool:
    return datetime in _members(annotation)


def _choices(annotation: Any) -> list[str] | None:
    """The values of an enum or Literal field (the CLI offers them as choices)."""
    members = [m for m in _members(annotation) if m is not type(None)]
    if len(members) == 1 and isinstance(members[0], type) and issubclass(members[0], Enum):
        return [str(e.value) for e in members[0]]
    if members and all(get_origin(m) is Literal for m in members):
        return [str(v) for m in members for v in get_args(m)]
    return None


def command_of(
    model: type[BaseModel],
    args: argparse.Namespace,
    *,
    extra: Mapping[str, Any] | None = None,
    resolvers: Mapping[str, Resolver] | None = None,
) -> Any:
    """The command the user's options (and ``extra`` fields) make, validated by the model."""
    data: dict[str, Any] = dict(extra or {})
    for path, info in _fields(model):
        value = getattr(args, _dest(model, "__".join(path)), None)
        if value is None:
            continue
        found = hints(info)
        kind, nullable = kind_of(info)
        if value == "" and nullable and kind == "text":
            value = None
        elif found.get("options") and resolvers and isinstance(value, str):
            value = resolvers[str(found["options"])](value)
        target = data
        for name in path[:-1]:
            target = target.setdefault(name, {})
        target[path[-1]] = value
    return parse(model, data)
