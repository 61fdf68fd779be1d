"""Certificate profiles of an RA profile (the RA Profiles & Authorities section): listed on the
RA profile's page, created and edited with forms made from CertificateProfileRequest /
CertificateProfileUpdate, deleted after a confirmation. Every rule is the services'; a refusal
is shown beside its field (webui/changes.py).
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.services.commands.certificate_profiles import (
    CertificateProfileRequest,
    CertificateProfileUpdate,
)
from acmehub.webui.changes import ShowForm, done, submit
from acmehub.webui.forms import render_form, values_of
from acmehub.webui.framework import Flash, PageRoute, Req
from acmehub.webui.pages.ra_profiles import DELETE, INDEX, POST

FORM = "certificate_profiles/form.html"


def _form(req: Req, ra: Any, profile: Any) -> ShowForm:
    """The form of CertificateProfileRequest: to create, or (the name read-only) to edit."""

    def show(values: Any, errors: Any = None, error: str = "", status: int = 200) -> Response:
        return render_form(
            req,
            FORM,
            CertificateProfileRequest,
            values,
            errors,
            error,
            status,
            readonly={"name"} if profile is not None else (),
            ra=ra,
            profile=profile,
        )

    return show


def _ra(req: Req) -> Any:
    return req.services.ra_profiles.get(req.actor, req.path_param("uuid")).profile


def new_form(req: Req) -> Response:
    return _form(req, _ra(req), None)(values_of(CertificateProfileRequest))


def create(req: Req) -> Response:
    ra = _ra(req)

    def act(command: CertificateProfileRequest) -> Response:
        p = req.services.certificate_profiles.create(req.actor, ra.uuid, command)
        return done(req, f"{INDEX}/{ra.uuid}", f"Certificate profile {p.name} created.")

    return submit(req, CertificateProfileRequest, act, _form(req, ra, None))


def edit_form(req: Req) -> Response:
    ra = _ra(req)
    detail = req.services.certificate_profiles.detail(req.actor, ra.uuid, req.path_param("cp"))
    return _form(req, ra, detail)(values_of(CertificateProfileRequest, detail))


def update(req: Req) -> Response:
    ra = _ra(req)
    detail = req.services.certificate_profiles.detail(req.actor, ra.uuid, req.path_param("cp"))

    def act(command: CertificateProfileUpdate) -> Response:
        p = req.services.certificate_profiles.update(req.actor, ra.uuid, detail.uuid, command)
        return done(req, f"{INDEX}/{ra.uuid}", f"Certificate profile {p.name} saved.")

    show, keep = _form(req, ra, detail), {"name": detail.name}
    return submit(
        req, CertificateProfileRequest, act, show, command=CertificateProfileUpdate, keep=keep
    )


def confirm_delete(req: Req) -> Response:
    ra = _ra(req)
    detail = req.services.certificate_profiles.detail(req.actor, ra.uuid, req.path_param("cp"))
    back = f"{INDEX}/{ra.uuid}/certificate-profiles/{detail.uuid}"
    return req.render(DELETE, kind="certificate profile", name=detail.name, back=back, blockers=[])


def delete(req: Req) -> Response:
    ra = _ra(req)
    service = req.services.certificate_profiles
    detail = service.detail(req.actor, ra.uuid, req.path_param("cp"))
    try:
        service.delete(req.actor, ra.uuid, detail.uuid)
    except DomainError as exc:
        if exc.kind is not ErrorKind.INVALID_INPUT:
            raise
        return req.redirect(f"{INDEX}/{ra.uuid}", Flash("error", exc.detail))
    return done(req, f"{INDEX}/{ra.uuid}", f"Certificate profile {detail.name} deleted.")


NEW = "/ra-profiles/{uuid}/certificate-profiles/new"
ONE = "/ra-profiles/{uuid}/certificate-profiles/{cp}"
ROUTES = [
    PageRoute(NEW, new_form, name="certificate_profile_new"),
    PageRoute(NEW, create, methods=POST, name="certificate_profile_create"),
    PageRoute(f"{ONE}/edit", edit_form, name="certificate_profile_edit"),
    PageRoute(f"{ONE}/edit", update, methods=POST, name="certificate_profile_update"),
    PageRoute(f"{ONE}/delete", confirm_delete, name="certificate_profile_delete_page"),
    PageRoute(f"{ONE}/delete", delete, methods=POST, name="certificate_profile_delete"),
    # The profile's page is its RA profile's (where the list is).
    PageRoute(ONE, lambda req: req.redirect(f"{INDEX}/{req.path_param('uuid')}")),
]
