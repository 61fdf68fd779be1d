"""`acmehub ra-profile ...`: RA profiles on the Authorities and their ACME activation, as the
API's actions (management/routers/ra_profiles.py); the options are the commands' fields, the
issuance policy's among them (cli_admin/options.py). Objects are named by name or UUID.
"""

from __future__ import annotations

import argparse

from acmehub.cli_admin.authorities import Columns, finish, print_list, show, subcommand
from acmehub.cli_admin.base import Admin, SubParsers, acme_profile_ref, authority_ref, ra_profile_of
from acmehub.cli_admin.options import add_options, command_of
from acmehub.management.routers import ra_profiles as ra_api
from acmehub.services.commands.base import UuidView
from acmehub.services.commands.ra_profiles import (
    ActivateAcmeRequest,
    RaProfileRequest,
    RaProfileUpdate,
)

#: The list's columns (header, value), as the web interface's list shows them.
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
    r = sub.add_parser("ra-profile", help="RA profiles: issuance configuration on an Authority")
    ra = r.add_subparsers(dest="action", required=True)
    listing = subcommand(ra, "list", "list RA profiles", _ra_list)
    listing.add_argument("--authority", help="only this Authority's (name or UUID)")
    listing.add_argument("--search", help="only those whose name or description contains this")
    subcommand(ra, "show", "an RA profile and its policy", _ra_show, "ra_profile", of=ra_api.GET)
    create = subcommand(ra, "create", "create an RA profile", _ra_create)
    create.add_argument("name", help="unique; appears in ACME URLs")
    create.add_argument("--authority", required=True, help="name or UUID")
    create.add_argument("--disabled", action="store_true", help="create it disabled")
    add_options(create, RaProfileRequest, skip=("name", "enabled"))
    update = subcommand(
        ra, "update", "change an RA profile (options left out stay)", _ra_update, "ra_profile"
    )
    add_options(update, RaProfileUpdate)
    for action, text in (
        ("enable", "enable an RA profile"),
        ("disable", "disable an RA profile (ACME requests through it are refused)"),
        ("delete", "delete an RA profile"),
        ("deactivate-acme", "deactivate ACME on the RA profile"),
    ):
        subcommand(ra, action, text, _ra_change, "ra_profile", change=action)
    subcommand(
        ra, "acme", "the ACME profile activated on it", _ra_show, "ra_profile", of=ra_api.GET_ACME
    )
    activate = subcommand(
        ra, "activate-acme", "activate an ACME profile on it", _ra_activate, "ra_profile"
    )
    activate.add_argument("acme_profile", metavar="acme-profile", help="name or UUID")
    add_options(activate, ActivateAcmeRequest)


def _path(admin: Admin, ref: str) -> dict[str, str]:
    ra = ra_profile_of(admin, ref)
    return {"authorityUuid": ra.authority.uuid, "raProfileUuid": ra.uuid}


def _ra_list(admin: Admin, args: argparse.Namespace) -> None:
    filters = {"search": args.search} if args.search else {}
    if args.authority:
        filters["authority_uuid"] = authority_ref(admin, args.authority)
    args.of, args.columns = ra_api.LIST_ALL, RA_COLUMNS
    print_list(admin, args, **filters)


def _ra_show(admin: Admin, args: argparse.Namespace) -> None:
    show(admin, admin.do(args.of, _path(admin, args.ra_profile)))


def _ra_create(admin: Admin, args: argparse.Namespace) -> None:
    path = {"authorityUuid": authority_ref(admin, args.authority)}
    extra = {"name": args.name, **({"enabled": False} if args.disabled else {})}
    command = command_of(RaProfileRequest, args, extra=extra)
    created = admin.do(ra_api.CREATE, path, body=command)
    finish(admin, created, f"created RA profile {command.name} ({created.uuid})")


def _ra_update(admin: Admin, args: argparse.Namespace) -> None:
    command = command_of(RaProfileUpdate, args)
    detail = admin.do(ra_api.UPDATE, _path(admin, args.ra_profile), body=command)
    finish(admin, detail, f"updated RA profile {detail.name}")


_CHANGES = {"enable": ra_api.ENABLE, "disable": ra_api.DISABLE, "delete": ra_api.DELETE}


def _ra_change(admin: Admin, args: argparse.Namespace) -> None:
    path = _path(admin, args.ra_profile)
    admin.do(_CHANGES.get(args.change, ra_api.DEACTIVATE_ACME), path)
    done = "deactivated ACME on" if args.change == "deactivate-acme" else f"{args.change}d"
    finish(admin, UuidView(uuid=path["raProfileUuid"]), f"{done} RA profile {args.ra_profile}")


def _ra_activate(admin: Admin, args: argparse.Namespace) -> None:
    path = {
        **_path(admin, args.ra_profile),
        "acmeProfileUuid": acme_profile_ref(admin, args.acme_profile),
    }
    detail = admin.do(ra_api.ACTIVATE_ACME, path, body=command_of(ActivateAcmeRequest, args))
    message = f"activated ACME profile {detail.name} on RA profile {args.ra_profile}"
    finish(admin, detail, f"{message}\ndirectory: {detail.directory_url}")
