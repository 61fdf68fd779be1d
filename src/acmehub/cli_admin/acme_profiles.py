"""`acmehub acme-profile ...`: ACME endpoints' configuration (services/acme_profiles.py)."""

from __future__ import annotations

import argparse
from typing import Any

from acmehub.cli_admin.base import (
    Admin,
    SubParsers,
    acme_profile_ref,
    changes,
    json_flag,
    json_object,
    on_off,
    ra_profile_ref,
    run,
)
from acmehub.management.routers.acme_profiles import (
    AcmeProfileDetail,
    BulkActionMessage,
    UuidResponse,
)

#: option dest -> AcmeProfile field.
_FIELDS = {
    "description": "description",
    "tos_url": "terms_of_service_url",
    "website_url": "website_url",
    "caa_identity": "caa_identities",
    "dns_resolver_ip": "dns_resolver_ip",
    "dns_resolver_port": "dns_resolver_port",
    "retry_interval": "retry_interval",
    "validity": "validity",
    "tos_change_disable": "terms_of_service_change_disable",
    "tos_change_url": "terms_of_service_change_url",
    "require_contact": "require_contact",
    "require_tos": "require_terms_of_service",
    "require_eab": "require_external_account_binding",
    "issue_attributes": "issue_certificate_attributes",
    "revoke_attributes": "revoke_certificate_attributes",
    "custom_attributes": "custom_attributes",
    "associations": "certificate_associations",
}
#: Fields an empty option value clears.
_NULLABLE = {
    "terms_of_service_url",
    "website_url",
    "dns_resolver_ip",
    "terms_of_service_change_url",
}


def _options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--description")
    command.add_argument("--ra-profile", help="the default RA profile (name or UUID)")
    command.add_argument("--tos-url", help="terms of service URL ('' clears)")
    command.add_argument("--website-url", help="website URL ('' clears)")
    command.add_argument(
        "--caa-identity", action="append", help="directory meta.caaIdentities (repeat)"
    )
    command.add_argument("--dns-resolver-ip", help="resolver for validations ('' = system)")
    command.add_argument("--dns-resolver-port", type=int)
    command.add_argument("--retry-interval", type=int, metavar="SECONDS")
    command.add_argument(
        "--validity", type=int, metavar="SECONDS", help="order and authorization lifetime"
    )
    command.add_argument(
        "--tos-change-disable",
        type=on_off,
        metavar="yes|no",
        help="refuse new orders until accounts agree to the terms again",
    )
    command.add_argument("--tos-change-url", help="where the changed terms are ('' clears)")
    command.add_argument("--require-contact", type=on_off, metavar="yes|no")
    command.add_argument("--require-tos", type=on_off, metavar="yes|no")
    command.add_argument(
        "--require-eab", type=on_off, metavar="yes|no", help="require external account binding"
    )
    for name in ("issue-attributes", "revoke-attributes", "custom-attributes"):
        command.add_argument(f"--{name}", type=json_object, help="JSON object (or @FILE)")
    command.add_argument(
        "--associations",
        type=json_object,
        help='certificate associations: {"ownerUuid", "groupUuids", "customAttributes"}',
    )


def _values(admin: Admin, args: argparse.Namespace) -> dict[str, Any]:
    values = changes(args, _FIELDS)
    for name in _NULLABLE & set(values):
        if values[name] == "":
            values[name] = None
    if "caa_identities" in values:
        values["caa_identities"] = tuple(values["caa_identities"])
    if args.ra_profile is not None:
        values["default_ra_profile_uuid"] = ra_profile_ref(admin, args.ra_profile)
    return values


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
    create.add_argument("--enable", action="store_true", help="create it enabled")
    _options(create)
    create.set_defaults(func=run(_create))

    update = actions.add_parser(
        "update", parents=[as_json], help="change an ACME profile (options left out stay)"
    )
    update.add_argument("acme_profile", metavar="acme-profile", help="name or UUID")
    _options(update)
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


def _list(admin: Admin, args: argparse.Namespace) -> None:
    request = admin.request()
    views = admin.services.acme_profiles.list_all(admin.actor)
    details = [AcmeProfileDetail.of(v, request) for v in views]
    if admin.json:
        admin.emit(details)
        return
    admin.table(
        [
            (
                d.uuid,
                d.name,
                d.enabled,
                d.ra_profile.name if d.ra_profile else None,
                d.require_external_account_binding,
                d.directory_url,
            )
            for d in details
        ],
        ("UUID", "NAME", "ENABLED", "DEFAULT RA PROFILE", "EAB", "DIRECTORY"),
    )


def _show(admin: Admin, args: argparse.Namespace) -> None:
    uuid_ = acme_profile_ref(admin, args.acme_profile)
    view = admin.services.acme_profiles.get(admin.actor, uuid_)
    detail = AcmeProfileDetail.of(view, admin.request())
    if admin.json:
        admin.emit(detail)
        return
    admin.details(detail)


def _create(admin: Admin, args: argparse.Namespace) -> None:
    values = _values(admin, args)
    values["enabled"] = bool(args.enable)
    profile = admin.services.acme_profiles.create(admin.actor, args.name, **values)
    if admin.json:
        admin.emit(UuidResponse(uuid=profile.uuid))
        return
    state = "enabled" if profile.enabled else "disabled"
    admin.say(f"created ACME profile {profile.name} ({profile.uuid}), {state}")


def _update(admin: Admin, args: argparse.Namespace) -> None:
    uuid_ = acme_profile_ref(admin, args.acme_profile)
    admin.services.acme_profiles.update(admin.actor, uuid_, **_values(admin, args))
    detail = AcmeProfileDetail.of(
        admin.services.acme_profiles.get(admin.actor, uuid_), admin.request()
    )
    if admin.json:
        admin.emit(detail)
        return
    admin.say(f"updated ACME profile {detail.name}")


def _set_default(admin: Admin, args: argparse.Namespace) -> None:
    uuid_ = acme_profile_ref(admin, args.acme_profile)
    ra = ra_profile_ref(admin, args.ra_profile)
    view = admin.services.acme_profiles.set_default_ra_profile(admin.actor, uuid_, ra)
    detail = AcmeProfileDetail.of(view, admin.request())
    if admin.json:
        admin.emit(detail)
        return
    admin.say(f"ACME profile {detail.name} now uses RA profile {args.ra_profile} by default")


def _bulk(admin: Admin, args: argparse.Namespace) -> None:
    profiles = admin.services.acme_profiles
    uuids = [acme_profile_ref(admin, ref) for ref in args.acme_profiles]
    if args.change == "delete":
        failures = (profiles.force_delete if args.force else profiles.bulk_delete)(
            admin.actor, uuids
        )
    else:
        failures = getattr(profiles, f"bulk_{args.change}")(admin.actor, uuids)
    messages = [BulkActionMessage.of(f) for f in failures]
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
