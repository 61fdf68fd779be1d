"""What every command and view shares: camelCase JSON names, field-level errors, pages.

A command is validated when it is built (pydantic); :func:`parse` turns a refusal into the one
error type (DomainError ``invalidInput``, HTTP 422) with one :class:`FieldError` per field, the
same objects the API puts in its problem document, the web interface beside its form fields
and the CLI on its error stream.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar, get_args, get_origin

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    WrapValidator,
)
from pydantic.alias_generators import to_camel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

from acmehub.domain.errors import DomainError, ErrorKind, FieldError

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")

#: The largest page a list returns.
MAX_PAGE = 1000
#: The most objects one bulk action takes.
MAX_BULK = 1000
#: Unreserved URL characters (RFC 3986 §2.3): profile names appear in ACME URLs.
URL_NAME_PATTERN = r"^[A-Za-z0-9._~-]{1,200}$"


class ApiModel(BaseModel):
    """JSON members in camelCase (``termsOfServiceUrl``); Python code uses snake_case."""

    model_config = ConfigDict(alias_generator=to_camel, validate_by_name=True)


def refuse_nul(value: Any, path: str = "body") -> None:
    """Refuse text holding a NUL character anywhere in a command's input (PostgreSQL cannot
    store one and no name, URL or attribute needs it): a field error, never a server error.
    Checked where input enters (:func:`parse`, management/actions.py), not on the views."""
    if isinstance(value, BaseModel):
        value = value.model_dump(by_alias=True)
    if isinstance(value, str):
        if "\x00" in value:
            message = f"{path}: must not contain the NUL character"
            raise invalid_fields([FieldError(path, "nul", message)])
    elif isinstance(value, dict):
        for key, member in value.items():
            where = f"{path}.{key}" if path not in ("body", "query") else str(key)
            refuse_nul(key, where)
            refuse_nul(member, where)
    elif isinstance(value, list | tuple):
        for index, member in enumerate(value):
            refuse_nul(member, f"{path}.{index}" if path not in ("body", "query") else str(index))


C = TypeVar("C", bound=type[BaseModel])


def change_command(cls: C) -> C:
    """Make a create command's fields into a change command's: every field may be left out
    (then the stored value stays); a field whose type has no null still refuses null. The
    OpenAPI document shows no defaults for them."""
    for info in cls.__pydantic_fields__.values():
        info.default = None
        info.default_factory = None
    cls.model_config["json_schema_extra"] = _strip_defaults
    cls.model_rebuild(force=True)
    return cls


def _strip_defaults(schema: dict[str, Any]) -> None:
    for member in schema.get("properties", {}).values():
        member.pop("default", None)


def ui(**hints: Any) -> dict[str, Any]:
    """How the web form shows a field (``json_schema_extra``): ``group`` (fieldset legend),
    ``widget`` (text, textarea, json, checkbox, select, lines), ``options`` (a named option
    list the page supplies), ``choices`` (fixed values: the select's options and the CLI's
    choices), ``help``, ``cli`` (the CLI option name when it differs).

    Also: ``fieldset`` (a nested command shown as a fieldset of its own, one input or CLI
    option per field of it), ``form`` (the name the web form posts the field under when it is
    not the API's), ``sep`` (a list also given as one CLI value split on this separator);
    widgets ``checkboxes`` (a list of choices), ``password`` and ``pem``."""
    return {"x-ui": hints}


#: Error codes of acmehub's own field types, and what joins the field's name to their message
#: ("retryInterval must be an integer between 1 and 86400"), as the services' refusals read.
OWN_CODES = {
    "int_parsing": " ",
    "int_type": " ",
    "int_range": " ",
    "url_name": ": ",
    "one_of": " ",
    "text_max": " ",
    "blank": " ",
}


def _int_between(low: int, high: int) -> Any:
    def check(value: Any, handler: Any) -> Any:
        code = "int_range"
        if isinstance(value, int) and not isinstance(value, bool):
            try:
                return handler(value)
            except ValidationError:
                pass
        else:  # pydantic's own codes: text that is not a number, or another type
            code = "int_parsing" if isinstance(value, str) else "int_type"
        raise PydanticCustomError(
            code, "must be an integer between {low} and {high}", {"low": low, "high": high}
        )

    return WrapValidator(check)


def Int(low: int, high: int) -> Any:  # noqa: N802 (a type)
    """A whole number in [low, high]: a JSON integer (not "60", not true), one message."""
    return Annotated[int, Field(ge=low, le=high), _int_between(low, high)]


def NotBlank(message: str, max_length: int) -> Any:  # noqa: N802 (a type)
    """Text that must have more than white space: ``{field} {message}`` when it has not."""

    def check(value: Any, handler: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            raise PydanticCustomError("blank", message)
        return handler(value)

    return Annotated[str, Field(max_length=max_length), WrapValidator(check)]


def hints(info: FieldInfo) -> dict[str, Any]:
    """A field's :func:`ui` hints."""
    extra = info.json_schema_extra
    found = extra.get("x-ui") if isinstance(extra, dict) else None
    return dict(found) if isinstance(found, dict) else {}


def kind_of(info: FieldInfo) -> tuple[str, bool]:
    """How a field is entered as text (web form, CLI option): ``bool``, ``int``, ``text``,
    ``lines`` (a list of strings) or ``json`` (an object); and whether it takes null."""
    annotation = info.annotation
    args = get_args(annotation)
    nullable = type(None) in args
    if nullable:
        annotation = next(a for a in args if a is not type(None))
    base = get_origin(annotation) or annotation
    if base is Annotated:
        base = get_origin(get_args(annotation)[0]) or get_args(annotation)[0]
    if base is bool:
        return "bool", nullable
    if base is int:
        return "int", nullable
    if base is list:
        return "lines", nullable
    if base is dict or (isinstance(base, type) and issubclass(base, BaseModel)):
        return "json", nullable
    return "text", nullable


def UrlName(what: str) -> Any:  # noqa: N802 (a type)
    """A name that appears in ACME URLs: unreserved URL characters (RFC 3986 §2.3)."""

    def check(value: Any, handler: Any) -> Any:
        try:
            return handler(value)
        except ValidationError:
            raise PydanticCustomError(
                "url_name",
                "the {what} name must be 1-200 of the characters A-Z a-z 0-9 - . _ ~ "
                "(it appears in ACME URLs)",
                {"what": what},
            ) from None

    return Annotated[str, Field(pattern=URL_NAME_PATTERN), WrapValidator(check)]


def OneOf(*values: str) -> Any:  # noqa: N802 (a type)
    """One of a few fixed strings (an enum the schema lists), one message naming them all."""

    def check(value: Any, handler: Any) -> Any:
        if value in values:
            return value
        raise PydanticCustomError(
            "one_of", "must be one of {values}", {"values": ", ".join(values)}
        )

    return Annotated[Literal[values], WrapValidator(check)]


def Text(max_length: int) -> Any:  # noqa: N802 (a type)
    """Free text of at most ``max_length`` characters."""

    def check(value: Any, handler: Any) -> Any:
        if isinstance(value, str) and len(value) > max_length:
            raise PydanticCustomError(
                "text_max", "must be at most {max} characters", {"max": max_length}
            )
        return handler(value)

    return Annotated[str, Field(max_length=max_length), WrapValidator(check)]


def field_path(loc: Sequence[int | str], model: type[BaseModel] | None = None) -> str:
    """A pydantic error location as the API spells it (``caaIdentities.0``)."""
    # FastAPI's locations start with where the value came from (body, query, path).
    skip = 1 if loc and loc[0] in ("body", "query", "path") else 0
    parts = [str(p) for p in loc[skip:]]
    current = model
    for index, part in enumerate(parts):
        if current is None or part not in current.model_fields:
            break
        info = current.model_fields[part]
        parts[index] = info.alias or part
        current = _model_in(info.annotation)  # a nested command's fields by their names too
    return ".".join(parts) or "body"


def _model_in(annotation: Any) -> type[BaseModel] | None:
    for candidate in (annotation, *get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def field_errors(exc: ValidationError, model: type[BaseModel] | None = None) -> list[FieldError]:
    return errors_of_details(exc.errors(), model)


def errors_of_details(
    details: Iterable[Mapping[str, Any]], model: type[BaseModel] | None = None
) -> list[FieldError]:
    """pydantic's error details (a command's, or FastAPI's for a request) as field errors."""
    errors = []
    for err in details:
        path = field_path(err["loc"], model)
        code = str(err["type"])
        sep = OWN_CODES.get(code, ": ")
        errors.append(FieldError(path, code, f"{path}{sep}{err['msg']}"))
    return errors


def invalid_fields(errors: Sequence[FieldError]) -> DomainError:
    """The refusal of a command whose fields do not validate (HTTP 422)."""
    detail = "; ".join(e.message for e in errors)
    return DomainError(ErrorKind.INVALID_INPUT, detail, status=422, errors=tuple(errors))


def parse(model: type[M], data: Mapping[str, Any]) -> M:
    """``data`` (JSON names or field names) as a ``model``, or DomainError with field errors."""
    refuse_nul(dict(data))
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        raise invalid_fields(field_errors(exc, model)) from None


# --------------------------------------------------------------------------- shared views


class PageQuery(ApiModel):
    """``?offset=&limit=`` of every list."""

    offset: int = Field(default=0, ge=0, le=2**31 - 1)
    limit: int = Field(default=100, ge=1, le=MAX_PAGE)


class Paged(ApiModel, Generic[T]):
    """Every list's shape: one page of items and how to ask for the next."""

    items: list[T]
    offset: int
    limit: int
    total: int = Field(description="How many objects match the filters")
    has_more: bool = Field(description="Whether a next page exists (ask with offset + limit)")

    @classmethod
    def of(cls, items: Sequence[T], query: PageQuery, total: int) -> Paged[T]:
        return cls(
            items=list(items),
            offset=query.offset,
            limit=query.limit,
            total=total,
            has_more=query.offset + len(items) < total,
        )

    @classmethod
    def slice(cls, everything: Sequence[T], query: PageQuery) -> Paged[T]:
        """A page of a list that is small enough to be read whole (profiles, authorities)."""
        items = everything[query.offset : query.offset + query.limit]
        return cls.of(items, query, len(everything))


class UuidView(ApiModel):
    uuid: str


class NameAndUuid(ApiModel):
    uuid: str
    name: str


class BulkMessage(ApiModel):
    """One object a bulk action could not act on (the platform's BulkActionMessage)."""

    uuid: str
    name: str = Field(description="The object's name (empty when it was not found)")
    message: str


# --------------------------------------------------------------------------- times and columns

_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$", re.ASCII
)
_EXAMPLE = "2026-05-01T12:00:00Z"


def _rfc3339(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            raise ValueError(f"must be an RFC 3339 date-time with a time zone, e.g. {_EXAMPLE}")
        return value.astimezone(UTC)
    if not isinstance(value, str) or not _RFC3339.match(value):
        raise ValueError(f"must be an RFC 3339 date-time with a time zone, e.g. {_EXAMPLE}")
    try:
        when = datetime.fromisoformat(value.replace("z", "Z"))
        return when.astimezone(UTC)
    except (ValueError, OverflowError):
        raise ValueError(f"{value} is not a representable date-time (e.g. {_EXAMPLE})") from None


#: A query or body date-time: RFC 3339 with a zone (pydantic alone also takes numbers and
#: times without a zone), returned in UTC.
Timestamp = Annotated[datetime, BeforeValidator(_rfc3339)]


@dataclass(frozen=True)
class Column(Generic[T]):
    """One column of a list, declared once: the CLI's table prints ``header`` in capitals and
    ``value``; the web interface's list shows the same column (``show``: text, code, time,
    badge or pairs; ``link``: the UI path the cell links to)."""

    header: str
    value: Callable[[T], Any]
    show: str = "text"
    link: Callable[[T], str | None] | None = None
