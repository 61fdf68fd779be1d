"""`acmehub acme-profile ...`: ACME endpoints' configuration, as the API's actions
(management/routers/acme_profiles.py); the options are the commands' fields (cli_admin/options.py).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from acmehub.cli_admin.base import (
    Admin,
    SubParsers,
    acme_profile_ref,
    every,
    json_flag,
    ra_profile_ref,
    run,
)
from acmehub.cli_admin.options import Resolver, add_options, command_of
from acmehub.management.routers import acme_profiles as api
from acmehub.services.commands.acme_profiles import (
    AcmeProfileDetail,
    AcmeProfileRequest,
    AcmeProfileUpdate,
)
from acmehub.services.commands.base import BulkMessage

#: The list's columns (header, value), as the web interface's list shows them.
COLUMNS: tuple[tuple[str, Callable[[AcmeProfileDetail], object]], ...] = (
    ("UUID", lambda d: d.uuid),
    ("NAME", lambda d: d.name),
    ("ENABLED", lambda d: d.enabled),
    ("DEFAULT RA PROFILE", lambda d: d.ra_profile.name if d.ra_profile else None),
    ("EAB", lambda d: d.require_external_account_binding),
    ("DIRECTORY", lambda d: d.directory_url),
)


def register(sub: SubParsers) -> None:
    acme = sub.add_parser("acme-profile", help="ACME profiles: ACME endpoints' configuration")
    actions = acme.add_subparsers(dest="action", required=True)
    as_json = json_flag()

    actions.add_parser("list", parents=[as_json], help="list ACME profiles").set_defaults(
        func=run(_list)
    )
    show = actions.add_parser("show", parents=[as_json], help="an ACME profile")
    show.add_argument("acme_profile", metavar="acme-profile", help="name or UUID")
    show.set_defaults(func=run(_show))

    create = actions.add_parser(
        "create", parents=[as_json], help="create an ACME profile (disabled unless --enable)"
    )
    create.add_argument("name", help='unique, in ACME URLs; not "raProfile"')
    add_options(create, AcmeProfileRequest, skip=("name",))
    create.set_defaults(func=run(_create))

    update = actions.add_parser(
        "update", parents=[as_json], help="change an ACME profile (options left out stay)"
    )
    update.add_argument("acme_profile", metavar="acme-profile", help="name or UUID")
    add_options(update, AcmeProfileUpdate)
    update.set_defaults(func=run(_update))

    default = actions.add_parser(
        "set-default-ra",
        parents=[as_json],
        help="set the default RA profile (accounts bound through the default follow it)",
    )
    default.add_argument("acme_profile", metavar="acme-profile", help="name or UUID")
    default.add_argument("ra_profile", metavar="ra-profile", help="name or UUID")
    default.set_defaults(func=run(_set_default))

    for action, text in (
        ("enable", "enable ACME profiles"),
        ("disable", "disable ACME profiles (their ACME requests are refused)"),
        ("delete", "delete ACME profiles (refused while RA profiles or accounts use them)"),
    ):
        command = actions.add_parser(action, parents=[as_json], help=text)
        command.add_argument(
            "acme_profiles", metavar="acme-profile", nargs="+", help="names or UUIDs"
        )
        if action == "delete":
            command.add_argument(
                "--force",
                action="store_true",
                help="deactivate their accounts and their activation on RA profiles first",
            )
        command.set_defaults(func=run(_bulk), change=action)


def _resolvers(admin: Admin) -> dict[str, Resolver]:
    return {"ra_profiles": lambda ref: ra_profile_ref(admin, ref)}


def _list(admin: Admin, args: argparse.Namespace) -> None:
    details: list[AcmeProfileDetail] = every(admin, api.LIST)
    if admin.json:
        admin.emit(details)
        return
    admin.table(
        [tuple(value(d) for _, value in COLUMNS) for d in details],
        tuple(header for header, _ in COLUMNS),
    )


def _show(admin: Admin, args: argparse.Namespace) -> None:
    uuid_ = acme_profile_ref(admin, args.acme_profile)
    detail = admin.do(api.GET, {"acmeProfileUuid": uuid_})
    if admin.json:
        admin.emit(detail)
        return
    admin.details(detail)


def _create(admin: Admin, args: argparse.Namespace) -> None:
    command = command_of(
        AcmeProfileRequest, args, extra={"name": args.name}, resolvers=_resolvers(admin)
    )
    created = admin.do(api.CREATE, body=command)
    if admin.json:
        admin.emit(created)
        return
    state = "enabled" if command.enabled else "disabled"
    admin.say(f"created ACME profile {command.name} ({created.uuid}), {state}")


def _update(admin: Admin, args: argparse.Namespace) -> None:
    uuid_ = acme_profile_ref(admin, args.acme_profile)
    command = command_of(AcmeProfileUpdate, args, resolvers=_resolvers(admin))
    detail = admin.do(api.UPDATE, {"acmeProfileUuid": uuid_}, body=command)
    if admin.json:
        admin.emit(detail)
        return
    admin.say(f"updated ACME profile {detail.name}")


def _set_default(admin: Admin, args: argparse.Namespace) -> None:
    path = {
        "acmeProfileUuid": acme_profile_ref(admin, args.acme_profile),
        "raProfileUuid": ra_profile_ref(admin, args.ra_profile),
    }
    detail = admin.do(api.SET_DEFAULT_RA, path)
    if admin.json:
        admin.emit(detail)
        return
    admin.say(f"ACME profile {detail.name} now uses RA profile {args.ra_profile} by default")


_BULK = {
    "enable": api.BULK_ENABLE,
    "disable": api.BULK_DISABLE,
    "delete": api.BULK_DELETE,
}


def _bulk(admin: Admin, args: argparse.Namespace) -> None:
    uuids = [acme_profile_ref(admin, ref) for ref in args.acme_profiles]
    action = api.FORCE_DELETE if args.change == "delete" and args.force else _BULK[args.change]
    messages: list[BulkMessage] = admin.do(action, body=uuids)
    admin.failed = bool(messages)
    if admin.json:
        admin.emit(messages)
        return
    failed = {m.uuid for m in messages}
    for ref, uuid_ in zip(args.acme_profiles, uuids, strict=True):
        if uuid_ not in failed:
            admin.say(f"{args.change}d ACME profile {ref}")
    for m in messages:
        admin.note(f"ACME profile {m.name or m.uuid}: {m.message}")
