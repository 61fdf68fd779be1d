"""RA profiles (the RA Profiles & Authorities section, webui/pages/authorities.py): create and
edit with the issuance policy (RaProfileRequest / RaProfileUpdate, the policy a fieldset of its
own), detail with the ACME activation (ActivateAcmeRequest), enable/disable, delete. Every rule
is the services'; a refusal is shown beside its field (webui/changes.py).
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.services.commands.ra_profiles import (
    ActivateAcmeRequest,
    RaProfileRequest,
    RaProfileUpdate,
)
from acmehub.webui import forms
from acmehub.webui.changes import ShowForm, change, done, refused, removal, submit
from acmehub.webui.forms import posted, render_form, values_of
from acmehub.webui.framework import PREFIX, PageRoute, Req
from acmehub.webui.listing import profile_options

INDEX = f"{PREFIX}/ra-profiles"
AUTHORITIES = f"{PREFIX}/authorities"
POST = ("POST",)
DELETE = "authorities/delete.html"  # asks first (what still uses it, when anything does)


def _form(req: Req, authority: Any, profile: Any) -> ShowForm:
    """The form of RaProfileRequest: to create, or (the name read-only) to edit."""

    def show(values: Any, errors: Any = None, error: str = "", status: int = 200) -> Response:
        editing = profile is not None
        return render_form(
            req,
            "authorities/ra_form.html",
            RaProfileRequest,
            values,
            errors,
            error,
            status,
            readonly={"name"} if editing else (),
            skip={"enabled"} if editing else (),
            authority=authority,
            profile=profile,
        )

    return show


def new_form(req: Req) -> Response:
    authority = req.services.authorities.get(req.actor, req.path_param("uuid")).authority
    return _form(req, authority, None)(values_of(RaProfileRequest))


def create(req: Req) -> Response:
    authority = req.services.authorities.get(req.actor, req.path_param("uuid")).authority

    def act(command: RaProfileRequest) -> Response:
        p = req.services.ra_profiles.create(req.actor, authority.uuid, command)
        return done(req, f"{INDEX}/{p.uuid}", f"RA profile {p.name} created.")

    return submit(req, RaProfileRequest, act, _form(req, authority, None))


def edit_form(req: Req) -> Response:
    uuid = req.path_param("uuid")
    view = req.services.ra_profiles.get(req.actor, uuid)
    values = values_of(RaProfileRequest, req.services.ra_profiles.detail(req.actor, uuid))
    return _form(req, view.authority, view.profile)(values)


def update(req: Req) -> Response:
    view = req.services.ra_profiles.get(req.actor, req.path_param("uuid"))

    def act(command: RaProfileUpdate) -> Response:
        p = req.services.ra_profiles.update(req.actor, view.profile.uuid, command)
        return done(req, f"{INDEX}/{p.uuid}", f"RA profile {p.name} saved.")

    show, keep = _form(req, view.authority, view.profile), {"name": view.profile.name}
    return submit(req, RaProfileRequest, act, show, command=RaProfileUpdate, keep=keep)


def detail(
    req: Req, values: Any = None, errors: Any = None, error: str = "", status: int = 200
) -> Response:
    uuid = req.path_param("uuid")
    view = req.services.ra_profiles.get(req.actor, uuid)
    acme_profiles = req.services.acme_profiles.list_all(req.actor)
    if values is None:
        activation = req.services.ra_profiles.acme_activation(req.actor, uuid)
        values = {
            **values_of(ActivateAcmeRequest, activation),
            "acmeProfileUuid": activation.uuid or "",
        }
    return render_form(
        req,
        "authorities/ra_detail.html",
        ActivateAcmeRequest,
        values,
        errors,
        error,
        status,
        view=view,
        p=view.profile,
        certificate_profiles=req.services.certificate_profiles.list_all(req.actor, uuid),
        acme_options=profile_options(acme_profiles, none=None),
    )


def activate(req: Req) -> Response:
    uuid = req.path_param("uuid")
    acme_uuid = req.form.get("acmeProfileUuid")
    try:
        command = forms.command_of(ActivateAcmeRequest, req.form)
        activated = req.services.ra_profiles.activate(req.actor, uuid, acme_uuid, command)
    except DomainError as exc:
        values = {**posted(ActivateAcmeRequest, req.form), "acmeProfileUuid": acme_uuid}
        if exc.kind is ErrorKind.NOT_FOUND:  # the RA profile was found: the ACME profile not
            return detail(req, values, {"acmeProfileUuid": exc.detail}, status=422)
        return refused(exc, ActivateAcmeRequest, lambda e, m, s: detail(req, values, e, m, s))
    name = req.services.ra_profiles.get(req.actor, uuid).profile.name
    return done(req, f"{INDEX}/{uuid}", f"ACME profile {activated.name} activated on {name}.")


def confirm_delete(req: Req) -> Response:
    p = req.services.ra_profiles.get(req.actor, req.path_param("uuid")).profile
    here = f"{INDEX}/{p.uuid}"
    return req.render(DELETE, kind="RA profile", name=p.name, back=here, blockers=[])


delete = removal(
    "ra_profiles",
    INDEX,
    lambda v: f"RA profile {v.profile.name} deleted.",
    lambda v: f"{AUTHORITIES}/{v.authority.uuid}",
)
switch = change("ra_profiles", INDEX, lambda p, done: f"RA profile {p.name} {done}.")
deactivate = change(
    "ra_profiles", INDEX, lambda p, _: f"ACME deactivated on {p.name}.", "deactivate_acme"
)

ONE = "/ra-profiles/{uuid}"
NEW = "/authorities/{uuid}/ra-profiles/new"
ROUTES = [
    PageRoute(NEW, new_form, name="ra_profile_new"),
    PageRoute(NEW, create, methods=POST, name="ra_profile_create"),
    PageRoute(ONE, detail, name="ra_profile"),
    PageRoute(f"{ONE}/edit", edit_form, name="ra_profile_edit"),
    PageRoute(f"{ONE}/edit", update, methods=POST, name="ra_profile_update"),
    PageRoute(f"{ONE}/enable", switch, methods=POST, name="ra_profile_on"),
    PageRoute(f"{ONE}/disable", switch, methods=POST, name="ra_profile_off"),
    PageRoute(f"{ONE}/delete", confirm_delete, name="ra_profile_delete_page"),
    PageRoute(f"{ONE}/delete", delete, methods=POST, name="ra_profile_delete"),
    PageRoute(f"{ONE}/acme/activate", activate, methods=POST, name="ra_profile_activate"),
    PageRoute(f"{ONE}/acme/deactivate", deactivate, methods=POST, name="ra_profile_deactivate"),
]
