"""`acmehub audit list`: the audit trail, newest first, with the API's filters
(management/routers/audit.py), here or on a remote server (``--server``)."""

from __future__ import annotations

import argparse

from acmehub.cli_admin.base import Admin, SubParsers
from acmehub.cli_admin.filters import list_command
from acmehub.cli_admin.options import command_of
from acmehub.management.routers import audit as api
from acmehub.services.commands.audit import COLUMNS, AuditLogQuery


def register(sub: SubParsers) -> None:
    audit = sub.add_parser("audit", help="the audit log")
    actions = audit.add_subparsers(dest="action", required=True)
    list_command(actions, "audit events", AuditLogQuery, _list)


def _list(admin: Admin, args: argparse.Namespace) -> None:
    admin.page(admin.do(api.LIST, query=command_of(AuditLogQuery, args)), COLUMNS)
