"""Pieces the routers not yet written as action tables share (management/actions.py)."""

from __future__ import annotations

from fastapi import Request, Response

from acmehub.services.commands.base import URL_NAME_PATTERN, ApiModel, Keep, NameAndUuid, UuidView
from acmehub.services.container import Services

__all__ = [
    "URL_NAME_PATTERN",
    "CamelModel",
    "Keep",
    "NameAndUuid",
    "UuidResponse",
    "created",
    "directory_url",
]

CamelModel = ApiModel
UuidResponse = UuidView


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def directory_url(request: Request, name: str, *, ra_family: bool = False) -> str:
    """A profile's ACME directory, from the one URL table and the configured base URL."""
    urls = _services(request).deps.urls
    return urls.ra_directory(name) if ra_family else urls.directory(name)


def created(request: Request, response: Response, route: str, **params: str) -> None:
    """201 with a Location header naming the new object (the configured base URL)."""
    response.status_code = 201
    path = request.app.url_path_for(route, **params)
    response.headers["Location"] = _services(request).deps.urls.api(str(path))
