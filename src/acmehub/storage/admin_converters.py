"""Row <-> record converters of the administrative side (API tokens, the audit log)."""

from __future__ import annotations

from typing import Any

from acmehub.domain.admin_model import ApiToken, AuditEvent, Role
from acmehub.storage.converters import Row


def token_from_row(r: Row) -> ApiToken:
    return ApiToken(
        uuid=r["uuid"],
        name=r["name"],
        token_hash=r["token_hash"],
        role=Role(r["role"]),
        created_at=r["created_at"],
        revoked_at=r["revoked_at"],
        expires_at=r["expires_at"],
        scopes=tuple((r["scopes"] or "").split()),
    )


def token_to_row(t: ApiToken) -> dict[str, Any]:
    return {
        "uuid": t.uuid,
        "name": t.name,
        "token_hash": t.token_hash,
        "role": t.role.value,
        "created_at": t.created_at,
        "revoked_at": t.revoked_at,
        "expires_at": t.expires_at,
        "scopes": " ".join(t.scopes) or None,
    }


def audit_from_row(r: Row) -> AuditEvent:
    return AuditEvent(
        id=r["id"],
        at=r["at"],
        actor=r["actor"],
        action=r["action"],
        object_type=r["object_type"],
        object_id=r["object_id"],
        outcome=r["outcome"],
        detail=dict(r["detail"]),
    )


def audit_to_row(e: AuditEvent) -> dict[str, Any]:
    return {
        "at": e.at,
        "actor": e.actor,
        "action": e.action,
        "object_type": e.object_type,
        "object_id": e.object_id,
        "outcome": e.outcome,
        "detail": e.detail,
    }
