"""`acmehub account ...`: ACME accounts, as the API's actions (routers/acme_accounts.py); the
list's options are the query model's fields (services/commands/accounts.py)."""

from __future__ import annotations

import argparse
import re

from acmehub.cli_admin import base
from acmehub.cli_admin.base import Admin, SubParsers, run
from acmehub.cli_admin.options import add_options, command_of
from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.management.routers import acme_accounts as api
from acmehub.services.commands.accounts import AccountQuery, AcmeAccount
from acmehub.services.commands.base import BulkMessage

HEADERS = ("UUID", "ACCOUNT ID", "ACME PROFILE", "RA PROFILE", "STATUS", "ENABLED", "ORDERS",
           "CONTACT")  # fmt: skip
_BULK = {
    "enable": (api.BULK_ENABLE, "enable accounts"),
    "disable": (api.BULK_DISABLE, "disable accounts: no orders, finalize, challenges, revocation"),
    "revoke": (api.BULK_REVOKE, "revoke accounts (final)"),
}


def row(a: AcmeAccount) -> tuple[object, ...]:
    return (a.uuid, a.account_id, a.acme_profile.name, a.ra_profile.name, a.status.value,
            a.enabled, a.total_orders, ", ".join(a.contact))  # fmt: skip


def register(sub: SubParsers) -> None:
    actions = sub.add_parser(
        "account", help="ACME accounts: list, show, enable, disable, revoke"
    ).add_subparsers(dest="action", required=True)
    parents = [base.json_flag()]
    listing = actions.add_parser("list", parents=parents, help="list ACME accounts (a page)")
    add_options(listing, AccountQuery)
    listing.set_defaults(func=run(_list))
    show = actions.add_parser("show", parents=parents, help="an account with its order counts")
    show.add_argument("acme_profile", metavar="acme-profile", help="name or UUID")
    show.add_argument("account", help="the account's UUID (see `account list`)")
    show.set_defaults(func=run(_show))
    for change, (_, text) in _BULK.items():
        command = actions.add_parser(change, parents=parents, help=text)
        command.add_argument("accounts", metavar="account", nargs="+", help="account UUIDs")
        command.set_defaults(func=run(_change), change=change)


def _ra_profile(admin: Admin, ref: str) -> str:
    """A name or UUID here; with --server, the UUID (RA profiles are not listed remotely yet)."""
    if admin.local is None and not re.fullmatch(r"[0-9a-f-]{36}", ref):
        raise DomainError(
            ErrorKind.INVALID_INPUT, "with --server, give --ra-profile as a UUID", status=422
        )
    return ref if admin.local is None else base.ra_profile_ref(admin, ref)


def _list(admin: Admin, args: argparse.Namespace) -> None:
    resolvers = {
        "acme_profiles": lambda ref: base.acme_profile_ref(admin, ref),
        "ra_profiles": lambda ref: _ra_profile(admin, ref),
    }
    query = command_of(AccountQuery, args, resolvers=resolvers)
    admin.page_rows(admin.do(api.LIST, query=query), HEADERS, row)


def _show(admin: Admin, args: argparse.Namespace) -> None:
    path = {"acmeProfileUuid": base.acme_profile_ref(admin, args.acme_profile)}
    admin.show(admin.do(api.GET, {**path, "acmeAccountUuid": args.account}))


def _change(admin: Admin, args: argparse.Namespace) -> None:
    messages: list[BulkMessage] = admin.do(_BULK[args.change][0], body=args.accounts)
    done = {u: f"{args.change}d account {u}" for u in args.accounts}
    admin.bulk(done, messages, "account")
