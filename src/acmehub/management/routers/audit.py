"""GET /auditLogs: the audit trail, newest first, filtered and paged (auditor and up)."""

from __future__ import annotations

from fastapi import APIRouter

from acmehub.management.actions import Action, install
from acmehub.services.commands.audit import AuditLogPage, AuditLogQuery

router = APIRouter(tags=["Audit log"])

LIST = Action(
    "GET",
    "/auditLogs",
    "List audit events",
    lambda s, actor, a: s.audit_log.page(actor, a.query),
    name="list_audit_logs",
    query=AuditLogQuery,
    result=AuditLogPage,
)

ACTIONS = [LIST]
install(router, ACTIONS)
