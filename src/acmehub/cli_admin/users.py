"""`acmehub user create|list|disable|enable|unlock|password`: people who sign in to the web
interface.

The password is asked twice on the terminal, or read from the first line of standard input
with ``--password-stdin`` (for scripts: ``printf '%s\\n' "$PW" | acmehub user create ...``).
It is stored hashed with argon2id (services/users.py) and never printed.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from acmehub.cli_admin.base import Admin, SubParsers, json_flag, run
from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.model import Role, User


def register(sub: SubParsers) -> None:
    user = sub.add_parser("user", help="web interface users (admin, operator, auditor)")
    actions = user.add_subparsers(dest="action", required=True)
    as_json = json_flag()

    create = actions.add_parser(
        "create", parents=[as_json], help="create a user who signs in to the web interface"
    )
    create.add_argument("username", help="1-100 of A-Z a-z 0-9 . _ @ -")
    create.add_argument(
        "--role",
        required=True,
        choices=[r.value for r in Role],
        help="admin: everything; operator: enable, disable, revoke; auditor: read only",
    )
    _password_flag(create)
    create.set_defaults(func=run(_create))

    listing = actions.add_parser("list", parents=[as_json], help="list users (never passwords)")
    listing.set_defaults(func=run(_list))

    for name, helptext, handler in (
        ("disable", "stop a user from signing in and end their sessions", _disable),
        ("enable", "let a disabled user sign in again", _enable),
        ("unlock", "lift a lock-out after failed sign-ins and forget the failures", _unlock),
    ):
        action = actions.add_parser(name, parents=[as_json], help=helptext)
        action.add_argument("username")
        action.set_defaults(func=run(handler))

    password = actions.add_parser(
        "password", parents=[as_json], help="set a new password (ends the user's sessions)"
    )
    password.add_argument("username")
    _password_flag(password)
    password.set_defaults(func=run(_password))


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


def user_json(user: User) -> dict[str, Any]:
    return {
        "uuid": user.uuid,
        "username": user.username,
        "role": user.role.value,
        "disabled": user.disabled,
        "createdAt": user.created_at,
        "lastSignInAt": user.last_sign_in_at,
    }


def _create(admin: Admin, args: argparse.Namespace) -> None:
    password = read_password(args.password_stdin)
    user = admin.services.users.create(admin.actor, args.username, password, Role(args.role))
    if admin.json:
        admin.emit(user_json(user))
        return
    admin.say(f"created user {user.username} with role {user.role.value}")


def _list(admin: Admin, args: argparse.Namespace) -> None:
    users = admin.services.users.list(admin.actor)
    if admin.json:
        admin.emit([user_json(u) for u in users])
        return
    admin.table(
        [(u.username, u.role.value, u.disabled, u.created_at, u.last_sign_in_at) for u in users],
        ("USERNAME", "ROLE", "DISABLED", "CREATED", "LAST SIGN-IN"),
    )


def _disable(admin: Admin, args: argparse.Namespace) -> None:
    user = admin.services.users.disable(admin.actor, args.username)
    if admin.json:
        admin.emit(user_json(user))
        return
    admin.say(f"disabled user {user.username}; their sessions have ended")


def _enable(admin: Admin, args: argparse.Namespace) -> None:
    user = admin.services.users.enable(admin.actor, args.username)
    if admin.json:
        admin.emit(user_json(user))
        return
    admin.say(f"enabled user {user.username}")


def _unlock(admin: Admin, args: argparse.Namespace) -> None:
    locked = admin.services.users.unlock(admin.actor, args.username)
    if admin.json:
        admin.emit({"username": args.username, "wasLocked": locked})
        return
    if locked:
        admin.say(f"unlocked user {args.username}")
    else:
        admin.say(f"user {args.username} was not locked; their failed sign-ins are forgotten")


def _password(admin: Admin, args: argparse.Namespace) -> None:
    password = read_password(args.password_stdin)
    user = admin.services.users.set_password(admin.actor, args.username, password)
    if admin.json:
        admin.emit(user_json(user))
        return
    admin.say(f"set a new password for {user.username}; their sessions have ended")
