"""What the user types: argparse types (JSON objects, times, durations, yes/no), the shared
options (``--role``, ``--password-stdin``) and the password asked at the terminal."""

from __future__ import annotations

import argparse
import getpass
import json
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from acmehub.domain.admin_model import Role
from acmehub.domain.errors import DomainError, ErrorKind

_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_DURATION = re.compile(r"^(\d{1,6})([mhdw])$")


def json_object(text: str) -> dict[str, Any]:
    """An argparse type: a JSON object given inline, or @FILE to read it from a file."""
    raw = Path(text[1:]).read_text() if text.startswith("@") else text
    try:
        value = json.loads(raw)
    except (json.JSONDecodeError, OSError) as exc:
        raise argparse.ArgumentTypeError(f"not a JSON object: {exc}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError('must be a JSON object, e.g. \'{"key": "value"}\'')
    return value


def parse_time(text: str) -> datetime:
    """ISO 8601 date or date-time for argparse; without a zone it is taken as UTC."""
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO 8601 time (e.g. 2026-05-01 or 2026-05-01T12:00:00Z)"
        ) from None
    return when if when.utcoffset() is not None else when.replace(tzinfo=UTC)


def on_off(text: str) -> bool:
    """An argparse type for yes/no switches."""
    value = text.lower()
    if value in ("yes", "true", "on", "1"):
        return True
    if value in ("no", "false", "off", "0"):
        return False
    raise argparse.ArgumentTypeError(f"{text!r}: say yes or no")


def changes(args: argparse.Namespace, names: dict[str, str]) -> dict[str, Any]:
    """The options the user gave (not None), renamed to the service's field names."""
    return {
        field: getattr(args, dest)
        for dest, field in names.items()
        if getattr(args, dest) is not None
    }


def role_option(parser: argparse.ArgumentParser) -> None:
    """``--role``: what a token or a web user may do (services/admin.py ranks the roles)."""
    parser.add_argument(
        "--role",
        required=True,
        choices=[r.value for r in Role],
        help="admin: everything; operator: enable, disable, revoke; auditor: read only",
    )


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


def password_option(parser: argparse.ArgumentParser) -> None:
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
