"""`acmehub authority ...` and `acmehub ra-profile ...`: CAs and the RA profiles on them.

Objects are named by name or UUID. Every rule (names, validity, policy, what may be deleted)
is the services' (services/authorities.py, services/ra_profiles.py).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from acmehub.cli_admin.base import (
    Admin,
    SubParsers,
    acme_profile_ref,
    authority_ref,
    changes,
    json_flag,
    json_object,
    on_off,
    ra_profile_ref,
    run,
)
from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.management.routers.authorities import (
    AuthorityDetail,
    RaProfileAcme,
    RaProfileDetail,
)
from acmehub.management.routers.shared import UuidResponse
from acmehub.services.authorities import KEY_TYPES, ImportedCa


def register(sub: SubParsers) -> None:
    _authority(sub)
    _ra_profile(sub)


# --------------------------------------------------------------------------- authority


def _authority(sub: SubParsers) -> None:
    authority = sub.add_parser("authority", help="Authorities (CAs)")
    actions = authority.add_subparsers(dest="action", required=True)
    as_json = json_flag()

    actions.add_parser("list", parents=[as_json], help="list Authorities").set_defaults(
        func=run(_authority_list)
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
    create.add_argument("--key-type", choices=KEY_TYPES, default="ec-p256")
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


def _authority_list(admin: Admin, args: argparse.Namespace) -> None:
    details = [AuthorityDetail.of(v) for v in admin.services.authorities.list_all(admin.actor)]
    if admin.json:
        admin.emit(details)
        return
    admin.table(
        [
            (
                d.uuid,
                d.name,
                d.kind,
                d.enabled,
                d.key_type,
                d.certificate.not_after if d.certificate else d.problem,
                ", ".join(r.name for r in d.ra_profiles),
            )
            for d in details
        ],
        ("UUID", "NAME", "KIND", "ENABLED", "KEY TYPE", "CA EXPIRES", "RA PROFILES"),
    )


def _authority_show(admin: Admin, args: argparse.Namespace) -> None:
    uuid_ = authority_ref(admin, args.authority)
    detail = AuthorityDetail.of(admin.services.authorities.get(admin.actor, uuid_))
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
    authorities = admin.services.authorities
    if args.import_cert is None and args.import_key is None:
        view = authorities.create_embedded(admin.actor, args.name, args.key_type)
    elif args.import_cert is None or args.import_key is None:
        raise DomainError(
            ErrorKind.INVALID_INPUT, "--import-cert and --import-key go together", status=422
        )
    else:
        passphrase = os.environ.get(args.passphrase_env) if args.passphrase_env else None
        ca = ImportedCa(
            cert_pem=_read(args.import_cert),
            key_pem=_read(args.import_key),
            chain_pem=_read(args.import_chain) if args.import_chain else "",
            passphrase=passphrase.encode() if passphrase else None,
        )
        view = authorities.import_embedded(admin.actor, args.name, ca)
    if admin.json:
        admin.emit(UuidResponse(uuid=view.authority.uuid))
        return
    admin.say(f"created Authority {view.authority.name} ({view.authority.uuid})")


def _authority_change(admin: Admin, args: argparse.Namespace) -> None:
    uuid_ = authority_ref(admin, args.authority)
    getattr(admin.services.authorities, args.change)(admin.actor, uuid_)
    if admin.json:
        admin.emit(UuidResponse(uuid=uuid_))
        return
    admin.say(f"{args.change}d Authority {args.authority}")


# --------------------------------------------------------------------------- RA profile

#: option dest -> RaProfile field (the issuance policy's are under "policy").
_RA_FIELDS = {
    "description": "description",
    "validity_default": "validity_default",
    "validity_max": "validity_max",
}
_POLICY_FIELDS = {
    "allow": "allowed_identifiers",
    "deny": "denied_identifiers",
    "wildcards": "allow_wildcards",
    "max_names": "max_names",
    "key_types": "allowed_key_types",
    "min_rsa_bits": "min_rsa_bits",
    "ekus": "extended_key_usages",
}


def _ra_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--description")
    command.add_argument(
        "--validity-default", type=int, metavar="SECONDS", help="certificate validity by default"
    )
    command.add_argument(
        "--validity-max", type=int, metavar="SECONDS", help="longest validity an order may ask"
    )
    policy = command.add_argument_group("issuance policy")
    policy.add_argument(
        "--allow",
        action="append",
        metavar="PATTERN",
        help='allowed identifiers: "example.com", ".example.com" (below), "*.example.com", '
        '"10.0.0.0/8" (repeat; none given: any name)',
    )
    policy.add_argument("--deny", action="append", metavar="PATTERN", help="denied (wins)")
    policy.add_argument("--wildcards", type=on_off, metavar="yes|no", help="allow wildcards")
    policy.add_argument("--max-names", type=int, help="names per order")
    policy.add_argument(
        "--key-types",
        type=lambda s: s.split(","),
        metavar="rsa,ec-p256,ec-p384",
        help="allowed certificate key types",
    )
    policy.add_argument("--min-rsa-bits", type=int)
    policy.add_argument(
        "--ekus", type=lambda s: s.split(","), metavar="serverAuth,clientAuth", help="EKUs"
    )


def _ra_values(args: argparse.Namespace) -> dict[str, Any]:
    values = changes(args, _RA_FIELDS)
    policy = changes(args, _POLICY_FIELDS)
    if policy:
        values["policy"] = policy  # services/ra_profiles.py: the policy fields to change
    return values


def _ra_profile(sub: SubParsers) -> None:
    ra = sub.add_parser("ra-profile", help="RA profiles: issuance configuration on an Authority")
    actions = ra.add_subparsers(dest="action", required=True)
    as_json = json_flag()

    listing = actions.add_parser("list", parents=[as_json], help="list RA profiles")
    listing.add_argument("--authority", help="only this Authority's (name or UUID)")
    listing.set_defaults(func=run(_ra_list))

    show = actions.add_parser("show", parents=[as_json], help="an RA profile and its policy")
    show.add_argument("ra_profile", metavar="ra-profile", help="name or UUID")
    show.set_defaults(func=run(_ra_show))

    create = actions.add_parser("create", parents=[as_json], help="create an RA profile")
    create.add_argument("name", help="unique; appears in ACME URLs")
    create.add_argument("--authority", required=True, help="name or UUID")
    create.add_argument("--disabled", action="store_true", help="create it disabled")
    _ra_options(create)
    create.set_defaults(func=run(_ra_create))

    update = actions.add_parser(
        "update", parents=[as_json], help="change an RA profile (options left out stay)"
    )
    update.add_argument("ra_profile", metavar="ra-profile", help="name or UUID")
    _ra_options(update)
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
    activate.add_argument(
        "--issue-attributes", type=json_object, help="JSON object (or @FILE) for the Authority"
    )
    activate.add_argument("--revoke-attributes", type=json_object, help="JSON object (or @FILE)")
    activate.set_defaults(func=run(_ra_activate))


def _ra_list(admin: Admin, args: argparse.Namespace) -> None:
    authority = authority_ref(admin, args.authority) if args.authority else None
    views = admin.services.ra_profiles.list_all(admin.actor, authority)
    details = [RaProfileDetail.of(v) for v in views]
    if admin.json:
        admin.emit(details)
        return
    admin.table(
        [
            (
                d.uuid,
                d.name,
                d.enabled,
                d.authority.name,
                d.acme_profile.name if d.acme_profile else None,
                f"{d.validity_default // 86400}d / {d.validity_max // 86400}d",
            )
            for d in details
        ],
        ("UUID", "NAME", "ENABLED", "AUTHORITY", "ACME PROFILE", "VALIDITY (DEFAULT/MAX)"),
    )


def _ra_show(admin: Admin, args: argparse.Namespace) -> None:
    uuid_ = ra_profile_ref(admin, args.ra_profile)
    detail = RaProfileDetail.of(admin.services.ra_profiles.get(admin.actor, uuid_))
    if admin.json:
        admin.emit(detail)
        return
    admin.details(detail)


def _ra_create(admin: Admin, args: argparse.Namespace) -> None:
    authority = authority_ref(admin, args.authority)
    values = _ra_values(args)
    if args.disabled:
        values["enabled"] = False
    profile = admin.services.ra_profiles.create(admin.actor, authority, args.name, **values)
    if admin.json:
        admin.emit(UuidResponse(uuid=profile.uuid))
        return
    admin.say(f"created RA profile {profile.name} ({profile.uuid})")


def _ra_update(admin: Admin, args: argparse.Namespace) -> None:
    uuid_ = ra_profile_ref(admin, args.ra_profile)
    admin.services.ra_profiles.update(admin.actor, uuid_, **_ra_values(args))
    detail = RaProfileDetail.of(admin.services.ra_profiles.get(admin.actor, uuid_))
    if admin.json:
        admin.emit(detail)
        return
    admin.say(f"updated RA profile {detail.name}")


def _ra_change(admin: Admin, args: argparse.Namespace) -> None:
    uuid_ = ra_profile_ref(admin, args.ra_profile)
    method = args.change.replace("-", "_")
    getattr(admin.services.ra_profiles, method)(admin.actor, uuid_)
    if admin.json:
        admin.emit(UuidResponse(uuid=uuid_))
        return
    done = "deactivated ACME on" if args.change == "deactivate-acme" else f"{args.change}d"
    admin.say(f"{done} RA profile {args.ra_profile}")


def _ra_acme(admin: Admin, args: argparse.Namespace) -> None:
    uuid_ = ra_profile_ref(admin, args.ra_profile)
    view = admin.services.ra_profiles.acme_activation(admin.actor, uuid_)
    detail = RaProfileAcme.of(view, admin.request())
    if admin.json:
        admin.emit(detail)
        return
    admin.details(detail)


def _ra_activate(admin: Admin, args: argparse.Namespace) -> None:
    uuid_ = ra_profile_ref(admin, args.ra_profile)
    acme = acme_profile_ref(admin, args.acme_profile)
    view = admin.services.ra_profiles.activate_acme(
        admin.actor, uuid_, acme, args.issue_attributes, args.revoke_attributes
    )
    detail = RaProfileAcme.of(view, admin.request())
    if admin.json:
        admin.emit(detail)
        return
    admin.say(f"activated ACME profile {detail.name} on RA profile {view.profile.name}")
    admin.say(f"directory: {detail.directory_url}")
