"""`acmehub audit list`: the audit trail, newest first, with the API's filters."""

from __future__ import annotations

import argparse

from acmehub.cli_admin.base import Admin, json_flag, parse_time, run
from acmehub.domain.ports import AuditFilter, Page
from acmehub.management.routers.audit import AuditLogPage


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    audit = sub.add_parser("audit", help="the audit log")
    actions = audit.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", parents=[json_flag()], help="list audit events")
    listing.add_argument("--actor", help='who acted, e.g. "cli" or "token:ci-bot"')
    listing.add_argument("--action", dest="event_action", help='e.g. "acmeProfile.update"')
    listing.add_argument("--object-type", help='e.g. "acmeProfile", "account", "token"')
    listing.add_argument("--object-id")
    listing.add_argument("--outcome", choices=["success", "failure"])
    listing.add_argument("--since", type=parse_time, help="at or after (ISO 8601; UTC if no zone)")
    listing.add_argument("--until", type=parse_time, help="before (ISO 8601; UTC if no zone)")
    listing.add_argument("--offset", type=int, default=0)
    listing.add_argument("--limit", type=int, default=100)
    listing.set_defaults(func=run(_list))


def _list(admin: Admin, args: argparse.Namespace) -> None:
    where = AuditFilter(
        actor=args.actor,
        action=args.event_action,
        object_type=args.object_type,
        object_id=args.object_id,
        outcome=args.outcome,
        since=args.since,
        until=args.until,
    )
    page = admin.services.audit_log.list(admin.actor, where, Page(args.offset, args.limit))
    if admin.json:
        admin.emit(AuditLogPage.of(page))
        return
    admin.table(
        [
            (e.id, e.at, e.actor, e.action, f"{e.object_type}:{e.object_id}", e.outcome, e.detail)
            for e in page.events
        ],
        ("ID", "AT", "ACTOR", "ACTION", "OBJECT", "OUTCOME", "DETAIL"),
    )
    if page.has_more:
        admin.note(f"more events follow: --offset {page.offset + page.limit}")
