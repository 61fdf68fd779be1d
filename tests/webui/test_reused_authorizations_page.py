"""The order page says which authorization an order reused, made for which order and
validated when (authorization reuse, issue 16 §4); tests/api/test_reused_authorizations.py
checks the API's order detail."""

from __future__ import annotations

from dataclasses import replace

from acmehub.domain.model import AuthzStatus, ChallengeStatus, ChallengeType, Order
from tests.support.server import AcmehubServer
from tests.webui.conftest import WebClient
from tests.webui.seed import order_for, profile_with_accounts
from tests.webui.test_orders_pages import text_of


def validate_http01(acmehub: AcmehubServer, order: Order) -> None:
    """Record a passed http-01 attempt on the order's authorization, as the worker would."""
    services = acmehub.container().services
    now = services.deps.clock.now()
    with services.deps.uow(write=True) as tx:
        authz = tx.authorizations.get(order.authorization_ids[0])
        assert authz is not None
        challenge = next(c for c in authz.challenges if c.type is ChallengeType.HTTP_01)
        tx.authorizations.update_challenge(
            replace(challenge, status=ChallengeStatus.VALID, validated=now)
        )
        tx.authorizations.set_status(authz.id, AuthzStatus.VALID.value)


def test_the_order_page_shows_the_reused_authorization(
    admin: WebClient, acmehub: AcmehubServer
) -> None:
    seeded = profile_with_accounts(acmehub, 1)
    acmehub.container().services.platform.update_acme_profile(
        seeded.profile.uuid, authorization_reuse=86400
    )
    account = seeded.accounts[0]
    first = order_for(acmehub, seeded, account, "reused.example.com")
    validate_http01(acmehub, first)
    second = order_for(acmehub, seeded, account, "reused.example.com")
    assert second.authorization_ids == first.authorization_ids

    page = admin.get(f"/ui/orders/{second.id}")
    assert page.status_code == 200
    text = text_of(page.text)
    assert f"Reused, not validated for this order: made for order {first.id} , validated" in text
    assert f'href="/ui/orders/{first.id}"' in page.text
    own = text_of(admin.get(f"/ui/orders/{first.id}").text)
    assert "Reused" not in own
