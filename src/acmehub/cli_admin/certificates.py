"""`acmehub certificate list|show|revoke`: the certificate inventory, as the API's actions
(management/routers/certificates.py), here or on a remote server (``--server``)."""

from __future__ import annotations

import argparse

from acmehub.cli_admin.base import Admin, SubParsers, json_flag, run
from acmehub.cli_admin.filters import list_command, resolvers
from acmehub.cli_admin.options import command_of
from acmehub.management.routers import certificates as api
from acmehub.services.commands.base import parse
from acmehub.services.commands.certificates import (
    COLUMNS,
    REASON_CODES,
    CertificateListQuery,
    RevokeRequest,
)


def _reason(text: str) -> int | str:
    return int(text) if text.isdigit() else text


def register(sub: SubParsers) -> None:
    certificate = sub.add_parser("certificate", help="issued certificates: list, show, revoke")
    actions = certificate.add_subparsers(dest="action", required=True)
    as_json = json_flag()
    list_command(actions, "certificates", CertificateListQuery, _list)

    show = actions.add_parser("show", parents=[as_json], help="a certificate")
    show.add_argument("certificate", help="the certificate id or serial number")
    show.add_argument("--pem", action="store_true", help="print the certificate and chain (PEM)")
    show.set_defaults(func=run(_show))

    revoke = actions.add_parser(
        "revoke", parents=[as_json], help="revoke a certificate (the CRL lists it at once)"
    )
    revoke.add_argument("certificate", help="the certificate id or serial number")
    revoke.add_argument(
        "--reason", type=_reason, default="unspecified", help=", ".join(REASON_CODES)
    )
    revoke.set_defaults(func=run(_revoke))


def _list(admin: Admin, args: argparse.Namespace) -> None:
    query = command_of(CertificateListQuery, args, resolvers=resolvers(admin))
    admin.page(admin.do(api.LIST, query=query), COLUMNS)


def _show(admin: Admin, args: argparse.Namespace) -> None:
    detail = admin.do(api.GET, {"certificateId": args.certificate})
    if admin.json:
        admin.emit(detail)
        return
    admin.details(detail, skip=("certificatePem", "chainPem"))
    if args.pem:
        admin.out.write(detail.certificate_pem + detail.chain_pem)


def _revoke(admin: Admin, args: argparse.Namespace) -> None:
    command = parse(RevokeRequest, {"reason": args.reason})
    detail = admin.do(api.REVOKE, {"certificateId": args.certificate}, body=command)
    if admin.json:
        admin.emit(detail)
        return
    reason = detail.revocation.reason if detail.revocation else args.reason
    admin.say(f"revoked certificate {detail.id} (serial {detail.serial_number}, {reason})")
