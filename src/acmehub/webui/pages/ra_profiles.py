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
from acmehub.webui.changes import change, refused, removal
from acmehub.webui.forms import fieldsets, posted, values_of
from acmehub.webui.framework import PREFIX, Flash, PageRoute, Req

INDEX = f"{PREFIX}/ra-profiles"
AUTHORITIES = f"{PREFIX}/authorities"
POST = ("POST",)


def delete_page(req: Req, kind: str, name: str, here: str, blockers: list[str]) -> Response:
    return req.render(
        "authorities/delete.html",
        kind=kind,
        name=name,
        action=f"{here}/delete",
        back=here,
        blockers=blockers,
    )


def _form(
    req: Req,
    authority: Any,
    profile: Any,
    values: dict[str, Any],
    errors: Any = None,
    error: str = "",
    status: int = 200,
) -> Response:
    editing = profile is not None
    sets = fieldsets(
        RaProfileRequest,
        readonly={"name"} if editing else (),
        skip={"enabled"} if editing else (),
    )
    return req.render(
        "authorities/ra_form.html",
        status=status,
        authority=authority,
        profile=profile,
        fieldsets=sets,
        values=values,
        errors=errors or {},
        error=error,
    )


def new_form(req: Req) -> Response:
    authority = req.services.authorities.get(req.actor, req.path_param("uuid")).authority
    return _form(req, authority, None, values_of(RaProfileRequest))


def create(req: Req) -> Response:
    authority = req.services.authorities.get(req.actor, req.path_param("uuid")).authority
    try:
        command = forms.command_of(RaProfileRequest, req.form)
        profile = req.services.ra_profiles.create(req.actor, authority.uuid, command)
    except DomainError as exc:
        values = posted(RaProfileRequest, req.form)
        return refused(
            exc, RaProfileRequest, lambda e, m, s: _form(req, authority, None, values, e, m, s)
        )
    message = Flash("success", f"RA profile {profile.name} created.")
    return req.redirect(f"{INDEX}/{profile.uuid}", message)


def edit_form(req: Req) -> Response:
    uuid = req.path_param("uuid")
    view = req.services.ra_profiles.get(req.actor, uuid)
    values = values_of(RaProfileRequest, req.services.ra_profiles.detail(req.actor, uuid))
    return _form(req, view.authority, view.profile, values)


def update(req: Req) -> Response:
    view = req.services.ra_profiles.get(req.actor, req.path_param("uuid"))
    current = view.profile
    try:
        command = forms.command_of(RaProfileUpdate, req.form)
        profile = req.services.ra_profiles.update(req.actor, current.uuid, command)
    except DomainError as exc:
        values = {**posted(RaProfileRequest, req.form, skip={"enabled"}), "name": current.name}
        return refused(
            exc,
            RaProfileRequest,
            lambda e, m, s: _form(req, view.authority, current, values, e, m, s),
        )
    message = Flash("success", f"RA profile {profile.name} saved.")
    return req.redirect(f"{INDEX}/{profile.uuid}", message)


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
    return req.render(
        "authorities/ra_detail.html",
        status=status,
        view=view,
        p=view.profile,
        fieldsets=fieldsets(ActivateAcmeRequest),
        values=values,
        errors=errors or {},
        error=error,
        acme_options=[(a.profile.uuid, a.profile.name) for a in acme_profiles],
    )


def activate(req: Req) -> Response:
    uuid = req.path_param("uuid")
    acme_uuid = req.form.get("acmeProfileUuid")
    try:
        command = forms.command_of(ActivateAcmeRequest, req.form)
        done = req.services.ra_profiles.activate(req.actor, uuid, acme_uuid, command)
    except DomainError as exc:
        values = {**posted(ActivateAcmeRequest, req.form), "acmeProfileUuid": acme_uuid}
        if exc.kind is ErrorKind.NOT_FOUND:  # the RA profile was found: the ACME profile not
            return detail(req, values, {"acmeProfileUuid": exc.detail}, status=422)
        return refused(exc, ActivateAcmeRequest, lambda e, m, s: detail(req, values, e, m, s))
    name = req.services.ra_profiles.get(req.actor, uuid).profile.name
    message = Flash("success", f"ACME profile {done.name} activated on {name}.")
    return req.redirect(f"{INDEX}/{uuid}", message)


def confirm_delete(req: Req) -> Response:
    view = req.services.ra_profiles.get(req.actor, req.path_param("uuid"))
    return delete_page(req, "RA profile", view.profile.name, f"{INDEX}/{view.profile.uuid}", [])


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

ROUTES = [
    PageRoute("/authorities/{uuid}/ra-profiles/new", new_form, name="ra_profile_new"),
    PageRoute(
        "/authorities/{uuid}/ra-profiles/new", create, methods=POST, name="ra_profile_create"
    ),
    PageRoute("/ra-profiles/{uuid}", detail, name="ra_profile"),
    PageRoute("/ra-profiles/{uuid}/edit", edit_form, name="ra_profile_edit"),
    PageRoute("/ra-profiles/{uuid}/edit", update, methods=POST, name="ra_profile_update"),
    PageRoute("/ra-profiles/{uuid}/enable", switch, methods=POST, name="ra_profile_on"),
    PageRoute("/ra-profiles/{uuid}/disable", switch, methods=POST, name="ra_profile_off"),
    PageRoute("/ra-profiles/{uuid}/delete", confirm_delete, name="ra_profile_delete_page"),
    PageRoute("/ra-profiles/{uuid}/delete", delete, methods=POST, name="ra_profile_delete"),
    PageRoute(
        "/ra-profiles/{uuid}/acme/activate", activate, methods=POST, name="ra_profile_activate"
    ),
    PageRoute(
        "/ra-profiles/{uuid}/acme/deactivate",
        deactivate,
        methods=POST,
        name="ra_profile_deactivate",
    ),
]
