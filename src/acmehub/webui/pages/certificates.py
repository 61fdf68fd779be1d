"""Certificates: the inventory with filters (ACME profile, RA profile, account, status, name,
expiring within N days), paged by the storage; each certificate's detail (names, serial,
validity, chain, revocation state, associations), its PEM download and revocation with a
reason after confirming. services/certificate_admin.py has every rule."""

from __future__ import annotations

from datetime import timedelta

from starlette.responses import Response

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.ports import Page
from acmehub.services.certificate_admin import (
    REASON_NAMES,
    CertificateQuery,
    CertificateStatus,
)
from acmehub.webui.framework import PREFIX, Flash, PageRoute, Req, field_errors
from acmehub.webui.paging import PageRequest, keep_query, page_of

INDEX = f"{PREFIX}/certificates"
CHAIN_TYPE = "application/pem-certificate-chain"
FILTERS = ("profile", "ra", "account", "status", "name", "expiring")
#: certificateHold is not offered: it cannot be undone here. removeFromCRL is for deltas only.
REASONS = [(name, name) for code, name in REASON_NAMES.items() if code not in (6, 8)]


def index(req: Req) -> Response:
    query = req.request.query_params
    values = {name: query.get(name, "").strip() for name in FILTERS}
    errors: dict[str, str] = {}
    status = None
    if values["status"]:
        try:
            status = CertificateStatus(values["status"])
        except ValueError:
            errors["status"] = "Unknown status."
    expires_before = None
    now = req.services.eab.now()  # the services' clock
    if values["expiring"]:
        if values["expiring"].isdigit() and 0 < int(values["expiring"]) <= 36500:
            expires_before = now + timedelta(days=int(values["expiring"]))
        else:
            errors["expiring"] = "Give a number of days."
    request = PageRequest.from_query(query)
    search = CertificateQuery(
        acme_profile_uuid=values["profile"] or None,
        ra_profile_uuid=values["ra"] or None,
        account_id=values["account"] or None,
        status=status,
        name=values["name"] or None,
        expires_after=now if expires_before else None,
        expires_before=expires_before,
    )
    views, total = req.services.certificate_admin.search(
        req.actor, search, Page(request.offset, request.size)
    )
    paged = page_of(views, total, request, INDEX, keep_query(query, *FILTERS))
    acme = req.services.acme_profiles.list_all(req.actor)
    ras = req.services.ra_profiles.list_all(req.actor)
    return req.render(
        "certificates/list.html",
        paged=paged,
        filters=values,
        errors=errors,
        profile_options=[("", "Any")] + [(v.profile.uuid, v.profile.name) for v in acme],
        ra_options=[("", "Any")] + [(v.profile.uuid, v.profile.name) for v in ras],
        names={v.profile.uuid: v.profile.name for v in acme}
        | {v.profile.uuid: v.profile.name for v in ras},
    )


def _detail(
    req: Req,
    *,
    errors: dict[str, str] | None = None,
    error: str = "",
    status: int = 200,
    template: str = "certificates/detail.html",
    reason: str = "unspecified",
) -> Response:
    view = req.services.certificate_admin.get(req.actor, req.path_param("id"))
    cert = view.certificate
    acme = req.services.acme_profiles.list_all(req.actor)
    ras = req.services.ra_profiles.list_all(req.actor)
    authorities = req.services.authorities.list_all(req.actor)
    return req.render(
        template,
        status=status,
        view=view,
        cert=cert,
        acme_profile=next(
            (v.profile for v in acme if v.profile.uuid == cert.acme_profile_uuid), None
        ),
        ra_profile=next((v.profile for v in ras if v.profile.uuid == cert.ra_profile_uuid), None),
        authority=next(
            (a.authority for a in authorities if a.authority.uuid == cert.authority_uuid), None
        ),
        reason_name=REASON_NAMES.get(cert.revocation_reason or 0, str(cert.revocation_reason)),
        reasons=REASONS,
        values={"reason": reason},
        errors=errors or {},
        error=error,
    )


def detail(req: Req) -> Response:
    return _detail(req)


def pem(req: Req) -> Response:
    cert = req.services.certificate_admin.get(req.actor, req.path_param("id")).certificate
    name = cert.names[0].replace("*", "_") if cert.names else cert.id
    return Response(
        cert.full_chain_pem,
        media_type=CHAIN_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}-{cert.serial_display}.pem"'},
    )


def revoke_page(req: Req) -> Response:
    return _detail(req, template="certificates/revoke.html")


def revoke(req: Req) -> Response:
    cert_id = req.path_param("id")
    reason = req.form.get("reason", "unspecified")
    try:
        view = req.services.certificate_admin.revoke(req.actor, cert_id, reason)
    except DomainError as exc:
        if exc.kind is not ErrorKind.INVALID_INPUT:
            raise
        errors, error = field_errors(exc, ("reason",))
        return _detail(
            req,
            template="certificates/revoke.html",
            errors=errors,
            error=error,
            status=422,
            reason=reason,
        )
    return req.redirect(
        f"{INDEX}/{cert_id}",
        Flash("success", f"Certificate {view.certificate.serial_display} revoked ({reason})."),
    )


ROUTES = [
    PageRoute("/certificates", index, name="certificates"),
    PageRoute("/certificates/{id}", detail, name="certificate"),
    PageRoute("/certificates/{id}/pem", pem, name="certificate_pem"),
    PageRoute("/certificates/{id}/revoke", revoke_page, name="certificate_revoke_page"),
    PageRoute("/certificates/{id}/revoke", revoke, methods=("POST",), name="certificate_revoke"),
]
