"""Issue 4's browser test: an administrator in Debian's chromium (headless, through Playwright)
sets up an ACME profile, certbot gets a certificate from it, and the administrator finds the
order, its authorizations and the certificate in the interface; the certificate is revoked and
the ACME side says so. A form posted without its CSRF token is refused, and an auditor cannot
change anything. Screenshots of the pages reached go to docs/screenshots/."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from acmehub.domain.admin_model import Role
from acmehub.domain.model import AccountStatus
from acmehub.services.admin import CLI_ACTOR
from tests.support.interop import client_env
from tests.support.server import AcmehubServer
from tests.webui.conftest import PASSWORD, SCREENSHOTS, UserFactory
from tests.webui.seed import unique

CERTBOT = Path(sys.executable).with_name("certbot")
ALREADY_REVOKED = "urn:ietf:params:acme:error:alreadyRevoked"


def sign_in(page: Any, acmehub: AcmehubServer, username: str) -> None:
    page.goto(f"{acmehub.base_url}/ui/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{acmehub.base_url}/ui/")


def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def certbot(acmehub: AcmehubServer, home: Path, directory: str, *args: str) -> str:
    """Run certbot against ``directory``; fails the test unless it exits 0. Its output."""
    done = subprocess.run(
        [
            str(CERTBOT),
            *args,
            "--non-interactive",
            "--server",
            directory,
            "--config-dir",
            str(home / "config"),
            "--work-dir",
            str(home / "work"),
            "--logs-dir",
            str(home / "logs"),
        ],
        env=client_env(REQUESTS_CA_BUNDLE=str(acmehub.ca_bundle)),
        cwd=home,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    log = home / "logs" / "letsencrypt.log"
    return f"exit {done.returncode}\n{done.stdout}{done.stderr}\n" + (
        log.read_text() if log.exists() else ""
    )


def test_admin_runs_an_acme_profile_from_the_browser(
    page: Any, browser: Any, acmehub: AcmehubServer, users: UserFactory, tmp_path: Path
) -> None:
    services = acmehub.container().services
    base = acmehub.base_url
    page.on("dialog", lambda dialog: dialog.accept())  # the confirmations of destructive actions
    sign_in(page, acmehub, users(Role.ADMIN))
    shot(page, "dashboard")

    # The authority and RA profile come from the services (their pages are another section).
    authority = services.authorities.list_all(CLI_ACTOR)[0].authority
    ra = services.platform.create_ra_profile(authority.uuid, unique("browser-ra"))

    # The ACME profile: created and enabled in the browser.
    name = unique("browser")
    page.goto(f"{base}/ui/acme-profiles/new")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Default RA profile").select_option(label=ra.name)
    page.get_by_role("button", name="Create").click()
    page.wait_for_url(re.compile(r".*/ui/acme-profiles/[0-9a-f-]{36}$"))
    page.get_by_role("button", name="Enable").click()
    page.wait_for_load_state()
    assert page.get_by_text(f"ACME profile {name} enabled.").is_visible()
    directory = page.locator("#directory-url").inner_text().strip()
    assert directory == f"{base}/acme/{name}/directory"
    page.goto(f"{base}/ui/acme-profiles")
    shot(page, "acme-profiles")

    # certbot gets a certificate from it.
    domain = f"browser-flow-{unique('n')}.certbot.test"
    issued = certbot(
        acmehub,
        tmp_path,
        directory,
        "certonly",
        "--agree-tos", "--email", "browser@acmehub.example.com", "--no-eff-email",
        "--cert-name", "flow",
        "-d", domain,
        "--standalone",
        "--preferred-challenges", "http",
        "--http-01-address", "127.0.0.1",
        "--http-01-port", str(acmehub.http01_port),
    )  # fmt: skip
    assert issued.startswith("exit 0"), issued
    cert_path = tmp_path / "config" / "live" / "flow" / "cert.pem"

    # The account it made, in the accounts list of the profile.
    page.goto(f"{base}/ui/accounts")
    page.get_by_label("ACME profile").select_option(label=name)
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state()
    assert page.get_by_text("Showing 1\u20131 of 1").is_visible()
    shot(page, "accounts")

    # The order: found by its name, with its authorization and certificate.
    page.goto(f"{base}/ui/orders")
    page.get_by_label("DNS name").fill(domain)
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state()
    assert page.get_by_text("Showing 1\u20131 of 1").is_visible()
    shot(page, "orders")
    page.locator("table.data a[href^='/ui/orders/']").first.click()
    page.wait_for_url(re.compile(r".*/ui/orders/[^/?]+$"))
    assert page.get_by_role("heading", name=f"dns: {domain}").is_visible()
    assert page.get_by_role("cell", name="http-01").is_visible()
    certificate_link = page.get_by_role("link", name=re.compile(r"^serial "))
    assert certificate_link.is_visible()
    shot(page, "order-detail")
    order_id = page.url.rsplit("/", 1)[1]
    certificate_id = services.order_browser.get(CLI_ACTOR, order_id).order.certificate_id
    assert certificate_id
    assert certificate_link.get_attribute("href") == (f"/ui/certificates/{certificate_id}")

    # A form posted without its CSRF token is refused (same origin, signed in: only the token
    # is missing), and nothing changes.
    page.locator("dd a[href^='/ui/accounts/']").click()
    page.wait_for_url(re.compile(r".*/ui/accounts/[^/]+/[^/]+$"))
    account_url = page.url
    status = page.evaluate(
        "url => fetch(url, {method: 'POST', headers: {'Content-Type': "
        "'application/x-www-form-urlencoded'}, body: ''}).then(r => r.status)",
        f"{account_url}/disable",
    )
    assert status == 403
    account_uuid = account_url.rsplit("/", 1)[1]
    with services.deps.uow() as tx:
        account = tx.accounts.by_uuid(account_uuid)
    assert account is not None
    assert account.enabled

    # An auditor sees the same pages and is refused every change.
    auditor_context = browser.new_context(ignore_https_errors=True)
    auditor = auditor_context.new_page()
    auditor.on("dialog", lambda dialog: dialog.accept())
    try:
        sign_in(auditor, acmehub, users(Role.AUDITOR))
        auditor.goto(account_url)
        auditor.get_by_role("button", name="Disable").click()
        auditor.wait_for_load_state()
        assert auditor.get_by_role("heading", name="Not allowed").is_visible()
        auditor.goto(f"{base}/ui/orders/{order_id}")
        assert auditor.get_by_role("heading", name=f"dns: {domain}").is_visible()
    finally:
        auditor_context.close()
    with services.deps.uow() as tx:
        account = tx.accounts.by_uuid(account_uuid)
    assert account is not None
    assert account.enabled
    assert account.status is AccountStatus.VALID

    # Revoke the certificate from its page, see it on the order page, and ask the ACME side:
    # certbot is told it is revoked.
    page.goto(f"{base}/ui/certificates/{certificate_id}/revoke")
    page.get_by_label("Reason").select_option("superseded")
    page.get_by_role("button", name="Revoke").click()
    page.wait_for_load_state()
    assert page.get_by_text("revoked (superseded)").first.is_visible()
    shot(page, "certificate")
    page.goto(f"{base}/ui/orders/{order_id}")
    assert page.get_by_text("revoked", exact=True).first.is_visible()
    again = certbot(
        acmehub,
        tmp_path,
        directory,
        "revoke",
        "--cert-path", str(cert_path),
        "--no-delete-after-revoke",
    )  # fmt: skip
    assert not again.startswith("exit 0"), again
    assert ALREADY_REVOKED in again
