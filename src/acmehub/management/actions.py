"""Administrative actions as data: each one a method and path of the REST API, the typed command
it takes, the view it returns and the service call that performs it.

The management API registers a route for every action (:func:`install`); the CLI performs the
same actions in-process or, with ``--server``, over this API (cli_admin/backend.py). A router
module is a table of actions; nothing else in it.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.management.deps import ActorDep, ServicesDep
from acmehub.management.openapi import Problem
from acmehub.services.admin import Actor
from acmehub.services.commands.base import refuse_nul
from acmehub.services.container import Services

_PATH_PARAM = re.compile(r"{([A-Za-z]+)}")


@dataclass(frozen=True)
class Args:
    """What one call of an action carries: path parameters by their API names, the body and
    the query (typed models, already validated)."""

    path: Mapping[str, str] = field(default_factory=dict)
    body: Any = None
    query: Any = None

    def __getitem__(self, name: str) -> str:
        return self.path[name]


Call = Callable[[Services, Actor, Args], Any]


@dataclass(frozen=True)
class Action:
    method: str
    path: str  # relative to /api/v1, e.g. "/acmeProfiles/{acmeProfileUuid}"
    summary: str
    call: Call
    name: str
    #: The body: a model (or a type) FastAPI validates; None: the action takes no body.
    body: Any = None
    body_required: bool = True
    query: Any = None  # a model of query parameters
    result: Any = None  # the view; None: 204 No Content
    status: int = 200
    #: For 201: the path of the created object's own URL, ``{uuid}`` from the result and the
    #: action's path parameters; or a
    #: function of the call and the result that gives the Location header's value.
    location: str | Callable[[Args, Any], str] | None = None
    #: Headers of every answer (``Cache-Control: no-store`` where the answer shows a secret).
    headers: Mapping[str, str] = field(default_factory=dict)
    responses: Mapping[int | str, Any] = field(default_factory=dict)
    description: str | None = None

    @property
    def path_names(self) -> list[str]:
        return _PATH_PARAM.findall(self.path)

    def url_path(self, path: Mapping[str, str]) -> str:
        return _PATH_PARAM.sub(lambda m: path[m.group(1)], self.path)


def not_found(what: str) -> dict[int | str, Any]:
    return {404: {"model": Problem, "description": f"No such {what}"}}


def install(router: APIRouter, actions: Sequence[Action]) -> None:
    """A route for each action (in this order: fixed paths before ``{uuid}`` ones)."""
    for action in actions:
        _install(router, action)


def _install(router: APIRouter, action: Action) -> None:
    kw = inspect.Parameter.KEYWORD_ONLY
    params = [
        inspect.Parameter("response", kw, annotation=Response),
        inspect.Parameter("services", kw, annotation=ServicesDep),
        inspect.Parameter("actor", kw, annotation=ActorDep),
    ]
    names = action.path_names
    for index, name in enumerate(names):
        annotation = Annotated[str, Path(alias=name, max_length=64)]
        params.append(inspect.Parameter(f"p{index}", kw, annotation=annotation))
    if action.query is not None:
        params.append(inspect.Parameter("query", kw, annotation=Annotated[action.query, Query()]))
    if action.body is not None:
        body = action.body if _has_body_marker(action.body) else Annotated[action.body, Body()]
        default = inspect.Parameter.empty if action.body_required else None
        params.append(inspect.Parameter("body", kw, annotation=body, default=default))

    def endpoint(**kwargs: Any) -> Any:
        services: Services = kwargs["services"]
        args = Args(
            {name: kwargs[f"p{i}"] for i, name in enumerate(names)},
            kwargs.get("body"),
            kwargs.get("query"),
        )
        for name, value in args.path.items():
            refuse_nul(value, name)
        refuse_nul(args.body)
        refuse_nul(args.query, "query")
        result = action.call(services, kwargs["actor"], args)
        if action.result is None:
            return Response(status_code=204, headers=dict(action.headers))
        kwargs["response"].headers.update(action.headers)
        if callable(action.location):
            kwargs["response"].headers["Location"] = action.location(args, result)
        elif action.location is not None:
            where = action.location.replace("{uuid}", result.uuid)
            where = _PATH_PARAM.sub(lambda m: args.path[m.group(1)], where)
            kwargs["response"].headers["Location"] = services.deps.urls.api(where)
        return result

    endpoint.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    endpoint.__name__ = action.name
    router.add_api_route(
        action.path,
        endpoint,
        methods=[action.method],
        name=action.name,
        summary=action.summary,
        description=action.description,
        status_code=204 if action.result is None else action.status,
        response_model=action.result,
        response_class=Response if action.result is None else JSONResponse,
        responses=dict(action.responses),
        # A list's filters are a query model: a misspelt filter is refused, not ignored.
        dependencies=[Depends(reject_unknown_query)],
    )


def _has_body_marker(annotation: Any) -> bool:
    metadata = getattr(annotation, "__metadata__", ())
    return any(type(m).__name__ == "Body" for m in metadata)


def _query_names(dependant: Dependant) -> set[str]:
    """The query parameters an operation and its dependencies declare (by their aliases)."""
    names: set[str] = set()
    for param in dependant.query_params:
        model = param.field_info.annotation
        if isinstance(model, type) and issubclass(model, BaseModel):  # a query model
            names |= {f.alias or n for n, f in model.model_fields.items()}
        else:
            names.add(param.alias)
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def reject_unknown_query(request: Request, _actor: ActorDep) -> None:
    """Refuse query parameters the operation does not declare: a misspelt filter
    (``acmeProfileUUID``) would otherwise be ignored and the caller get every object. The
    allowed names are read from the matched operation, so the rule never drifts from the
    OpenAPI document. After authentication (an anonymous call is a 401 whatever its query)."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    known = _query_names(route.dependant)
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        raise DomainError(
            ErrorKind.INVALID_INPUT,
            f"unknown query parameter(s): {', '.join(repr(u) for u in unknown)}; "
            f"this operation takes {', '.join(sorted(known)) or 'none'}",
            status=422,
        )
