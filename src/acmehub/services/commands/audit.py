"""The audit log: its filters and its events, as the API, the CLI and the web interface show
them. The storage does not count matches: a page says only whether another one follows."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from acmehub.domain.admin_model import AuditEvent
from acmehub.services.commands.base import ApiModel, Column, PageQuery, Timestamp, ui

_DAY = "{} must be a date (yyyy-mm-dd)"


class AuditLogQuery(PageQuery):
    actor: str | None = Field(
        default=None,
        max_length=200,
        description="Who acted, exactly",
        json_schema_extra=ui(filter="actor"),
    )
    action: str | None = Field(default=None, max_length=100, json_schema_extra=ui(filter="action"))
    object_type: str | None = Field(
        default=None, max_length=50, json_schema_extra=ui(filter="object_type")
    )
    object_id: str | None = Field(
        default=None, max_length=100, json_schema_extra=ui(filter="object_id")
    )
    outcome: Literal["success", "failure"] | None = Field(
        default=None, json_schema_extra=ui(filter="outcome")
    )
    # The web page filters by day: from the start of one, until the end of another.
    since: Timestamp | None = Field(
        default=None,
        description="Events at or after this time (RFC 3339)",
        json_schema_extra=ui(filter="since", day="T00:00:00Z", refused=_DAY.format("since")),
    )
    until: Timestamp | None = Field(
        default=None,
        description="Events before this time (RFC 3339)",
        json_schema_extra=ui(filter="until", day="T23:59:59.999999Z", refused=_DAY.format("until")),
    )


class AuditLogEvent(ApiModel):
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


class AuditLogPage(ApiModel):
    """A page of the list without ``total`` (the storage does not count the matches)."""

    items: list[AuditLogEvent]
    offset: int
    limit: int
    has_more: bool = Field(description="Whether a next page exists (ask with offset + limit)")


#: The audit log's columns: the CLI's table and the web interface's list.
COLUMNS: tuple[Column[AuditLogEvent], ...] = (
    Column("ID", lambda e: e.id),
    Column("At", lambda e: e.at, show="time"),
    Column("Actor", lambda e: e.actor),
    Column("Action", lambda e: e.action, show="code"),
    Column("Object", lambda e: f"{e.object_type}:{e.object_id}", show="code"),
    Column("Outcome", lambda e: e.outcome, show="badge"),
    Column("Detail", lambda e: e.detail, show="pairs"),
)
