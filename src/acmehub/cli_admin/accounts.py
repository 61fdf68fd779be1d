"""`acmehub account ...`: ACME accounts, as the API's actions (routers/acme_accounts.py); the
list's options are the query model's fields (services/commands/accounts.py)."""

from __future__ import annotations

import argparse
import re

from acmehub.cli_admin.base import Admin
from acmehub.cli_admin.commands import Ref, change_many, command
from acmehub.cli_admin.options import command_of
from acmehub.cli_admin.refs import acme_profile_ref, ra_profile_ref
from acmehub.cli_admin.running import SubParsers
from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.management.routers import acme_accounts as api
from acmehub.services.commands.accounts import AccountQuery, AcmeAccount

HEADERS = ("UUID", "ACCOUNT ID", "ACME PROFILE", "RA PROFILE", "STATUS", "ENABLED", "ORDERS",
           "CONTACT")  # fmt: skip
#: Accounts are named by their UUID (see `account list`).
REF = Ref("account", "account", lambda admin, uuid: {"uuid": uuid}, "uuid", helps="account UUIDs")


def row(a: AcmeAccount) -> tuple[object, ...]:
    return (a.uuid, a.account_id, a.acme_profile.name, a.ra_profile.name, a.status.value,
            a.enabled, a.total_orders, ", ".join(a.contact))  # fmt: skip


def register(sub: SubParsers) -> None:
    actions = sub.add_parser(
        "account", help="ACME accounts: list, show, enable, disable, revoke"
    ).add_subparsers(dest="action", required=True)
    command(actions, "list", "list ACME accounts (a page)", _list, model=AccountQuery)
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


def _ra_profile(admin: Admin, ref: str) -> str:
    """A name or UUID here; with --server, the UUID (RA profiles are not listed remotely yet)."""
    if admin.local is None and not re.fullmatch(r"[0-9a-f-]{36}", ref):
        raise DomainError(
            ErrorKind.INVALID_INPUT, "with --server, give --ra-profile as a UUID", status=422
        )
    return ref if admin.local is None else ra_profile_ref(admin, ref)


def _list(admin: Admin, args: argparse.Namespace) -> None:
    resolvers = {
        "acme_profiles": lambda ref: acme_profile_ref(admin, ref),
        "ra_profiles": lambda ref: _ra_profile(admin, ref),
    }
    query = command_of(AccountQuery, args, resolvers=resolvers)
    admin.page_rows(admin.do(api.LIST, query=query), HEADERS, row)


def _show(admin: Admin, args: argparse.Namespace) -> None:
    path = {"acmeProfileUuid": acme_profile_ref(admin, args.acme_profile)}
    admin.show(admin.do(api.GET, {**path, "acmeAccountUuid": args.account}))
