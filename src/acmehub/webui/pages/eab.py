"""EAB keys per ACME profile: choose the profile, list its keys, create one with the form made
from EabKeyRequest (the secret is shown once, on the answer, with the certbot and lego flags
for the configured directory URL) and revoke one after confirming. services/eab.py has every
rule and checks the role."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.services.commands.base import PageQuery
from acmehub.services.commands.eab import EabKeyRequest
from acmehub.webui import forms
from acmehub.webui.forms import errors_of, fieldsets, posted, values_of
from acmehub.webui.framework import PREFIX, Flash, PageRoute, Req
from acmehub.webui.paging import PageRequest, page_of, paginate

INDEX = f"{PREFIX}/eab-keys"


def index(req: Req) -> Response:
    """Each ACME profile with a link to its keys."""
    views = req.services.acme_profiles.list_all(req.actor)
    paged = paginate(views, PageRequest.from_query(req.request.query_params), INDEX)
    return req.render("eab/index.html", paged=paged)


def keys(
    req: Req, values: dict[str, Any] | None = None, exc: DomainError | None = None
) -> Response:
    uuid = req.path_param("profile")
    profile = req.services.acme_profiles.get(req.actor, uuid).profile
    request = PageRequest.from_query(req.request.query_params)
    found = req.services.eab.page(
        req.actor, uuid, PageQuery(offset=request.offset, limit=request.size)
    )
    errors, error = errors_of(exc, EabKeyRequest) if exc else ({}, "")
    return req.render(
        "eab/list.html",
        status=422 if exc else 200,
        profile=profile,
        paged=page_of(found.items, found.total, request, f"{INDEX}/{uuid}"),
        fieldsets=fieldsets(EabKeyRequest),
        values=values or values_of(EabKeyRequest),
        errors=errors,
        error=error,
    )


def create(req: Req) -> Response:
    uuid = req.path_param("profile")
    try:
        command = forms.command_of(EabKeyRequest, req.form)
        key = req.services.eab.create_detail(req.actor, uuid, command)
    except DomainError as exc:
        if exc.kind is not ErrorKind.INVALID_INPUT:
            raise
        return keys(req, posted(EabKeyRequest, req.form), exc)
    profile = req.services.acme_profiles.get(req.actor, uuid).profile
    # Shown directly (never through a flash cookie): this response is the only place it appears.
    return req.render("eab/created.html", status=201, profile=profile, key=key)


def revoke_page(req: Req) -> Response:
    uuid = req.path_param("profile")
    profile = req.services.acme_profiles.get(req.actor, uuid).profile
    key = req.services.eab.get(req.actor, uuid, req.path_param("key"))
    return req.render("eab/revoke.html", profile=profile, key=key)


def revoke(req: Req) -> Response:
    uuid = req.path_param("profile")
    key = req.services.eab.revoke(req.actor, uuid, req.path_param("key"))
    return req.redirect(f"{INDEX}/{uuid}", Flash("success", f"EAB key {key.key_id} revoked."))


ROUTES = [
    PageRoute("/eab-keys", index, name="eab"),
    PageRoute("/eab-keys/{profile}", keys, name="eab_keys"),
    PageRoute("/eab-keys/{profile}/new", create, methods=("POST",), name="eab_create"),
    PageRoute("/eab-keys/{profile}/{key}/revoke", revoke_page, name="eab_revoke_page"),
    PageRoute("/eab-keys/{profile}/{key}/revoke", revoke, methods=("POST",), name="eab_revoke"),
]
