"""The dashboard: what the platform has been doing (services/dashboard.py)."""

from __future__ import annotations

from starlette.responses import Response

from acmehub.webui.charts import daily_bars
from acmehub.webui.framework import PageRoute, Req


def index(req: Req) -> Response:
    board = req.services.dashboard.overview(req.actor)
    orders_total = sum(n for _, n in board.orders_by_status)
    return req.render(
        "dashboard.html",
        board=board,
        chart=daily_bars(board.issued_per_day),
        orders_total=orders_total,
        orders_max=max((n for _, n in board.orders_by_status), default=0) or 1,
    )


ROUTES = [PageRoute("/", index, name="dashboard")]
