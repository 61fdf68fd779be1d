"""The OpenAPI document and the interactive docs page, both served without any network access.

* Error responses are problem documents (``application/problem+json``, RFC 9457): 400 (a body
  that is not JSON), 401, 403 and 422 are declared for every operation, and any 4xx/5xx a
  router declares with a model is published under that media type (the only one the API
  answers errors with).
* ``servers`` is fixed to ``/api/v1``, so the document does not depend on how it is reached and
  the copy checked into docs/openapi.json can be compared with the served one.
* The docs page is Swagger UI from the ``fastapi-offline`` package's static files, served by
  acmehub itself (nothing downloads at run time).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from acmehub.management.problems import PROBLEM_JSON

MOUNT_PATH = "/api/v1"
DOCS_STATIC = "/docs/static"
#: The package whose ``static/`` directory holds swagger-ui-bundle.js, swagger-ui.css, favicon.
SWAGGER_UI_PACKAGE = ("fastapi_offline", "static")


class FieldProblem(BaseModel):
    field: str = Field(description='The request field at fault, camelCase: "name", "limit"')
    code: str = Field(description='A stable machine word: "missing", "string_too_long"...')
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem document, as every error of this API is reported."""

    type: str = Field(
        description="The problem type, a URI: https://acmehub.dev/problems/<code> "
        "(docs/management.md lists them)"
    )
    title: str = Field(description='A short phrase for the type: "Not found", "Invalid input"...')
    status: int
    detail: str = Field(description="What went wrong this time, for a person")
    code: str = Field(description='The type\'s machine word: "notFound", "invalidInput"...')
    errors: list[FieldProblem] | None = Field(
        default=None, description="For invalid input: each field at fault"
    )


def _problem(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description}


#: Declared on every operation (app-level ``responses``).
COMMON_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _problem(
        "Malformed request: the body is not JSON (not UTF-8, not parseable, or sent with "
        "another Content-Type than application/json)"
    ),
    401: _problem("No API token, or an unknown or revoked one"),
    403: _problem("The token's role may not do this"),
    422: _problem("Invalid input (query, path or body)"),
}


def _errors_as_problems(document: dict[str, Any]) -> None:
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            for status, response in operation.get("responses", {}).items():
                content = response.get("content")
                if status[:1] in ("4", "5") and content and "application/json" in content:
                    content[PROBLEM_JSON] = content.pop("application/json")


def install(app: FastAPI) -> None:
    """Publish errors as problem documents and serve the offline docs page at /docs."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        document = generate()  # FastAPI builds it once and caches it on the app
        _errors_as_problems(document)
        return document

    app.openapi = openapi  # type: ignore[method-assign]
    app.mount(DOCS_STATIC, StaticFiles(packages=[SWAGGER_UI_PACKAGE]), name="docs-static")

    @app.get("/docs", include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        root = str(request.scope.get("root_path", "")).rstrip("/")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - docs",
            swagger_js_url=f"{root}{DOCS_STATIC}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{DOCS_STATIC}/swagger-ui.css",
            swagger_favicon_url=f"{root}{DOCS_STATIC}/favicon.png",
            oauth2_redirect_url=None,
            swagger_ui_parameters={"validatorUrl": None, "persistAuthorization": False},
        )
