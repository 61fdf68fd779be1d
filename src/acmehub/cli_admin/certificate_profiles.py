"""`acmehub certificate-profile ...`: the certificate profiles an RA profile offers
(draft-ietf-acme-profiles), as the API's actions (management/routers/certificate_profiles.py);
the options are the commands' fields (cli_admin/options.py). An RA profile is named by name or
UUID, a certificate profile by its name on that RA profile or its UUID.
"""

from __future__ import annotations

import argparse

from acmehub.cli_admin.base import Admin
from acmehub.cli_admin.commands import command
from acmehub.cli_admin.options import add_options, command_of
from acmehub.cli_admin.refs import find_ref, ra_profile_of
from acmehub.cli_admin.running import SubParsers
from acmehub.management.routers import certificate_profiles as api
from acmehub.services.commands.base import MAX_PAGE, UuidView
from acmehub.services.commands.certificate_profiles import (
    COLUMNS,
    CertificateProfileDetail,
    CertificateProfileRequest,
    CertificateProfileSearch,
    CertificateProfileUpdate,
)


def _ra_path(admin: Admin, typed: str) -> dict[str, str]:
    ra = ra_profile_of(admin, typed)
    return {"authorityUuid": ra.authority.uuid, "raProfileUuid": ra.uuid}


def _path(admin: Admin, args: argparse.Namespace) -> dict[str, str]:
    path = _ra_path(admin, args.ra_profile)
    found = _listing(admin, path)
    cp = find_ref("certificate profile", args.cert_profile, [(p.uuid, p.name) for p in found])
    return {**path, "certificateProfileUuid": cp}


def _listing(admin: Admin, path: dict[str, str]) -> list[CertificateProfileDetail]:
    """Every profile of the RA profile (one page holds them: at most 50 per RA profile)."""
    page = admin.do(api.LIST, path, query=CertificateProfileSearch(limit=MAX_PAGE))
    return list(page.items)


def _list(admin: Admin, args: argparse.Namespace) -> None:
    admin.listing(_listing(admin, _ra_path(admin, args.ra_profile)), COLUMNS)


def _show(admin: Admin, args: argparse.Namespace) -> None:
    admin.show(admin.do(api.GET, _path(admin, args)))


def _create(admin: Admin, args: argparse.Namespace) -> None:
    path = _ra_path(admin, args.ra_profile)
    body = command_of(CertificateProfileRequest, args, extra={"name": args.cert_profile})
    created = admin.do(api.CREATE, path, body=body)
    message = f"created certificate profile {body.name} on RA profile {args.ra_profile}"
    admin.result(created, f"{message} ({created.uuid})")


def _update(admin: Admin, args: argparse.Namespace) -> None:
    detail = admin.do(
        api.UPDATE, _path(admin, args), body=command_of(CertificateProfileUpdate, args)
    )
    admin.result(detail, f"updated certificate profile {detail.name}")


def _delete(admin: Admin, args: argparse.Namespace) -> None:
    path = _path(admin, args)
    admin.do(api.DELETE, path)
    uuid = path["certificateProfileUuid"]
    admin.result(UuidView(uuid=uuid), f"deleted certificate profile {args.cert_profile}")


def _positionals(parser: argparse.ArgumentParser, *, profile: bool = True) -> None:
    parser.add_argument("ra_profile", metavar="ra-profile", help="RA profile: name or UUID")
    if profile:
        parser.add_argument(
            "cert_profile", metavar="profile", help="certificate profile: name or UUID"
        )


def register(sub: SubParsers) -> None:
    c = sub.add_parser(
        "certificate-profile",
        help="certificate profiles an RA profile offers ACME clients (meta.profiles)",
    )
    cp = c.add_subparsers(dest="action", required=True)
    _positionals(command(cp, "list", "list an RA profile's certificate profiles", _list),
                 profile=False)  # fmt: skip
    _positionals(command(cp, "show", "a certificate profile", _show))
    create = command(cp, "create", "create a certificate profile on an RA profile", _create)
    create.add_argument("ra_profile", metavar="ra-profile", help="RA profile: name or UUID")
    create.add_argument("cert_profile", metavar="name", help="what clients send as profile")
    add_options(create, CertificateProfileRequest, skip=("name",))
    text = "change a certificate profile (options left out stay)"
    _positionals(command(cp, "update", text, _update, model=CertificateProfileUpdate))
    _positionals(command(cp, "delete", "delete a certificate profile", _delete))
