"""An answer that carries a secret (an EAB key's HMAC key) is never stored by a cache."""

from __future__ import annotations

import httpx

from tests.api.test_eab import keys_url, secret_of
from tests.integration.conftest import Profiles
from tests.support.server import AcmehubServer


def test_a_new_eab_key_is_sent_with_no_store(api: httpx.Client, acmehub: AcmehubServer) -> None:
    profile = Profiles(acmehub).acme_profile(require_external_account_binding=True)
    response = api.post(keys_url(profile), json={})
    assert response.status_code == 201, response.text
    assert len(secret_of(response.json())) == 32
    assert response.headers["cache-control"] == "no-store"
    # Reading a key back shows no secret, so it needs no such header.
    listing = api.get(keys_url(profile))
    assert "hmacKey" not in listing.text
