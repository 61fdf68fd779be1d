"""The web interface: server-rendered pages under /ui, built by :func:`create_webui_app`.

Each section of the interface is one module in ``webui/pages/`` with a ``ROUTES`` list of
:class:`~acmehub.webui.framework.PageRoute`; :data:`SECTIONS` below collects them and names the
navigation entry each belongs to. To add a page: write its handler in the section's module,
add a ``PageRoute`` to that module's ``ROUTES`` and a template under ``templates/<section>/``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from acmehub.services.container import Services
from acmehub.webui.framework import (
    CookieNames,
    NavItem,
    PageRoute,
    Req,
    Ui,
    endpoint,
    error_page,
)
from acmehub.webui.pages import (
    accounts,
    acme_profiles,
    audit,
    auth,
    authorities,
    certificates,
    dashboard,
    eab,
    orders,
    renewal,
)

STATIC_DIR = Path(__file__).with_name("static")

#: The navigation, in order: (section, label, path below /ui).
NAV = (
    NavItem("dashboard", "Dashboard", "/"),
    NavItem("acme_profiles", "ACME Profiles", "/acme-profiles"),
    NavItem("ra_profiles", "RA Profiles & Authorities", "/ra-profiles"),
    NavItem("accounts", "ACME Accounts", "/accounts"),
    NavItem("orders", "Orders", "/orders"),
    NavItem("certificates", "Certificates", "/certificates"),
    NavItem("eab", "EAB keys", "/eab-keys"),
    NavItem("audit", "Audit log", "/audit"),
)

#: Each section's module (its ROUTES) and the navigation entry its pages highlight.
SECTIONS: tuple[tuple[str, ModuleType], ...] = (
    ("", auth),
    ("dashboard", dashboard),
    ("acme_profiles", acme_profiles),
    ("ra_profiles", authorities),
    ("accounts", accounts),
    ("orders", orders),
    ("certificates", renewal),  # before certificates: /certificates/renew-early
    ("certificates", certificates),
    ("eab", eab),
    ("audit", audit),
)


def _unknown(req: Req) -> Response:
    return error_page(req, 404, "Not found", "There is no page at this address.")


UNKNOWN_PAGE = PageRoute("/{path:path}", _unknown)


def body_too_large(max_bytes: int) -> Response:
    """The answer to a form over the cap (admin_edge.BodyLimit), before it is read whole,
    parsed or its session looked up; the connection closes after it."""
    return PlainTextResponse(
        f"413 Payload Too Large: this form is larger than {max_bytes // 1024} KiB.\n",
        status_code=413,
        headers={"Connection": "close", "Cache-Control": "no-store"},
    )


def when(value: datetime | None, missing: str = "-") -> str:
    """A time as the interface shows it: UTC, to the second."""
    if value is None:
        return missing
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def duration(seconds: int | None) -> str:
    """Seconds in words: 36000 -> "10 h", 90 -> "1 min 30 s"."""
    if seconds is None:
        return "-"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size} {unit}")
            seconds %= size
    return " ".join(parts) or "0 s"


def attr_path(value: object, path: str) -> object:
    """``row | attr_path("view.profile.uuid")``: follow attributes by a dotted path."""
    for name in path.split("."):
        value = getattr(value, name)
    return value


def build_templates() -> Environment:
    env = Environment(
        loader=PackageLoader("acmehub.webui", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = when
    env.filters["duration"] = duration
    env.filters["attr_path"] = attr_path
    return env


def cookie_names(secure: bool) -> CookieNames:
    # "__Secure-" makes the browser refuse the cookie unless it is set over HTTPS with Secure.
    prefix = "__Secure-" if secure else ""
    return CookieNames(
        session=f"{prefix}acmehub-session",
        signin=f"{prefix}acmehub-signin",
        flash=f"{prefix}acmehub-flash",
    )


def create_webui_app(services: Services) -> Starlette:
    """The web interface, to be mounted at /ui. The configured base URL (services.deps.urls):
    its scheme decides whether cookies are Secure (https, also behind a TLS-terminating
    proxy), and its origin is what POSTs' Origin headers must name."""
    base_url = services.deps.urls.base_url
    secure = urlsplit(base_url).scheme == "https"
    ui = Ui(
        services=services,
        templates=build_templates(),
        base_url=base_url,
        secure=secure,
        cookies=cookie_names(secure),
        nav=NAV,
    )
    routes: list[BaseRoute] = [Mount("/static", app=StaticFiles(directory=STATIC_DIR))]
    for section, module in SECTIONS:
        for page in module.ROUTES:
            routes.append(
                Route(
                    page.path,
                    endpoint(ui, page, section),
                    methods=list(page.methods),
                    name=page.name,
                )
            )
    # Last: any other path below /ui is a page that does not exist (after signing in).
    routes.append(Route("/{path:path}", endpoint(ui, UNKNOWN_PAGE, ""), methods=["GET"]))
    app = Starlette(routes=routes)
    app.state.ui = ui
    return app
