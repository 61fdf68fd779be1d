"""Accounts (RFC 8555 §7.3): new-account, update, deactivation, orders list, key change."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from acmehub.domain.model import AccountStatus
from tests.integration.conftest import (
    Clients,
    Flows,
    Profiles,
    State,
    assert_problem,
    assert_rituals,
    last_segment,
    link_header,
    unique_name,
)
from tests.jws_signer import AccountKey
from tests.support.acme_client import JOSE, AcmeClient, b64url, make_csr
from tests.support.server import AcmehubServer

# --------------------------------------------------------------------------- new-account


def test_new_account_201_then_existing_200(clients: Clients, family: str, state: State) -> None:
    client = clients(family, register=False)
    created = client.register(contact=["mailto:admin@example.com"])
    assert created.status_code == 201, created.text
    assert_rituals(created, client.directory_url)
    location = created.headers["Location"]
    assert location.startswith(client.directory_url.removesuffix("/directory") + "/acct/")
    doc = created.json()
    assert doc["status"] == "valid"
    assert doc["contact"] == ["mailto:admin@example.com"]
    assert doc["termsOfServiceAgreed"] is True
    assert doc["orders"] == location + "/orders"
    stored = state.account(last_segment(location))
    assert stored.key_thumbprint == client.key.thumbprint()
    assert stored.status is AccountStatus.VALID

    before = state.counts()
    again = client.register()
    assert again.status_code == 200, again.text
    assert again.headers["Location"] == location
    assert_rituals(again, client.directory_url)
    assert state.counts() == before

    only = client.post(client.directory["newAccount"], {"onlyReturnExisting": True}, use_jwk=True)
    assert only.status_code == 200, only.text
    assert only.headers["Location"] == location


@pytest.mark.parametrize("alg", ["RS256", "ES384", "ES512", "EdDSA"])
def test_new_account_with_other_key_types(clients: Clients, alg: str) -> None:
    client = clients(alg=alg)
    response = client.get(client.kid or "")
    assert response.status_code == 200, response.text
    assert response.json()["key"] == {
        k: v for k, v in client.key.jwk_public().items() if k in ("kty", "crv", "x", "y", "n", "e")
    }


def test_rsa_1024_account_key_is_bad_public_key(clients: Clients, state: State) -> None:
    client = clients(key=AccountKey.generate_rsa(1024), register=False)
    before = state.counts()
    response = client.register()
    assert_problem(response, 400, "badPublicKey", "RSA modulus is 1024 bits", client.directory_url)
    assert state.counts() == before


def test_only_return_existing_unknown_key(clients: Clients, family: str, state: State) -> None:
    client = clients(family, register=False)
    before = state.counts()
    response = client.post(
        client.directory["newAccount"], {"onlyReturnExisting": True}, use_jwk=True
    )
    assert_problem(
        response,
        400,
        "accountDoesNotExist",
        "no account exists with the provided key",
        client.directory_url,
    )
    assert "Location" not in response.headers
    assert state.counts() == before


@pytest.mark.parametrize(
    ("contact", "kind", "detail"),
    [
        (["tel:+15555550100"], "unsupportedContact", "only mailto: URIs are supported"),
        (["mailto:not-an-address"], "invalidContact", "is not a valid email address"),
        (["mailto:a@example.com?subject=hi"], "invalidContact", "is not a valid email address"),
        ("mailto:a@example.com", "malformed", "contact must be a list of strings"),
    ],
)
def test_contact_validation(
    clients: Clients, family: str, state: State, contact: Any, kind: str, detail: str
) -> None:
    client = clients(family, register=False)
    before = state.counts()
    response = client.register(contact=contact)
    assert_problem(response, 400, kind, detail, client.directory_url)
    assert state.counts() == before


def test_profile_requires_contact(clients: Clients, profiles: Profiles, state: State) -> None:
    acme = profiles.acme_profile(require_contact=True)
    client = clients("acme", acme.name, register=False)
    before = state.counts()
    response = client.register()
    assert_problem(
        response, 400, "invalidContact", "requires at least one contact", client.directory_url
    )
    assert state.counts() == before
    assert client.register(contact=["mailto:ops@example.com"]).status_code == 201


def test_profile_requires_terms_of_service(
    clients: Clients, profiles: Profiles, state: State
) -> None:
    tos = "https://tos.example/acme-v2"
    acme = profiles.acme_profile(require_terms_of_service=True, terms_of_service_url=tos)
    client = clients("acme", acme.name, register=False)
    before = state.counts()
    response = client.register(termsOfServiceAgreed=False)
    doc = assert_problem(
        response, 403, "userActionRequired", "terms of service", client.directory_url
    )
    assert doc["instance"] == tos
    assert link_header(response, "terms-of-service") == [tos]
    assert state.counts() == before
    # With the agreement the same key registers.
    registered = client.register(termsOfServiceAgreed=True)
    assert registered.status_code == 201, registered.text
    assert registered.json()["termsOfServiceAgreed"] is True


def test_terms_of_service_not_required_by_default(clients: Clients) -> None:
    client = clients(register=False)
    response = client.register(termsOfServiceAgreed=False)
    assert response.status_code == 201, response.text
    assert response.json()["termsOfServiceAgreed"] is False


def test_concurrent_new_account_same_key(
    acmehub: AcmehubServer, clients: Clients, state: State
) -> None:
    client = clients(register=False)
    url = client.directory["newAccount"]
    bodies = [
        client.key.sign(url, client.nonce(), {"termsOfServiceAgreed": True}) for _ in range(3)
    ]
    before = state.counts()
    results: list[httpx.Response] = []
    barrier = threading.Barrier(len(bodies))

    def send(body: bytes) -> None:
        with acmehub.client() as http:
            barrier.wait(5)
            results.append(http.post(url, content=body, headers=JOSE))

    threads = [threading.Thread(target=send, args=(b,)) for b in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(r.status_code for r in results) == [200, 200, 201], [r.text for r in results]
    assert len({r.headers["Location"] for r in results}) == 1
    assert state.counts()["accounts"] == before["accounts"] + 1


# --------------------------------------------------------------------------- account object


def test_account_post_as_get_and_update(client: AcmeClient, state: State) -> None:
    assert client.kid is not None
    fetched = client.get(client.kid)
    assert fetched.status_code == 200, fetched.text
    assert_rituals(fetched, client.directory_url)
    assert fetched.json()["status"] == "valid"

    updated = client.post(
        client.kid,
        {"contact": ["mailto:new@example.org"], "unknownField": {"x": 1}, "orders": "ignored"},
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["contact"] == ["mailto:new@example.org"]
    assert updated.json()["orders"] == client.kid + "/orders"
    assert state.account(last_segment(client.kid)).contact == ("mailto:new@example.org",)

    cleared = client.post(client.kid, {"contact": []})
    assert cleared.status_code == 200
    assert state.account(last_segment(client.kid)).contact == ()


def test_account_update_bad_contact_changes_nothing(client: AcmeClient, state: State) -> None:
    assert client.kid is not None
    client.post(client.kid, {"contact": ["mailto:keep@example.org"]})
    response = client.post(client.kid, {"contact": ["tel:+15555550100"]})
    assert_problem(response, 400, "unsupportedContact", "only mailto:", client.directory_url)
    assert state.account(last_segment(client.kid)).contact == ("mailto:keep@example.org",)


def test_account_status_other_than_deactivated_is_malformed(
    client: AcmeClient, state: State
) -> None:
    assert client.kid is not None
    response = client.post(client.kid, {"status": "revoked"})
    assert_problem(
        response, 400, "malformed", "can only be set to deactivated", client.directory_url
    )
    assert state.account(last_segment(client.kid)).status is AccountStatus.VALID


def test_account_url_of_another_account(clients: Clients, family: str, state: State) -> None:
    mine, theirs = clients(family), clients(family)
    assert theirs.kid is not None
    response = mine.post(theirs.kid, {"contact": ["mailto:evil@example.com"]})
    assert_problem(response, 403, "unauthorized", "does not match the kid", mine.directory_url)
    assert state.account(last_segment(theirs.kid)).contact == ()


def test_deactivation_then_every_request_is_unauthorized(client: AcmeClient, state: State) -> None:
    assert client.kid is not None
    response = client.post(client.kid, {"status": "deactivated"})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "deactivated"
    assert state.account(last_segment(client.kid)).status is AccountStatus.DEACTIVATED

    before = state.counts()
    refused = [
        client.get(client.kid),
        client.post(client.kid, {"contact": []}),
        client.new_order([unique_name()]),
        client.get(client.kid + "/orders"),
        client.register(),  # the key's account exists but is deactivated (RFC 8555 §7.3.6)
    ]
    for r in refused:
        assert_problem(r, 401, "unauthorized", "Account is deactivated", client.directory_url)
    assert state.counts() == before


def test_account_disabled_by_administrator(
    acmehub: AcmehubServer, clients: Clients, family: str, flows: Flows, state: State
) -> None:
    """The administrator's switch: no orders, challenges, finalize or revocation."""
    client = clients(family)
    assert client.kid is not None
    _, issued = flows.issue(client, [unique_name()])
    cert_pem = client.get(issued["certificate"]).text
    order_url, ready = flows.ready_order(client, [unique_name()])
    pending = client.new_order([unique_name()]).json()
    challenge_url = client.get(pending["authorizations"][0]).json()["challenges"][0]["url"]

    account_id = last_segment(client.kid)
    with acmehub.container().services.deps.uow(write=True) as tx:
        tx.accounts.update(replace(state.account(account_id), enabled=False))
    try:
        before = state.counts()
        names = [i["value"] for i in ready["identifiers"]]
        der = x509.load_pem_x509_certificate(cert_pem.encode()).public_bytes(
            serialization.Encoding.DER
        )
        refused = [
            client.new_order([unique_name()]),
            client.post(challenge_url, {}),
            client.post(ready["finalize"], {"csr": b64url(make_csr(names)[0])}),
            client.post(client.directory["revokeCert"], {"certificate": b64url(der)}),
        ]
        for response in refused:
            assert_problem(
                response, 401, "unauthorized", "disabled by the administrator", client.directory_url
            )
        assert state.counts() == before
        assert state.order(last_segment(order_url)).status.value == "ready"
        assert state.certificate(last_segment(issued["certificate"])).revoked_at is None
        # Reading is still allowed.
        assert client.get(client.kid).status_code == 200
        assert client.get(order_url).status_code == 200
    finally:
        with acmehub.container().services.deps.uow(write=True) as tx:
            tx.accounts.update(replace(state.account(account_id), enabled=True))


