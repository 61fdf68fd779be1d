"""DomainError -> RFC 9457 problem document for the management API (one mapping, like ACME's)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.exceptions import HTTPException

from acmehub.domain.errors import DomainError, ErrorKind

PROBLEM_JSON = "application/problem+json"

_STATUS = {
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.CONFLICT: 409,
    ErrorKind.INVALID_INPUT: 422,
    ErrorKind.FORBIDDEN: 403,
    ErrorKind.UNAUTHORIZED: 401,
    ErrorKind.SERVER_INTERNAL: 500,
}


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def status_of(exc: DomainError) -> int:
    """The HTTP status a refusal is reported with (the CLI prints the same problem)."""
    return exc.status or _STATUS.get(exc.kind, 422)


def body_too_large(max_bytes: int) -> JSONResponse:
    """The answer to a body over the API's cap (admin_edge.BodyLimit), sent before the body
    is read, parsed or the caller authenticated; the connection closes after it."""
    response = problem(
        413,
        "payloadTooLarge",
        f"the request body is larger than {max_bytes} bytes",
    )
    response.headers["Connection"] = "close"
    return response


async def domain_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    response = problem(status_of(exc), exc.kind.value, exc.detail)
    response.headers.update(exc.headers)
    return response


async def validation_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"field": ".".join(str(p) for p in err["loc"][1:]) or "body", "message": err["msg"]}
        for err in exc.errors()
    ]
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return problem(422, "invalidInput", detail, errors=errors)


#: Titles for the errors the framework raises itself (unknown route, wrong method, bad body).
_HTTP_TITLES = {
    400: ErrorKind.MALFORMED.value,
    404: ErrorKind.NOT_FOUND.value,
    405: ErrorKind.METHOD_NOT_ALLOWED.value,
    415: ErrorKind.UNSUPPORTED_MEDIA_TYPE.value,
}


async def http_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """Starlette/FastAPI's own HTTP errors as problem documents too (keeps ``Allow`` on 405)."""
    assert isinstance(exc, HTTPException)
    status = exc.status_code
    title = _HTTP_TITLES.get(status) or HTTPStatus(status).phrase
    response = problem(status, title, str(exc.detail))
    response.headers.update(exc.headers or {})
    return response


async def unmatched_path_handler(request: Request, exc: Exception) -> Response:
    """For the composition root's outer app: a path under /api/v1 that no route matched (a
    mount cannot match a "%0A" in a path segment) gets the API's problem document too, instead
    of Starlette's text/plain "Not Found". Other paths keep Starlette's plain answer."""
    assert isinstance(exc, HTTPException)
    path = request.url.path
    if path.startswith("/api/v1/") and not path.startswith("/api/v1/protocols/"):
        return await http_error_handler(request, exc)
    return PlainTextResponse(str(exc.detail), status_code=exc.status_code, headers=exc.headers)
