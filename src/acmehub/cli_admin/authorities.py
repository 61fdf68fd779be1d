"""`acmehub authority ...` and `acmehub ra-profile ...`: CAs and the RA profiles on them, as
the API's actions (management/routers/authorities.py, ra_profiles.py); the RA profile options
are the commands' fields (cli_admin/options.py). Objects are named by name or UUID.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from acmehub.cli_admin.base import (
    Admin,
    SubParsers,
    acme_profile_ref,
    authority_ref,
    every,
    json_flag,
    ra_profile_of,
    run,
)
from acmehub.cli_admin.options import add_options, command_of
from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.management.routers import authorities as api
from acmehub.management.routers import ra_profiles as ra_api
from acmehub.services.commands.authorities import AuthorityDetail, AuthorityRequest
from acmehub.services.commands.base import UuidView
from acmehub.services.commands.ra_profiles import (
    ActivateAcmeRequest,
    RaProfileDetail,
    RaProfileRequest,
    RaProfileUpdate,
)

Columns = tuple[tuple[str, Callable[[Any], object]], ...]
#: The lists' columns (header, value), as the web interface's lists show them.
AUTHORITY_COLUMNS: Columns = (
    ("UUID", lambda d: d.uuid),
    ("NAME", lambda d: d.name),
    ("KIND", lambda d: d.kind),
    ("ENABLED", lambda d: d.enabled),
    ("KEY TYPE", lambda d: d.key_type),
    ("CA EXPIRES", lambda d: d.certificate.not_after if d.certificate else d.problem),
    ("RA PROFILES", lambda d: ", ".join(r.name for r in d.ra_profiles)),
)
RA_COLUMNS: Columns = (
    ("UUID", lambda d: d.uuid),
    ("NAME", lambda d: d.name),
    ("ENABLED", lambda d: d.enabled),
    ("AUTHORITY", lambda d: d.authority.name),
    ("ACME PROFILE", lambda d: d.acme_profile.name if d.acme_profile else None),
    (
        "VALIDITY (DEFAULT/MAX)",
        lambda d: f"{d.validity_default // 86400}d / {d.validity_max // 86400}d",
    ),
)


def register(sub: SubParsers) -> None:
    _authority(sub)
    _ra_profile(sub)


def _print(admin: Admin, items: list[Any], columns: Columns) -> None:
    if admin.json:
        admin.emit(items)
        return
    admin.table([tuple(v(d) for _, v in columns) for d in items], tuple(h for h, _ in columns))


def _done(admin: Admin, result: Any, message: str) -> None:
    if admin.json:
        admin.emit(result)
    else:
        admin.say(message)


# --------------------------------------------------------------------------- authority


def _authority(sub: SubParsers) -> None:
    authority = sub.add_parser("authority", help="Authorities (CAs)")
    actions = authority.add_subparsers(dest="action", required=True)
    as_json = json_flag()

    actions.add_parser("list", parents=[as_json], help="list Authorities").set_defaults(
        func=run(lambda admin, args: _print(admin, every(admin, api.LIST), AUTHORITY_COLUMNS))
    )
    show = actions.add_parser("show", parents=[as_json], help="an Authority with its CA chain")
    show.add_argument("authority", help="name or UUID")
    show.add_argument("--chain", action="store_true", help="print the chain (PEM) too")
    show.set_defaults(func=run(_authority_show))

    create = actions.add_parser(
        "create",
        parents=[as_json],
        help="create an embedded Authority: generate a root and an intermediate, or import a CA",
    )
    create.add_argument("name")
    add_options(create, AuthorityRequest, skip=("name", "kind", "import_ca"))
    create.add_argument("--import-cert", type=Path, help="import this CA certificate (PEM)")
    create.add_argument("--import-key", type=Path, help="...with this private key (PEM)")
    create.add_argument("--import-chain", type=Path, help="...and these issuers (PEM)")
    create.add_argument(
        "--passphrase-env", help="environment variable holding the imported key's passphrase"
    )
    create.set_defaults(func=run(_authority_create))

    for action, text in (
        ("enable", "enable an Authority"),
        ("disable", "disable an Authority (it refuses issuance)"),
        ("delete", "delete an Authority (refused while RA profiles use it)"),
    ):
        command = actions.add_parser(action, parents=[as_json], help=text)
        command.add_argument("authority", help="name or UUID")
        command.set_defaults(func=run(_authority_change), change=action)


def _authority_show(admin: Admin, args: argparse.Namespace) -> None:
    path = {"authorityUuid": authority_ref(admin, args.authority)}
    detail: AuthorityDetail = admin.do(api.GET, path)
    if admin.json:
        admin.emit(detail)
        return
    admin.details(detail, skip=("chain",))
    if args.chain and detail.chain:
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
        passphrase = os.environ.get(args.passphrase_env) if args.passphrase_env else None
        extra["import_ca"] = {
            "certificate": _read(args.import_cert),
            "private_key": _read(args.import_key),
            "chain": _read(args.import_chain) if args.import_chain else "",
            "passphrase": passphrase or None,
        }
    command = command_of(AuthorityRequest, args, extra=extra)
    created: UuidView = admin.do(api.CREATE, body=command)
    _done(admin, created, f"created Authority {command.name} ({created.uuid})")


def _authority_change(admin: Admin, args: argparse.Namespace) -> None:
    uuid_ = authority_ref(admin, args.authority)
    action = {"enable": api.ENABLE, "disable": api.DISABLE, "delete": api.DELETE}[args.change]
    admin.do(action, {"authorityUuid": uuid_})
    _done(admin, UuidView(uuid=uuid_), f"{args.change}d Authority {args.authority}")


# --------------------------------------------------------------------------- RA profile


def _ra_profile(sub: SubParsers) -> None:
    ra = sub.add_parser("ra-profile", help="RA profiles: issuance configuration on an Authority")
    actions = ra.add_subparsers(dest="action", required=True)
    as_json = json_flag()

    listing = actions.add_parser("list", parents=[as_json], help="list RA profiles")
    listing.add_argument("--authority", help="only this Authority's (name or UUID)")
    listing.add_argument("--search", help="only those whose name or description contains this")
    listing.set_defaults(func=run(_ra_list))

    show = actions.add_parser("show", parents=[as_json], help="an RA profile and its policy")
    show.add_argument("ra_profile", metavar="ra-profile", help="name or UUID")
    show.set_defaults(func=run(_ra_show))

    create = actions.add_parser("create", parents=[as_json], help="create an RA profile")
    create.add_argument("name", help="unique; appears in ACME URLs")
    create.add_argument("--authority", required=True, help="name or UUID")
    create.add_argument("--disabled", action="store_true", help="create it disabled")
    add_options(create, RaProfileRequest, skip=("name", "enabled"))
    create.set_defaults(func=run(_ra_create))

    update = actions.add_parser(
        "update", parents=[as_json], help="change an RA profile (options left out stay)"
    )
    update.add_argument("ra_profile", metavar="ra-profile", help="name or UUID")
    add_options(update, RaProfileUpdate)
    update.set_defaults(func=run(_ra_update))

    for action, text in (
        ("enable", "enable an RA profile"),
        ("disable", "disable an RA profile (ACME requests through it are refused)"),
        ("delete", "delete an RA profile"),
        ("deactivate-acme", "deactivate ACME on the RA profile"),
    ):
        command = actions.add_parser(action, parents=[as_json], help=text)
        command.add_argument("ra_profile", metavar="ra-profile", help="name or UUID")
        command.set_defaults(func=run(_ra_change), change=action)

    acme = actions.add_parser(
        "acme", parents=[as_json], help="the ACME profile activated on the RA profile"
    )
    acme.add_argument("ra_profile", metavar="ra-profile", help="name or UUID")
    acme.set_defaults(func=run(_ra_acme))

    activate = actions.add_parser(
        "activate-acme",
        parents=[as_json],
        help="activate an ACME profile on the RA profile (the RA-profile URL family)",
    )
    activate.add_argument("ra_profile", metavar="ra-profile", help="name or UUID")
    activate.add_argument("acme_profile", metavar="acme-profile", help="name or UUID")
    add_options(activate, ActivateAcmeRequest)
    activate.set_defaults(func=run(_ra_activate))


def _path(detail: RaProfileDetail) -> dict[str, str]:
    return {"authorityUuid": detail.authority.uuid, "raProfileUuid": detail.uuid}


def _ra_list(admin: Admin, args: argparse.Namespace) -> None:
    filters = {"search": args.search} if args.search else {}
    if args.authority:
        filters["authority_uuid"] = authority_ref(admin, args.authority)
    found = every(admin, ra_api.LIST_ALL, **filters)
    _print(admin, found, RA_COLUMNS)


def _ra_show(admin: Admin, args: argparse.Namespace) -> None:
    detail = admin.do(ra_api.GET, _path(ra_profile_of(admin, args.ra_profile)))
    if admin.json:
        admin.emit(detail)
        return
    admin.details(detail)


def _ra_create(admin: Admin, args: argparse.Namespace) -> None:
    path = {"authorityUuid": authority_ref(admin, args.authority)}
    extra: dict[str, Any] = {"name": args.name}
    if args.disabled:
        extra["enabled"] = False
    command = command_of(RaProfileRequest, args, extra=extra)
    created: UuidView = admin.do(ra_api.CREATE, path, body=command)
    _done(admin, created, f"created RA profile {command.name} ({created.uuid})")


def _ra_update(admin: Admin, args: argparse.Namespace) -> None:
    path = _path(ra_profile_of(admin, args.ra_profile))
    command = command_of(RaProfileUpdate, args)
    detail: RaProfileDetail = admin.do(ra_api.UPDATE, path, body=command)
    _done(admin, detail, f"updated RA profile {detail.name}")


_CHANGES = {
    "enable": ra_api.ENABLE,
    "disable": ra_api.DISABLE,
    "delete": ra_api.DELETE,
    "deactivate-acme": ra_api.DEACTIVATE_ACME,
}


def _ra_change(admin: Admin, args: argparse.Namespace) -> None:
    detail = ra_profile_of(admin, args.ra_profile)
    admin.do(_CHANGES[args.change], _path(detail))
    done = "deactivated ACME on" if args.change == "deactivate-acme" else f"{args.change}d"
    _done(admin, UuidView(uuid=detail.uuid), f"{done} RA profile {args.ra_profile}")


def _ra_acme(admin: Admin, args: argparse.Namespace) -> None:
    detail = admin.do(ra_api.GET_ACME, _path(ra_profile_of(admin, args.ra_profile)))
    if admin.json:
        admin.emit(detail)
        return
    admin.details(detail)


def _ra_activate(admin: Admin, args: argparse.Namespace) -> None:
    ra = ra_profile_of(admin, args.ra_profile)
    path = {**_path(ra), "acmeProfileUuid": acme_profile_ref(admin, args.acme_profile)}
    command = command_of(ActivateAcmeRequest, args)
    detail = admin.do(ra_api.ACTIVATE_ACME, path, body=command)
    if admin.json:
        admin.emit(detail)
        return
    admin.say(f"activated ACME profile {detail.name} on RA profile {ra.name}")
    admin.say(f"directory: {detail.directory_url}")