# --------------------------------------------------------------------------- orders list


def test_orders_list_pages(client: AcmeClient, state: State) -> None:
    assert client.kid is not None
    orders_url = client.kid + "/orders"
    empty = client.get(orders_url)
    assert empty.status_code == 200, empty.text
    assert_rituals(empty, client.directory_url)
    assert empty.json() == {"orders": []}
    assert link_header(empty, "next") == []

    created = []
    for _ in range(101):
        response = client.new_order([unique_name()])
        assert response.status_code == 201, response.text
        created.append(response.headers["Location"])

    first = client.get(orders_url)
    assert first.status_code == 200
    page = first.json()["orders"]
    assert len(page) == 100
    (next_url,) = link_header(first, "next")
    second = client.get(next_url)
    assert second.status_code == 200, second.text
    rest = second.json()["orders"]
    assert link_header(second, "next") == []
    assert sorted(page + rest) == sorted(created)


def test_orders_list_of_another_account(clients: Clients, family: str) -> None:
    mine, theirs = clients(family), clients(family)
    assert theirs.kid is not None
    theirs.new_order([unique_name()])
    response = mine.get(theirs.kid + "/orders")
    assert_problem(response, 403, "unauthorized", "belongs to another account", mine.directory_url)


def test_orders_list_bad_cursor(client: AcmeClient, state: State) -> None:
    before = state.counts()
    for cursor in ("abc", "-1", "1" * 10):
        response = client.get(f"{client.kid}/orders?cursor={cursor}")
        assert_problem(response, 400, "malformed", "cursor", client.directory_url)
    assert state.counts() == before


