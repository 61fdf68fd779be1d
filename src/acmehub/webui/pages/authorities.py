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
from acmehub.webui.changes import ShowForm, change, done, removal, submit
from acmehub.webui.files import attachment
from acmehub.webui.forms import render_form, values_of
from acmehub.webui.framework import PageRoute, Req
from acmehub.webui.pages import certificate_profiles, ra_profiles
from acmehub.webui.pages.ra_profiles import AUTHORITIES, DELETE, INDEX, POST
from acmehub.webui.paging import PageRequest, keep_query, page_of

CHAIN_TYPE = "application/pem-certificate-chain"


def index(req: Req) -> Response:
    query = req.request.query_params
    paging = PageRequest.from_query(query)
    q, authority = query.get("q", ""), query.get("authority", "")
    authorities = req.services.authorities.page(req.actor, PageQuery(limit=MAX_PAGE)).items
    where = RaProfileQuery(
        search=q, authority_uuid=authority or None, offset=paging.offset, limit=paging.size
    )
    found = req.services.ra_profiles.page(req.actor, where)
    return req.render(
        "authorities/index.html",
        authorities=authorities,
        paged=page_of(found.items, found.total, paging, INDEX, keep_query(query, "q", "authority")),
        filters={"q": q, "authority": authority},
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
    name = f"{view.authority.name}-chain.pem"
    return attachment(view.certificate.chain_pem, CHAIN_TYPE, name)


def _skip(mode: str) -> set[str]:
    """Generating: no CA to import; importing: no key type to generate with."""
    return {"kind", "key_type" if mode == "import" else "import_ca"}


def _form(req: Req, mode: str) -> ShowForm:
    def show(values: Any, errors: Any = None, error: str = "", status: int = 200) -> Response:
        template, skip = "authorities/form.html", _skip(mode)
        return render_form(
            req, template, AuthorityRequest, values, errors, error, status, skip=skip, mode=mode
        )

    return show


def new_form(req: Req) -> Response:
    mode = "import" if req.param("mode") == "import" else "generate"
    return _form(req, mode)(values_of(AuthorityRequest))


def create(req: Req) -> Response:
    mode = "import" if req.form.get("mode") == "import" else "generate"

    def act(command: AuthorityRequest) -> Response:
        a = req.services.authorities.create(req.actor, command).authority
        return done(req, f"{AUTHORITIES}/{a.uuid}", f"Authority {a.name} created.")

    return submit(req, AuthorityRequest, act, _form(req, mode), skip=_skip(mode))


def confirm_delete(req: Req) -> Response:
    view = req.services.authorities.get(req.actor, req.path_param("uuid"))
    blockers = [r.name for r in view.ra_profiles]
    here = f"{AUTHORITIES}/{view.authority.uuid}"
    return req.render(
        DELETE, kind="Authority", name=view.authority.name, back=here, blockers=blockers
    )


delete = removal(
    "authorities", AUTHORITIES, lambda v: f"Authority {v.authority.name} deleted.", lambda v: INDEX
)
switch = change("authorities", AUTHORITIES, lambda a, done: f"Authority {a.name} {done}.")
cross_sign = change(
    "authorities",
    AUTHORITIES,
    lambda v, _: (
        f"Authority {v.authority.name} cross-signed: certificate downloads now offer "
        f"{len(v.alternate_chains)} alternate chain(s)."
    ),
    method="cross_sign",
)

ROUTES = [
    PageRoute("/ra-profiles", index, name="ra_profiles"),
    PageRoute("/authorities", lambda req: req.redirect(INDEX), name="authorities"),
    PageRoute("/authorities/new", new_form, name="authority_new"),
    PageRoute("/authorities/new", create, methods=POST, name="authority_create"),
    PageRoute("/authorities/{uuid}", detail, name="authority"),
    PageRoute("/authorities/{uuid}/chain.pem", chain_download, name="authority_chain"),
    PageRoute("/authorities/{uuid}/enable", switch, methods=POST, name="authority_on"),
    PageRoute("/authorities/{uuid}/disable", switch, methods=POST, name="authority_off"),
    PageRoute(
        "/authorities/{uuid}/cross-sign", cross_sign, methods=POST, name="authority_cross_sign"
    ),
    PageRoute("/authorities/{uuid}/delete", confirm_delete, name="authority_delete_page"),
    PageRoute("/authorities/{uuid}/delete", delete, methods=POST, name="authority_delete"),
    *ra_profiles.ROUTES,
    *certificate_profiles.ROUTES,
]
