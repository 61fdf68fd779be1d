"""The web interface in a real browser: Debian's chromium, headless, through Playwright."""

from __future__ import annotations

from typing import Any

from acmehub.domain.admin_model import Role
from tests.support.server import AcmehubServer
from tests.webui.conftest import PASSWORD, SCREENSHOTS, UserFactory


def sign_in(page: Any, acmehub: AcmehubServer, username: str) -> None:
    page.goto(f"{acmehub.base_url}/ui/")
    assert page.url.startswith(f"{acmehub.base_url}/ui/signin")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{acmehub.base_url}/ui/")


def test_sign_in_and_see_the_dashboard(
    page: Any, acmehub: AcmehubServer, users: UserFactory
) -> None:
    username = users(Role.ADMIN)
    sign_in(page, acmehub, username)
    assert page.get_by_role("heading", name="Dashboard", level=1).is_visible()
    assert page.get_by_role("heading", name="Certificates issued per day").is_visible()
    assert page.locator("svg.chart rect.bar").count() == 30
    assert page.get_by_text(f"Signed in as {username}").is_visible()
    nav = page.get_by_role("navigation", name="Main")
    for label in (
        "Dashboard",
        "ACME Profiles",
        "RA Profiles & Authorities",
        "ACME Accounts",
        "Orders",
        "Certificates",
        "EAB keys",
        "Audit log",
    ):
        assert nav.get_by_role("link", name=label, exact=True).is_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "dashboard.png"), full_page=True)

    # The script's enhancements are on: copy buttons show, and sign-out works.
    page.get_by_role("link", name="ACME Profiles", exact=True).click()
    # Other tests share this server and add profiles: search, so "default" is on the first page.
    page.get_by_label("Search").fill("default")
    page.get_by_label("Search").press("Enter")
    page.wait_for_load_state()
    page.get_by_role("link", name="default", exact=True).click()
    assert page.get_by_role("button", name="Copy").first.is_visible()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{acmehub.base_url}/ui/signin?signed_out=1")
    assert page.get_by_text("You have signed out.").is_visible()
