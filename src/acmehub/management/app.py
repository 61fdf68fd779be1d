"""The Core ACME API under /api/v1: FastAPI (OpenAPI for free), problem documents, bearer tokens.

Routers live in ``management/routers/``, one module per object family; they call services only.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError

from acmehub import __version__
from acmehub.domain.errors import DomainError
from acmehub.management.problems import domain_error_handler, validation_error_handler
from acmehub.management.routers import ROUTERS
from acmehub.services.container import Services


def create_management_app(services: Services) -> FastAPI:
    app = FastAPI(
        title="acmehub Core ACME API",
        version=__version__,
        description="Manage Authorities, RA Profiles, ACME Profiles, ACME Accounts, EAB keys, "
        "certificates and the audit log. Every call needs an API token (Bearer).",
        docs_url="/docs",
        openapi_url="/openapi.json",
        redoc_url=None,
    )
    app.state.services = services
    app.add_exception_handler(DomainError, domain_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    for router in ROUTERS:
        app.include_router(router)
    return app
