"""`acmehub certificate ...`: the certificate inventory (services/certificate_admin.py)."""

from __future__ import annotations

import argparse

from acmehub.cli_admin.base import (
    Admin,
    SubParsers,
    acme_profile_ref,
    json_flag,
    parse_time,
    ra_profile_ref,
    run,
)
from acmehub.domain.ports import Page
from acmehub.management.routers.certificates import (
    CertificateDetail,
    CertificatePage,
    CertificateSummary,
)
from acmehub.services.certificate_admin import REASON_CODES, CertificateQuery, CertificateStatus


def _reason(text: str) -> int | str:
    return int(text) if text.isdigit() else text


def register(sub: SubParsers) -> None:
    certificate = sub.add_parser("certificate", help="issued certificates: list, show, revoke")
    actions = certificate.add_subparsers(dest="action", required=True)
    as_json = json_flag()

    listing = actions.add_parser("list", parents=[as_json], help="list certificates (newest first)")
    listing.add_argument("--acme-profile", help="name or UUID")
    listing.add_argument("--ra-profile", help="name or UUID")
    listing.add_argument("--account", help="the ordering account's UUID")
    listing.add_argument("--account-id", help="the ordering account's protocol id")
    listing.add_argument("--status", choices=[s.value for s in CertificateStatus])
    listing.add_argument("--name", help="part of any name on the certificate")
    listing.add_argument("--expires-after", type=parse_time, help="ISO 8601 (UTC if no zone)")
    listing.add_argument("--expires-before", type=parse_time, help="ISO 8601 (UTC if no zone)")
    listing.add_argument("--offset", type=int, default=0)
    listing.add_argument("--limit", type=int, default=100)
    listing.set_defaults(func=run(_list))

    show = actions.add_parser("show", parents=[as_json], help="a certificate")
    show.add_argument(
        "certificate", help="the certificate id or serial number (see `certificate list`)"
    )
    show.add_argument("--pem", action="store_true", help="print the certificate and chain (PEM)")
    show.set_defaults(func=run(_show))

    revoke = actions.add_parser(
        "revoke", parents=[as_json], help="revoke a certificate (the CRL lists it at once)"
    )
    revoke.add_argument("certificate", help="the certificate id or serial number")
    revoke.add_argument(
        "--reason",
        type=_reason,
        default="unspecified",
        help=f"RFC 5280 reason name or code: {', '.join(REASON_CODES)}",
    )
    revoke.set_defaults(func=run(_revoke))


def _list(admin: Admin, args: argparse.Namespace) -> None:
    query = CertificateQuery(
        acme_profile_uuid=acme_profile_ref(admin, args.acme_profile) if args.acme_profile else None,
        ra_profile_uuid=ra_profile_ref(admin, args.ra_profile) if args.ra_profile else None,
        account_uuid=args.account,
        account_id=args.account_id,
        status=CertificateStatus(args.status) if args.status else None,
        name=args.name,
        expires_after=args.expires_after,
        expires_before=args.expires_before,
    )
    page = Page(args.offset, args.limit)
    views, total = admin.services.certificate_admin.search(admin.actor, query, page)
    items = [CertificateSummary.of(v) for v in views]
    if admin.json:
        admin.emit(
            CertificatePage(
                items=items,
                offset=page.offset,
                limit=page.limit,
                total=total,
                has_more=page.offset + len(items) < total,
            )
        )
        return
    admin.table(
        [(c.id, c.serial_number, c.status.value, c.not_after, ", ".join(c.names)) for c in items],
        ("ID", "SERIAL", "STATUS", "NOT AFTER", "NAMES"),
    )
    if page.offset + len(items) < total:
        admin.note(f"{total} certificates match; next page: --offset {page.offset + len(items)}")


def _show(admin: Admin, args: argparse.Namespace) -> None:
    detail = CertificateDetail.of(
        admin.services.certificate_admin.get(admin.actor, args.certificate)
    )
    if admin.json:
        admin.emit(detail)
        return
    admin.details(detail, skip=("certificatePem", "chainPem"))
    if args.pem:
        admin.out.write(detail.certificate_pem + detail.chain_pem)


def _revoke(admin: Admin, args: argparse.Namespace) -> None:
    view = admin.services.certificate_admin.revoke(admin.actor, args.certificate, args.reason)
    detail = CertificateDetail.of(view)
    if admin.json:
        admin.emit(detail)
        return
    reason = detail.revocation.reason if detail.revocation else args.reason
    admin.say(f"revoked certificate {detail.id} (serial {detail.serial_number}, {reason})")
