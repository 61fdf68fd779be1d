"""The web interface's lists, made from the same query models and columns as the API and the
CLI (services/commands): a field's ``filter`` hint names its input on the page, a refused
filter is shown beside the filters (its ``refused`` hint, else the model's message) and left
out, and the table shows the declared columns (templates/columns.html)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from acmehub.domain.errors import DomainError
from acmehub.services.commands.base import hints, parse
from acmehub.webui.framework import Req
from acmehub.webui.paging import Paged, PageRequest, keep_query, page_of, page_without_total

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Listing(Generic[M]):
    query: M
    values: dict[str, str]
    errors: dict[str, str]
    paging: PageRequest
    kept: tuple[tuple[str, str], ...]
    path: str

    def paged(self, found: Any) -> Paged[Any]:
        """The service's page (``Paged`` with a total, or only ``hasMore``) for the pager."""
        total = getattr(found, "total", None)
        if total is None:
            return page_without_total(
                found.items, found.has_more, self.paging, self.path, self.kept
            )
        return page_of(found.items, total, self.paging, self.path, self.kept)

    def context(self, found: Any, columns: Sequence[Any]) -> dict[str, Any]:
        """What a list template takes: the page, its columns, the filters and refusals."""
        paged = self.paged(found)
        return {"paged": paged, "columns": columns, "filters": self.values, "errors": self.errors}


def listing(req: Req, model: type[M], path: str) -> Listing[M]:
    """The query the page's filters make (``offset``/``limit`` from its pager)."""
    params = req.request.query_params
    paging = PageRequest.from_query(params)
    found = {name: hints(info) for name, info in model.model_fields.items()}
    fields = {h["filter"]: name for name, h in found.items() if h.get("filter")}
    values = {page_name: params.get(page_name, "").strip() for page_name in fields}
    data: dict[str, Any] = {"offset": paging.offset, "limit": paging.size}
    for page_name, field in fields.items():
        if values[page_name]:
            data[field] = values[page_name] + str(found[field].get("day", ""))
    errors: dict[str, str] = {}
    try:
        query = parse(model, data)
    except DomainError as exc:
        aliases = {(model.model_fields[f].alias or f): f for f in fields.values()}
        for error in exc.errors:
            field = aliases.get(error.field.split(".")[0], "")
            if field:
                errors[found[field]["filter"]] = found[field].get("refused", error.message)
                data.pop(field, None)
        query = parse(model, data)
    return Listing(query, values, errors, paging, keep_query(params, *fields), path)


def profile_options(views: Iterable[Any], none: str | None = "Any") -> list[tuple[str, str]]:
    """A select's options for a filter or field naming a profile: ``none`` first (no value;
    ``None``: no such option), then each profile view's profile by name."""
    first = [] if none is None else [("", none)]
    return first + [(v.profile.uuid, v.profile.name) for v in views]
