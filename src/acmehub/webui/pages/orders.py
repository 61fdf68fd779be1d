"""Orders, authorizations and challenges: a read-only browser for "why did my client fail?".

The list searches by account (protocol id), by name (any identifier containing the text), by
status and by ACME profile, newest first, paged on the server. The detail page shows each
authorization with its challenge attempts and their errors as problem documents, and the
certificate the order produced. services/order_browser.py reads everything (auditor and up).
"""

from __future__ import annotations

from starlette.responses import Response

from acmehub.domain.model import OrderStatus
from acmehub.domain.ports import OrderFilter, Page
from acmehub.webui.framework import PREFIX, PageRoute, Req
from acmehub.webui.paging import PageRequest, keep_query, page_of

LIST = f"{PREFIX}/orders"
STATUSES = tuple(s.value for s in OrderStatus)
FILTERS = ("account", "name", "status", "acmeProfile")


def index(req: Req) -> Response:
    query = req.request.query_params
    values = {name: query.get(name, "").strip() for name in FILTERS}
    where = OrderFilter(
        account_id=values["account"] or None,
        name=values["name"] or None,
        status=values["status"] if values["status"] in STATUSES else None,
        acme_profile_uuid=values["acmeProfile"] or None,
    )
    request = PageRequest.from_query(query)
    rows, total = req.services.order_browser.search(
        req.actor, where, Page(request.offset, request.size)
    )
    profiles = req.services.acme_profiles.list_all(req.actor)
    return req.render(
        "orders/list.html",
        paged=page_of(rows, total, request, LIST, keep_query(query, *FILTERS)),
        orders=rows,
        filters=values,
        status_options=[("", "Any")] + [(s, s.capitalize()) for s in STATUSES],
        acme_options=[("", "Any")] + [(v.profile.uuid, v.profile.name) for v in profiles],
    )


def detail(req: Req) -> Response:
    found = req.services.order_browser.get(req.actor, req.path_param("order_id"))
    return req.render("orders/detail.html", d=found, order=found.order)


ROUTES = [
    PageRoute("/orders", index, name="orders"),
    PageRoute("/orders/{order_id}", detail, name="order"),
]
