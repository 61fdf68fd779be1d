"""RA Profiles & Authorities: the section's index (Authorities, and the RA profiles paginated
and filtered by the service), the Authorities (detail with the CA chain and CRL, create by
generating or importing: the AuthorityRequest form, its ``importCa`` fieldset to import,
enable/disable, delete) and, from webui/pages/ra_profiles.py, their RA profiles.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.services.commands.authorities import AuthorityRequest
from acmehub.services.commands.base import MAX_PAGE, PageQuery
from acmehub.services.commands.ra_profiles import RaProfileQuery
from acmehub.webui import forms
from acmehub.webui.changes import change, refused, removal
from acmehub.webui.forms import fieldsets, posted, values_of
from acmehub.webui.framework import Flash, PageRoute, Req
from acmehub.webui.pages import ra_profiles
from acmehub.webui.pages.ra_profiles import AUTHORITIES, INDEX, POST, delete_page
from acmehub.webui.paging import PageRequest, keep_query, page_of

CHAIN_TYPE = "application/pem-certificate-chain"


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


def detail(req: Req) -> Response:
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


def _skip(mode: str) -> set[str]:
    """Generating: no CA to import; importing: no key type to generate with."""
    return {"kind", "key_type" if mode == "import" else "import_ca"}


def _form(
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
        fieldsets=fieldsets(AuthorityRequest, skip=_skip(mode)),
        values=values,
        errors=errors or {},
        error=error,
    )


def new_form(req: Req) -> Response:
    mode = "import" if req.param("mode") == "import" else "generate"
    return _form(req, mode, values_of(AuthorityRequest))


def create(req: Req) -> Response:
    mode = "import" if req.form.get("mode") == "import" else "generate"
    try:
        command = forms.command_of(AuthorityRequest, req.form, skip=_skip(mode))
        a = req.services.authorities.create(req.actor, command).authority
    except DomainError as exc:
        values = posted(AuthorityRequest, req.form, skip=_skip(mode))
        return refused(exc, AuthorityRequest, lambda e, m, s: _form(req, mode, values, e, m, s))
    return req.redirect(f"{AUTHORITIES}/{a.uuid}", Flash("success", f"Authority {a.name} created."))


def confirm_delete(req: Req) -> Response:
    view = req.services.authorities.get(req.actor, req.path_param("uuid"))
    blockers = [r.name for r in view.ra_profiles]
    here = f"{AUTHORITIES}/{view.authority.uuid}"
    return delete_page(req, "Authority", view.authority.name, here, blockers)


delete = removal(
    "authorities", AUTHORITIES, lambda v: f"Authority {v.authority.name} deleted.", lambda v: INDEX
)
switch = change("authorities", AUTHORITIES, lambda a, done: f"Authority {a.name} {done}.")

ROUTES = [
    PageRoute("/ra-profiles", index, name="ra_profiles"),
    PageRoute("/authorities", lambda req: req.redirect(INDEX), name="authorities"),
    PageRoute("/authorities/new", new_form, name="authority_new"),
    PageRoute("/authorities/new", create, methods=POST, name="authority_create"),
    PageRoute("/authorities/{uuid}", detail, name="authority"),
    PageRoute("/authorities/{uuid}/chain.pem", chain_download, name="authority_chain"),
    PageRoute("/authorities/{uuid}/enable", switch, methods=POST, name="authority_on"),
    PageRoute("/authorities/{uuid}/disable", switch, methods=POST, name="authority_off"),
    PageRoute("/authorities/{uuid}/delete", confirm_delete, name="authority_delete_page"),
    PageRoute("/authorities/{uuid}/delete", delete, methods=POST, name="authority_delete"),
    *ra_profiles.ROUTES,
]
