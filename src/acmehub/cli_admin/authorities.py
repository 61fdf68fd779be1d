"""`acmehub authority ...`: CAs, as the API's actions (management/routers/authorities.py); the
options are the command's fields (cli_admin/options.py). Objects are named by name or UUID.
The helpers here serve `acmehub ra-profile ...` too (cli_admin/ra_profiles.py).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from acmehub.cli_admin.base import (
    Admin,
    Handler,
    SubParsers,
    authority_ref,
    every,
    json_flag,
    run,
)
from acmehub.cli_admin.options import add_options, command_of
from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.management.routers import authorities as api
from acmehub.services.commands.authorities import AuthorityRequest
from acmehub.services.commands.base import UuidView

Columns = tuple[tuple[str, Callable[[Any], object]], ...]
#: The list's columns (header, value), as the web interface's list shows them.
AUTHORITY_COLUMNS: Columns = (
    ("UUID", lambda d: d.uuid),
    ("NAME", lambda d: d.name),
    ("KIND", lambda d: d.kind),
    ("ENABLED", lambda d: d.enabled),
    ("KEY TYPE", lambda d: d.key_type),
    ("CA EXPIRES", lambda d: d.certificate.not_after if d.certificate else d.problem),
    ("RA PROFILES", lambda d: ", ".join(r.name for r in d.ra_profiles)),
)
_REF = {"authority": "authority", "ra_profile": "ra-profile"}


def subcommand(
    actions: SubParsers, name: str, text: str, handler: Handler, ref: str = "", **defaults: Any
) -> argparse.ArgumentParser:
    command = actions.add_parser(name, parents=[json_flag()], help=text)
    if ref:
        command.add_argument(ref, metavar=_REF[ref], help="name or UUID")
    command.set_defaults(func=run(handler), **defaults)
    return command


def register(sub: SubParsers) -> None:
    a = sub.add_parser("authority", help="Authorities (CAs)").add_subparsers(
        dest="action", required=True
    )
    subcommand(a, "list", "list Authorities", print_list, columns=AUTHORITY_COLUMNS, of=api.LIST)
    shown = subcommand(a, "show", "an Authority with its CA chain", _authority_show, "authority")
    shown.add_argument("--chain", action="store_true", help="print the chain (PEM) too")
    create = subcommand(
        a, "create", "create an embedded Authority: generate one or import a CA", _authority_create
    )
    create.add_argument("name")
    add_options(create, AuthorityRequest, skip=("name", "kind", "import_ca"))
    for flag, text in (
        ("cert", "this CA certificate"),
        ("key", "its key"),
        ("chain", "its issuers"),
    ):
        create.add_argument(f"--import-{flag}", type=Path, help=f"import {text} (PEM)")
    create.add_argument(
        "--passphrase-env", help="environment variable holding the key's passphrase"
    )
    for action, text in (
        ("enable", "enable an Authority"),
        ("disable", "disable an Authority (it refuses issuance)"),
        ("delete", "delete an Authority (refused while RA profiles use it)"),
    ):
        subcommand(a, action, text, _authority_change, "authority", change=action)


def print_list(admin: Admin, args: argparse.Namespace, **filters: Any) -> None:
    items = every(admin, args.of, **filters)
    if admin.json:
        return admin.emit(items)
    rows = [tuple(value(d) for _, value in args.columns) for d in items]
    admin.table(rows, tuple(header for header, _ in args.columns))


def finish(admin: Admin, result: Any, message: str) -> None:
    admin.emit(result) if admin.json else admin.say(message)


def show(admin: Admin, detail: Any, skip: tuple[str, ...] = ()) -> None:
    admin.emit(detail) if admin.json else admin.details(detail, skip=skip)


# --------------------------------------------------------------------------- authority


def _authority_show(admin: Admin, args: argparse.Namespace) -> None:
    detail = admin.do(api.GET, {"authorityUuid": authority_ref(admin, args.authority)})
    show(admin, detail, skip=("chain",))
    if args.chain and detail.chain and not admin.json:
        admin.out.write(detail.chain)


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError as exc:
        raise DomainError(
            ErrorKind.INVALID_INPUT, f"cannot read {path}: {exc.strerror}", status=422
        ) from None


def _authority_create(admin: Admin, args: argparse.Namespace) -> None:
    extra: dict[str, Any] = {"name": args.name}
    if (args.import_cert is None) != (args.import_key is None):
        raise DomainError(
            ErrorKind.INVALID_INPUT, "--import-cert and --import-key go together", status=422
        )
    if args.import_cert is not None:
        extra["import_ca"] = {
            "certificate": _read(args.import_cert),
            "private_key": _read(args.import_key),
            "chain": _read(args.import_chain) if args.import_chain else "",
            "passphrase": os.environ.get(args.passphrase_env or "") or None,
        }
    command = command_of(AuthorityRequest, args, extra=extra)
    created = admin.do(api.CREATE, body=command)
    finish(admin, created, f"created Authority {command.name} ({created.uuid})")


def _authority_change(admin: Admin, args: argparse.Namespace) -> None:
    uuid_ = authority_ref(admin, args.authority)
    admin.do(
        {"enable": api.ENABLE, "disable": api.DISABLE, "delete": api.DELETE}[args.change],
        {"authorityUuid": uuid_},
    )
    finish(admin, UuidView(uuid=uuid_), f"{args.change}d Authority {args.authority}")
