"""A router dependency that refuses query parameters the operation does not declare.

A misspelt filter (``acmeProfileUUID``) would otherwise be ignored silently and the caller would
get every object; with this it gets a 422 naming the parameter. The allowed names are read from
the matched operation itself, so the rule never drifts from the OpenAPI document.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.management.deps import ActorDep


def _query_names(dependant: Dependant) -> set[str]:
    """The query parameters an operation and its dependencies declare (by their aliases); a
    query model (management/actions.py ``query=``) declares its fields."""
    names: set[str] = set()
    for param in dependant.query_params:
        model = param.field_info.annotation
        if isinstance(model, type) and issubclass(model, BaseModel):
            names |= {info.alias or name for name, info in model.model_fields.items()}
        else:
            names.add(param.alias)
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def reject_unknown_query(request: Request, _actor: ActorDep) -> None:
    """After authentication (an anonymous call is a 401 whatever its query)."""
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
