"""`acmehub token create|revoke|list`: API tokens for the REST API (the secret is shown once).

``list`` works with ``--server`` too; ``create`` and ``revoke`` run only on the server's
machine: tokens are never minted over HTTP, so a leaked token cannot make others.
"""

from __future__ import annotations

import argparse
import re
from datetime import timedelta

from acmehub.cli_admin.base import (
    Admin,
    SubParsers,
    every,
    json_flag,
    parse_time,
    role_option,
    run,
)
from acmehub.management.routers import tokens as api
from acmehub.services.admin import SCOPES
from acmehub.services.commands.base import parse
from acmehub.services.commands.tokens import (
    DEFAULT_LIFETIME,
    TOKEN_COLUMNS,
    ApiTokenInfo,
    TokenRequest,
)

_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_DURATION = re.compile(r"^(\d{1,6})([mhdw])$")
LOCAL = " (on the server's machine only: tokens are never made or revoked over HTTP)"


def lifetime(text: str) -> timedelta | None:
    """An argparse type: ``90d``, ``12h``, ``30m``, ``2w``, or ``never``."""
    if text == "never":
        return None
    match = _DURATION.match(text)
    if not match or int(match.group(1)) == 0:
        raise argparse.ArgumentTypeError(
            f"{text!r}: give a positive number and a unit (m, h, d, w), e.g. 90d, or never"
        )
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def register(sub: SubParsers) -> None:
    token = sub.add_parser("token", help="API tokens for the REST API (admin, operator, auditor)")
    actions = token.add_subparsers(dest="action", required=True)
    as_json = json_flag()

    create = actions.add_parser(
        "create", parents=[as_json], help="create a token and print its secret (once)" + LOCAL
    )
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
    create.set_defaults(func=run(_create))

    revoke = actions.add_parser("revoke", parents=[as_json], help="revoke a token by name" + LOCAL)
    revoke.add_argument("name")
    revoke.set_defaults(func=run(_revoke))

    listing = actions.add_parser("list", parents=[as_json], help="list tokens (never secrets)")
    listing.set_defaults(func=run(_list))


def _create(admin: Admin, args: argparse.Namespace) -> None:
    command = parse(
        TokenRequest,
        {
            "name": args.name,
            "role": args.role,
            "expires_in": args.expires_in,
            "expires_at": args.expires_at,
            "scopes": args.scope,
        },
    )
    created = admin.services.tokens.mint(admin.actor, command)
    if admin.json:
        admin.emit(created)
        return
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
    if admin.json:
        admin.emit(token)
        return
    admin.say(f"revoked token {token.name}")


def _list(admin: Admin, args: argparse.Namespace) -> None:
    admin.listing(every(admin, api.LIST), TOKEN_COLUMNS)
