"""`acmehub user create|list|disable|enable|unlock|password`: people who sign in to the web
interface. On the server's machine only: users, like tokens, are never made over HTTP.

The password is asked twice on the terminal, or read from the first line of standard input
with ``--password-stdin`` (for scripts: ``printf '%s\\n' "$PW" | acmehub user create ...``).
It is stored hashed with argon2id (services/users.py) and never printed.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from acmehub.cli_admin.base import Admin, SubParsers, json_flag, role_option, run
from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.model import Role
from acmehub.services.commands.tokens import USER_COLUMNS, UserInfo, UserUnlocked

LOCAL = " (on the server's machine only)"


def register(sub: SubParsers) -> None:
    user = sub.add_parser("user", help="web interface users (admin, operator, auditor)" + LOCAL)
    actions = user.add_subparsers(dest="action", required=True)
    as_json = json_flag()

    create = actions.add_parser("create", parents=[as_json], help="create a web user" + LOCAL)
    create.add_argument("username", help="1-100 of A-Z a-z 0-9 . _ @ -")
    role_option(create)
    _password_flag(create)
    create.set_defaults(func=run(_create))

    listing = actions.add_parser("list", parents=[as_json], help="list users (never passwords)")
    listing.set_defaults(func=run(_list))

    for name, helptext in (
        ("disable", "stop a user from signing in and end their sessions"),
        ("enable", "let a disabled user sign in again"),
        ("unlock", "lift a lock-out after failed sign-ins and forget the failures"),
        ("password", "set a new password (ends the user's sessions)"),
    ):
        action = actions.add_parser(name, parents=[as_json], help=helptext + LOCAL)
        action.add_argument("username")
        if name == "password":
            _password_flag(action)
        action.set_defaults(func=run(_change), change=name)


def _password_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input instead of asking",
    )


def read_password(from_stdin: bool) -> str:
    """The new password: the first line of stdin, or typed twice at the terminal."""
    if from_stdin:
        line = sys.stdin.readline()
        return line.removesuffix("\n").removesuffix("\r")
    if not sys.stdin.isatty():
        raise DomainError(
            ErrorKind.INVALID_INPUT,
            "no terminal to ask for the password on: give it with --password-stdin",
            status=422,
        )
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password (again): ") != first:
        raise DomainError(ErrorKind.INVALID_INPUT, "the passwords do not match", status=422)
    return first


def _create(admin: Admin, args: argparse.Namespace) -> None:
    password = read_password(args.password_stdin)
    user = admin.services.users.create(admin.actor, args.username, password, Role(args.role))
    _done(admin, UserInfo.of(user), f"created user {user.username} with role {user.role.value}")


def _list(admin: Admin, args: argparse.Namespace) -> None:
    users = admin.services.users.list(admin.actor)
    admin.listing([UserInfo.of(u) for u in users], USER_COLUMNS)


def _change(admin: Admin, args: argparse.Namespace) -> None:
    users, name = admin.services.users, args.username
    if args.change == "unlock":
        locked = users.unlock(admin.actor, name)
        if admin.json:
            admin.emit(UserUnlocked(username=name, was_locked=locked))
        elif locked:
            admin.say(f"unlocked user {name}")
        else:
            admin.say(f"user {name} was not locked; their failed sign-ins are forgotten")
        return
    if args.change == "password":
        user = users.set_password(admin.actor, name, read_password(args.password_stdin))
        _done(admin, UserInfo.of(user), f"set a new password for {name}; their sessions have ended")
    elif args.change == "disable":
        user = users.disable(admin.actor, name)
        _done(admin, UserInfo.of(user), f"disabled user {name}; their sessions have ended")
    else:
        _done(admin, UserInfo.of(users.enable(admin.actor, name)), f"enabled user {name}")


def _done(admin: Admin, user: UserInfo, message: str) -> None:
    if admin.json:
        admin.emit(user)
    else:
        admin.say(message)
