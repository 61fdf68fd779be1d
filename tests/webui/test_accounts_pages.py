"""The ACME accounts section over real HTTP: list with filters and paging, detail with
contacts, terms, order counts and orders, enable/disable/revoke one at a time and in bulk (revoke
asks to confirm), and an auditor who can look but not change."""

from __future__ import annotations

import html
import inspect
import re

from acmehub.domain.admin_model import Role
from acmehub.domain.model import Account, AccountStatus
from acmehub.services.admin import CLI_ACTOR
from acmehub.webui.pages import accounts as accounts_page
from acmehub.webui.pages import eab as eab_page
from tests.support.server import AcmehubServer
from tests.webui.conftest import ClientFactory, WebClient
from tests.webui.seed import order_for, profile_with_accounts


def text_of(page: str) -> str:
    """The page's text without its markup, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def stored(acmehub: AcmehubServer, account: Account) -> Account:
    with acmehub.container().services.deps.uow() as tx:
        found = tx.accounts.by_uuid(account.uuid)
    assert found is not None
    return found


def detail_url(account: Account) -> str:
    return f"/ui/accounts/{account.acme_profile_uuid}/{account.uuid}"


def test_list_filters_by_profile_and_pages(admin: WebClient, acmehub: AcmehubServer) -> None:
    seeded = profile_with_accounts(acmehub, 3)
    order_for(acmehub, seeded, seeded.accounts[0], "list.example.com")
    page = admin.get(f"/ui/accounts?acmeProfile={seeded.profile.uuid}&size=10")
    assert page.status_code == 200
    text = text_of(page.text)
    for account in seeded.accounts:
        assert account.id in text
    assert "Showing 1\u20133 of 3" in text
    assert seeded.profile.name in text
    # The first account has one order, linked to the order browser.
    assert f'href="/ui/orders?account={seeded.accounts[0].id}">1</a>' in page.text

    small = admin.get(f"/ui/accounts?acmeProfile={seeded.profile.uuid}&size=10&page=2")
    assert "Nothing to show" in small.text
    disabled = admin.get(f"/ui/accounts?acmeProfile={seeded.profile.uuid}&enabled=no")
    assert "No ACME accounts match." in disabled.text


def test_detail_shows_contacts_terms_counts_and_orders(
    admin: WebClient, acmehub: AcmehubServer
) -> None:
    seeded = profile_with_accounts(acmehub, 1)
    account = seeded.accounts[0]
    order = order_for(acmehub, seeded, account, "detail.example.com")
    page = admin.get(detail_url(account))
    assert page.status_code == 200
    text = text_of(page.text)
    assert "mailto:owner0@example.com" in text
    assert "Terms of service agreed" in text
    assert "EAB key used none" in text
    assert f'href="/ui/orders/{order.id}"' in page.text
    assert "detail.example.com" in text
    assert "Total 1" in text


def test_disable_enable_and_revoke_one_account(admin: WebClient, acmehub: AcmehubServer) -> None:
    account = profile_with_accounts(acmehub, 1).accounts[0]
    url = detail_url(account)
    admin.get(url)
    response = admin.form(f"{url}/disable")
    assert response.status_code == 303
    assert not stored(acmehub, account).enabled
    assert f"ACME account {account.id} disabled." in admin.get(url).text
    admin.form(f"{url}/enable")
    assert stored(acmehub, account).enabled
    # Revoke asks first (a confirmation page), then revokes.
    confirm = admin.get(f"/ui/accounts/revoke?uuid={account.uuid}")
    assert "Revoking is final" in confirm.text
    assert stored(acmehub, account).status is AccountStatus.VALID
    admin.form(f"{url}/revoke")
    assert stored(acmehub, account).status is AccountStatus.REVOKED
    # A revoked account cannot be switched: the refusal is a message, nothing changes.
    page = admin.get(url)
    assert "/enable" not in page.text
    assert "/disable" not in page.text
    refused = admin.form(f"{url}/disable")
    assert "not valid" in html.unescape(admin.get(refused.headers["location"]).text)
    assert stored(acmehub, account).enabled


def test_bulk_actions_with_a_revoke_confirmation(admin: WebClient, acmehub: AcmehubServer) -> None:
    seeded = profile_with_accounts(acmehub, 2)
    uuids = [a.uuid for a in seeded.accounts]
    back = f"/ui/accounts?acmeProfile={seeded.profile.uuid}"
    admin.get(back)
    done = admin.form("/ui/accounts/bulk", {"action": "disable", "uuid": uuids, "back": back})
    assert done.status_code == 303
    assert done.headers["location"] == back
    assert "2 ACME accounts disabled." in admin.get(back).text
    assert not any(stored(acmehub, a).enabled for a in seeded.accounts)

    confirm = admin.form("/ui/accounts/bulk", {"action": "revoke", "uuid": uuids, "back": back})
    assert confirm.status_code == 200
    assert "Revoke 2 ACME accounts?" in confirm.text
    assert all(stored(acmehub, a).status is AccountStatus.VALID for a in seeded.accounts)
    admin.form("/ui/accounts/bulk", {"action": "revoke-confirmed", "uuid": uuids, "back": back})
    assert all(stored(acmehub, a).status is AccountStatus.REVOKED for a in seeded.accounts)
    again = admin.form("/ui/accounts/bulk", {"action": "enable", "uuid": uuids[:1], "back": back})
    assert "revoked, not valid" in html.unescape(admin.get(again.headers["location"]).text)

    nothing = admin.form("/ui/accounts/bulk", {"action": "enable", "back": back})
    assert "Select at least one" in admin.get(nothing.headers["location"]).text


def test_an_auditor_sees_accounts_but_cannot_change_them(
    web_as: ClientFactory, acmehub: AcmehubServer
) -> None:
    auditor = web_as(Role.AUDITOR)
    account = profile_with_accounts(acmehub, 1).accounts[0]
    url = detail_url(account)
    assert auditor.get("/ui/accounts").status_code == 200
    assert auditor.get(url).status_code == 200
    for action in ("disable", "revoke"):
        refused = auditor.form(f"{url}/{action}")
        assert refused.status_code == 403
        assert "does not allow" in refused.text
    bulk = auditor.form("/ui/accounts/bulk", {"action": "revoke-confirmed", "uuid": account.uuid})
    assert bulk.status_code == 403
    after = stored(acmehub, account)
    assert after.enabled
    assert after.status is AccountStatus.VALID


def test_a_post_without_the_csrf_token_changes_nothing(
    admin: WebClient, acmehub: AcmehubServer
) -> None:
    account = profile_with_accounts(acmehub, 1).accounts[0]
    refused = admin.post(f"{detail_url(account)}/disable", [])
    assert refused.status_code == 403
    assert stored(acmehub, account).enabled
    services = acmehub.container().services
    assert services.account_admin.get(CLI_ACTOR, account.acme_profile_uuid, account.uuid)


def test_an_auditor_sees_every_accounts_page_and_changes_nothing(
    web_as: ClientFactory, acmehub: AcmehubServer
) -> None:
    auditor = web_as(Role.AUDITOR)
    seeded = profile_with_accounts(acmehub, 2)
    account = seeded.accounts[0]
    url = detail_url(account)
    listing = auditor.get(f"/ui/accounts?acmeProfile={seeded.profile.uuid}")
    assert listing.status_code == 200
    assert all(a.id in listing.text for a in seeded.accounts)
    shown = auditor.get(url)
    assert shown.status_code == 200
    assert "mailto:owner0@example.com" in text_of(shown.text)
    confirm = auditor.get(f"/ui/accounts/revoke?uuid={account.uuid}")
    assert confirm.status_code == 200
    assert "Revoking is final" in confirm.text
    for action in ("disable", "enable", "revoke"):
        refused = auditor.form(f"{url}/{action}")
        assert refused.status_code == 403, action
        assert "does not allow" in refused.text
    uuids = [a.uuid for a in seeded.accounts]
    for action in ("disable", "enable", "revoke-confirmed"):
        refused = auditor.form("/ui/accounts/bulk", {"action": action, "uuid": uuids})
        assert refused.status_code == 403, action
    for before in seeded.accounts:
        after = stored(acmehub, before)
        assert (after.enabled, after.status) == (True, AccountStatus.VALID)


def test_a_visitor_who_is_not_signed_in_is_sent_to_sign_in_and_sees_no_account(
    anonymous: WebClient, acmehub: AcmehubServer
) -> None:
    seeded = profile_with_accounts(acmehub, 1)
    account = seeded.accounts[0]
    url = detail_url(account)
    for path in (
        "/ui/accounts",
        f"/ui/accounts?acmeProfile={seeded.profile.uuid}",
        url,
        f"/ui/accounts/revoke?uuid={account.uuid}",
    ):
        response = anonymous.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/ui/signin?next=")
        assert account.id not in response.text
    for path, data in (
        (f"{url}/disable", {}),
        (f"{url}/revoke", {}),
        ("/ui/accounts/bulk", {"action": "revoke", "uuid": account.uuid}),
        ("/ui/accounts/bulk", {"action": "revoke-confirmed", "uuid": account.uuid}),
    ):
        refused = anonymous.form(path, data)
        assert refused.status_code == 403, path
        assert "sign in" in refused.text.lower()
        assert account.id not in refused.text
    after = stored(acmehub, account)
    assert (after.enabled, after.status) == (True, AccountStatus.VALID)


def test_the_account_pages_read_through_the_services_only() -> None:
    """The pages never open a transaction of their own: every read passes the service's role
    check (services/account_admin.py)."""
    for module in (accounts_page, eab_page):
        source = inspect.getsource(module)
        for reach in (".deps", ".uow(", "tx.", "storage"):
            assert reach not in source, (module.__name__, reach)
