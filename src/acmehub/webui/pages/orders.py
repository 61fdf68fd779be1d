"""Orders, authorizations and challenges: a read-only browser for "why did my client fail?"
(the API's filters and the CLI's columns; services/order_browser.py, auditor and up)."""

from __future__ import annotations

from starlette.responses import Response

from acmehub.domain.model import OrderStatus
from acmehub.services.commands.orders import COLUMNS, OrderListQuery
from acmehub.webui.framework import PREFIX, PageRoute, Req
from acmehub.webui.listing import listing, profile_options

STATUSES = [("", "Any")] + [(s.value, s.value.capitalize()) for s in OrderStatus]


def index(req: Req) -> Response:
    found = listing(req, OrderListQuery, f"{PREFIX}/orders")
    context = found.context(req.services.order_browser.page(req.actor, found.query), COLUMNS)
    acme = profile_options(req.services.acme_profiles.list_all(req.actor))
    return req.render("orders/list.html", **context, status_options=STATUSES, acme_options=acme)


def detail(req: Req) -> Response:
    found = req.services.order_browser.get(req.actor, req.path_param("order_id"))
    return req.render("orders/detail.html", d=found, order=found.order)


ROUTES = [
    PageRoute("/orders", index, name="orders"),
    PageRoute("/orders/{order_id}", detail, name="order"),
]
