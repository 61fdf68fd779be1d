"""Pages that show a secret (a new EAB key's HMAC key; the sign-in form's token) are never
stored by a cache; every page of the interface is sent with no-store."""

from __future__ import annotations

import secrets

from tests.support.server import AcmehubServer
from tests.webui.conftest import WebClient


def test_the_page_showing_a_new_eab_key_is_not_cached(
    admin: WebClient, acmehub: AcmehubServer
) -> None:
    acme = acmehub.container().services.platform.create_acme_profile(
        f"eab-{secrets.token_hex(4)}", require_external_account_binding=True
    )
    admin.get(f"/ui/eab-keys/{acme.uuid}")
    created = admin.form(f"/ui/eab-keys/{acme.uuid}/new", {"algorithm": "HS256"})
    assert created.status_code == 201, created.text
    assert 'id="eab-hmac"' in created.text
    assert created.headers["cache-control"] == "no-store"


def test_the_sign_in_form_is_not_cached(anonymous: WebClient) -> None:
    response = anonymous.get("/ui/signin")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
