"""Certificates: the inventory (the API's filters, the CLI's columns), a certificate's detail,
its PEM download and revocation with a reason after confirming (services/certificate_admin.py)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.revocation import ADMINISTRATOR_REASONS
from acmehub.services.commands import certificates as cmd
from acmehub.webui import forms
from acmehub.webui.files import attachment
from acmehub.webui.framework import PREFIX, Flash, PageRoute, Req
from acmehub.webui.listing import listing, profile_options

INDEX = f"{PREFIX}/certificates"
REVOKE = "certificates/revoke.html"
#: The reasons an administrator may give (Baseline Requirements §7.2.2): not cACompromise,
#: certificateHold, removeFromCRL nor aACompromise.
REASONS = [(cmd.REASON_NAMES[code], cmd.REASON_NAMES[code]) for code in ADMINISTRATOR_REASONS]


def index(req: Req) -> Response:
    found = listing(req, cmd.CertificateListQuery, INDEX)
    page = req.services.certificate_admin.page(req.actor, found.query)
    return req.render(
        "certificates/list.html",
        **found.context(page, cmd.COLUMNS),
        profile_options=profile_options(req.services.acme_profiles.list_all(req.actor)),
        ra_options=profile_options(req.services.ra_profiles.list_all(req.actor)),
    )


def detail(req: Req, template: str = "certificates/detail.html", **form: Any) -> Response:
    view = req.services.certificate_admin.get(req.actor, req.path_param("id"))
    code = view.certificate.revocation_reason or 0
    form = {
        "values": {"reason": "unspecified"},
        "errors": {},
        "error": "",
        "reasons": REASONS,
        **form,
    }
    reason = cmd.REASON_NAMES.get(code, str(code))
    return req.render(template, view=view, cert=view.certificate, reason_name=reason, **form)


def pem(req: Req) -> Response:
    cert = req.services.certificate_admin.get(req.actor, req.path_param("id")).certificate
    name = f"{cert.names[0].replace('*', '_') if cert.names else cert.id}-{cert.serial_display}"
    return attachment(cert.full_chain_pem, cmd.CHAIN_TYPE, f"{name}.pem")


def revoke(req: Req) -> Response:
    cert_id = req.path_param("id")
    try:
        command = forms.command_of(cmd.RevokeRequest, req.form)
        done = req.services.certificate_admin.revoke_certificate(req.actor, cert_id, command)
    except DomainError as exc:
        if exc.kind is not ErrorKind.INVALID_INPUT:
            raise
        errors, error = forms.errors_of(exc, cmd.RevokeRequest)
        values = forms.posted(cmd.RevokeRequest, req.form)
        return detail(req, REVOKE, errors=errors, error=error, status=422, values=values)
    message = f"Certificate {done.serial_number} revoked ({command.reason})."
    return req.redirect(f"{INDEX}/{cert_id}", Flash("success", message))


ROUTES = [
    PageRoute("/certificates", index, name="certificates"),
    PageRoute("/certificates/{id}", detail, name="certificate"),
    PageRoute("/certificates/{id}/pem", pem, name="certificate_pem"),
    PageRoute(
        "/certificates/{id}/revoke", lambda req: detail(req, REVOKE), name="certificate_revoke_page"
    ),
    PageRoute("/certificates/{id}/revoke", revoke, methods=("POST",), name="certificate_revoke"),
]
