"""`acmehub token create|revoke|list`: API tokens for the REST API (the secret is shown once).

``list`` works with ``--server`` too; ``create`` and ``revoke`` run only on the server's
machine: tokens are never minted over HTTP, so a leaked token cannot make others.
"""

from __future__ import annotations

import argparse

from acmehub.cli_admin.argtypes import lifetime, parse_time, role_option
from acmehub.cli_admin.base import Admin
from acmehub.cli_admin.commands import command, list_every
from acmehub.cli_admin.running import SubParsers
from acmehub.management.routers import tokens as api
from acmehub.services.admin import SCOPES
from acmehub.services.commands.base import parse
from acmehub.services.commands.tokens import (
    DEFAULT_LIFETIME,
    TOKEN_COLUMNS,
    ApiTokenInfo,
    TokenRequest,
)

LOCAL = " (on the server's machine only: tokens are never made or revoked over HTTP)"


def register(sub: SubParsers) -> None:
    token = sub.add_parser("token", help="API tokens for the REST API (admin, operator, auditor)")
    actions = token.add_subparsers(dest="action", required=True)
    text = "create a token and print its secret (once)" + LOCAL
    create = command(actions, "create", text, _create)
    create.add_argument("name", help="a unique name, e.g. the tool or person using it")
    role_option(create)
    expiry = create.add_mutually_exclusive_group()
    expiry.add_argument(
        "--expires-in",
        type=lifetime,
        default=DEFAULT_LIFETIME,
        metavar="DURATION",
        help=f"lifetime: 90d, 12h, 30m, 2w or never (default {DEFAULT_LIFETIME.days}d)",
    )
    expiry.add_argument(
        "--expires-at", type=parse_time, metavar="TIME", help="ISO 8601 (UTC if no zone)"
    )
    families = ", ".join(sorted({s.split(":")[0] for s in SCOPES}))
    create.add_argument(
        "--scope",
        action="append",
        default=[],
        metavar="SCOPE",
        help="narrow the token to these (repeat, or separate by commas): <family>:read or "
        f"<family>:write, e.g. certificates:read; families: {families}",
    )
    command(actions, "revoke", "revoke a token by name" + LOCAL, _revoke).add_argument("name")
    command(actions, "list", "list tokens (never secrets)", list_every(api.LIST, TOKEN_COLUMNS))


def _create(admin: Admin, args: argparse.Namespace) -> None:
    fields = {"name": args.name, "role": args.role, "expires_in": args.expires_in,
              "expires_at": args.expires_at, "scopes": args.scope}  # fmt: skip
    created = admin.services.tokens.mint(admin.actor, parse(TokenRequest, fields))
    if admin.json:
        return admin.emit(created)
    # The secret alone on stdout (TOKEN=$(acmehub token create ...)); the advice on stderr.
    until = f"until {created.expires_at.isoformat()}" if created.expires_at else "without expiry"
    scopes = f", scopes {' '.join(created.scopes)}" if created.scopes else ""
    admin.note(
        f"created token {created.name} with role {created.role.value}{scopes}, valid {until}; "
        "its secret follows and is not shown again: keep it now"
    )
    admin.say(created.secret)


def _revoke(admin: Admin, args: argparse.Namespace) -> None:
    token = ApiTokenInfo.of(admin.services.tokens.revoke(admin.actor, args.name))
    admin.result(token, f"revoked token {token.name}")
