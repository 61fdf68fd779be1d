"""`acmehub user create|list|disable|enable|unlock|password`: people who sign in to the web
interface. On the server's machine only: users, like tokens, are never made over HTTP.

The password is asked twice on the terminal, or read from the first line of standard input
with ``--password-stdin`` (for scripts: ``printf '%s\\n' "$PW" | acmehub user create ...``).
It is stored hashed with argon2id (services/users.py) and never printed.
"""

from __future__ import annotations

import argparse

from acmehub.cli_admin.argtypes import password_option, read_password, role_option
from acmehub.cli_admin.base import Admin
from acmehub.cli_admin.commands import command
from acmehub.cli_admin.running import SubParsers
from acmehub.domain.admin_model import Role
from acmehub.services.commands.tokens import USER_COLUMNS, UserInfo, UserUnlocked

LOCAL = " (on the server's machine only)"


def register(sub: SubParsers) -> None:
    user = sub.add_parser("user", help="web interface users (admin, operator, auditor)" + LOCAL)
    actions = user.add_subparsers(dest="action", required=True)
    create = command(actions, "create", "create a web user" + LOCAL, _create)
    create.add_argument("username", help="1-100 of A-Z a-z 0-9 . _ @ -")
    role_option(create)
    password_option(create)
    command(actions, "list", "list users (never passwords)", _list)
    for name, text in (
        ("disable", "stop a user from signing in and end their sessions"),
        ("enable", "let a disabled user sign in again"),
        ("unlock", "lift a lock-out after failed sign-ins and forget the failures"),
        ("password", "set a new password (ends the user's sessions)"),
    ):
        change = command(actions, name, text + LOCAL, _change, change=name)
        change.add_argument("username")
        if name == "password":
            password_option(change)


def _create(admin: Admin, args: argparse.Namespace) -> None:
    password = read_password(args.password_stdin)
    user = admin.services.users.create(admin.actor, args.username, password, Role(args.role))
    message = f"created user {user.username} with role {user.role.value}"
    admin.result(UserInfo.of(user), message)


def _list(admin: Admin, args: argparse.Namespace) -> None:
    users = admin.services.users.list(admin.actor)
    admin.listing([UserInfo.of(u) for u in users], USER_COLUMNS)


def _change(admin: Admin, args: argparse.Namespace) -> None:
    users, name, actor = admin.services.users, args.username, admin.actor
    if args.change == "unlock":
        locked = users.unlock(actor, name)
        forgotten = f"user {name} was not locked; their failed sign-ins are forgotten"
        message = f"unlocked user {name}" if locked else forgotten
        return admin.result(UserUnlocked(username=name, was_locked=locked), message)
    ended = "; their sessions have ended"
    if args.change == "password":
        user = users.set_password(actor, name, read_password(args.password_stdin))
        message = f"set a new password for {name}{ended}"
    elif args.change == "disable":
        user, message = users.disable(actor, name), f"disabled user {name}{ended}"
    else:
        user, message = users.enable(actor, name), f"enabled user {name}"
    admin.result(UserInfo.of(user), message)
