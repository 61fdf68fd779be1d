"""The certificate inventory: list with filters, detail, and revocation with a reason.

Reads need the auditor role; revocation the operator role. Revocation follows the same rule as
ACME revoke-cert (RFC 8555 §7.6): the CA revokes first, then the certificate is marked, and the
authority's CRL (built from storage on each fetch, RFC 5280 §5) lists it at once.
"""

from __future__ import annotations

from fastapi import APIRouter

from acmehub.management.actions import Action, install, not_found
from acmehub.services.commands.base import Paged
from acmehub.services.commands.certificates import (
    CertificateDetail,
    CertificateListQuery,
    CertificateSummary,
    RevokeRequest,
)
from acmehub.services.commands.renewal import RenewEarlyRequest, RenewEarlyResult

router = APIRouter(tags=["Certificates"])

#: ``certificateId``: the id, or the serial number (hex, as openssl prints it).
ONE = "/certificates/{certificateId}"

LIST = Action(
    "GET",
    "/certificates",
    "List certificates (newest first)",
    lambda s, actor, a: s.certificate_admin.page(actor, a.query),
    name="list_certificates",
    query=CertificateListQuery,
    result=Paged[CertificateSummary],
)
GET = Action(
    "GET",
    ONE,
    "Get a certificate (by id or serial) with its PEM, chain, revocation and associations",
    lambda s, actor, a: s.certificate_admin.detail(actor, a["certificateId"]),
    name="get_certificate",
    result=CertificateDetail,
    responses=not_found("certificate"),
)
REVOKE = Action(
    "POST",
    ONE + "/revoke",
    "Revoke a certificate (the CRL lists it at once)",
    lambda s, actor, a: s.certificate_admin.revoke_certificate(
        actor, a["certificateId"], a.body or RevokeRequest()
    ),
    name="revoke_certificate",
    body=RevokeRequest,
    body_required=False,
    result=CertificateDetail,
    responses=not_found("certificate"),
)

RENEW_EARLY = Action(
    "POST",
    "/certificates/renewEarly",
    "Move the renewal window (RFC 9773) of a certificate, or of every valid certificate of an "
    "account, an RA profile or an authority, into the past: ARI clients renew at once",
    lambda s, actor, a: s.renewal_info.renew_early(actor, a.body),
    name="renew_certificates_early",
    body=RenewEarlyRequest,
    result=RenewEarlyResult,
    responses=not_found("certificate, account, RA profile or authority"),
)

ACTIONS = [LIST, GET, REVOKE, RENEW_EARLY]
install(router, ACTIONS)
