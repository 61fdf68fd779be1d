"""Every management endpoint refuses anonymous calls (401) and unknown or revoked tokens."""

from __future__ import annotations

import httpx

from acmehub.domain.admin_model import Role
from acmehub.services.admin import CLI_ACTOR
from tests.support.server import AcmehubServer


def test_openapi_document_is_served(anonymous: httpx.Client) -> None:
    r = anonymous.get("/openapi.json")
    assert r.status_code == 200
    assert r.json()["info"]["title"] == "acmehub Core ACME API"


def test_revoked_token_is_refused(acmehub: AcmehubServer, anonymous: httpx.Client) -> None:
    tokens = acmehub.container().services.tokens
    _, secret = tokens.create(CLI_ACTOR, "to-be-revoked", Role.ADMIN)
    tokens.revoke(CLI_ACTOR, "to-be-revoked")
    r = anonymous.get("/acmeProfiles", headers={"Authorization": f"Bearer {secret}"})
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "revoked" in r.json()["detail"]
