"""EAB keys per ACME profile: choose the profile, list its keys (state, uses, expiry), create
one (the secret is shown once, on the answer to the form, with the certbot and lego flags) and
revoke one after confirming. services/eab.py has every rule."""

from __future__ import annotations

import base64
import shlex
from dataclasses import dataclass
from datetime import timedelta

from starlette.responses import Response

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.model import EabKey
from acmehub.domain.ports import Page
from acmehub.services.eab import EAB_KEY_OCTETS, NewEabKey, key_state
from acmehub.webui.framework import PREFIX, Flash, PageRoute, Req, field_errors
from acmehub.webui.pages.acme_profiles import directory_url
from acmehub.webui.paging import PageRequest, page_without_total, paginate

INDEX = f"{PREFIX}/eab-keys"
FIELDS = ("algorithm", "validitySeconds", "description", "reusable")


@dataclass(frozen=True)
class KeyRow:
    key: EabKey
    state: str


def index(req: Req) -> Response:
    """Each ACME profile with a link to its keys."""
    views = req.services.acme_profiles.list_all(req.actor)
    paged = paginate(views, PageRequest.from_query(req.request.query_params), INDEX)
    return req.render("eab/index.html", paged=paged)


def _list(
    req: Req,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    error: str = "",
    status: int = 200,
) -> Response:
    uuid = req.path_param("profile")
    profile = req.services.acme_profiles.get(req.actor, uuid).profile
    request = PageRequest.from_query(req.request.query_params)
    keys = req.services.eab.list(req.actor, uuid, Page(request.offset, request.size + 1))
    now = req.services.eab.now()
    rows = [KeyRow(k, key_state(k, now).value) for k in keys[: request.size]]
    paged = page_without_total(rows, len(keys) > request.size, request, f"{INDEX}/{uuid}")
    return req.render(
        "eab/list.html",
        status=status,
        profile=profile,
        paged=paged,
        values=values or {"algorithm": "HS256", "validitySeconds": ""},
        errors=errors or {},
        error=error,
        algorithms=[(a, a) for a in EAB_KEY_OCTETS],
    )


def keys(req: Req) -> Response:
    return _list(req)


def create(req: Req) -> Response:
    uuid = req.path_param("profile")
    form = req.form
    values = {
        "algorithm": form.get("algorithm", "HS256"),
        "validitySeconds": form.get("validitySeconds").strip(),
        "description": form.get("description").strip(),
        "reusable": "on" if form.has("reusable") else "",
    }
    valid_for = None
    if values["validitySeconds"]:
        if not values["validitySeconds"].isdigit() or int(values["validitySeconds"]) < 1:
            errors = {
                "validitySeconds": "validitySeconds must be a whole number of seconds above 0"
            }
            return _list(req, values=values, errors=errors, status=422)
        valid_for = timedelta(seconds=int(values["validitySeconds"]))
    spec = NewEabKey(
        algorithm=values["algorithm"],
        reusable=bool(values["reusable"]),
        valid_for=valid_for,
        description=values["description"],
    )
    try:
        created = req.services.eab.create(req.actor, uuid, spec)
    except DomainError as exc:
        if exc.kind is not ErrorKind.INVALID_INPUT:
            raise
        errors, error = field_errors(exc, (*FIELDS, "expiresAt"))
        if "expiresAt" in errors:
            errors["validitySeconds"] = errors.pop("expiresAt")
        return _list(req, values=values, errors=errors, error=error, status=422)
    key = created.key
    secret = base64.urlsafe_b64encode(created.secret).rstrip(b"=").decode()
    directory = directory_url(req, created.profile.name)
    certbot = ["--server", directory, "--eab-kid", key.key_id, "--eab-hmac-key", secret]
    if key.algorithm != "HS256":
        certbot += ["--eab-hmac-alg", key.algorithm]
    lego = ["--server", directory, "--eab", "--kid", key.key_id, "--hmac", secret]
    # Shown directly (never through a flash cookie): this response is the only place it appears.
    return req.render(
        "eab/created.html",
        status=201,
        profile=created.profile,
        key=key,
        secret=secret,
        certbot=shlex.join(certbot),
        lego=shlex.join(lego) if key.algorithm == "HS256" else "",
    )


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
