"""RA Profiles & Authorities: the Authorities (list, detail with the CA chain and CRL, create
by generating or importing, enable/disable, delete) and their RA profiles (list, create/edit
with the issuance policy, detail with the ACME activation row, enable/disable, delete).

The forms are the commands' fields (webui/forms.py): AuthorityRequest (its ``importCa``
fieldset to import a CA), RaProfileRequest and RaProfileUpdate (the issuance policy a fieldset
of its own), ActivateAcmeRequest. Every rule is the services'; a refusal is shown beside its
field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel
from starlette.responses import Response

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.services.commands.authorities import AuthorityRequest
from acmehub.services.commands.base import MAX_PAGE, PageQuery
from acmehub.services.commands.ra_profiles import (
    ActivateAcmeRequest,
    RaProfileQuery,
    RaProfileRequest,
    RaProfileUpdate,
)
from acmehub.webui import forms
from acmehub.webui.forms import errors_of, fieldsets, posted, values_of
from acmehub.webui.framework import PREFIX, Flash, PageRoute, Req
from acmehub.webui.paging import PageRequest, keep_query, page_of

INDEX = f"{PREFIX}/ra-profiles"
AUTHORITIES = f"{PREFIX}/authorities"
CHAIN_TYPE = "application/pem-certificate-chain"


def _refusal(
    exc: DomainError, model: type[BaseModel], show: Callable[[dict[str, str], str, int], Response]
) -> Response:
    """A refusal on its form: a name taken (409) or a field's (422), else the error page."""
    if exc.kind is ErrorKind.CONFLICT:
        return show({"name": exc.detail}, "", 409)
    if exc.kind is not ErrorKind.INVALID_INPUT:
        raise exc
    errors, error = errors_of(exc, model)
    return show(errors, error, 422)


def _then(req: Req, target: str, act: Callable[[], Any], done: Callable[[Any], str]) -> Response:
    """Perform a change and go to ``target`` saying how it went (a refusal as a flash)."""
    try:
        result = act()
    except DomainError as exc:
        if exc.kind is not ErrorKind.INVALID_INPUT:
            raise
        return req.redirect(target, Flash("error", exc.detail))
    return req.redirect(target, Flash("success", done(result)))


# --------------------------------------------------------------------------- index


def index(req: Req) -> Response:
    query = req.request.query_params
    paging = PageRequest.from_query(query)
    authority = query.get("authority", "")
    authorities = req.services.authorities.page(req.actor, PageQuery(limit=MAX_PAGE)).items
    found = req.services.ra_profiles.page(
        req.actor,
        RaProfileQuery(
            search=query.get("q", ""),
            authority_uuid=authority or None,
            offset=paging.offset,
            limit=paging.size,
        ),
    )
    kept = keep_query(query, "q", "authority")
    return req.render(
        "authorities/index.html",
        authorities=authorities,
        paged=page_of(found.items, found.total, paging, INDEX, kept),
        filters={"q": query.get("q", ""), "authority": authority},
        authority_options=[("", "Any")] + [(a.uuid, a.name) for a in authorities],
    )


# --------------------------------------------------------------------------- authorities


def authority_detail(req: Req) -> Response:
    view = req.services.authorities.get(req.actor, req.path_param("uuid"))
    crl = req.services.deps.urls.crl(view.authority.uuid)
    return req.render("authorities/detail.html", view=view, a=view.authority, crl=crl)


def chain_download(req: Req) -> Response:
    view = req.services.authorities.get(req.actor, req.path_param("uuid"))
    if view.certificate is None:
        raise DomainError(ErrorKind.NOT_FOUND, view.problem or "no CA chain", status=404)
    return Response(
        view.certificate.chain_pem,
        media_type=CHAIN_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{view.authority.name}-chain.pem"'},
    )


def _authority_skip(mode: str) -> set[str]:
    return {"kind", "key_type" if mode == "import" else "import_ca"}


def _authority_form(
    req: Req,
    mode: str,
    values: dict[str, Any],
    errors: Any = None,
    error: str = "",
    status: int = 200,
) -> Response:
    return req.render(
        "authorities/form.html",
        status=status,
        mode=mode,
        fieldsets=fieldsets(AuthorityRequest, skip=_authority_skip(mode)),
        values=values,
        errors=errors or {},
        error=error,
    )


def authority_new(req: Req) -> Response:
    mode = "import" if req.param("mode") == "import" else "generate"
    return _authority_form(req, mode, values_of(AuthorityRequest))


def authority_create(req: Req) -> Response:
    mode = "import" if req.form.get("mode") == "import" else "generate"
    skip = _authority_skip(mode)
    try:
        command = forms.command_of(AuthorityRequest, req.form, skip=skip)
        a = req.services.authorities.create(req.actor, command).authority
    except DomainError as exc:
        values = posted(AuthorityRequest, req.form, skip=skip)
        return _refusal(
            exc, AuthorityRequest, lambda e, m, s: _authority_form(req, mode, values, e, m, s)
        )
    return req.redirect(f"{AUTHORITIES}/{a.uuid}", Flash("success", f"Authority {a.name} created."))


