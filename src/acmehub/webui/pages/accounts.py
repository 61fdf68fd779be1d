"""ACME accounts: list (filters, paging, bulk enable/disable/revoke; revoke asks first), detail
(contacts, terms, EAB key, order counts, recent orders) and enable/disable/revoke of one.
Every read and change goes through services/account_admin.py, which checks the role: reading
needs the auditor role, changing the operator role."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from starlette.responses import Response

from acmehub.domain.model import AccountStatus
from acmehub.domain.ports import OrderFilter, Page
from acmehub.services.commands.accounts import AccountQuery
from acmehub.services.commands.base import parse
from acmehub.webui.changes import change, here, report, selected
from acmehub.webui.framework import PREFIX, Flash, PageRoute, Req
from acmehub.webui.listing import profile_options
from acmehub.webui.paging import PageRequest, keep_query, page_of

LIST = f"{PREFIX}/accounts"
FILTERS = ("acmeProfile", "raProfile", "status", "enabled")
STATUSES = tuple(s.value for s in AccountStatus)
BULK = {"enable": "enable", "disable": "disable", "revoke-confirmed": "revoke"}
RECENT_ORDERS = 10  # on the detail page; the order browser has the rest


def index(req: Req) -> Response:
    params, request = req.request.query_params, PageRequest.from_query(req.request.query_params)
    found = req.services.account_admin.page(req.actor, _query(params, request))
    return req.render(
        "accounts/list.html",
        paged=page_of(found.items, found.total, request, LIST, keep_query(params, *FILTERS)),
        filters={name: params.get(name, "") for name in FILTERS},
        acme_options=profile_options(req.services.acme_profiles.list_all(req.actor)),
        ra_options=profile_options(req.services.ra_profiles.list_all(req.actor)),
        status_options=[("", "Any")] + [(s, s.capitalize()) for s in STATUSES],
        back=here(req),
    )


def _query(params: Mapping[str, str], request: PageRequest) -> AccountQuery:
    """The list's filters (the form's names; odd values are ignored) as the API's query."""
    status = params.get("status", "")
    where = {
        "acmeProfileUuid": params.get("acmeProfile") or None,
        "raProfileUuid": params.get("raProfile") or None,
        "status": status if status in STATUSES else None,
        "enabled": {"yes": True, "no": False}.get(params.get("enabled", "")),
    }
    return parse(AccountQuery, {**where, "offset": request.offset, "limit": request.size})


def bulk(req: Req) -> Response:
    action, (uuids, back) = req.form.get("action"), selected(req, LIST)
    method = BULK.get(action)
    if not uuids:
        return req.redirect(back, Flash("error", "Select at least one ACME account first."))
    if action == "revoke":
        return _confirm_revoke(req, uuids, back)
    if method is None:
        return req.redirect(back, Flash("error", "Unknown action."))
    failures = getattr(req.services.account_admin, f"bulk_{method}")(req.actor, uuids)
    done = len(set(uuids)) - len(failures)
    return req.redirect(back, *report("ACME account", f"{method}d", done, failures))


def revoke_page(req: Req) -> Response:
    """GET: the confirmation page for the accounts named in ``uuid`` (works without script)."""
    return _confirm_revoke(req, *selected(req, LIST))


def _confirm_revoke(req: Req, uuids: Sequence[str], back: str) -> Response:
    found = req.services.account_admin.found(req.actor, uuids)
    if not found:
        return req.redirect(back, Flash("error", "Those ACME accounts no longer exist."))
    return req.render("accounts/revoke.html", items=found, back=back)


def detail(req: Req) -> Response:
    profile, uuid = req.path_param("profile"), req.path_param("uuid")
    view = req.services.account_admin.get(req.actor, profile, uuid)
    recent = OrderFilter(account_id=view.account.id)
    orders, total = req.services.order_browser.search(req.actor, recent, Page(0, RECENT_ORDERS))
    persist = req.services.account_admin.dns_persist_guide(req.actor, profile, uuid)
    return req.render(
        "accounts/detail.html",
        view=view,
        account=view.account,
        orders=orders,
        orders_total=total,
        persist=persist,
    )


switch = change("account_admin", LIST, lambda account, done: f"ACME account {account.id} {done}.")
ONE, POST = "/accounts/{profile}/{uuid}", ("POST",)
ROUTES = [
    PageRoute("/accounts", index, name="accounts"),
    PageRoute("/accounts/bulk", bulk, methods=POST, name="accounts_bulk"),
    PageRoute("/accounts/revoke", revoke_page, name="accounts_revoke"),
    PageRoute(ONE, detail, name="account"),
    PageRoute(f"{ONE}/enable", switch, methods=POST, name="account_enable"),
    PageRoute(f"{ONE}/disable", switch, methods=POST, name="account_disable"),
    PageRoute(f"{ONE}/revoke", switch, methods=POST, name="account_revoke"),
]
