"""ACME profiles: list (search, paging, bulk enable/disable/delete), detail (directory URL,
certbot and lego commands), create and edit, delete with a confirmation that lists what depends
on each profile and offers force delete (services/acme_profiles.py has every rule).

This module is the pattern for the other sections: read the query or form, call one service
method with ``req.actor``, render a template or redirect with a flash message; let the
framework turn a refusal into a page, except where it belongs next to a form field.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from starlette.responses import Response

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.model import AcmeProfile
from acmehub.domain.ports import AccountFilter, Page
from acmehub.services.commands.acme_profiles import (
    AcmeProfileRequest,
    AcmeProfileUpdate,
    AcmeProfileView,
)
from acmehub.services.profile_rules import BulkFailure
from acmehub.webui import forms
from acmehub.webui.changes import change, refused, report
from acmehub.webui.forms import fieldsets, posted, values_of
from acmehub.webui.framework import PREFIX, Flash, PageRoute, Req, safe_next
from acmehub.webui.paging import PageRequest, keep_query, paginate

LIST = f"{PREFIX}/acme-profiles"


def directory_url(req: Req, name: str, *, ra_family: bool = False) -> str:
    """The profile's ACME directory (the one URL table and the configured base URL)."""
    urls = req.services.deps.urls
    return urls.ra_directory(name) if ra_family else urls.directory(name)


# --------------------------------------------------------------------------- list


@dataclass(frozen=True)
class Row:
    view: AcmeProfileView
    directory_url: str


def index(req: Req) -> Response:
    query = req.request.query_params
    search = query.get("q", "").strip().lower()
    status = query.get("status", "")
    views = req.services.acme_profiles.list_all(req.actor)
    rows = [
        Row(v, directory_url(req, v.profile.name))
        for v in views
        if (not search or search in f"{v.profile.name}\n{v.profile.description}".lower())
        and (status != "enabled" or v.profile.enabled)
        and (status != "disabled" or not v.profile.enabled)
    ]
    paged = paginate(rows, PageRequest.from_query(query), LIST, keep_query(query, "q", "status"))
    back = str(req.request.url.path) + (
        f"?{req.request.url.query}" if req.request.url.query else ""
    )
    return req.render(
        "acme_profiles/list.html",
        paged=paged,
        filters={"q": query.get("q", ""), "status": status},
        back=back,
        total_profiles=len(views),
    )


def bulk(req: Req) -> Response:
    action = req.form.get("action")
    uuids = [u for u in req.form.get_all("uuid") if u]
    back = safe_next(req.form.get("back") or LIST)
    if not uuids:
        return req.redirect(back, Flash("error", "Select at least one ACME profile first."))
    service = req.services.acme_profiles
    if action in ("enable", "disable"):
        act = service.bulk_enable if action == "enable" else service.bulk_disable
        failures = act(req.actor, uuids)
        done = len(set(uuids)) - len(failures)
        return req.redirect(back, *_report(f"{action}d", done, failures))
    if action == "delete":
        return _confirm_delete(req, uuids, back)
    if action in ("delete-confirmed", "force-delete"):
        act = service.force_delete if action == "force-delete" else service.bulk_delete
        failures = act(req.actor, uuids)
        done = len(set(uuids)) - len(failures)
        if failures and action == "delete-confirmed":
            # Offer force delete for the ones that are still in use.
            return _confirm_delete(
                req,
                [f.uuid for f in failures],
                back,
                flashes=_report("deleted", done, failures),
            )
        return req.redirect(back, *_report("deleted", done, failures))
    return req.redirect(back, Flash("error", "Unknown action."))


def _report(verb: str, done: int, failures: Sequence[BulkFailure]) -> list[Flash]:
    return report("ACME profile", verb, done, failures)


# --------------------------------------------------------------------------- delete


@dataclass(frozen=True)
class Dependants:
    """What depends on a profile: shown before it is deleted."""

    view: AcmeProfileView
    accounts: int
    eab_keys: int

    @property
    def in_use(self) -> bool:
        return bool(self.view.activated_on) or self.accounts > 0


def dependants(req: Req, view: AcmeProfileView) -> Dependants:
    uuid = view.profile.uuid
    _, accounts = req.services.account_admin.search(
        req.actor, AccountFilter(acme_profile_uuid=uuid), Page(0, 1)
    )
    keys = req.services.eab.list(req.actor, uuid, Page(0, 10_000))
    return Dependants(view, accounts, sum(1 for k in keys if k.revoked_at is None))


def delete_page(req: Req) -> Response:
    """GET: the confirmation page for the profiles named in ``uuid`` (works without script)."""
    uuids = [u for u in req.request.query_params.getlist("uuid") if u]
    return _confirm_delete(req, uuids, safe_next(req.param("back") or LIST))


def _confirm_delete(
    req: Req, uuids: Sequence[str], back: str, flashes: Sequence[Flash] = ()
) -> Response:
    service = req.services.acme_profiles
    found = []
    for uuid in dict.fromkeys(uuids):
        try:
            found.append(dependants(req, service.get(req.actor, uuid)))
        except DomainError as exc:
            if exc.kind is not ErrorKind.NOT_FOUND:
                raise
    if not found:
        return req.redirect(back, Flash("error", "Those ACME profiles no longer exist."))
    return req.render(
        "acme_profiles/delete.html",
        items=found,
        any_in_use=any(d.in_use for d in found),
        back=back,
        flashes=list(flashes),
    )


# --------------------------------------------------------------------------- detail


@dataclass(frozen=True)
class ClientCommand:
    client: str
    command: str


