"""`acmehub authority ...`: CAs, as the API's actions (management/routers/authorities.py); the
options are the command's fields (cli_admin/options.py). Objects are named by name or UUID.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from acmehub.cli_admin.base import Admin
from acmehub.cli_admin.commands import Ref, change_one, command, list_every, ref_by_uuid
from acmehub.cli_admin.options import add_options, command_of
from acmehub.cli_admin.refs import authority_ref
from acmehub.cli_admin.running import SubParsers
from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.management.routers import authorities as api
from acmehub.services.commands.authorities import COLUMNS, AuthorityRequest

REF: Ref = ref_by_uuid("Authority", "authority", "authorityUuid", authority_ref)


def register(sub: SubParsers) -> None:
    a = sub.add_parser("authority", help="Authorities (CAs)").add_subparsers(
        dest="action", required=True
    )
    command(a, "list", "list Authorities", list_every(api.LIST, COLUMNS))
    shown = command(a, "show", "an Authority with its CA chain", _show, ref=REF)
    shown.add_argument("--chain", action="store_true", help="print the chain (PEM) too")
    text = "create an embedded Authority: generate one or import a CA"
    create = command(a, "create", text, _create)
    create.add_argument("name")
    add_options(create, AuthorityRequest, skip=("name", "kind", "import_ca"))
    for flag, what in (
        ("cert", "this CA certificate"),
        ("key", "its key"),
        ("chain", "its issuers"),
    ):
        create.add_argument(f"--import-{flag}", type=Path, help=f"import {what} (PEM)")
    create.add_argument(
        "--passphrase-env", help="environment variable holding the key's passphrase"
    )
    for name, action, text in (
        ("enable", api.ENABLE, "enable an Authority"),
        ("disable", api.DISABLE, "disable an Authority (it refuses issuance)"),
        ("delete", api.DELETE, "delete an Authority (refused while RA profiles use it)"),
    ):
        command(a, name, text, change_one(action, REF, f"{name}d"), ref=REF)
    command(
        a,
        "cross-sign",
        "cross-sign the issuing CA with a new root (an alternate chain, RFC 8555 §7.4.2)",
        _cross_sign,
        ref=REF,
    )


def _show(admin: Admin, args: argparse.Namespace) -> None:
    detail = admin.do(api.GET, REF.path(admin, args.ref))
    admin.show(detail, skip=("chain", "alternate_chains"))
    if args.chain and detail.chain and not admin.json:
        admin.out.write(detail.chain)


def _cross_sign(admin: Admin, args: argparse.Namespace) -> None:
    detail = admin.do(api.CROSS_SIGN, REF.path(admin, args.ref))
    admin.show(detail, skip=("chain", "alternate_chains"))
    if not admin.json:
        admin.out.write(f"alternate chains: {len(detail.alternate_chains)}\n")


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError as exc:
        raise DomainError(
            ErrorKind.INVALID_INPUT, f"cannot read {path}: {exc.strerror}", status=422
        ) from None


def _create(admin: Admin, args: argparse.Namespace) -> None:
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
    admin.result(created, f"created Authority {command.name} ({created.uuid})")
