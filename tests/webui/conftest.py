"""Web interface tests against the session's live acmehub (tests/conftest.py ``acmehub``).

* :class:`WebClient` is a browser without a browser: httpx over HTTPS that keeps cookies, signs
  in through the form and sends each form's CSRF token, the way a page would.
* ``users`` makes web users of each role (through the services, as `acmehub user create` does).
* ``browser`` / ``page`` drive Debian's chromium (/usr/bin/chromium) headless through
  Playwright; Playwright never downloads a browser of its own.
"""

from __future__ import annotations

import html
import os
import re
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from acmehub.domain.admin_model import Role
from acmehub.services.admin import CLI_ACTOR
from tests.support.server import AcmehubServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PASSWORD = "a long test password"
_CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')


def csrf_of(page: str) -> str:
    found = _CSRF.search(page)
    assert found, "the page has no form with a CSRF token"
    return html.unescape(found.group(1))


class WebClient:
    """One browser's cookies; ``form`` posts like the page's form (CSRF token included)."""

    def __init__(self, server: AcmehubServer) -> None:
        self.server = server
        self.http = httpx.Client(base_url=server.base_url, verify=server.ssl_context(), timeout=60)
        self.csrf = ""

    def close(self) -> None:
        self.http.close()

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        response = self.http.get(path, **kwargs)
        found = _CSRF.search(response.text)
        if found:
            self.csrf = html.unescape(found.group(1))
        return response

    def post(self, path: str, pairs: list[tuple[str, str]], **kwargs: Any) -> httpx.Response:
        """A urlencoded POST of ``pairs`` (repeated names kept), as a browser sends a form."""
        headers = {"Content-Type": "application/x-www-form-urlencoded", **kwargs.pop("headers", {})}
        return self.http.post(path, content=urlencode(pairs), headers=headers, **kwargs)

    def form(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> httpx.Response:
        """POST ``data`` with the CSRF token of the last page this client loaded."""
        pairs: list[tuple[str, str]] = [("csrf_token", self.csrf)]
        for key, value in (data or {}).items():
            values = value if isinstance(value, list | tuple) else [value]
            pairs.extend((key, str(v)) for v in values)
        return self.post(path, pairs, **kwargs)

    def sign_in(self, username: str, password: str = PASSWORD, **kwargs: Any) -> httpx.Response:
        self.get("/ui/signin")
        return self.form(
            "/ui/signin", {"username": username, "password": password, "next": "/ui/"}, **kwargs
        )


UserFactory = Callable[[Role], str]
ClientFactory = Callable[[Role], WebClient]


@pytest.fixture(scope="session")
def users(acmehub: AcmehubServer) -> UserFactory:
    """A new web user of the role; returns the username (the password is PASSWORD)."""

    def make(role: Role) -> str:
        name = f"{role.value}-{secrets.token_hex(4)}"
        acmehub.container().services.users.create(CLI_ACTOR, name, PASSWORD, role)
        return name

    return make


@pytest.fixture
def anonymous(acmehub: AcmehubServer) -> Iterator[WebClient]:
    client = WebClient(acmehub)
    yield client
    client.close()


@pytest.fixture
def web_as(acmehub: AcmehubServer, users: UserFactory) -> Iterator[ClientFactory]:
    """A client signed in as a new user of the role."""
    clients: list[WebClient] = []

    def make(role: Role) -> WebClient:
        client = WebClient(acmehub)
        clients.append(client)
        response = client.sign_in(users(role))
        assert response.status_code == 303, response.text
        client.get("/ui/")
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def admin(web_as: ClientFactory) -> WebClient:
    return web_as(Role.ADMIN)


# --------------------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's chromium, headless, driven by Playwright (which downloads nothing)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser profile (no cookies) with a desktop-sized window. The server's
    certificate comes from the embedded test CA, which this profile does not trust."""
    context = browser.new_context(ignore_https_errors=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()
