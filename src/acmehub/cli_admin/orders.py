"""`acmehub order list|show`: the order browser ("why did my client fail?"), as the API's
actions (management/routers/orders.py), here or on a remote server (``--server``)."""

from __future__ import annotations

import argparse

from acmehub.cli_admin.base import Admin
from acmehub.cli_admin.commands import command, list_command, list_page
from acmehub.cli_admin.running import SubParsers
from acmehub.management.routers import orders as api
from acmehub.services.commands.orders import COLUMNS, OrderListQuery


def register(sub: SubParsers) -> None:
    order = sub.add_parser("order", help="ACME orders with their authorizations and challenges")
    actions = order.add_subparsers(dest="action", required=True)
    list_command(actions, "orders", OrderListQuery, list_page(api.LIST, OrderListQuery, COLUMNS))
    text = "an order with its challenges and their errors"
    command(actions, "show", text, _show).add_argument("order", help="the order id")


def _show(admin: Admin, args: argparse.Namespace) -> None:
    admin.show(admin.do(api.GET, {"orderId": args.order}))