# --------------------------------------------------------------------------- key change


def key_change_body(
    client: AcmeClient,
    new_key: AccountKey,
    *,
    url: str | None = None,
    account: str | None = None,
    old_key: dict[str, Any] | None = None,
) -> dict[str, str]:
    """The inner JWS of RFC 8555 §7.3.5, signed by the new key."""
    protected = {
        "alg": new_key.alg,
        "jwk": new_key.jwk_public(),
        "url": url or client.directory["keyChange"],
    }
    payload = {"account": account or client.kid, "oldKey": old_key or client.key.jwk_public()}
    return new_key.sign_raw(protected, payload)


@pytest.mark.parametrize(
    ("new_alg", "kind", "detail"),
    [
        ("ES256", "malformed", "JWS verification error"),
        # Another key type: the old key's algorithm no longer fits the account key.
        ("RS256", "badSignatureAlgorithm", "does not fit the account key"),
    ],
)
def test_key_change_success_then_old_key_refused(
    client: AcmeClient, state: State, new_alg: str, kind: str, detail: str
) -> None:
    assert client.kid is not None
    old_key, new_key = client.key, AccountKey.generate(new_alg)
    response = client.post(client.directory["keyChange"], key_change_body(client, new_key))
    assert response.status_code == 200, response.text
    assert_rituals(response, client.directory_url)
    assert state.account(last_segment(client.kid)).key_thumbprint == new_key.thumbprint()

    refused = client.new_order([unique_name()])  # still signed with the old key
    assert_problem(refused, 400, kind, detail, client.directory_url)

    client.key = new_key
    assert client.new_order([unique_name()]).status_code == 201
    found = client.post(client.directory["newAccount"], {"onlyReturnExisting": True}, use_jwk=True)
    assert found.status_code == 200
    assert found.headers["Location"] == client.kid

    client.key = old_key
    gone = client.post(client.directory["newAccount"], {"onlyReturnExisting": True}, use_jwk=True)
    assert_problem(gone, 400, "accountDoesNotExist", "no account exists", client.directory_url)


