"""The order browser over the API: list with filters and one order in full (auditor role).

What the UI's order pages show (services/order_browser.py): statuses as a client sees them now
(an expired pending order reads invalid), each authorization with its challenges and their
errors (RFC 8555 §6.7 problem documents, as the ACME client got them), the certificate if any.
"""

from __future__ import annotations

from fastapi import APIRouter

from acmehub.management.actions import Action, install, not_found
from acmehub.services.commands.base import Paged
from acmehub.services.commands.orders import OrderDetailInfo, OrderListQuery, OrderSummaryInfo

router = APIRouter(tags=["Orders"])

LIST = Action(
    "GET",
    "/orders",
    "List orders (newest first)",
    lambda s, actor, a: s.order_browser.page(actor, a.query),
    name="list_orders",
    query=OrderListQuery,
    result=Paged[OrderSummaryInfo],
)
GET = Action(
    "GET",
    "/orders/{orderId}",
    "Get an order with its authorizations, challenges and certificate",
    lambda s, actor, a: s.order_browser.detail(actor, a["orderId"]),
    name="get_order",
    result=OrderDetailInfo,
    responses=not_found("order"),
)

ACTIONS = [LIST, GET]
install(router, ACTIONS)
