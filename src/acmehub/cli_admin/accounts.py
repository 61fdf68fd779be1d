"""`acmehub account ...`: ACME accounts (services/account_admin.py)."""

from __future__ import annotations

import argparse

from acmehub.cli_admin.base import (
    Admin,
    SubParsers,
    acme_profile_ref,
    json_flag,
    on_off,
    ra_profile_ref,
    run,
)
from acmehub.domain.model import AccountStatus
from acmehub.domain.ports import AccountFilter, Page
from acmehub.management.routers.acme_accounts import (
    AcmeAccount,
    AcmeAccountPage,
    BulkActionMessage,
)


def register(sub: SubParsers) -> None:
    account = sub.add_parser("account", help="ACME accounts: list, show, enable, disable, revoke")
    actions = account.add_subparsers(dest="action", required=True)
    as_json = json_flag()

    listing = actions.add_parser("list", parents=[as_json], help="list ACME accounts")
    listing.add_argument("--acme-profile", help="name or UUID")
    listing.add_argument("--ra-profile", help="name or UUID")
    listing.add_argument("--status", choices=[s.value for s in AccountStatus])
    listing.add_argument("--enabled", type=on_off, metavar="yes|no")
    listing.add_argument("--offset", type=int, default=0)
    listing.add_argument("--limit", type=int, default=100)
    listing.set_defaults(func=run(_list))

    show = actions.add_parser(
        "show", parents=[as_json], help="an account with its order counts by status"
    )
    show.add_argument("acme_profile", metavar="acme-profile", help="name or UUID")
    show.add_argument("account", help="the account's UUID (see `account list`)")
    show.set_defaults(func=run(_show))

    for action, text in (
        ("enable", "enable accounts"),
        ("disable", "disable accounts: no new orders, finalize, challenges or revocation"),
        ("revoke", "revoke accounts (final)"),
    ):
        command = actions.add_parser(action, parents=[as_json], help=text)
        command.add_argument("accounts", metavar="account", nargs="+", help="account UUIDs")
        command.set_defaults(func=run(_change), change=action)


def _list(admin: Admin, args: argparse.Namespace) -> None:
    where = AccountFilter(
        acme_profile_uuid=acme_profile_ref(admin, args.acme_profile) if args.acme_profile else None,
        ra_profile_uuid=ra_profile_ref(admin, args.ra_profile) if args.ra_profile else None,
        status=AccountStatus(args.status) if args.status else None,
        enabled=args.enabled,
    )
    page = Page(args.offset, args.limit)
    views, total = admin.services.account_admin.search(admin.actor, where, page)
    items = [AcmeAccount.of(v) for v in views]
    if admin.json:
        admin.emit(
            AcmeAccountPage(
                items=items,
                offset=page.offset,
                limit=page.limit,
                total=total,
                has_more=page.offset + len(items) < total,
            )
        )
        return
    admin.table(
        [
            (
                a.uuid,
                a.account_id,
                a.acme_profile.name,
                a.ra_profile.name,
                a.status.value,
                a.enabled,
                a.total_orders,
                ", ".join(a.contact),
            )
            for a in items
        ],
        (
            "UUID",
            "ACCOUNT ID",
            "ACME PROFILE",
            "RA PROFILE",
            "STATUS",
            "ENABLED",
            "ORDERS",
            "CONTACT",
        ),
    )
    if page.offset + len(items) < total:
        admin.note(f"{total} accounts match; next page: --offset {page.offset + len(items)}")


def _show(admin: Admin, args: argparse.Namespace) -> None:
    profile = acme_profile_ref(admin, args.acme_profile)
    detail = AcmeAccount.of(admin.services.account_admin.get(admin.actor, profile, args.account))
    if admin.json:
        admin.emit(detail)
        return
    admin.details(detail)


def _change(admin: Admin, args: argparse.Namespace) -> None:
    bulk = getattr(admin.services.account_admin, f"bulk_{args.change}")
    messages = [BulkActionMessage.of(f) for f in bulk(admin.actor, args.accounts)]
    admin.failed = bool(messages)
    if admin.json:
        admin.emit(messages)
        return
    failed = {m.uuid for m in messages}
    for uuid_ in dict.fromkeys(args.accounts):
        if uuid_ not in failed:
            admin.say(f"{args.change}d account {uuid_}")
    for m in messages:
        admin.note(f"account {m.uuid}: {m.message}")