def client_commands(req: Req, profile: AcmeProfile) -> list[ClientCommand]:
    """Ready-to-paste certbot and lego commands for the profile's directory."""
    url = directory_url(req, profile.name)
    eab = profile.require_external_account_binding
    certbot = [
        "REQUESTS_CA_BUNDLE=/path/to/acmehub-root.pem \\",
        f"  certbot certonly --server {url} \\",
        "  --standalone -d www.example.com \\",
        "  --agree-tos -m admin@example.com",
    ]
    lego = [
        "LEGO_CA_CERTIFICATES=/path/to/acmehub-root.pem \\",
        f"  lego --server {url} \\",
        "  --accept-tos --email admin@example.com \\",
        "  --domains www.example.com --http",
    ]
    if eab:
        certbot[-1] += " \\"
        certbot.append("  --eab-kid YOUR_KEY_ID --eab-hmac-key YOUR_HMAC_KEY")
        lego[-1] += " \\"
        lego.append("  --eab --kid YOUR_KEY_ID --hmac YOUR_HMAC_KEY")
    lego[-1] += " run"
    return [ClientCommand("certbot", "\n".join(certbot)), ClientCommand("lego", "\n".join(lego))]


def detail(req: Req) -> Response:
    view = req.services.acme_profiles.get(req.actor, req.path_param("uuid"))
    profile = view.profile
    return req.render(
        "acme_profiles/detail.html",
        view=view,
        profile=profile,
        deps=dependants(req, view),
        directory=directory_url(req, profile.name),
        ra_directories=[
            (ra, directory_url(req, ra.name, ra_family=True)) for ra in view.activated_on
        ],
        commands=client_commands(req, profile),
        attributes={
            "Issue certificate attributes": profile.issue_certificate_attributes,
            "Revoke certificate attributes": profile.revoke_certificate_attributes,
            "Custom attributes": profile.custom_attributes,
            "Certificate associations": profile.certificate_associations,
        },
    )


switch = change("acme_profiles", LIST, lambda p, done: f"ACME profile {p.name} {done}.")


# --------------------------------------------------------------------------- create / edit
# The form is the commands' fields (webui/forms.py): AcmeProfileRequest to create, the same
# inputs with the name read-only to edit (AcmeProfileUpdate).


def _form(
    req: Req,
    *,
    profile: AcmeProfile | None,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    error: str = "",
    status: int = 200,
) -> Response:
    ra_profiles = req.services.ra_profiles.list_all(req.actor)
    options = {
        "ra_profiles": [("", "None")] + [(v.profile.uuid, v.profile.name) for v in ra_profiles]
    }
    editing = profile is not None
    return req.render(
        "acme_profiles/form.html",
        status=status,
        profile=profile,
        fieldsets=fieldsets(
            AcmeProfileRequest,
            options=options,
            readonly={"name"} if editing else (),
            skip={"enabled"} if editing else (),
        ),
        values=values,
        errors=errors or {},
        error=error,
    )


def new_form(req: Req) -> Response:
    return _form(req, profile=None, values=values_of(AcmeProfileRequest))


def create(req: Req) -> Response:
    try:
        command = forms.command_of(AcmeProfileRequest, req.form)
        profile = req.services.acme_profiles.create(req.actor, command)
    except DomainError as exc:
        return _refused(req, exc, None, posted(AcmeProfileRequest, req.form))
    return req.redirect(
        f"{LIST}/{profile.uuid}", Flash("success", f"ACME profile {profile.name} created.")
    )


def edit_form(req: Req) -> Response:
    detail = req.services.acme_profiles.detail(req.actor, req.path_param("uuid"))
    view = req.services.acme_profiles.get(req.actor, detail.uuid)
    return _form(req, profile=view.profile, values=values_of(AcmeProfileRequest, detail))


def update(req: Req) -> Response:
    current = req.services.acme_profiles.get(req.actor, req.path_param("uuid")).profile
    values = {**posted(AcmeProfileRequest, req.form), "name": current.name}
    try:
        command = forms.command_of(AcmeProfileUpdate, req.form)
        profile = req.services.acme_profiles.update(req.actor, current.uuid, command)
    except DomainError as exc:
        return _refused(req, exc, current, values)
    return req.redirect(
        f"{LIST}/{profile.uuid}", Flash("success", f"ACME profile {profile.name} saved.")
    )


def _refused(
    req: Req, exc: DomainError, profile: AcmeProfile | None, values: dict[str, Any]
) -> Response:
    """A refusal shown on the form: next to its field, or at the top."""

    def show(errors: dict[str, str], error: str, status: int) -> Response:
        return _form(req, profile=profile, values=values, errors=errors, error=error, status=status)

    return refused(exc, AcmeProfileRequest, show)


ROUTES = [
    PageRoute("/acme-profiles", index, name="acme_profiles"),
    PageRoute("/acme-profiles/bulk", bulk, methods=("POST",), name="acme_profiles_bulk"),
    PageRoute("/acme-profiles/delete", delete_page, name="acme_profiles_delete"),
    PageRoute("/acme-profiles/new", new_form, name="acme_profiles_new"),
    PageRoute("/acme-profiles/new", create, methods=("POST",), name="acme_profiles_create"),
    PageRoute("/acme-profiles/{uuid}", detail, name="acme_profile"),
    PageRoute("/acme-profiles/{uuid}/edit", edit_form, name="acme_profile_edit"),
    PageRoute("/acme-profiles/{uuid}/edit", update, methods=("POST",), name="acme_profile_update"),
    PageRoute("/acme-profiles/{uuid}/enable", switch, methods=("POST",), name="acme_profile_on"),
    PageRoute("/acme-profiles/{uuid}/disable", switch, methods=("POST",), name="acme_profile_off"),
]
