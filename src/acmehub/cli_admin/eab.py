"""`acmehub eab ...`: EAB keys of an ACME profile, as the API's actions (routers/eab.py); the
options of `create` are the command's fields (services/commands/eab.py)."""

from __future__ import annotations

import argparse

from acmehub.cli_admin.base import Admin
from acmehub.cli_admin.commands import command
from acmehub.cli_admin.options import command_of
from acmehub.cli_admin.refs import acme_profile_ref
from acmehub.cli_admin.running import SubParsers
from acmehub.management.routers import eab as api
from acmehub.services.commands.base import PageQuery
from acmehub.services.commands.eab import COLUMNS, EabKeyCreated, EabKeyRequest


def register(sub: SubParsers) -> None:
    actions = sub.add_parser(
        "eab", help="external account binding (EAB) keys of ACME profiles"
    ).add_subparsers(dest="action", required=True)
    for action, text, handler, model in (
        ("create", "create a key; its secret is printed this once", _create, EabKeyRequest),
        ("list", "list a profile's keys (a page)", _list, PageQuery),
        ("show", "a key (never its secret)", _show, None),
        ("revoke", "revoke a key", _revoke, None),
    ):
        parser = command(actions, action, text, handler, model=model)
        parser.add_argument("acme_profile", metavar="acme-profile", help="name or UUID")
        if model is None:
            parser.add_argument("key_id", metavar="key-id")


def _path(admin: Admin, args: argparse.Namespace) -> dict[str, str]:
    path = {"acmeProfileUuid": acme_profile_ref(admin, args.acme_profile)}
    return {**path, "keyId": args.key_id} if "key_id" in args else path


def _create(admin: Admin, args: argparse.Namespace) -> None:
    command = command_of(EabKeyRequest, args)
    key: EabKeyCreated = admin.do(api.CREATE, _path(admin, args), body=command)
    if admin.json:
        return admin.emit(key)
    admin.note("the HMAC key is shown this once: keep it now")
    for name, value in (("keyId", key.key_id), ("hmacKey", key.hmac_key),
                        ("algorithm", key.algorithm), ("directory", key.directory_url),
                        ("certbot", key.clients.certbot), ("lego", key.clients.lego)):  # fmt: skip
        admin.say(f"{name:<10} {value or '-'}")


def _list(admin: Admin, args: argparse.Namespace) -> None:
    query = command_of(PageQuery, args)
    admin.page(admin.do(api.LIST, _path(admin, args), query=query), COLUMNS)


def _show(admin: Admin, args: argparse.Namespace) -> None:
    admin.show(admin.do(api.GET, _path(admin, args)))


def _revoke(admin: Admin, args: argparse.Namespace) -> None:
    admin.do(api.REVOKE, path := _path(admin, args))
    if admin.json:
        return admin.emit(admin.do(api.GET, path))
    admin.say(f"revoked EAB key {args.key_id}")