def test_key_change_to_a_taken_key_is_409(clients: Clients, family: str, state: State) -> None:
    client, holder = clients(family), clients(family)
    assert client.kid is not None
    response = client.post(client.directory["keyChange"], key_change_body(client, holder.key))
    assert_problem(response, 409, "malformed", "already in use", client.directory_url)
    assert response.headers["Location"] == holder.kid
    assert state.account(last_segment(client.kid)).key_thumbprint == client.key.thumbprint()


def test_key_change_inner_url_mismatch(client: AcmeClient, state: State) -> None:
    assert client.kid is not None
    new_key = AccountKey.generate()
    body = key_change_body(client, new_key, url=client.directory["newOrder"])
    response = client.post(client.directory["keyChange"], body)
    assert_problem(
        response, 400, "malformed", 'inner JWS "url" does not match', client.directory_url
    )
    assert state.account(last_segment(client.kid)).key_thumbprint == client.key.thumbprint()


def test_key_change_inner_account_mismatch(clients: Clients, state: State) -> None:
    client, other = clients(), clients()
    assert client.kid is not None
    new_key = AccountKey.generate()
    body = key_change_body(client, new_key, account=other.kid)
    response = client.post(client.directory["keyChange"], body)
    assert_problem(
        response, 400, "malformed", "inner JWS account does not match", client.directory_url
    )
    assert state.account(last_segment(client.kid)).key_thumbprint == client.key.thumbprint()


def test_key_change_old_key_mismatch(client: AcmeClient, state: State) -> None:
    assert client.kid is not None
    new_key = AccountKey.generate()
    body = key_change_body(client, new_key, old_key=AccountKey.generate().jwk_public())
    response = client.post(client.directory["keyChange"], body)
    assert_problem(
        response, 400, "malformed", "oldKey is not the key that signed", client.directory_url
    )
    assert state.account(last_segment(client.kid)).key_thumbprint == client.key.thumbprint()


def test_key_change_inner_signature_invalid(client: AcmeClient, state: State) -> None:
    assert client.kid is not None
    new_key = AccountKey.generate()
    body = key_change_body(client, new_key)
    body["signature"] = key_change_body(client, AccountKey.generate())["signature"]
    response = client.post(client.directory["keyChange"], body)
    assert_problem(response, 400, "malformed", "JWS verification error", client.directory_url)
    assert state.account(last_segment(client.kid)).key_thumbprint == client.key.thumbprint()


