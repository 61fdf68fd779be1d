"""`acmehub acme-profile ...`: ACME endpoints' configuration, as the API's actions
(management/routers/acme_profiles.py); the options are the commands' fields (cli_admin/options.py).
"""

from __future__ import annotations

import argparse

from acmehub.cli_admin.base import Admin
from acmehub.cli_admin.commands import (
    Ref,
    change_many,
    command,
    list_every,
    ref_by_uuid,
    show,
    update,
)
from acmehub.cli_admin.options import Resolver, command_of
from acmehub.cli_admin.refs import acme_profile_ref, ra_profile_ref
from acmehub.cli_admin.running import SubParsers
from acmehub.management.routers import acme_profiles as api
from acmehub.services.commands.acme_profile_views import COLUMNS
from acmehub.services.commands.acme_profiles import AcmeProfileRequest, AcmeProfileUpdate

REF: Ref = ref_by_uuid("ACME profile", "acme-profile", "acmeProfileUuid", acme_profile_ref)


def register(sub: SubParsers) -> None:
    a = sub.add_parser(
        "acme-profile", help="ACME profiles: ACME endpoints' configuration"
    ).add_subparsers(dest="action", required=True)
    command(a, "list", "list ACME profiles", list_every(api.LIST, COLUMNS))
    command(a, "show", "an ACME profile", show(api.GET, REF), ref=REF)
    text = "create an ACME profile (disabled unless --enable)"
    create = command(a, "create", text, _create, model=AcmeProfileRequest, skip=("name",))
    create.add_argument("name", help='unique, in ACME URLs; not "raProfile"')
    text = "change an ACME profile (options left out stay)"
    changed = update(api.UPDATE, AcmeProfileUpdate, REF, _resolvers)
    command(a, "update", text, changed, ref=REF, model=AcmeProfileUpdate)
    text = "set the default RA profile (accounts bound through the default follow it)"
    default = command(a, "set-default-ra", text, _set_default, ref=REF)
    default.add_argument("ra_profile", metavar="ra-profile", help="name or UUID")
    for name, text, action in (
        ("enable", "enable ACME profiles", api.BULK_ENABLE),
        ("disable", "disable ACME profiles (their ACME requests are refused)", api.BULK_DISABLE),
        ("delete", "delete ACME profiles (refused while RA profiles or accounts use them)",
         api.BULK_DELETE),
    ):  # fmt: skip
        force = api.FORCE_DELETE if name == "delete" else None
        handler = change_many(action, REF, f"{name}d", force)
        bulk = command(a, name, text, handler, ref=REF, many=True)
        if force:
            bulk.add_argument(
                "--force",
                action="store_true",
                help="deactivate their accounts and their activation on RA profiles first",
            )


def _resolvers(admin: Admin) -> dict[str, Resolver]:
    return {"ra_profiles": lambda ref: ra_profile_ref(admin, ref)}


def _create(admin: Admin, args: argparse.Namespace) -> None:
    command = command_of(
        AcmeProfileRequest, args, extra={"name": args.name}, resolvers=_resolvers(admin)
    )
    created = admin.do(api.CREATE, body=command)
    state = "enabled" if command.enabled else "disabled"
    admin.result(created, f"created ACME profile {command.name} ({created.uuid}), {state}")


def _set_default(admin: Admin, args: argparse.Namespace) -> None:
    path = {**REF.path(admin, args.ref), "raProfileUuid": ra_profile_ref(admin, args.ra_profile)}
    detail = admin.do(api.SET_DEFAULT_RA, path)
    message = f"ACME profile {detail.name} now uses RA profile {args.ra_profile} by default"
    admin.result(detail, message)
