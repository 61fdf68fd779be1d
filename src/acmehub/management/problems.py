"""DomainError -> RFC 9457 problem document for the management API (one mapping, like ACME's).

Every problem names its kind three ways (RFC 9457 §3.1):

* ``type``: a URI of ours, ``https://acmehub.dev/problems/<code>`` (§4.2.1: a type of its own,
  never ``about:blank`` with a code in the title); the list is in docs/management.md;
* ``title``: a short phrase for a person, the same for every problem of that type;
* ``code``: the machine word (``notFound``, ``invalidInput``...), the type URI's last segment.

Field-level errors (invalid input) add ``errors``: ``[{field, code, message}]``, the field a
camelCase path as the API spells it (``limit``, ``body`` for the whole body, ``items.0.name``).
The CLI's ``--json`` refusals print the same document (:func:`problem_document`).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.exceptions import HTTPException

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.services.commands.base import errors_of_details

PROBLEM_JSON = "application/problem+json"
#: The base of every problem type URI (docs/management.md lists the codes).
PROBLEM_TYPE_BASE = "https://acmehub.dev/problems/"

_STATUS = {
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.CONFLICT: 409,
    ErrorKind.INVALID_INPUT: 422,
    ErrorKind.FORBIDDEN: 403,
    ErrorKind.UNAUTHORIZED: 401,
    ErrorKind.SERVER_INTERNAL: 500,
}

#: The title of each problem type: a short phrase, never the detail of one occurrence.
TITLES: dict[ErrorKind, str] = {
    ErrorKind.UNAUTHORIZED: "Authentication required",
    ErrorKind.FORBIDDEN: "Not allowed",
    ErrorKind.NOT_FOUND: "Not found",
    ErrorKind.CONFLICT: "Conflict",
    ErrorKind.INVALID_INPUT: "Invalid input",
    ErrorKind.MALFORMED: "Malformed request",
    ErrorKind.METHOD_NOT_ALLOWED: "Method not allowed",
    ErrorKind.UNSUPPORTED_MEDIA_TYPE: "Unsupported media type",
    ErrorKind.SERVER_INTERNAL: "Internal server error",
    ErrorKind.ALREADY_REVOKED: "Already revoked",
    ErrorKind.BAD_CSR: "Bad CSR",
    ErrorKind.BAD_PUBLIC_KEY: "Bad public key",
    ErrorKind.BAD_REVOCATION_REASON: "Bad revocation reason",
    ErrorKind.REJECTED_IDENTIFIER: "Identifier refused",
    ErrorKind.RATE_LIMITED: "Rate limited",
    ErrorKind.INVALID_CONTACT: "Invalid contact",
    ErrorKind.UNSUPPORTED_CONTACT: "Unsupported contact",
    ErrorKind.UNSUPPORTED_IDENTIFIER: "Unsupported identifier",
}

#: The kinds of the errors the framework raises itself (unknown route, wrong method, bad body).
_HTTP_KINDS = {
    400: ErrorKind.MALFORMED,
    401: ErrorKind.UNAUTHORIZED,
    403: ErrorKind.FORBIDDEN,
    404: ErrorKind.NOT_FOUND,
    405: ErrorKind.METHOD_NOT_ALLOWED,
    415: ErrorKind.UNSUPPORTED_MEDIA_TYPE,
}

#: pydantic error types that mean "the body is not JSON", a 400 rather than a 422.
_NOT_JSON = frozenset({"json_invalid", "json_type"})


def problem_type(kind: ErrorKind) -> str:
    return PROBLEM_TYPE_BASE + kind.value


def title_of(kind: ErrorKind) -> str:
    return TITLES.get(kind) or kind.value[:1].upper() + kind.value[1:]


def status_of(exc: DomainError) -> int:
    """The HTTP status a refusal is reported with (the CLI prints the same problem)."""
    return exc.status or _STATUS.get(exc.kind, 422)


def problem_document(
    kind: ErrorKind, status: int, detail: str, errors: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": problem_type(kind),
        "title": title_of(kind),
        "status": status,
        "detail": detail,
        "code": kind.value,
    }
    if errors:
        body["errors"] = errors
    return body


def error_document(exc: DomainError) -> dict[str, Any]:
    """A DomainError as the problem document the API answers (and the CLI prints)."""
    errors = [f.to_json() for f in exc.errors]
    return problem_document(exc.kind, status_of(exc), exc.detail, errors)


def _response(body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(body, status_code=body["status"], media_type=PROBLEM_JSON)


def body_too_large(max_bytes: int) -> JSONResponse:
    """The answer to a body over the API's cap (admin_edge.BodyLimit), sent before the body
    is read, parsed or the caller authenticated; the connection closes after it."""
    body = {
        "type": PROBLEM_TYPE_BASE + "payloadTooLarge",
        "title": "Payload too large",
        "status": 413,
        "detail": f"the request body is larger than {max_bytes} bytes",
        "code": "payloadTooLarge",
    }
    response = _response(body)
    response.headers["Connection"] = "close"
    return response


async def domain_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    response = _response(error_document(exc))
    response.headers.update(exc.headers)
    return response


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


def _not_json(request: Request, exc: RequestValidationError) -> str | None:
    """Why the body is not JSON (malformed, or sent as another media type), or None."""
    raw = exc.errors()
    broken = [e for e in raw if e["type"] in _NOT_JSON and e["loc"][:1] == ("body",)]
    if broken:
        reasons = "; ".join(str(e.get("ctx", {}).get("error") or e["msg"]) for e in broken)
        return f"the request body is not valid JSON (UTF-8): {reasons}"
    content_type = request.headers.get("content-type")
    if content_type and not _is_json(content_type) and any(e["loc"][:1] == ("body",) for e in raw):
        return f"the request body must be JSON (Content-Type: application/json), not {content_type}"
    return None


async def validation_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    malformed = _not_json(request, exc)
    if malformed is not None:
        # A body that is not JSON is a malformed request, not invalid input (docs: 400).
        return _response(problem_document(ErrorKind.MALFORMED, 400, malformed))
    # The same field errors a command refused in a service would carry (services/commands).
    errors = errors_of_details(exc.errors())
    detail = "; ".join(e.message for e in errors)
    documents = [e.to_json() for e in errors]
    return _response(problem_document(ErrorKind.INVALID_INPUT, 422, detail, documents))


async def http_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """Starlette/FastAPI's own HTTP errors as problem documents too (keeps ``Allow`` on 405)."""
    assert isinstance(exc, HTTPException)
    status = exc.status_code
    kind = _HTTP_KINDS.get(status)
    if kind is not None:
        body = problem_document(kind, status, str(exc.detail))
    else:  # RFC 9457 §4.2.1: about:blank where the status code says it all
        phrase = HTTPStatus(status).phrase
        body = {"type": "about:blank", "title": phrase, "status": status, "detail": str(exc.detail)}
    response = _response(body)
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
