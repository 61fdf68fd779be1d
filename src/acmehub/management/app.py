"""The Core ACME API under /api/v1: FastAPI (OpenAPI for free), problem documents, bearer tokens.

Routers live in ``management/routers/``, one module per object family; they call services only.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException

from acmehub import __version__
from acmehub.domain.errors import DomainError
from acmehub.management import openapi
from acmehub.management.problems import (
    domain_error_handler,
    http_error_handler,
    validation_error_handler,
)
from acmehub.management.routers import ROUTERS
from acmehub.services.container import Services


def create_management_app(services: Services) -> FastAPI:
    """Every URL the API shows comes from ``services.deps.urls`` (the configured base URL)."""
    app = FastAPI(
        title="acmehub Core ACME API",
        version=__version__,
        description="Manage Authorities, RA Profiles, ACME Profiles, ACME Accounts, EAB keys, "
        "certificates and the audit log. Every call needs an API token (Bearer).",
        docs_url=None,  # openapi.install serves an offline docs page instead
        openapi_url="/openapi.json",
        redoc_url=None,
        servers=[{"url": openapi.MOUNT_PATH}],
        root_path_in_servers=False,
        responses=openapi.COMMON_RESPONSES,
    )
    app.state.services = services
    app.add_exception_handler(DomainError, domain_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(HTTPException, http_error_handler)
    for router in ROUTERS:
        app.include_router(router)
    openapi.install(app)
    return app
