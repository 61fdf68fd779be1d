"""`acmehub account ...`: ACME accounts, as the API's actions (routers/acme_accounts.py); the
list's options are the query model's fields (services/commands/accounts.py)."""

from __future__ import annotations

import argparse

from acmehub.cli_admin.base import Admin
from acmehub.cli_admin.commands import Ref, change_many, command, list_page
from acmehub.cli_admin.options import Resolver
from acmehub.cli_admin.refs import acme_profile_ref, ra_profile_filter
from acmehub.cli_admin.running import SubParsers
from acmehub.management.routers import acme_accounts as api
from acmehub.services.commands.accounts import COLUMNS, AccountQuery

#: Accounts are named by their UUID (see `account list`).
REF = Ref("account", "account", lambda admin, uuid: {"uuid": uuid}, "uuid", helps="account UUIDs")


def register(sub: SubParsers) -> None:
    actions = sub.add_parser(
        "account", help="ACME accounts: list, show, enable, disable, revoke"
    ).add_subparsers(dest="action", required=True)
    listing = list_page(api.LIST, AccountQuery, COLUMNS, _resolvers)
    command(actions, "list", "list ACME accounts (a page)", listing, model=AccountQuery)
    show = command(actions, "show", "an account with its order counts", _show)
    show.add_argument("acme_profile", metavar="acme-profile", help="name or UUID")
    show.add_argument("account", help="the account's UUID (see `account list`)")
    for name, action, text in (
        ("enable", api.BULK_ENABLE, "enable accounts"),
        ("disable", api.BULK_DISABLE,
         "disable accounts: no orders, finalize, challenges, revocation"),
        ("revoke", api.BULK_REVOKE, "revoke accounts (final)"),
    ):  # fmt: skip
        command(actions, name, text, change_many(action, REF, f"{name}d"), ref=REF, many=True)


def _resolvers(admin: Admin) -> dict[str, Resolver]:
    return {
        "acme_profiles": lambda ref: acme_profile_ref(admin, ref),
        "ra_profiles": lambda ref: ra_profile_filter(admin, ref),
    }


def _show(admin: Admin, args: argparse.Namespace) -> None:
    path = {"acmeProfileUuid": acme_profile_ref(admin, args.acme_profile)}
    admin.show(admin.do(api.GET, {**path, "acmeAccountUuid": args.account}))
