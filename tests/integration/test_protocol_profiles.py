"""The profile checks every ACME request passes first (platform-reference.md), per URL family."""

from __future__ import annotations

import pytest

from acmehub.domain.errors import DomainError
from acmehub.domain.model import AcmeProfile, RaProfile
from tests.integration.conftest import (
    Clients,
    Flows,
    Profiles,
    State,
    assert_problem,
    unique_name,
)
from tests.support.server import AcmehubServer


def url_name(family: str, acme: AcmeProfile, ra: RaProfile) -> str:
    return acme.name if family == "acme" else ra.name


def root(acmehub: AcmehubServer, family: str, name: str) -> str:
    return acmehub.directory_url(name, family).removesuffix("/directory")


def test_disabled_acme_profile(
    acmehub: AcmehubServer, clients: Clients, profiles: Profiles, family: str, state: State
) -> None:
    acme = profiles.acme_profile()
    ra = profiles.ra_profile(acme)
    profiles.update_acme(acme, default_ra_profile_uuid=ra.uuid)
    client = clients(family, url_name(family, acme, ra))
    directory = dict(client.directory)
    profiles.update_acme(acme, enabled=False)
    try:
        nonce = client.http.get(directory["newNonce"])
        assert_problem(nonce, 400, "malformed", "ACME Profile is not enabled", client.directory_url)
        with acmehub.client() as http:
            listing = http.get(client.directory_url)
        assert_problem(
            listing, 400, "malformed", "ACME Profile is not enabled", client.directory_url
        )

        fresh = nonce.headers["Replay-Nonce"]
        before = state.counts()
        order = client.post(
            directory["newOrder"],
            {"identifiers": [{"type": "dns", "value": unique_name()}]},
            nonce=fresh,
        )
        assert_problem(order, 400, "malformed", "ACME Profile is not enabled", client.directory_url)
        assert state.counts() == before
        assert state.nonce_is_usable(fresh)  # refused before the JWS was looked at
    finally:
        profiles.update_acme(acme, enabled=True)
    assert client.new_order([unique_name()]).status_code == 201


def test_disabled_ra_profile(
    clients: Clients, profiles: Profiles, family: str, state: State
) -> None:
    acme = profiles.acme_profile()
    ra = profiles.ra_profile(acme)
    profiles.update_acme(acme, default_ra_profile_uuid=ra.uuid)
    client = clients(family, url_name(family, acme, ra))
    profiles.update_ra(ra, enabled=False)
    before = state.counts()
    try:
        for response in (client.new_order([unique_name()]), client.get(client.kid or "")):
            assert_problem(
                response, 400, "malformed", "RA Profile is not enabled", client.directory_url
            )
        assert state.counts() == before
    finally:
        profiles.update_ra(ra, enabled=True)
    assert client.new_order([unique_name()]).status_code == 201


def test_acme_profile_without_default_ra_profile(
    acmehub: AcmehubServer, profiles: Profiles
) -> None:
    acme = profiles.acme_profile(default_ra_profile_uuid=None)
    with acmehub.client() as http:
        response = http.get(acmehub.directory_url(acme.name))
    assert_problem(response, 400, "malformed", "RA Profile is not found")


def test_ra_profile_without_acme_profile(
    acmehub: AcmehubServer, clients: Clients, profiles: Profiles, state: State
) -> None:
    ra = profiles.ra_profile()
    base = root(acmehub, "raProfile", ra.name)
    with acmehub.client() as http:
        directory = http.get(base + "/directory")
        nonce = http.get(base + "/new-nonce")
    # A directory that does not exist is a 404; other resources answer 400 (malformed).
    assert_problem(
        directory, 404, "malformed", "ACME Profile is not associated with the RA Profile"
    )
    assert_problem(nonce, 400, "malformed", "ACME Profile is not associated with the RA Profile")

    client = clients(register=False)
    before = state.counts()
    body = client.key.sign(
        base + "/new-account", nonce.headers["Replay-Nonce"], {"termsOfServiceAgreed": True}
    )
    response = client.post_body(base + "/new-account", body)
    assert_problem(response, 400, "malformed", "ACME Profile is not associated with the RA Profile")
    assert state.counts() == before


def test_ra_family_checks_in_order(acmehub: AcmehubServer, profiles: Profiles) -> None:
    """RA-profile mode: RA profile found, ACME associated, RA enabled, then ACME enabled."""
    acme = profiles.acme_profile(enabled=False)
    ra = profiles.ra_profile(acme, enabled=False)
    url = acmehub.directory_url(ra.name, "raProfile")
    with acmehub.client() as http:
        assert_problem(http.get(url), 400, "malformed", "RA Profile is not enabled")
        profiles.update_ra(ra, enabled=True)
        assert_problem(http.get(url), 400, "malformed", "ACME Profile is not enabled")
        profiles.update_acme(acme, enabled=True)
        assert http.get(url).status_code == 200


def test_acme_family_checks_in_order(acmehub: AcmehubServer, profiles: Profiles) -> None:
    """ACME-profile mode: ACME found, enabled, default RA found, RA enabled."""
    ra = profiles.ra_profile(enabled=False)
    acme = profiles.acme_profile(ra, enabled=False)
    url = acmehub.directory_url(acme.name)
    with acmehub.client() as http:
        assert_problem(http.get(url), 400, "malformed", "ACME Profile is not enabled")
        profiles.update_acme(acme, enabled=True)
        assert_problem(http.get(url), 400, "malformed", "RA Profile is not enabled")
        profiles.update_ra(ra, enabled=True)
        assert http.get(url).status_code == 200


def test_new_profiles_start_disabled(acmehub: AcmehubServer, profiles: Profiles) -> None:
    acme = profiles.platform.create_acme_profile(
        f"off-{unique_name('p').split('.')[0]}", default_ra_profile_uuid=profiles.default_ra().uuid
    )
    assert acme.enabled is False
    with acmehub.client() as http:
        response = http.get(acmehub.directory_url(acme.name))
    assert_problem(response, 400, "malformed", "ACME Profile is not enabled")


def test_ra_profile_is_not_an_acme_profile_name(profiles: Profiles) -> None:
    with pytest.raises(DomainError, match="cannot be an ACME Profile name"):
        profiles.platform.create_acme_profile("raProfile")


def test_full_flow_under_an_extra_ra_profile(
    clients: Clients, profiles: Profiles, flows: Flows, state: State
) -> None:
    """Orders and certificates made through an RA profile carry that RA profile."""
    acme = profiles.acme_profile()
    ra = profiles.ra_profile(acme)
    client = clients("raProfile", ra.name)
    order_url, order = flows.issue(client, [unique_name()])
    stored = state.order(order_url.rsplit("/", 1)[1])
    assert stored.ra_profile_uuid == ra.uuid
    assert stored.acme_profile_uuid == acme.uuid
    cert = state.certificate(order["certificate"].rsplit("/", 1)[1])
    assert cert.ra_profile_uuid == ra.uuid