def authority_switch(req: Req) -> Response:
    uuid = req.path_param("uuid")
    enable = req.request.url.path.endswith("/enable")
    service = req.services.authorities
    act = service.enable if enable else service.disable
    word = "enabled" if enable else "disabled"
    return _then(
        req,
        f"{AUTHORITIES}/{uuid}",
        lambda: act(req.actor, uuid),
        lambda a: f"Authority {a.name} {word}.",
    )


def authority_delete_page(req: Req) -> Response:
    view = req.services.authorities.get(req.actor, req.path_param("uuid"))
    here = f"{AUTHORITIES}/{view.authority.uuid}"
    return req.render(
        "authorities/delete.html",
        kind="Authority",
        name=view.authority.name,
        action=f"{here}/delete",
        back=here,
        blockers=[r.name for r in view.ra_profiles],
    )


def authority_delete(req: Req) -> Response:
    uuid = req.path_param("uuid")
    view = req.services.authorities.get(req.actor, uuid)
    try:
        req.services.authorities.delete(req.actor, uuid)
    except DomainError as exc:
        if exc.kind is not ErrorKind.INVALID_INPUT:
            raise
        return req.redirect(f"{AUTHORITIES}/{uuid}", Flash("error", exc.detail))
    return req.redirect(INDEX, Flash("success", f"Authority {view.authority.name} deleted."))


# --------------------------------------------------------------------------- RA profiles


def _ra_form(
    req: Req,
    authority: Any,
    profile: Any,
    values: dict[str, Any],
    errors: Any = None,
    error: str = "",
    status: int = 200,
) -> Response:
    editing = profile is not None
    return req.render(
        "authorities/ra_form.html",
        status=status,
        authority=authority,
        profile=profile,
        fieldsets=fieldsets(
            RaProfileRequest,
            readonly={"name"} if editing else (),
            skip={"enabled"} if editing else (),
        ),
        values=values,
        errors=errors or {},
        error=error,
    )


def ra_new(req: Req) -> Response:
    authority = req.services.authorities.get(req.actor, req.path_param("uuid")).authority
    return _ra_form(req, authority, None, values_of(RaProfileRequest))


def ra_create(req: Req) -> Response:
    authority = req.services.authorities.get(req.actor, req.path_param("uuid")).authority
    try:
        command = forms.command_of(RaProfileRequest, req.form)
        profile = req.services.ra_profiles.create(req.actor, authority.uuid, command)
    except DomainError as exc:
        values = posted(RaProfileRequest, req.form)
        return _refusal(
            exc, RaProfileRequest, lambda e, m, s: _ra_form(req, authority, None, values, e, m, s)
        )
    message = Flash("success", f"RA profile {profile.name} created.")
    return req.redirect(f"{INDEX}/{profile.uuid}", message)


def ra_edit(req: Req) -> Response:
    uuid = req.path_param("uuid")
    view = req.services.ra_profiles.get(req.actor, uuid)
    values = values_of(RaProfileRequest, req.services.ra_profiles.detail(req.actor, uuid))
    return _ra_form(req, view.authority, view.profile, values)


def ra_update(req: Req) -> Response:
    view = req.services.ra_profiles.get(req.actor, req.path_param("uuid"))
    current = view.profile
    try:
        command = forms.command_of(RaProfileUpdate, req.form)
        profile = req.services.ra_profiles.update(req.actor, current.uuid, command)
    except DomainError as exc:
        values = {**posted(RaProfileRequest, req.form, skip={"enabled"}), "name": current.name}
        return _refusal(
            exc,
            RaProfileRequest,
            lambda e, m, s: _ra_form(req, view.authority, current, values, e, m, s),
        )
    message = Flash("success", f"RA profile {profile.name} saved.")
    return req.redirect(f"{INDEX}/{profile.uuid}", message)


def ra_detail(
    req: Req, values: Any = None, errors: Any = None, error: str = "", status: int = 200
) -> Response:
    uuid = req.path_param("uuid")
    view = req.services.ra_profiles.get(req.actor, uuid)
    acme_profiles = req.services.acme_profiles.list_all(req.actor)
    if values is None:
        values = values_of(
            ActivateAcmeRequest, req.services.ra_profiles.acme_activation(req.actor, uuid)
        )
        values["acmeProfileUuid"] = view.profile.acme_profile_uuid or ""
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


