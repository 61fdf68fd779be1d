"""Orders (RFC 8555 §7.1.3, §7.4): new-order, identifiers, validity, ownership, status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography import x509

from acmehub.domain.model import AuthzStatus, OrderStatus
from tests.integration.conftest import (
    Clients,
    Flows,
    Profiles,
    State,
    assert_problem,
    assert_rituals,
    challenge_of,
    last_segment,
    link_header,
    poll_resource,
    unique_name,
)
from tests.support.acme_client import AcmeClient, b64url, make_csr


def rfc3339(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def dns(*names: str) -> dict[str, Any]:
    return {"identifiers": [{"type": "dns", "value": n} for n in names]}


# --------------------------------------------------------------------------- new-order


def test_new_order_201(client: AcmeClient, state: State) -> None:
    names = sorted([unique_name(), unique_name()])
    response = client.new_order(names)
    assert response.status_code == 201, response.text
    assert_rituals(response, client.directory_url)
    root = client.directory_url.removesuffix("/directory")
    location = response.headers["Location"]
    assert location.startswith(root + "/order/")
    order = response.json()
    assert order["status"] == "pending"
    assert order["identifiers"] == [{"type": "dns", "value": n} for n in names]
    assert order["finalize"] == location + "/finalize"
    assert len(order["authorizations"]) == 2
    assert "certificate" not in order
    expires = datetime.fromisoformat(order["expires"].replace("Z", "+00:00"))
    assert expires > datetime.now(UTC)
    stored = state.order(last_segment(location))
    assert stored.status is OrderStatus.PENDING
    assert stored.account_id == last_segment(client.kid or "")

    seen = set()
    for authz_url in order["authorizations"]:
        assert authz_url.startswith(root + "/authz/")
        authz = client.get(authz_url)
        assert authz.status_code == 200, authz.text
        assert_rituals(authz, client.directory_url)
        doc = authz.json()
        assert doc["status"] == "pending"
        assert "wildcard" not in doc
        seen.add(doc["identifier"]["value"])
        assert {c["type"] for c in doc["challenges"]} == {"http-01", "dns-01", "tls-alpn-01"}
        for challenge in doc["challenges"]:
            assert challenge["status"] == "pending"
            assert challenge["url"].startswith(root + "/chall/")
            assert len(challenge["token"]) >= 43
    assert seen == set(names)

    fetched = client.get(location)
    assert fetched.status_code == 200
    assert fetched.json() == order


def test_new_order_names_are_lowercased_and_deduplicated(client: AcmeClient) -> None:
    name = unique_name()
    response = client.new_order([name.upper(), name])
    assert response.status_code == 201, response.text
    assert response.json()["identifiers"] == [{"type": "dns", "value": name}]
    assert len(response.json()["authorizations"]) == 1


def test_wildcard_authorization_offers_dns01_only(client: AcmeClient) -> None:
    base = unique_name()
    response = client.new_order([f"*.{base}", base])
    assert response.status_code == 201, response.text
    order = response.json()
    assert {"type": "dns", "value": f"*.{base}"} in order["identifiers"]
    docs = [client.get(url).json() for url in order["authorizations"]]
    wildcard = [d for d in docs if d.get("wildcard")]
    plain = [d for d in docs if not d.get("wildcard")]
    assert len(wildcard) == 1
    assert len(plain) == 1
    assert wildcard[0]["wildcard"] is True
    assert wildcard[0]["identifier"] == {"type": "dns", "value": base}
    assert [c["type"] for c in wildcard[0]["challenges"]] == ["dns-01"]
    assert plain[0]["identifier"] == {"type": "dns", "value": base}
    assert "dns-01" in {c["type"] for c in plain[0]["challenges"]}


@pytest.mark.parametrize(
    ("payload", "kind", "detail"),
    [
        (dns("localhost"), "rejectedIdentifier", "needs at least two labels"),
        (dns("-bad.example.com"), "rejectedIdentifier", "invalid label"),
        (dns("a.*.example.com"), "rejectedIdentifier", "wildcard is allowed only"),
        (dns("192.0.2.1"), "rejectedIdentifier", "is an IP address"),
        (dns("example.com."), "rejectedIdentifier", "must not end with a dot"),
        (
            {"identifiers": [{"type": "email", "value": "a@example.com"}]},
            "unsupportedIdentifier",
            "identifier type 'email' is not supported",
        ),
        (
            {"identifiers": [{"type": "ip", "value": "192.0.2.1"}]},
            "rejectedIdentifier",
            "IP identifiers are not allowed (issuancePolicy.allowedIpNetworks is empty)",
        ),
        ({"identifiers": []}, "malformed", "identifiers must be a non-empty list"),
        ({}, "malformed", "identifiers must be a non-empty list"),
        ({"identifiers": [{"type": "dns"}]}, "malformed", "string type and value"),
        (dns(*[f"n{i}.example.com" for i in range(101)]), "rejectedIdentifier", "at most 100"),
    ],
)
def test_bad_identifiers(
    client: AcmeClient, state: State, payload: dict[str, Any], kind: str, detail: str
) -> None:
    before = state.counts()
    nonce = client.nonce()
    response = client.post(client.directory["newOrder"], payload, nonce=nonce)
    assert_problem(response, 400, kind, detail, client.directory_url)
    assert state.counts() == before
    # The request was authentic: its nonce is used up even though it was refused.
    assert not state.nonce_is_usable(nonce)


def test_several_bad_identifiers_are_compound(client: AcmeClient, state: State) -> None:
    before = state.counts()
    payload = {
        "identifiers": [
            {"type": "dns", "value": "localhost"},
            {"type": "email", "value": "a@example.com"},
            {"type": "dns", "value": unique_name()},
        ]
    }
    response = client.post(client.directory["newOrder"], payload)
    doc = assert_problem(response, 400, "compound", "localhost", client.directory_url)
    subproblems = {
        (p["type"].rsplit(":", 1)[1], p["identifier"]["value"]) for p in doc["subproblems"]
    }
    assert subproblems == {
        ("rejectedIdentifier", "localhost"),
        ("unsupportedIdentifier", "a@example.com"),
    }
    assert state.counts() == before


def test_new_order_payload_must_be_an_object(client: AcmeClient, state: State) -> None:
    before = state.counts()
    response = client.post(client.directory["newOrder"], b"[1, 2]")
    assert_problem(response, 400, "malformed", "not a JSON object", client.directory_url)
    empty = client.get(client.directory["newOrder"])
    assert_problem(empty, 400, "malformed", "payload is empty", client.directory_url)
    assert state.counts() == before


# --------------------------------------------------------------------------- validity window


def test_not_before_not_after_honoured(client: AcmeClient, flows: Flows) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    not_before, not_after = now + timedelta(hours=1), now + timedelta(days=10)
    response = client.new_order(
        [unique_name()], notBefore=rfc3339(not_before), notAfter=rfc3339(not_after)
    )
    assert response.status_code == 201, response.text
    order = response.json()
    assert order["notBefore"] == rfc3339(not_before)
    assert order["notAfter"] == rfc3339(not_after)
    order_url = response.headers["Location"]
    flows.authorize_http01(client, order["authorizations"][0])
    order = poll_resource(client, order_url, lambda d: d["status"] == "ready", "ready")
    order = flows.finalize(client, order_url, order)
    pem = client.get(order["certificate"]).text
    cert = x509.load_pem_x509_certificate(pem.encode())
    assert cert.not_valid_before_utc == not_before
    assert cert.not_valid_after_utc == not_after


@pytest.mark.parametrize(
    ("fields", "detail"),
    [
        ({"notAfter": timedelta(days=400)}, "exceeds the RA profile's maximum"),
        (
            {"notBefore": timedelta(days=2), "notAfter": timedelta(days=1)},
            "notAfter must be later than notBefore",
        ),
        ({"notBefore": -timedelta(hours=2)}, "more than 1 hour in the past"),
        ({"notBefore": timedelta(days=500)}, "too far in the future"),
    ],
)
def test_validity_window_refused(
    client: AcmeClient, state: State, fields: dict[str, timedelta], detail: str
) -> None:
    now = datetime.now(UTC)
    extra = {k: rfc3339(now + v) for k, v in fields.items()}
    before = state.counts()
    response = client.new_order([unique_name()], **extra)
    assert_problem(response, 400, "malformed", detail, client.directory_url)
    assert state.counts() == before


def test_validity_window_bad_format(client: AcmeClient, state: State) -> None:
    before = state.counts()
    for value, detail in (
        ("yesterday", "is not an RFC 3339"),
        ("2030-01-01T00:00:00", "time zone offset"),
        (12345, "must be an RFC 3339"),
    ):
        response = client.new_order([unique_name()], notAfter=value)
        assert_problem(response, 400, "malformed", detail, client.directory_url)
    assert state.counts() == before


def test_validity_maximum_of_the_ra_profile(
    clients: Clients, profiles: Profiles, state: State
) -> None:
    acme = profiles.acme_profile()
    ra = profiles.ra_profile(acme, validity_max=7 * 86400)
    client = clients("raProfile", ra.name)
    now = datetime.now(UTC)
    before = state.counts()
    response = client.new_order([unique_name()], notAfter=rfc3339(now + timedelta(days=8)))
    assert_problem(response, 400, "malformed", "maximum of 604800 seconds", client.directory_url)
    assert state.counts() == before
    ok = client.new_order([unique_name()], notAfter=rfc3339(now + timedelta(days=6)))
    assert ok.status_code == 201, ok.text


# --------------------------------------------------------------------------- ownership


def test_objects_of_another_account_are_unauthorized(
    clients: Clients, family: str, flows: Flows, state: State
) -> None:
    owner, intruder = clients(family), clients(family)
    order_url, order = flows.issue(owner, [unique_name()])
    authz_url = order["authorizations"][0]
    authz = owner.get(authz_url).json()
    challenge_url = authz["challenges"][0]["url"]
    cert_url = order["certificate"]
    order_id = last_segment(order_url)
    before = state.counts()

    for url, what in (
        (order_url, "order"),
        (authz_url, "authorization"),
        (challenge_url, "authorization"),
        (cert_url, "certificate"),
    ):
        response = intruder.get(url)
        assert_problem(
            response,
            403,
            "unauthorized",
            f"the {what} belongs to another account",
            intruder.directory_url,
        )
    deactivate = intruder.post(authz_url, {"status": "deactivated"})
    assert_problem(deactivate, 403, "unauthorized", "belongs to another account")
    finalize = intruder.post(order["finalize"], {"csr": b64url(make_csr([unique_name()])[0])})
    assert_problem(finalize, 403, "unauthorized", "belongs to another account")
    assert state.counts() == before
    assert state.order(order_id).status is OrderStatus.VALID
    assert state.authorization(last_segment(authz_url)).status is AuthzStatus.VALID


def test_unknown_objects_are_404(client: AcmeClient, state: State) -> None:
    root = client.directory_url.removesuffix("/directory")
    before = state.counts()
    for path, detail in (
        ("/order/nope", "no such order"),
        ("/authz/nope", "no such authz"),
        ("/chall/nope", "no such challenge"),
        ("/cert/nope", "no such certificate"),
    ):
        response = client.get(root + path)
        detail = detail.replace("authz", "authorization")
        assert_problem(response, 404, "malformed", detail, client.directory_url)
    assert state.counts() == before


def test_post_as_get_with_payload_is_malformed(client: AcmeClient, state: State) -> None:
    response = client.new_order([unique_name()])
    order_url = response.headers["Location"]
    refused = client.post(order_url, {})
    assert_problem(
        refused,
        400,
        "malformed",
        "POST-as-GET requests must have an empty payload",
        client.directory_url,
    )
    assert state.order(last_segment(order_url)).status is OrderStatus.PENDING


def test_plain_get_of_an_order_is_405(client: AcmeClient) -> None:
    response = client.new_order([unique_name()])
    get = client.http.get(response.headers["Location"])
    assert_problem(get, 405, "malformed", "not allowed", client.directory_url)
    assert get.headers["Allow"] == "POST"


# --------------------------------------------------------------------------- status


def test_invalid_order_is_returned_with_its_error(client: AcmeClient, state: State) -> None:
    name = unique_name()
    response = client.new_order([name])
    order_url = response.headers["Location"]
    authz_url = response.json()["authorizations"][0]
    deactivated = client.post(authz_url, {"status": "deactivated"})
    assert deactivated.status_code == 200, deactivated.text
    assert deactivated.json()["status"] == "deactivated"

    polled = client.get(order_url)
    assert polled.status_code == 200, polled.text
    order = polled.json()
    assert order["status"] == "invalid"
    assert order["error"]["type"] == "urn:ietf:params:acme:error:unauthorized"
    assert name in order["error"]["detail"]
    assert order["error"]["identifier"] == {"type": "dns", "value": name}
    assert state.order(last_segment(order_url)).status is OrderStatus.INVALID

    finalize = client.post(order["finalize"], {"csr": b64url(make_csr([name])[0])})
    assert_problem(finalize, 403, "orderNotReady", "order is invalid", client.directory_url)
    assert state.order(last_segment(order_url)).status is OrderStatus.INVALID


def test_expired_order_reads_invalid_with_its_error(
    clients: Clients, profiles: Profiles, state: State
) -> None:
    acme = profiles.acme_profile(validity=1)  # orders and authorizations live one second
    client = clients("acme", acme.name)
    response = client.new_order([unique_name()])
    assert response.status_code == 201, response.text
    order_url = response.headers["Location"]
    authz_url = response.json()["authorizations"][0]
    order = poll_resource(client, order_url, lambda d: d["status"] == "invalid", "expired")
    assert order["error"]["type"] == "urn:ietf:params:acme:error:malformed"
    assert "expired" in order["error"]["detail"]
    assert client.get(authz_url).json()["status"] == "expired"
    # Reading never writes: expiry is derived from the time, the stored status is untouched.
    assert state.order(last_segment(order_url)).status is OrderStatus.PENDING
    challenge = client.get(authz_url).json()["challenges"][0]
    refused = client.post(challenge["url"], {})
    assert_problem(refused, 400, "malformed", "the authorization is expired", client.directory_url)


def test_order_ready_only_when_all_authorizations_valid(
    client: AcmeClient, flows: Flows, state: State
) -> None:
    names = [unique_name(), unique_name()]
    response = client.new_order(names)
    order_url = response.headers["Location"]
    first, second = response.json()["authorizations"]

    flows.authorize_http01(client, first)
    order = client.get(order_url).json()
    assert order["status"] == "pending"
    assert state.order(last_segment(order_url)).status is OrderStatus.PENDING
    finalize = client.post(order["finalize"], {"csr": b64url(make_csr(names)[0])})
    assert_problem(finalize, 403, "orderNotReady", "order is pending", client.directory_url)
    assert state.order(last_segment(order_url)).status is OrderStatus.PENDING
    assert state.certificates_for_order(last_segment(order_url)) == 0

    flows.authorize_dns01(client, second)
    order = poll_resource(client, order_url, lambda d: d["status"] == "ready", "order ready")
    assert order["status"] == "ready"


def test_terms_of_service_changed_blocks_new_orders(
    clients: Clients, profiles: Profiles, state: State
) -> None:
    tos_v2 = "https://tos.example/v2"
    acme = profiles.acme_profile(
        terms_of_service_url="https://tos.example/v1", terms_of_service_change_url=tos_v2
    )
    client = clients("acme", acme.name)
    assert client.new_order([unique_name()]).status_code == 201

    profiles.update_acme(acme, terms_of_service_change_disable=True)
    before = state.counts()
    response = client.new_order([unique_name()])
    doc = assert_problem(
        response, 403, "userActionRequired", "Terms of service have changed", client.directory_url
    )
    assert doc["instance"] == tos_v2
    assert link_header(response, "terms-of-service") == [tos_v2]
    assert state.counts() == before

    # Agreeing again (RFC 8555 §7.3.3) lets the account order again.
    agreed = client.post(client.kid or "", {"termsOfServiceAgreed": True})
    assert agreed.status_code == 200, agreed.text
    again = client.new_order([unique_name()])
    assert again.status_code == 201, again.text


def test_profile_created_with_terms_changed_flag(clients: Clients, profiles: Profiles) -> None:
    """Accounts that agree after the flag was set may order (the flag's time is its creation)."""
    acme = profiles.acme_profile(
        terms_of_service_url="https://tos.example/v3", terms_of_service_change_disable=True
    )
    client = clients("acme", acme.name)
    response = client.new_order([unique_name()])
    assert response.status_code == 201, response.text
    disagreeing = clients("acme", acme.name, termsOfServiceAgreed=False)
    refused = disagreeing.new_order([unique_name()])
    doc = assert_problem(refused, 403, "userActionRequired", "Terms of service have changed")
    assert doc["instance"] == "https://tos.example/v3"


def test_challenges_of_new_order_are_distinct(client: AcmeClient) -> None:
    response = client.new_order([unique_name()])
    authz = client.get(response.json()["authorizations"][0]).json()
    tokens = {c["token"] for c in authz["challenges"]}
    urls = {c["url"] for c in authz["challenges"]}
    assert len(tokens) == len(urls) == 3
    assert challenge_of(authz, "http-01")["token"] in tokens
