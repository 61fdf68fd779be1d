"""The one mapping from ``DomainError`` to an RFC 8555 §6.7 problem document and HTTP status."""

from __future__ import annotations

import logging
from typing import Any

from acmehub.domain.errors import DomainError, ErrorKind, hidden_internal, internal_reference

log = logging.getLogger("acmehub.protocol")
#: How every hidden serverInternal detail starts (domain/errors.py hidden_internal).
HIDDEN_PREFIX = hidden_internal("").detail

ACME_ERROR_NS = "urn:ietf:params:acme:error:"

#: HTTP status of each kind, as Boulder and Pebble answer them (RFC 8555 leaves most open).
STATUS: dict[ErrorKind, int] = {
    ErrorKind.ACCOUNT_DOES_NOT_EXIST: 400,
    ErrorKind.ALREADY_REPLACED: 409,  # RFC 9773 §5: 409 Conflict
    ErrorKind.ALREADY_REVOKED: 400,
    ErrorKind.BAD_CSR: 400,
    ErrorKind.BAD_NONCE: 400,
    ErrorKind.BAD_PUBLIC_KEY: 400,
    ErrorKind.BAD_REVOCATION_REASON: 400,
    ErrorKind.BAD_SIGNATURE_ALGORITHM: 400,
    ErrorKind.CAA: 403,
    ErrorKind.COMPOUND: 400,
    ErrorKind.CONNECTION: 400,
    ErrorKind.DNS: 400,
    ErrorKind.EXTERNAL_ACCOUNT_REQUIRED: 400,
    ErrorKind.INCORRECT_RESPONSE: 400,
    ErrorKind.INVALID_CONTACT: 400,
    ErrorKind.INVALID_PROFILE: 400,
    ErrorKind.MALFORMED: 400,
    ErrorKind.ORDER_NOT_READY: 403,
    ErrorKind.RATE_LIMITED: 429,
    ErrorKind.REJECTED_IDENTIFIER: 400,
    ErrorKind.SERVER_INTERNAL: 500,
    ErrorKind.TLS: 400,
    ErrorKind.UNAUTHORIZED: 403,
    ErrorKind.UNSUPPORTED_CONTACT: 400,
    ErrorKind.UNSUPPORTED_IDENTIFIER: 400,
    ErrorKind.USER_ACTION_REQUIRED: 403,
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.CONFLICT: 409,
    ErrorKind.METHOD_NOT_ALLOWED: 405,
    ErrorKind.UNSUPPORTED_MEDIA_TYPE: 415,
    ErrorKind.INVALID_INPUT: 422,
    ErrorKind.FORBIDDEN: 403,
}

#: Kinds that are not ACME error types: the document says "malformed" with the HTTP status.
_NOT_ACME = {
    ErrorKind.NOT_FOUND,
    ErrorKind.CONFLICT,
    ErrorKind.METHOD_NOT_ALLOWED,
    ErrorKind.UNSUPPORTED_MEDIA_TYPE,
    ErrorKind.INVALID_INPUT,
    ErrorKind.FORBIDDEN,
}


def acme_problem(error: DomainError) -> tuple[int, dict[str, Any]]:
    """Status and problem document for the ACME edge. A serverInternal's detail (a server
    path, a CA's or a library's text) is never sent: the client reads a reference, the log
    has it with the real cause."""
    if error.kind is ErrorKind.SERVER_INTERNAL and not error.detail.startswith(HIDDEN_PREFIX):
        reference = internal_reference()
        log.error("serverInternal (reference %s): %s", reference, error.detail)
        error = DomainError(
            ErrorKind.SERVER_INTERNAL,
            hidden_internal(reference).detail,
            headers=error.headers,
            status=error.status,
        )
    status = error.status or STATUS[error.kind]
    doc = error.problem.to_json()
    if error.kind in _NOT_ACME:
        doc["type"] = ACME_ERROR_NS + ErrorKind.MALFORMED.value
    doc["status"] = status
    if error.instance:
        doc["instance"] = error.instance
    if error.algorithms:
        doc["algorithms"] = list(error.algorithms)
    return status, doc
