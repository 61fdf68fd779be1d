"""`acmehub certificate list|show|revoke`: the certificate inventory, as the API's actions
(management/routers/certificates.py), here or on a remote server (``--server``)."""

from __future__ import annotations

import argparse

from acmehub.cli_admin.base import Admin
from acmehub.cli_admin.commands import command, list_command, list_page
from acmehub.cli_admin.running import SubParsers
from acmehub.domain.revocation import ADMINISTRATOR_REASONS, REASON_NAMES
from acmehub.management.routers import certificates as api
from acmehub.services.commands.base import parse
from acmehub.services.commands.certificates import (
    COLUMNS,
    CertificateListQuery,
    RevokeRequest,
)
from acmehub.services.commands.renewal import SCOPES, RenewEarlyRequest

_list = list_page(api.LIST, CertificateListQuery, COLUMNS)


def register(sub: SubParsers) -> None:
    certificate = sub.add_parser("certificate", help="issued certificates: list, show, revoke")
    actions = certificate.add_subparsers(dest="action", required=True)
    list_command(actions, "certificates", CertificateListQuery, _list)
    show = command(actions, "show", "a certificate", _show)
    show.add_argument("certificate", help="the certificate id or serial number")
    show.add_argument("--pem", action="store_true", help="print the certificate and chain (PEM)")
    text = "revoke a certificate (the CRL lists it at once)"
    revoke = command(actions, "revoke", text, _revoke)
    revoke.add_argument("certificate", help="the certificate id or serial number")
    reason = "unspecified"
    allowed = ", ".join(REASON_NAMES[code] for code in ADMINISTRATOR_REASONS)
    revoke.add_argument("--reason", type=_reason, default=reason, help=allowed)
    text = "move renewal windows (RFC 9773) into the past: ARI clients renew at once"
    early = command(actions, "renew-early", text, _renew_early)
    early.add_argument("scope", choices=SCOPES, help="what TARGET names")
    early.add_argument(
        "target", help="certificate id or serial, account UUID or id, RA profile or authority"
    )
    early.add_argument("--explanation-url", help="renewalInfo explanationURL: why")


def _renew_early(admin: Admin, args: argparse.Namespace) -> None:
    values = {"scope": args.scope, "target": args.target, "explanationUrl": args.explanation_url}
    command = parse(RenewEarlyRequest, values)
    done = admin.do(api.RENEW_EARLY, {}, body=command)
    message = (
        f"moved the renewal window of {done.moved} certificate(s) of {done.scope.value} "
        f"{done.target_name} into the past"
    )
    admin.result(done, message)


def _reason(text: str) -> int | str:
    return int(text) if text.isdigit() else text


def _show(admin: Admin, args: argparse.Namespace) -> None:
    detail = admin.do(api.GET, {"certificateId": args.certificate})
    admin.show(detail, skip=("certificatePem", "chainPem"))
    if args.pem and not admin.json:
        admin.out.write(detail.certificate_pem + detail.chain_pem)


def _revoke(admin: Admin, args: argparse.Namespace) -> None:
    command = parse(RevokeRequest, {"reason": args.reason})
    detail = admin.do(api.REVOKE, {"certificateId": args.certificate}, body=command)
    reason = detail.revocation.reason if detail.revocation else args.reason
    message = f"revoked certificate {detail.id} (serial {detail.serial_number}, {reason})"
    admin.result(detail, message)
