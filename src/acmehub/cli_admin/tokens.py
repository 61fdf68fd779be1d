"""`acmehub token create|revoke|list`: API tokens for the REST API (the secret is shown once)."""

from __future__ import annotations

import argparse

from acmehub.cli_admin.base import Admin, json_flag, run
from acmehub.domain.model import Role
from acmehub.management.routers.tokens import ApiTokenInfo


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    token = sub.add_parser("token", help="API tokens for the REST API (admin, operator, auditor)")
    actions = token.add_subparsers(dest="action", required=True)
    as_json = json_flag()

    create = actions.add_parser(
        "create",
        parents=[as_json],
        help="create a token and print its secret (shown this once, stored hashed)",
    )
    create.add_argument("name", help="a unique name, e.g. the tool or person using it")
    create.add_argument(
        "--role",
        required=True,
        choices=[r.value for r in Role],
        help="admin: everything; operator: enable, disable, revoke; auditor: read only",
    )
    create.set_defaults(func=run(_create))

    revoke = actions.add_parser("revoke", parents=[as_json], help="revoke a token by name")
    revoke.add_argument("name")
    revoke.set_defaults(func=run(_revoke))

    listing = actions.add_parser("list", parents=[as_json], help="list tokens (never secrets)")
    listing.set_defaults(func=run(_list))


def _create(admin: Admin, args: argparse.Namespace) -> None:
    token, secret = admin.services.tokens.create(admin.actor, args.name, Role(args.role))
    if admin.json:
        admin.emit(
            {**ApiTokenInfo.of(token).model_dump(mode="json", by_alias=True), "secret": secret}
        )
        return
    # The secret alone on stdout (TOKEN=$(acmehub token create ...)); the advice on stderr.
    admin.note(
        f"created token {token.name} with role {token.role.value}; its secret follows and "
        "is not shown again: keep it now"
    )
    print(secret, file=admin.out)


def _revoke(admin: Admin, args: argparse.Namespace) -> None:
    token = admin.services.tokens.revoke(admin.actor, args.name)
    if admin.json:
        admin.emit(ApiTokenInfo.of(token))
        return
    print(f"revoked token {token.name}", file=admin.out)


def _list(admin: Admin, args: argparse.Namespace) -> None:
    tokens = admin.services.tokens.list(admin.actor)
    if admin.json:
        admin.emit([ApiTokenInfo.of(t) for t in tokens])
        return
    admin.table(
        [(t.name, t.role.value, t.created_at, t.revoked_at) for t in tokens],
        ("NAME", "ROLE", "CREATED", "REVOKED"),
    )
