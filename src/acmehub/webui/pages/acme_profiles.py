"""ACME profiles: list (search, paging, bulk enable/disable/delete), detail (directory URLs; its
template shows the certbot and lego commands), create and edit with the form made from the
commands, delete with a confirmation that lists what depends on each profile and offers force
delete. services/acme_profiles.py has every rule; webui/changes.py the shared steps.
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
from acmehub.webui.changes import ShowForm, change, done, here, report, selected, submit
from acmehub.webui.forms import render_form, values_of
from acmehub.webui.framework import PREFIX, Flash, PageRoute, Req
from acmehub.webui.listing import profile_options
from acmehub.webui.paging import PageRequest, keep_query, paginate

LIST = f"{PREFIX}/acme-profiles"
POST = ("POST",)


def index(req: Req) -> Response:
    query = req.request.query_params
    search, status = query.get("q", "").strip().lower(), query.get("status", "")
    views = req.services.acme_profiles.list_all(req.actor)
    rows = [
        v
        for v in views
        if (not search or search in f"{v.profile.name}\n{v.profile.description}".lower())
        and status != ("disabled" if v.profile.enabled else "enabled")
    ]
    paged = paginate(rows, PageRequest.from_query(query), LIST, keep_query(query, "q", "status"))
    filters = {"q": query.get("q", ""), "status": status}
    return req.render(
        "acme_profiles/list.html",
        paged=paged,
        filters=filters,
        back=here(req),
        total_profiles=len(views),
        urls=req.services.deps.urls,
    )


def bulk(req: Req) -> Response:
    action, (uuids, back) = req.form.get("action"), selected(req, LIST)
    service = req.services.acme_profiles
    act = {
        "enable": service.bulk_enable,
        "disable": service.bulk_disable,
        "delete-confirmed": service.bulk_delete,
        "force-delete": service.force_delete,
    }.get(action)
    if not uuids:
        return req.redirect(back, Flash("error", "Select at least one ACME profile first."))
    if action == "delete":
        return _confirm_delete(req, uuids, back)
    if act is None:
        return req.redirect(back, Flash("error", "Unknown action."))
    failures = act(req.actor, uuids)
    verb = f"{action}d" if action in ("enable", "disable") else "deleted"
    flashes = report("ACME profile", verb, len(set(uuids)) - len(failures), failures)
    if failures and action == "delete-confirmed":  # offer force delete for those still in use
        return _confirm_delete(req, [f.uuid for f in failures], back, flashes)
    return req.redirect(back, *flashes)


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
    return _confirm_delete(req, *selected(req, LIST))


def _confirm_delete(
    req: Req, uuids: Sequence[str], back: str, flashes: Sequence[Flash] = ()
) -> Response:
    found = []
    for uuid in dict.fromkeys(uuids):
        try:
            found.append(dependants(req, req.services.acme_profiles.get(req.actor, uuid)))
        except DomainError as exc:
            if exc.kind is not ErrorKind.NOT_FOUND:
                raise
    if not found:
        return req.redirect(back, Flash("error", "Those ACME profiles no longer exist."))
    in_use = any(d.in_use for d in found)
    return req.render(
        "acme_profiles/delete.html", items=found, any_in_use=in_use, back=back, flashes=flashes
    )


def detail(req: Req) -> Response:
    view = req.services.acme_profiles.get(req.actor, req.path_param("uuid"))
    urls, profile = req.services.deps.urls, view.profile
    return req.render(
        "acme_profiles/detail.html",
        view=view,
        profile=profile,
        deps=dependants(req, view),
        directory=urls.directory(profile.name),
        ra_directories=[(ra, urls.ra_directory(ra.name)) for ra in view.activated_on],
    )


def _form(req: Req, profile: AcmeProfile | None) -> ShowForm:
    """The form of AcmeProfileRequest: to create, or (the name read-only) to edit."""

    def show(values: Any, errors: Any = None, error: str = "", status: int = 200) -> Response:
        editing = profile is not None
        ra_profiles = profile_options(req.services.ra_profiles.list_all(req.actor), "None")
        return render_form(
            req,
            "acme_profiles/form.html",
            AcmeProfileRequest,
            values,
            errors,
            error,
            status,
            options={"ra_profiles": ra_profiles},
            readonly={"name"} if editing else (),
            skip={"enabled"} if editing else (),
            profile=profile,
        )

    return show


def new_form(req: Req) -> Response:
    return _form(req, None)(values_of(AcmeProfileRequest))


def create(req: Req) -> Response:
    def act(command: AcmeProfileRequest) -> Response:
        p = req.services.acme_profiles.create(req.actor, command)
        return done(req, f"{LIST}/{p.uuid}", f"ACME profile {p.name} created.")

    return submit(req, AcmeProfileRequest, act, _form(req, None))


def edit_form(req: Req) -> Response:
    found = req.services.acme_profiles.detail(req.actor, req.path_param("uuid"))
    profile = req.services.acme_profiles.get(req.actor, found.uuid).profile
    return _form(req, profile)(values_of(AcmeProfileRequest, found))


def update(req: Req) -> Response:
    current = req.services.acme_profiles.get(req.actor, req.path_param("uuid")).profile

    def act(command: AcmeProfileUpdate) -> Response:
        p = req.services.acme_profiles.update(req.actor, current.uuid, command)
        return done(req, f"{LIST}/{p.uuid}", f"ACME profile {p.name} saved.")

    show = _form(req, current)
    keep = {"name": current.name}
    return submit(req, AcmeProfileRequest, act, show, command=AcmeProfileUpdate, keep=keep)


switch = change("acme_profiles", LIST, lambda p, done: f"ACME profile {p.name} {done}.")
ONE = "/acme-profiles/{uuid}"
ROUTES = [
    PageRoute("/acme-profiles", index, name="acme_profiles"),
    PageRoute("/acme-profiles/bulk", bulk, methods=POST, name="acme_profiles_bulk"),
    PageRoute("/acme-profiles/delete", delete_page, name="acme_profiles_delete"),
    PageRoute("/acme-profiles/new", new_form, name="acme_profiles_new"),
    PageRoute("/acme-profiles/new", create, methods=POST, name="acme_profiles_create"),
    PageRoute(ONE, detail, name="acme_profile"),
    PageRoute(f"{ONE}/edit", edit_form, name="acme_profile_edit"),
    PageRoute(f"{ONE}/edit", update, methods=POST, name="acme_profile_update"),
    PageRoute(f"{ONE}/enable", switch, methods=POST, name="acme_profile_on"),
    PageRoute(f"{ONE}/disable", switch, methods=POST, name="acme_profile_off"),
]
