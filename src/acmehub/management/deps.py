"""FastAPI dependencies: the services, and the authenticated actor (bearer API token)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.services.admin import Actor
from acmehub.services.container import Services

_bearer = HTTPBearer(auto_error=False, description="API token created with `acmehub token create`")


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def get_actor(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
    """Every management endpoint needs a valid token: anonymous calls get 401."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise DomainError(
            ErrorKind.UNAUTHORIZED,
            "an API token is required (Authorization: Bearer ...)",
            status=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    client = request.client  # the real client (admin_edge.ClientAddress)
    try:
        return get_services(request).tokens.identify(
            credentials.credentials, source=client.host if client else ""
        )
    except DomainError as exc:  # unknown, revoked or expired: the detail says which
        exc.headers.setdefault("WWW-Authenticate", 'Bearer error="invalid_token"')
        raise


ServicesDep = Annotated[Services, Depends(get_services)]
ActorDep = Annotated[Actor, Depends(get_actor)]
