"""The one error type used inside acmehub.

Every layer raises :class:`DomainError`; the protocol edge maps ``ErrorKind`` to an
RFC 8555 §6.7 problem document, the management edge to an RFC 9457 problem.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class ErrorKind(StrEnum):
    """RFC 8555 §6.7 error types (the part after ``urn:ietf:params:acme:error:``)."""

    ACCOUNT_DOES_NOT_EXIST = "accountDoesNotExist"
    ALREADY_REPLACED = "alreadyReplaced"  # RFC 9773 §5
    ALREADY_REVOKED = "alreadyRevoked"
    BAD_CSR = "badCSR"
    BAD_NONCE = "badNonce"
    BAD_PUBLIC_KEY = "badPublicKey"
    BAD_REVOCATION_REASON = "badRevocationReason"
    BAD_SIGNATURE_ALGORITHM = "badSignatureAlgorithm"
    CAA = "caa"
    COMPOUND = "compound"
    CONNECTION = "connection"
    DNS = "dns"
    EXTERNAL_ACCOUNT_REQUIRED = "externalAccountRequired"
    INCORRECT_RESPONSE = "incorrectResponse"
    INVALID_CONTACT = "invalidContact"
    #: draft-ietf-acme-profiles: new-order named a profile the server does not offer.
    INVALID_PROFILE = "invalidProfile"
    MALFORMED = "malformed"
    ORDER_NOT_READY = "orderNotReady"
    RATE_LIMITED = "rateLimited"
    REJECTED_IDENTIFIER = "rejectedIdentifier"
    SERVER_INTERNAL = "serverInternal"
    TLS = "tls"
    UNAUTHORIZED = "unauthorized"
    UNSUPPORTED_CONTACT = "unsupportedContact"
    UNSUPPORTED_IDENTIFIER = "unsupportedIdentifier"
    USER_ACTION_REQUIRED = "userActionRequired"
    # Not ACME error types: outcomes the edges map to plain HTTP statuses.
    NOT_FOUND = "notFound"
    CONFLICT = "conflict"
    METHOD_NOT_ALLOWED = "methodNotAllowed"
    UNSUPPORTED_MEDIA_TYPE = "unsupportedMediaType"
    INVALID_INPUT = "invalidInput"
    FORBIDDEN = "forbidden"


@dataclass(frozen=True)
class Problem:
    """A problem as data (RFC 8555 §6.7): stored on challenges and orders, rendered at the edge."""

    kind: ErrorKind
    detail: str
    identifier: tuple[str, str] | None = None
    subproblems: tuple[Problem, ...] = ()

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "type": f"urn:ietf:params:acme:error:{self.kind.value}",
            "detail": self.detail,
        }
        if self.identifier is not None:
            doc["identifier"] = {"type": self.identifier[0], "value": self.identifier[1]}
        if self.subproblems:
            doc["subproblems"] = [p.to_json() for p in self.subproblems]
        return doc

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Problem:
        kind_text = str(doc.get("type", "")).rsplit(":", 1)[-1]
        try:
            kind = ErrorKind(kind_text)
        except ValueError:
            kind = ErrorKind.SERVER_INTERNAL
        ident = doc.get("identifier")
        return cls(
            kind=kind,
            detail=str(doc.get("detail", "")),
            identifier=(str(ident["type"]), str(ident["value"]))
            if isinstance(ident, dict)
            else None,
            subproblems=tuple(cls.from_json(s) for s in doc.get("subproblems", ()) or ()),
        )


@dataclass(frozen=True)
class FieldError:
    """One field a command refused: its path as the API spells it (``caaIdentities.0``), a
    stable code (``too_long``, ``missing``, ``url_scheme``...) and a message for people."""

    field: str
    code: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message": self.message}


@dataclass
class DomainError(Exception):
    """The single exception type raised for any refusal, anywhere in acmehub."""

    kind: ErrorKind
    detail: str
    subproblems: tuple[Problem, ...] = ()
    identifier: tuple[str, str] | None = None
    #: Extra response headers the edge must add (e.g. Location, Link).
    headers: dict[str, str] = field(default_factory=dict)
    #: Overrides the problem's ``instance`` member (RFC 7807), e.g. the ToS URL.
    instance: str | None = None
    #: For badSignatureAlgorithm: the algorithms we accept (RFC 8555 §6.2).
    algorithms: tuple[str, ...] = ()
    #: Overrides the HTTP status the edge would pick for ``kind`` (e.g. 401 for unauthorized).
    status: int | None = None
    #: The fields of a command that were refused (invalidInput), one entry each.
    errors: tuple[FieldError, ...] = ()

    def __post_init__(self) -> None:
        super().__init__(f"{self.kind.value}: {self.detail}")

    @property
    def problem(self) -> Problem:
        return Problem(self.kind, self.detail, self.identifier, self.subproblems)


def internal_reference() -> str:
    """A short random reference that ties a hidden serverInternal answer to its log line."""
    return secrets.token_hex(4)


def hidden_internal(reference: str) -> Problem:
    """What a client reads of an unexpected failure: no path, no CA or library text, only the
    reference under which the real cause is logged (RFC 8555 §6.7 serverInternal)."""
    return Problem(ErrorKind.SERVER_INTERNAL, f"internal error, reference {reference}")
