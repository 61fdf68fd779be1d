"""The order browser over real HTTP: search by name, account, status and ACME profile, newest
first and paged; the detail page with each authorization's challenge attempts and their errors;
read-only for every role (an auditor sees everything)."""

from __future__ import annotations

import html
import re

from acmehub.domain.admin_model import Role
from tests.support.server import AcmehubServer
from tests.webui.conftest import ClientFactory, WebClient
from tests.webui.seed import fail_http01, order_for, profile_with_accounts, unique


def text_of(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def order_ids(page: str) -> list[str]:
    return re.findall(r'<a href="/ui/orders/([^"]+)"><code>', page)


def test_search_by_name_account_status_and_profile(
    admin: WebClient, acmehub: AcmehubServer
) -> None:
    seeded = profile_with_accounts(acmehub, 2)
    first, second = seeded.accounts
    domain = unique("zone") + ".example"
    older = order_for(acmehub, seeded, first, f"www.{domain}")
    newer = order_for(acmehub, seeded, second, f"api.{domain}", f"mail.{domain}")
    other = order_for(acmehub, seeded, first, "elsewhere.example.org")
    fail_http01(acmehub, older, "connection refused")

    by_name = admin.get("/ui/orders", params={"name": domain.upper()})
    assert by_name.status_code == 200
    assert order_ids(by_name.text) == [newer.id, older.id]  # newest first
    assert f"api.{domain}, mail.{domain}" in text_of(by_name.text)

    by_account = admin.get("/ui/orders", params={"account": first.id})
    assert order_ids(by_account.text) == [other.id, older.id]
    failed = admin.get("/ui/orders", params={"name": domain, "status": "invalid"})
    assert order_ids(failed.text) == [older.id]
    by_profile = admin.get("/ui/orders", params={"acmeProfile": seeded.profile.uuid})
    assert set(order_ids(by_profile.text)) == {older.id, newer.id, other.id}

    paged = admin.get(
        "/ui/orders", params={"acmeProfile": seeded.profile.uuid, "size": "10", "page": "2"}
    )
    assert order_ids(paged.text) == []
    assert "No orders match." in paged.text
    assert "Showing 1\u20133 of 3" in text_of(by_profile.text)


def test_detail_shows_why_a_challenge_failed(admin: WebClient, acmehub: AcmehubServer) -> None:
    seeded = profile_with_accounts(acmehub, 1)
    account = seeded.accounts[0]
    order = order_for(acmehub, seeded, account, "broken.example.com")
    fail_http01(acmehub, order, "could not connect to 192.0.2.1:80")

    page = admin.get(f"/ui/orders/{order.id}")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Why it failed" in text
    assert "urn:ietf:params:acme:error:connection" in text
    assert "could not connect to 192.0.2.1:80" in text
    assert "dns: broken.example.com" in text
    for kind in ("http-01", "dns-01", "tls-alpn-01"):
        assert kind in text
    assert "Certificate none" in text
    assert f'href="/ui/accounts/{account.acme_profile_uuid}/{account.uuid}"' in page.text

    missing = admin.get("/ui/orders/no-such-order")
    assert missing.status_code == 404


def test_an_auditor_can_browse_orders(web_as: ClientFactory, acmehub: AcmehubServer) -> None:
    auditor = web_as(Role.AUDITOR)
    seeded = profile_with_accounts(acmehub, 1)
    order = order_for(acmehub, seeded, seeded.accounts[0], "audited.example.com")
    assert order.id in order_ids(auditor.get("/ui/orders", params={"name": "audited"}).text)
    assert "audited.example.com" in auditor.get(f"/ui/orders/{order.id}").text
    # The browser has no forms: nothing to post.
    assert auditor.form(f"/ui/orders/{order.id}").status_code == 405