def ra_activate(req: Req) -> Response:
    uuid = req.path_param("uuid")
    acme_uuid = req.form.get("acmeProfileUuid")
    try:
        command = forms.command_of(ActivateAcmeRequest, req.form)
        done = req.services.ra_profiles.activate(req.actor, uuid, acme_uuid, command)
    except DomainError as exc:
        values = {**posted(ActivateAcmeRequest, req.form), "acmeProfileUuid": acme_uuid}
        if exc.kind is ErrorKind.NOT_FOUND:  # the RA profile was found: the ACME profile not
            return ra_detail(req, values, {"acmeProfileUuid": exc.detail}, status=422)
        return _refusal(exc, ActivateAcmeRequest, lambda e, m, s: ra_detail(req, values, e, m, s))
    name = req.services.ra_profiles.get(req.actor, uuid).profile.name
    message = Flash("success", f"ACME profile {done.name} activated on {name}.")
    return req.redirect(f"{INDEX}/{uuid}", message)


def ra_deactivate(req: Req) -> Response:
    uuid = req.path_param("uuid")
    act = req.services.ra_profiles.deactivate_acme
    return _then(
        req,
        f"{INDEX}/{uuid}",
        lambda: act(req.actor, uuid),
        lambda p: f"ACME deactivated on {p.name}.",
    )


def ra_switch(req: Req) -> Response:
    uuid = req.path_param("uuid")
    enable = req.request.url.path.endswith("/enable")
    service = req.services.ra_profiles
    act = service.enable if enable else service.disable
    word = "enabled" if enable else "disabled"
    return _then(
        req,
        f"{INDEX}/{uuid}",
        lambda: act(req.actor, uuid),
        lambda p: f"RA profile {p.name} {word}.",
    )


def ra_delete_page(req: Req) -> Response:
    view = req.services.ra_profiles.get(req.actor, req.path_param("uuid"))
    here = f"{INDEX}/{view.profile.uuid}"
    return req.render(
        "authorities/delete.html",
        kind="RA profile",
        name=view.profile.name,
        action=f"{here}/delete",
        back=here,
        blockers=[],
    )


def ra_delete(req: Req) -> Response:
    uuid = req.path_param("uuid")
    view = req.services.ra_profiles.get(req.actor, uuid)
    try:
        req.services.ra_profiles.delete(req.actor, uuid)
    except DomainError as exc:
        if exc.kind is not ErrorKind.INVALID_INPUT:
            raise
        return req.redirect(f"{INDEX}/{uuid}", Flash("error", exc.detail))
    message = Flash("success", f"RA profile {view.profile.name} deleted.")
    return req.redirect(f"{AUTHORITIES}/{view.authority.uuid}", message)


_POST = ("POST",)
ROUTES = [
    PageRoute("/ra-profiles", index, name="ra_profiles"),
    PageRoute("/authorities", lambda req: req.redirect(INDEX), name="authorities"),
    PageRoute("/authorities/new", authority_new, name="authority_new"),
    PageRoute("/authorities/new", authority_create, methods=_POST, name="authority_create"),
    PageRoute("/authorities/{uuid}", authority_detail, name="authority"),
    PageRoute("/authorities/{uuid}/chain.pem", chain_download, name="authority_chain"),
    PageRoute("/authorities/{uuid}/enable", authority_switch, methods=_POST, name="authority_on"),
    PageRoute("/authorities/{uuid}/disable", authority_switch, methods=_POST, name="authority_off"),
    PageRoute("/authorities/{uuid}/delete", authority_delete_page, name="authority_delete_page"),
    PageRoute(
        "/authorities/{uuid}/delete", authority_delete, methods=_POST, name="authority_delete"
    ),
    PageRoute("/authorities/{uuid}/ra-profiles/new", ra_new, name="ra_profile_new"),
    PageRoute(
        "/authorities/{uuid}/ra-profiles/new", ra_create, methods=_POST, name="ra_profile_create"
    ),
    PageRoute("/ra-profiles/{uuid}", ra_detail, name="ra_profile"),
    PageRoute("/ra-profiles/{uuid}/edit", ra_edit, name="ra_profile_edit"),
    PageRoute("/ra-profiles/{uuid}/edit", ra_update, methods=_POST, name="ra_profile_update"),
    PageRoute("/ra-profiles/{uuid}/enable", ra_switch, methods=_POST, name="ra_profile_on"),
    PageRoute("/ra-profiles/{uuid}/disable", ra_switch, methods=_POST, name="ra_profile_off"),
    PageRoute("/ra-profiles/{uuid}/delete", ra_delete_page, name="ra_profile_delete_page"),
    PageRoute("/ra-profiles/{uuid}/delete", ra_delete, methods=_POST, name="ra_profile_delete"),
    PageRoute(
        "/ra-profiles/{uuid}/acme/activate", ra_activate, methods=_POST, name="ra_profile_activate"
    ),
    PageRoute(
        "/ra-profiles/{uuid}/acme/deactivate",
        ra_deactivate,
        methods=_POST,
        name="ra_profile_deactivate",
    ),
]
