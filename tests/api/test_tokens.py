"""API tokens over HTTP: an expired token is refused saying so (the expiry judged by the
server's clock; the token made with an injected clock in the past), a scoped token reaches only
its families, and GET /tokens shows expiry and scopes."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from acmehub.bootstrap import build_container
from acmehub.domain.admin_model import Role
from acmehub.services.admin import CLI_ACTOR
from tests.fakes import FixedClock
from tests.support.server import AcmehubServer


def _bearer(client: httpx.Client, secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def made_91_days_ago(acmehub: AcmehubServer) -> Iterator[tuple[str, str]]:
    """A token created (default lifetime: 90 days) by a container whose clock reads 91 days ago."""
    clock = FixedClock(datetime.now(UTC) - timedelta(days=91))
    container = build_container(acmehub.settings, clock)  # type: ignore[arg-type]
    name = f"old-{secrets.token_hex(4)}"
    try:
        _, secret = container.services.tokens.create(CLI_ACTOR, name, Role.ADMIN)
        yield name, secret
    finally:
        container.engine.dispose()


def test_an_expired_token_is_a_401_saying_so(
    anonymous: httpx.Client, made_91_days_ago: tuple[str, str]
) -> None:
    name, secret = made_91_days_ago
    response = anonymous.get("/acmeProfiles", headers=_bearer(anonymous, secret))
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    body = response.json()
    assert body["code"] == "unauthorized"
    assert f"the API token {name} expired at" in body["detail"]


def test_a_scoped_token_reaches_only_its_families(
    acmehub: AcmehubServer, anonymous: httpx.Client, api: httpx.Client
) -> None:
    name = f"scoped-{secrets.token_hex(4)}"
    _, secret = acmehub.container().services.tokens.create(
        CLI_ACTOR, name, Role.ADMIN, scopes=["certificates:read", "orders:read"]
    )
    headers = _bearer(anonymous, secret)
    assert anonymous.get("/certificates", headers=headers).status_code == 200
    assert anonymous.get("/orders", headers=headers).status_code == 200
    for response, scope in (
        (anonymous.get("/acmeProfiles", headers=headers), "acmeProfiles:read"),
        (anonymous.post("/certificates/x/revoke", headers=headers), "certificates:write"),
        (anonymous.get("/tokens", headers=headers), "tokens:read"),
    ):
        assert response.status_code == 403, response.text
        assert response.json()["code"] == "forbidden"
        assert f"needs the scope {scope}" in response.json()["detail"]

    listed = {t["name"]: t for t in api.get("/tokens", params={"limit": 1000}).json()["items"]}
    assert listed[name]["scopes"] == ["certificates:read", "orders:read"]
    expires = datetime.fromisoformat(listed[name]["expiresAt"])
    created = datetime.fromisoformat(listed[name]["createdAt"])
    assert expires - created == timedelta(days=90)
