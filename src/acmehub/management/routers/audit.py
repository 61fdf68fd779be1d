"""GET /auditLogs: the audit trail, newest first, filtered and paged (auditor and up)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from acmehub.domain.model import AuditEvent
from acmehub.domain.ports import AuditFilter, Page
from acmehub.management.deps import ActorDep, ServicesDep
from acmehub.management.params import Timestamp
from acmehub.services.audit_log import MAX_PAGE, AuditPage

router = APIRouter(tags=["Audit log"])


class _Camel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, validate_by_name=True)


class AuditLogEvent(_Camel):
    id: int
    at: datetime = Field(description="When it happened (UTC)")
    actor: str = Field(description='"token:<name>", "cli", "acme:<account id>" or "system"')
    action: str = Field(description='What was done, e.g. "acmeProfile.update", "account.revoke"')
    object_type: str
    object_id: str
    outcome: str = Field(description='"success" or "failure"')
    detail: dict[str, Any] = Field(description="What changed, as the action records it")

    @classmethod
    def of(cls, event: AuditEvent) -> AuditLogEvent:
        return cls(
            id=event.id or 0,
            at=event.at,
            actor=event.actor,
            action=event.action,
            object_type=event.object_type,
            object_id=event.object_id,
            outcome=event.outcome,
            detail=event.detail,
        )


class AuditLogPage(_Camel):
    items: list[AuditLogEvent]
    offset: int
    limit: int
    has_more: bool = Field(description="Whether a next page exists (ask with offset + limit)")

    @classmethod
    def of(cls, page: AuditPage) -> AuditLogPage:
        return cls(
            items=[AuditLogEvent.of(e) for e in page.events],
            offset=page.offset,
            limit=page.limit,
            has_more=page.has_more,
        )


@router.get(
    "/auditLogs",
    summary="List audit events",
    response_model=AuditLogPage,
    response_model_by_alias=True,
)
def list_audit_logs(
    services: ServicesDep,
    actor: ActorDep,
    by: Annotated[
        str | None, Query(alias="actor", max_length=200, description="Who acted, exactly")
    ] = None,
    action: Annotated[str | None, Query(max_length=100)] = None,
    object_type: Annotated[str | None, Query(alias="objectType", max_length=50)] = None,
    object_id: Annotated[str | None, Query(alias="objectId", max_length=100)] = None,
    outcome: Annotated[Literal["success", "failure"] | None, Query()] = None,
    since: Annotated[
        Timestamp | None, Query(description="Events at or after this time (RFC 3339)")
    ] = None,
    until: Annotated[
        Timestamp | None, Query(description="Events before this time (RFC 3339)")
    ] = None,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> AuditLogPage:
    where = AuditFilter(
        actor=by,
        action=action,
        object_type=object_type,
        object_id=object_id,
        outcome=outcome,
        since=since,
        until=until,
    )
    return AuditLogPage.of(services.audit_log.list(actor, where, Page(offset, limit)))
