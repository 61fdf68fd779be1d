"""`acmehub audit list`: the audit trail, newest first, with the API's filters
(management/routers/audit.py), here or on a remote server (``--server``)."""

from __future__ import annotations

from acmehub.cli_admin.commands import list_command, list_page
from acmehub.cli_admin.running import SubParsers
from acmehub.management.routers import audit as api
from acmehub.services.commands.audit import COLUMNS, AuditLogQuery


def register(sub: SubParsers) -> None:
    audit = sub.add_parser("audit", help="the audit log")
    actions = audit.add_subparsers(dest="action", required=True)
    list_command(
        actions, "audit events", AuditLogQuery, list_page(api.LIST, AuditLogQuery, COLUMNS)
    )
