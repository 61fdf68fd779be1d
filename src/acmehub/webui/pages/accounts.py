"""ACME accounts: list (filters, paging, bulk enable/disable/revoke with a confirmation for
revoke), detail (contacts, terms agreement, EAB key, order counts by status, its orders) and
enable/disable/revoke on one account. services/account_admin.py has every rule; reading needs
the auditor role, changing the operator role (the service refuses otherwise).
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.responses import Response

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.model import AccountStatus
from acmehub.domain.ports import AccountFilter, OrderFilter, Page
from acmehub.services.account_admin import AccountView, BulkFailure
from acmehub.webui.framework import PREFIX, Flash, PageRoute, Req, safe_next
from acmehub.webui.paging import PageRequest, keep_query, page_of

LIST = f"{PREFIX}/accounts"
STATUSES = tuple(s.value for s in AccountStatus)
#: How many of an account's orders its detail page lists (the order browser has the rest).
RECENT_ORDERS = 10


def account_url(view: AccountView) -> str:
    return f"{LIST}/{view.account.acme_profile_uuid}/{view.account.uuid}"


def _here(req: Req) -> str:
    url = req.request.url
    return str(url.path) + (f"?{url.query}" if url.query else "")


# --------------------------------------------------------------------------- list


def index(req: Req) -> Response:
    query = req.request.query_params
    acme = query.get("acmeProfile", "")
    ra = query.get("raProfile", "")
    status = query.get("status", "")
    enabled = query.get("enabled", "")
    where = AccountFilter(
        acme_profile_uuid=acme or None,
        ra_profile_uuid=ra or None,
        status=AccountStatus(status) if status in STATUSES else None,
        enabled={"yes": True, "no": False}.get(enabled),
    )
    request = PageRequest.from_query(query)
    views, total = req.services.account_admin.search(
        req.actor, where, Page(request.offset, request.size)
    )
    paged = page_of(
        views,
        total,
        request,
        LIST,
        keep_query(query, "acmeProfile", "raProfile", "status", "enabled"),
    )
    acme_profiles = req.services.acme_profiles.list_all(req.actor)
    ra_profiles = req.services.ra_profiles.list_all(req.actor)
    return req.render(
        "accounts/list.html",
        paged=paged,
        filters={"acmeProfile": acme, "raProfile": ra, "status": status, "enabled": enabled},
        acme_options=[("", "Any")] + [(v.profile.uuid, v.profile.name) for v in acme_profiles],
        ra_options=[("", "Any")] + [(v.profile.uuid, v.profile.name) for v in ra_profiles],
        status_options=[("", "Any")] + [(s, s.capitalize()) for s in STATUSES],
        back=_here(req),
    )


def bulk(req: Req) -> Response:
    action = req.form.get("action")
    uuids = [u for u in req.form.get_all("uuid") if u]
    back = safe_next(req.form.get("back") or LIST)
    if not uuids:
        return req.redirect(back, Flash("error", "Select at least one ACME account first."))
    service = req.services.account_admin
    if action == "revoke":
        return _confirm_revoke(req, uuids, back)
    acts = {
        "enable": (service.bulk_enable, "enabled"),
        "disable": (service.bulk_disable, "disabled"),
        "revoke-confirmed": (service.bulk_revoke, "revoked"),
    }
    if action not in acts:
        return req.redirect(back, Flash("error", "Unknown action."))
    act, verb = acts[action]
    failures = act(req.actor, uuids)
    done = len(set(uuids)) - len(failures)
    return req.redirect(back, *_report(verb, done, failures))


def _report(verb: str, done: int, failures: Sequence[BulkFailure]) -> list[Flash]:
    flashes = []
    if done:
        noun = "account" if done == 1 else "accounts"
        flashes.append(Flash("success", f"{done} ACME {noun} {verb}."))
    for failure in failures:
        flashes.append(Flash("error", f"{failure.name or failure.uuid}: {failure.message}"))
    return flashes


def _confirm_revoke(req: Req, uuids: Sequence[str], back: str) -> Response:
    service = req.services.account_admin
    found = []
    for uuid in dict.fromkeys(uuids):
        with req.services.deps.uow() as tx:
            account = tx.accounts.by_uuid(uuid)
        if account is None:
            continue
        try:
            found.append(service.get(req.actor, account.acme_profile_uuid, uuid))
        except DomainError as exc:
            if exc.kind is not ErrorKind.NOT_FOUND:
                raise
    if not found:
        return req.redirect(back, Flash("error", "Those ACME accounts no longer exist."))
    return req.render("accounts/revoke.html", items=found, back=back)


def revoke_page(req: Req) -> Response:
    """GET: the confirmation page for the accounts named in ``uuid`` (works without script)."""
    uuids = [u for u in req.request.query_params.getlist("uuid") if u]
    return _confirm_revoke(req, uuids, safe_next(req.param("back") or LIST))


# --------------------------------------------------------------------------- detail


def detail(req: Req) -> Response:
    view = req.services.account_admin.get(
        req.actor, req.path_param("profile"), req.path_param("uuid")
    )
    orders, total = req.services.order_browser.search(
        req.actor, OrderFilter(account_id=view.account.id), Page(0, RECENT_ORDERS)
    )
    return req.render(
        "accounts/detail.html",
        view=view,
        account=view.account,
        orders=orders,
        orders_total=total,
        counts=[(k, v) for k, v in view.order_counts.items() if k != "total"],
    )


def change(req: Req) -> Response:
    profile, uuid = req.path_param("profile"), req.path_param("uuid")
    action = req.request.url.path.rsplit("/", 1)[-1]
    service = req.services.account_admin
    act, verb = {
        "enable": (service.enable, "enabled"),
        "disable": (service.disable, "disabled"),
        "revoke": (service.revoke, "revoked"),
    }[action]
    target = f"{LIST}/{profile}/{uuid}"
    try:
        account = act(req.actor, profile, uuid)
    except DomainError as exc:
        if exc.kind is not ErrorKind.INVALID_INPUT:
            raise
        return req.redirect(target, Flash("error", exc.detail))
    return req.redirect(target, Flash("success", f"ACME account {account.id} {verb}."))


ONE = "/accounts/{profile}/{uuid}"

ROUTES = [
    PageRoute("/accounts", index, name="accounts"),
    PageRoute("/accounts/bulk", bulk, methods=("POST",), name="accounts_bulk"),
    PageRoute("/accounts/revoke", revoke_page, name="accounts_revoke"),
    PageRoute(ONE, detail, name="account"),
    PageRoute(f"{ONE}/enable", change, methods=("POST",), name="account_on"),
    PageRoute(f"{ONE}/disable", change, methods=("POST",), name="account_off"),
    PageRoute(f"{ONE}/revoke", change, methods=("POST",), name="account_revoke"),
]
