"""What every management use case shares: who acts, what they may do, and the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.model import AuditEvent, Role
from acmehub.domain.ports import Clock, UnitOfWork

#: What each role may do: admin configures; operator enables, disables and revokes; auditor reads.
_RANK = {Role.AUDITOR: 0, Role.OPERATOR: 1, Role.ADMIN: 2}


@dataclass(frozen=True)
class Actor:
    """Who performs a management action: an API token, a web user, the CLI, or the system."""

    name: str  # e.g. "token:ci-bot", "user:alice", "cli", "system"
    role: Role


CLI_ACTOR = Actor("cli", Role.ADMIN)
SYSTEM_ACTOR = Actor("system", Role.ADMIN)


def require(actor: Actor, role: Role) -> None:
    """Refuse with 403 unless ``actor`` holds ``role`` or a stronger one."""
    if _RANK[actor.role] < _RANK[role]:
        raise DomainError(
            ErrorKind.FORBIDDEN,
            f"this action needs the {role.value} role; {actor.name} has {actor.role.value}",
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
