"""The web interface's request cycle: who is signed in, CSRF and origin checks, form parsing,
rendering, flash messages and the error pages.

A page handler is a plain function ``(req: Req) -> Response``. It runs in a worker thread (the
services are synchronous), after the wrapper built by :func:`endpoint` has

* found the session from its cookie (``services.sessions.resolve``), sending a visitor who is
  not signed in to the sign-in page;
* for a POST: read the form (``application/x-www-form-urlencoded``, at most ``MAX_FORM``
  bytes), refused it with a 403 page unless its ``csrf_token`` field matches the session's
  token and its Origin (or else Referer) header, when present, is this site.

A :class:`DomainError` a handler lets through becomes a page: 403 "not allowed", 404 "not
found", anything else an error page with the service's detail. Handlers that want the detail
next to a form field catch it themselves (see :func:`field_errors`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from jinja2 import Environment
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from acmehub.domain.errors import DomainError
from acmehub.services.admin import Actor
from acmehub.services.container import Services
from acmehub.services.sessions import SignedIn, same_token

log = logging.getLogger("acmehub.webui")

PREFIX = "/ui"
MAX_FORM = 1024 * 1024
FORM_TYPE = "application/x-www-form-urlencoded"
CSRF_FIELD = "csrf_token"
#: Pages are never framed, load nothing from elsewhere and run only our own script.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True)
class NavItem:
    section: str
    label: str
    path: str


@dataclass(frozen=True)
class CookieNames:
    session: str
    signin: str
    flash: str


@dataclass(frozen=True)
class Ui:
    """What every page shares; built once by ``create_webui_app``."""

    services: Services
    templates: Environment
    base_url: str  # the server's external base URL, no trailing slash
    secure: bool  # cookies only over HTTPS (the external URL's scheme)
    cookies: CookieNames
    nav: tuple[NavItem, ...]

    @property
    def origin(self) -> str:
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}"

    def set_cookie(self, response: Response, name: str, value: str, max_age: int | None) -> None:
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path=PREFIX,
            secure=self.secure,
            httponly=True,
            samesite="strict",
        )

    def clear_cookie(self, response: Response, name: str) -> None:
        response.delete_cookie(
            name, path=PREFIX, secure=self.secure, httponly=True, samesite="strict"
        )


class Form:
    """A parsed urlencoded form: every value of a repeated field is kept."""

    def __init__(self, pairs: Sequence[tuple[str, str]] = ()) -> None:
        self._pairs = list(pairs)

    def get(self, name: str, default: str = "") -> str:
        return next((v for k, v in self._pairs if k == name), default)

    def get_all(self, name: str) -> list[str]:
        return [v for k, v in self._pairs if k == name]

    def has(self, name: str) -> bool:
        return any(k == name for k, _ in self._pairs)

    def __contains__(self, name: object) -> bool:
        return any(k == name for k, _ in self._pairs)


@dataclass(frozen=True)
class Flash:
    level: str  # "success" | "error" | "info"
    text: str


@dataclass
class Req:
    """One request as a page handler sees it."""

    ui: Ui
    request: Request
    who: SignedIn | None
    secret: str  # the session cookie's secret ("" when not signed in)
    form: Form = field(default_factory=Form)
    section: str = ""

    @property
    def services(self) -> Services:
        return self.ui.services

    @property
    def actor(self) -> Actor:
        if self.who is None:  # pragma: no cover - public pages do not ask
            raise RuntimeError("no one is signed in")
        return self.who.actor

    @property
    def method(self) -> str:
        return self.request.method

    def param(self, name: str, default: str = "") -> str:
        return self.request.query_params.get(name, default)

    def path_param(self, name: str) -> str:
        return str(self.request.path_params[name])

    def url(self, path: str, **query: str | int | None) -> str:
        """A URL of the web interface: ``path`` below /ui, with the given query values."""
        clean = {k: str(v) for k, v in query.items() if v not in (None, "")}
        return PREFIX + path + (("?" + urlencode(clean)) if clean else "")

    # ------------------------------------------------------------------ responses

    def render(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        flashes = read_flash(self)
        # A page may bring its own token (the sign-in form); otherwise the session's.
        token = context.pop("csrf_token", None)
        if token is None:
            token = self.who.csrf_token if self.who else ""
        html = self.ui.templates.get_template(template).render(
            ui_prefix=PREFIX,
            nav=self.ui.nav,
            section=context.pop("section", self.section),
            user=self.who.user if self.who else None,
            csrf_token=token,
            flashes=[*flashes, *context.pop("flashes", [])],
            request_path=self.request.url.path,
            **context,
        )
        response = HTMLResponse(html, status_code=status)
        if flashes:
            self.ui.clear_cookie(response, self.ui.cookies.flash)
        return response

    def redirect(self, location: str, *flashes: Flash) -> RedirectResponse:
        """303 See Other (a POST's answer), carrying flash messages for the next page."""
        response = RedirectResponse(location, status_code=303)
        if flashes and self.secret:
            value = encode_flash(self.secret, list(flashes))
            self.ui.set_cookie(response, self.ui.cookies.flash, value, max_age=300)
        return response


Handler = Callable[[Req], Response]


@dataclass(frozen=True)
class PageRoute:
    """A page of a section: ``path`` below /ui, its handler and methods."""

    path: str
    handler: Handler
    methods: tuple[str, ...] = ("GET",)
    name: str | None = None
    #: Reached without signing in (the sign-in page itself).
    public: bool = False


# --------------------------------------------------------------------------- flash


def _sign(secret: str, payload: bytes) -> str:
    mac = hmac.new(("flash\x00" + secret).encode(), payload, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def encode_flash(secret: str, flashes: list[Flash]) -> str:
    """Flash messages in a cookie, signed with the session's secret (only our pages set it)."""
    payload = json.dumps([[f.level, f.text[:500]] for f in flashes[:10]]).encode()
    body = base64.urlsafe_b64encode(payload).rstrip(b"=").decode()
    return f"{body}.{_sign(secret, payload)}"


def read_flash(req: Req) -> list[Flash]:
    raw = req.request.cookies.get(req.ui.cookies.flash, "")
    if not raw or not req.secret or "." not in raw:
        return []
    body, mac = raw.rsplit(".", 1)
    try:
        payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        if not hmac.compare_digest(mac, _sign(req.secret, payload)):
            return []
        return [Flash(str(level), str(text)) for level, text in json.loads(payload)]
    except (ValueError, TypeError):
        return []


# --------------------------------------------------------------------------- checks


def same_origin(request: Request, ui: Ui) -> bool:
    """Origin (or else Referer), when the browser sends one, names this site: the configured
    external URL or the host the browser addressed."""
    allowed = {ui.origin.lower()}
    host = request.headers.get("host")
    if host:
        allowed.add(f"{urlsplit(ui.base_url).scheme}://{host}".lower())
    origin = request.headers.get("origin")
    if origin is not None:
        return origin.lower() in allowed
    referer = request.headers.get("referer")
    if referer:
        parts = urlsplit(referer)
        return f"{parts.scheme}://{parts.netloc}".lower() in allowed
    return True


def safe_next(target: str) -> str:
    """Where to go after signing in: a path of the web interface, nothing else."""
    if target.startswith(PREFIX + "/") and not target.startswith("//") and "\\" not in target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return PREFIX + "/"


async def _read_form(request: Request) -> Form | None:
    """The urlencoded body, or None when it is not one (or too large)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != FORM_TYPE:
        return None
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_FORM):
        return None
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM:
            return None
    try:
        return Form(parse_qsl(body.decode(), keep_blank_values=True, max_num_fields=5000))
    except (UnicodeDecodeError, ValueError):
        return None


# --------------------------------------------------------------------------- error pages


def error_page(
    req: Req, status: int, title: str, message: str, *, sign_in: bool = False
) -> HTMLResponse:
    return req.render(
        "error.html", status=status, title=title, message=message, show_sign_in=sign_in
    )


def forbidden(req: Req, message: str) -> HTMLResponse:
    return error_page(req, 403, "Not allowed", message)


def domain_error_page(req: Req, exc: DomainError) -> HTMLResponse:
    status = exc.status or 400
    if status == 403:
        role = req.who.user.role.value if req.who else "none"
        return forbidden(
            req,
            f"Your role ({role}) does not allow this. Ask an administrator if you need it. "
            f"({exc.detail})",
        )
    if status == 404:
        return error_page(req, 404, "Not found", exc.detail)
    return error_page(req, status, "That did not work", exc.detail)


# --------------------------------------------------------------------------- the wrapper


def endpoint(ui: Ui, route: PageRoute, section: str) -> Callable[[Request], Any]:
    async def handle(request: Request) -> Response:
        secret = request.cookies.get(ui.cookies.session, "")
        services = ui.services
        who = await run_in_threadpool(services.sessions.resolve, secret) if secret else None
        req = Req(ui, request, who, secret if who else "", section=section)
        response = await _dispatch(ui, route, req)
        if secret and who is None and not route.public:
            ui.clear_cookie(response, ui.cookies.session)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    return handle


async def _dispatch(ui: Ui, route: PageRoute, req: Req) -> Response:
    request = req.request
    if req.who is None and not route.public:
        if request.method == "GET":
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"{PREFIX}/signin?next={quote(target)}", status_code=303)
        return error_page(
            req, 403, "Signed out", "Your session has ended: sign in again.", sign_in=True
        )
    if request.method == "POST":
        form = await _read_form(request)
        if form is None:
            return error_page(req, 415, "Unsupported form", "The form could not be read.")
        req.form = form
        if not same_origin(request, ui):
            log.warning("webui: cross-site POST to %s refused", request.url.path)
            return forbidden(req, "This form was sent from another site, so it was refused.")
        # Public forms (sign-in) have no session: their token sits in a cookie of its own.
        if route.public or req.who is None:
            expected = request.cookies.get(ui.cookies.signin, "")
        else:
            expected = req.who.csrf_token
        if not expected or not same_token(form.get(CSRF_FIELD), expected):
            log.warning("webui: POST to %s without a valid CSRF token", request.url.path)
            return forbidden(
                req,
                "This form has expired or did not come from this site. Go back, reload the "
                "page and try again.",
            )
    try:
        return await run_in_threadpool(route.handler, req)
    except DomainError as exc:
        return domain_error_page(req, exc)
    except Exception:
        log.exception("webui: %s %s failed", request.method, request.url.path)
        return error_page(
            req,
            500,
            "Something went wrong",
            "The server could not show this page; it has logged why.",
        )


def new_signin_token() -> str:
    return secrets.token_urlsafe(32)
