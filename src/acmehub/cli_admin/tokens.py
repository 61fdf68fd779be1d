"""`acmehub token create|revoke|list`: API tokens for the REST API (the secret is shown once)."""

from __future__ import annotations

import argparse
import re
from datetime import timedelta

from acmehub.cli_admin.base import Admin, json_flag, parse_time, run
from acmehub.domain.model import Role
from acmehub.management.routers.tokens import ApiTokenInfo
from acmehub.services.admin import SCOPES
from acmehub.services.tokens import DEFAULT_LIFETIME, Expiry

_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_DURATION = re.compile(r"^(\d{1,6})([mhdw])$")


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
    create.add_argument(
        "--scope",
        action="append",
        default=[],
        metavar="SCOPE",
        help="narrow the token to these (repeat, or separate by commas): "
        "<family>:read or <family>:write, e.g. certificates:read; families: "
        + ", ".join(sorted({s.split(":")[0] for s in SCOPES})),
    )
    create.set_defaults(func=run(_create))

    revoke = actions.add_parser("revoke", parents=[as_json], help="revoke a token by name")
    revoke.add_argument("name")
    revoke.set_defaults(func=run(_revoke))

    listing = actions.add_parser("list", parents=[as_json], help="list tokens (never secrets)")
    listing.set_defaults(func=run(_list))


def _create(admin: Admin, args: argparse.Namespace) -> None:
    expires: Expiry = args.expires_at if args.expires_at is not None else args.expires_in
    token, secret = admin.services.tokens.create(
        admin.actor, args.name, Role(args.role), expires=expires, scopes=args.scope
    )
    if admin.json:
        admin.emit(
            {**ApiTokenInfo.of(token).model_dump(mode="json", by_alias=True), "secret": secret}
        )
        return
    # The secret alone on stdout (TOKEN=$(acmehub token create ...)); the advice on stderr.
    until = f"until {token.expires_at.isoformat()}" if token.expires_at else "without expiry"
    scopes = f", scopes {' '.join(token.scopes)}" if token.scopes else ""
    admin.note(
        f"created token {token.name} with role {token.role.value}{scopes}, valid {until}; "
        "its secret follows and is not shown again: keep it now"
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
        [
            (t.name, t.role.value, t.created_at, t.revoked_at, t.expires_at, " ".join(t.scopes))
            for t in tokens
        ],
        ("NAME", "ROLE", "CREATED", "REVOKED", "EXPIRES", "SCOPES"),
    )