def test_key_change_inner_with_nonce_is_malformed(client: AcmeClient, state: State) -> None:
    new_key = AccountKey.generate()
    protected = {
        "alg": "ES256",
        "jwk": new_key.jwk_public(),
        "url": client.directory["keyChange"],
        "nonce": client.nonce(),
    }
    body = new_key.sign_raw(protected, {"account": client.kid, "oldKey": client.key.jwk_public()})
    response = client.post(client.directory["keyChange"], body)
    assert_problem(response, 400, "malformed", 'must not carry a "nonce"', client.directory_url)
    assert state.account(last_segment(client.kid or "")).key_thumbprint == client.key.thumbprint()


# --------------------------------------------------------------------------- profile binding


def test_account_bound_to_its_acme_profile(
    clients: Clients, profiles: Profiles, state: State
) -> None:
    client = clients("acme")
    other = profiles.acme_profile()
    same_key = clients("acme", other.name, key=client.key, register=False)
    before = state.counts()
    for response in (
        same_key.register(),
        same_key.post(same_key.directory["newAccount"], {"onlyReturnExisting": True}, use_jwk=True),
    ):
        assert_problem(
            response,
            401,
            "unauthorized",
            "Account does not belong to this profile",
            same_key.directory_url,
        )
    assert state.counts() == before


def test_account_bound_to_its_ra_profile(
    clients: Clients, profiles: Profiles, state: State
) -> None:
    """RA-profile family: an account is bound to the RA profile it registered under."""
    acme = profiles.acme_profile()
    ra_one, ra_two = profiles.ra_profile(acme), profiles.ra_profile(acme)
    client = clients("raProfile", ra_one.name)
    same_key = clients("raProfile", ra_two.name, key=client.key, register=False)
    before = state.counts()
    response = same_key.register()
    assert_problem(
        response,
        401,
        "unauthorized",
        "Account does not belong to this profile",
        same_key.directory_url,
    )
    assert state.counts() == before


def test_account_from_other_family_bound_to_its_ra_profile(
    clients: Clients, profiles: Profiles, state: State
) -> None:
    """Registered through the ACME profile's default RA profile: another RA profile refuses it."""
    acme = profiles.acme_profile()
    default_ra, other_ra = profiles.ra_profile(acme), profiles.ra_profile(acme)
    profiles.update_acme(acme, default_ra_profile_uuid=default_ra.uuid)
    client = clients("acme", acme.name)
    through_default = clients("raProfile", default_ra.name, key=client.key, register=False)
    assert (
        through_default.register()
        .headers["Location"]
        .endswith("/acct/" + last_segment(client.kid or ""))
    )
    elsewhere = clients("raProfile", other_ra.name, key=client.key, register=False)
    before = state.counts()
    response = elsewhere.register()
    assert_problem(
        response,
        401,
        "unauthorized",
        "Account does not belong to this profile",
        elsewhere.directory_url,
    )
    assert state.counts() == before


def test_account_follows_the_default_ra_profile(
    clients: Clients, profiles: Profiles, state: State
) -> None:
    """Accounts bound through the default RA profile follow it when it changes."""
    acme = profiles.acme_profile()
    first_ra, second_ra = profiles.ra_profile(acme), profiles.ra_profile(acme)
    profiles.update_acme(acme, default_ra_profile_uuid=first_ra.uuid)
    client = clients("acme", acme.name)
    pinned = clients("raProfile", first_ra.name)  # bound to first_ra itself

    profiles.update_acme(acme, default_ra_profile_uuid=second_ra.uuid)
    response = client.new_order([unique_name()])
    assert response.status_code == 201, response.text
    assert state.order(last_segment(response.headers["Location"])).ra_profile_uuid == (
        second_ra.uuid
    )
    moved = clients("raProfile", second_ra.name, key=client.key, register=False)
    assert moved.register().status_code == 200
    assert moved.new_order([unique_name()]).status_code == 201
    old = clients("raProfile", first_ra.name, key=client.key, register=False)
    assert_problem(old.register(), 401, "unauthorized", "Account does not belong to this profile")

    # An account registered through an RA profile's own URL stays with that RA profile.
    assert pinned.new_order([unique_name()]).status_code == 201
    same_key = clients("acme", acme.name, key=pinned.key, register=False)
    refused = same_key.register()
    assert_problem(refused, 401, "unauthorized", "Account does not belong to this profile")
