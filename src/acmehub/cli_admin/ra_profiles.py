"""`acmehub ra-profile ...`: RA profiles on the Authorities and their ACME activation, as the
API's actions (management/routers/ra_profiles.py); the options are the commands' fields, the
issuance policy's among them (cli_admin/options.py). Objects are named by name or UUID.
"""

from __future__ import annotations

import argparse
from typing import Any

from acmehub.cli_admin.base import Admin
from acmehub.cli_admin.commands import Ref, change_one, command, list_every, show, update
from acmehub.cli_admin.options import add_options, command_of
from acmehub.cli_admin.refs import acme_profile_ref, authority_ref, ra_profile_of
from acmehub.cli_admin.running import SubParsers
from acmehub.management.routers import ra_profiles as api
from acmehub.services.commands.ra_profiles import (
    COLUMNS,
    ActivateAcmeRequest,
    RaProfileRequest,
    RaProfileUpdate,
)


def _path(admin: Admin, typed: str) -> dict[str, str]:
    ra = ra_profile_of(admin, typed)
    return {"authorityUuid": ra.authority.uuid, "raProfileUuid": ra.uuid}


REF = Ref("RA profile", "ra-profile", _path, "raProfileUuid")


def _filters(admin: Admin, args: argparse.Namespace) -> dict[str, Any]:
    filters = {"search": args.search} if args.search else {}
    if args.authority:
        filters["authority_uuid"] = authority_ref(admin, args.authority)
    return filters


def register(sub: SubParsers) -> None:
    r = sub.add_parser("ra-profile", help="RA profiles: issuance configuration on an Authority")
    ra = r.add_subparsers(dest="action", required=True)
    listing = command(ra, "list", "list RA profiles", list_every(api.LIST_ALL, COLUMNS, _filters))
    listing.add_argument("--authority", help="only this Authority's (name or UUID)")
    listing.add_argument("--search", help="only those whose name or description contains this")
    command(ra, "show", "an RA profile and its policy", show(api.GET, REF), ref=REF)
    create = command(ra, "create", "create an RA profile", _create)
    create.add_argument("name", help="unique; appears in ACME URLs")
    create.add_argument("--authority", required=True, help="name or UUID")
    create.add_argument("--disabled", action="store_true", help="create it disabled")
    add_options(create, RaProfileRequest, skip=("name", "enabled"))
    text = "change an RA profile (options left out stay)"
    changed = update(api.UPDATE, RaProfileUpdate, REF)
    command(ra, "update", text, changed, ref=REF, model=RaProfileUpdate)
    for name, action, text, done in (
        ("enable", api.ENABLE, "enable an RA profile", "enabled"),
        ("disable", api.DISABLE, "disable an RA profile (ACME requests through it are refused)",
         "disabled"),
        ("delete", api.DELETE, "delete an RA profile", "deleted"),
        ("deactivate-acme", api.DEACTIVATE_ACME, "deactivate ACME on the RA profile",
         "deactivated ACME on"),
    ):  # fmt: skip
        command(ra, name, text, change_one(action, REF, done), ref=REF)
    command(ra, "acme", "the ACME profile activated on it", show(api.GET_ACME, REF), ref=REF)
    text = "activate an ACME profile on it"
    activate = command(ra, "activate-acme", text, _activate, ref=REF, model=ActivateAcmeRequest)
    activate.add_argument("acme_profile", metavar="acme-profile", help="name or UUID")


def _create(admin: Admin, args: argparse.Namespace) -> None:
    path = {"authorityUuid": authority_ref(admin, args.authority)}
    extra = {"name": args.name, **({"enabled": False} if args.disabled else {})}
    command = command_of(RaProfileRequest, args, extra=extra)
    created = admin.do(api.CREATE, path, body=command)
    admin.result(created, f"created RA profile {command.name} ({created.uuid})")


def _activate(admin: Admin, args: argparse.Namespace) -> None:
    path = {**_path(admin, args.ref), "acmeProfileUuid": acme_profile_ref(admin, args.acme_profile)}
    detail = admin.do(api.ACTIVATE_ACME, path, body=command_of(ActivateAcmeRequest, args))
    message = f"activated ACME profile {detail.name} on RA profile {args.ref}"
    admin.result(detail, f"{message}\ndirectory: {detail.directory_url}")
