"""ACME accounts: list (filters, paging, bulk enable/disable/revoke; revoke asks first), detail
(contacts, terms, EAB key, order counts, recent orders) and enable/disable/revoke of one.
Every read and change goes through services/account_admin.py, which checks the role: reading
needs the auditor role, changing the operator role."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from starlette.responses import Response

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.model import AccountStatus
from acmehub.domain.ports import OrderFilter, Page
from acmehub.services.commands.accounts import AccountQuery
from acmehub.services.commands.base import parse
from acmehub.webui.changes import report
from acmehub.webui.framework import PREFIX, Flash, PageRoute, Req, safe_next
from acmehub.webui.paging import PageRequest, keep_query, page_of

LIST = f"{PREFIX}/accounts"
FILTERS = ("acmeProfile", "raProfile", "status", "enabled")
STATUSES = tuple(s.value for s in AccountStatus)
VERBS = {"enable": "enabled", "disable": "disabled", "revoke": "revoked"}
RECENT_ORDERS = 10  # on the detail page; the order browser has the rest
ANY = [("", "Any")]


def index(req: Req) -> Response:
    params, url = req.request.query_params, req.request.url
    request = PageRequest.from_query(params)
    found = req.services.account_admin.page(req.actor, _query(params, request))
    acme = req.services.acme_profiles.list_all(req.actor)
    ra = req.services.ra_profiles.list_all(req.actor)
    return req.render(
        "accounts/list.html",
        paged=page_of(found.items, found.total, request, LIST, keep_query(params, *FILTERS)),
        filters={name: params.get(name, "") for name in FILTERS},
        acme_options=ANY + [(v.profile.uuid, v.profile.name) for v in acme],
        ra_options=ANY + [(v.profile.uuid, v.profile.name) for v in ra],
        status_options=ANY + [(s, s.capitalize()) for s in STATUSES],
        back=url.path + (f"?{url.query}" if url.query else ""),
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
    action, uuids = req.form.get("action"), [u for u in req.form.get_all("uuid") if u]
    back = safe_next(req.form.get("back") or LIST)
    change = {"enable": "enable", "disable": "disable", "revoke-confirmed": "revoke"}.get(action)
    if not uuids:
        return req.redirect(back, Flash("error", "Select at least one ACME account first."))
    if action == "revoke":
        return _confirm_revoke(req, uuids, back)
    if change is None:
        return req.redirect(back, Flash("error", "Unknown action."))
    failures = getattr(req.services.account_admin, f"bulk_{change}")(req.actor, uuids)
    done = len(set(uuids)) - len(failures)
    return req.redirect(back, *report("ACME account", VERBS[change], done, failures))


def _confirm_revoke(req: Req, uuids: Sequence[str], back: str) -> Response:
    found = req.services.account_admin.found(req.actor, uuids)
    if not found:
        return req.redirect(back, Flash("error", "Those ACME accounts no longer exist."))
    return req.render("accounts/revoke.html", items=found, back=back)


def revoke_page(req: Req) -> Response:
    """GET: the confirmation page for the accounts named in ``uuid`` (works without script)."""
    uuids = [u for u in req.request.query_params.getlist("uuid") if u]
    return _confirm_revoke(req, uuids, safe_next(req.param("back") or LIST))


def detail(req: Req) -> Response:
    view = req.services.account_admin.get(
        req.actor, req.path_param("profile"), req.path_param("uuid")
    )
    orders, total = req.services.order_browser.search(
        req.actor, OrderFilter(account_id=view.account.id), Page(0, RECENT_ORDERS)
    )
    counts = [(k, v) for k, v in view.order_counts.items() if k != "total"]
    return req.render(
        "accounts/detail.html",
        view=view,
        account=view.account,
        orders=orders,
        orders_total=total,
        counts=counts,
    )


def change(req: Req) -> Response:
    profile, uuid = req.path_param("profile"), req.path_param("uuid")
    action = req.request.url.path.rsplit("/", 1)[-1]  # enable | disable | revoke (ROUTES)
    target = f"{LIST}/{profile}/{uuid}"
    try:
        account = getattr(req.services.account_admin, action)(req.actor, profile, uuid)
    except DomainError as exc:
        if exc.kind is not ErrorKind.INVALID_INPUT:
            raise
        return req.redirect(target, Flash("error", exc.detail))
    return req.redirect(target, Flash("success", f"ACME account {account.id} {VERBS[action]}."))


ONE = "/accounts/{profile}/{uuid}"
ROUTES = [
    PageRoute("/accounts", index, name="accounts"),
    PageRoute("/accounts/bulk", bulk, methods=("POST",), name="accounts_bulk"),
    PageRoute("/accounts/revoke", revoke_page, name="accounts_revoke"),
    PageRoute(ONE, detail, name="account"),
    *(
        PageRoute(f"{ONE}/{a}", change, methods=("POST",), name=f"account_{a}")
        for a in ("enable", "disable", "revoke")
    ),
]
