"""What every management use case shares: who acts, what they may do, and the audit trail."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from acmehub.domain.admin_model import AuditEvent, Role
from acmehub.domain.errors import DomainError, ErrorKind, FieldError
from acmehub.domain.ports import Clock, UnitOfWork

#: What each role may do: admin configures; operator enables, disables and revokes; auditor reads.
_RANK = {Role.AUDITOR: 0, Role.OPERATOR: 1, Role.ADMIN: 2}


class Family(StrEnum):
    """The object families of the management API, the first half of a scope."""

    AUTHORITIES = "authorities"
    RA_PROFILES = "raProfiles"
    ACME_PROFILES = "acmeProfiles"
    ACME_ACCOUNTS = "acmeAccounts"
    EAB_KEYS = "eabKeys"
    CERTIFICATES = "certificates"
    ORDERS = "orders"
    AUDIT_LOGS = "auditLogs"
    TOKENS = "tokens"


#: Every scope a token may carry: ``<family>:read`` (what an auditor may do with that family)
#: and ``<family>:write`` (what the token's role may do with it; it includes read).
SCOPES: tuple[str, ...] = tuple(f"{f.value}:{a}" for f in Family for a in ("read", "write"))


@dataclass(frozen=True)
class Actor:
    """Who performs a management action: an API token, a web user, the CLI, or the system."""

    name: str  # e.g. "token:ci-bot", "user:alice", "cli", "system"
    role: Role
    #: A token's scopes, when narrower than its role; None: everything the role allows.
    scopes: frozenset[str] | None = None


CLI_ACTOR = Actor("cli", Role.ADMIN)
SYSTEM_ACTOR = Actor("system", Role.ADMIN)


def parse_scopes(values: Iterable[str]) -> tuple[str, ...]:
    """Scopes as given (each may hold several, split by commas or spaces), checked and sorted."""
    scopes = {part for value in values for part in value.replace(",", " ").split()}
    unknown = sorted(scopes - set(SCOPES))
    if unknown:
        message = (
            f"unknown scope(s) {', '.join(unknown)}: a scope is <family>:read or "
            f"<family>:write, the families being {', '.join(f.value for f in Family)}"
        )
        raise DomainError(
            ErrorKind.INVALID_INPUT,
            message,
            status=422,
            errors=(FieldError("scopes", "invalid", message),),
        )
    return tuple(sorted(scopes))


def _scope_allows(scopes: frozenset[str], role: Role, family: Family | None) -> bool:
    if family is None:  # not an API object family: no scope reaches it
        return False
    if f"{family.value}:write" in scopes:
        return True
    return role is Role.AUDITOR and f"{family.value}:read" in scopes


def require(actor: Actor, role: Role, family: Family | None = None) -> None:
    """Refuse with 403 unless ``actor`` holds ``role`` or a stronger one and, if its token has
    scopes, one that covers ``family`` (read for what an auditor may do, write otherwise).
    Every front-end passes through here, so a scope binds the API, the UI and the CLI alike."""
    if _RANK[actor.role] < _RANK[role]:
        raise DomainError(
            ErrorKind.FORBIDDEN,
            f"this action needs the {role.value} role; {actor.name} has {actor.role.value}",
            status=403,
        )
    if actor.scopes is not None and not _scope_allows(actor.scopes, role, family):
        access = "read" if role is Role.AUDITOR else "write"
        needed = f"the scope {family.value}:{access}" if family else "a token without scopes"
        held = ", ".join(sorted(actor.scopes)) or "none"
        raise DomainError(
            ErrorKind.FORBIDDEN,
            f"this action needs {needed}; {actor.name} has the scopes {held}",
            status=403,
        )


def record(
    tx: UnitOfWork,
    clock: Clock,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    outcome: str = "success",
    **detail: Any,
) -> None:
    """Add an audit event in the caller's transaction (so it commits with the change)."""
    tx.audit.add(
        AuditEvent(
            at=clock.now(),
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=object_id,
            outcome=outcome,
            detail=detail,
        )
    )
