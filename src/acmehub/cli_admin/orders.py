"""`acmehub order list|show`: the order browser ("why did my client fail?"), as the API's
actions (management/routers/orders.py), here or on a remote server (``--server``)."""

from __future__ import annotations

import argparse

from acmehub.cli_admin.base import Admin, SubParsers, json_flag, run
from acmehub.cli_admin.filters import list_command, resolvers
from acmehub.cli_admin.options import command_of
from acmehub.management.routers import orders as api
from acmehub.services.commands.orders import COLUMNS, OrderListQuery


def register(sub: SubParsers) -> None:
    order = sub.add_parser("order", help="ACME orders with their authorizations and challenges")
    actions = order.add_subparsers(dest="action", required=True)
    list_command(actions, "orders", OrderListQuery, _list)
    show = actions.add_parser(
        "show", parents=[json_flag()], help="an order with its challenges and their errors"
    )
    show.add_argument("order", help="the order id")
    show.set_defaults(func=run(_show))


def _list(admin: Admin, args: argparse.Namespace) -> None:
    query = command_of(OrderListQuery, args, resolvers=resolvers(admin))
    admin.page(admin.do(api.LIST, query=query), COLUMNS)


def _show(admin: Admin, args: argparse.Namespace) -> None:
    detail = admin.do(api.GET, {"orderId": args.order})
    if admin.json:
        admin.emit(detail)
        return
    admin.details(detail)
