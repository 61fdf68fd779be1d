"""newAuthz (RFC 8555 §7.4.1), subdomain authorizations (RFC 9444) and authorization reuse as an
ACME client meets them: the live server over HTTP, both URL families, real http-01 and dns-01
validations (the test DNS server answers the TXT records)."""

from __future__ import annotations

from typing import Any

import pytest

from acmehub.domain.model import AcmeProfile
from tests.integration.conftest import (
    Clients,
    Flows,
    Profiles,
    assert_problem,
    challenge_of,
    unique_name,
)
from tests.support.acme_client import AcmeClient


def client_for(clients: Clients, profiles: Profiles, family: str, acme: AcmeProfile) -> AcmeClient:
    """An account of ``acme`` through ``family`` (an RA profile with it activated for the
    RA-profile family)."""
    if family == "acme":
        return clients("acme", acme.name)
    return clients("raProfile", profiles.ra_profile(acme).name)


@pytest.fixture
def preauth(clients: Clients, profiles: Profiles, family: str) -> AcmeClient:
    acme = profiles.acme_profile(new_authz_enabled=True, subdomain_auth_allowed=True)
    return client_for(clients, profiles, family, acme)


def new_authz(client: AcmeClient, name: str, **extra: Any) -> Any:
    payload = {"identifier": {"type": "dns", "value": name}, **extra}
    return client.post(client.directory["newAuthz"], payload)


def test_the_directory_shows_newauthz_only_where_the_profile_offers_it(
    clients: Clients, profiles: Profiles, family: str
) -> None:
    plain = clients(family).directory
    assert "newAuthz" not in plain
    assert "subdomainAuthAllowed" not in plain["meta"]
    only_preauth = profiles.acme_profile(new_authz_enabled=True)
    directory = client_for(clients, profiles, family, only_preauth).directory
    assert directory["newAuthz"].endswith("/new-authz")
    assert "subdomainAuthAllowed" not in directory["meta"]
    both = profiles.acme_profile(new_authz_enabled=True, subdomain_auth_allowed=True)
    directory = client_for(clients, profiles, family, both).directory
    assert directory["meta"]["subdomainAuthAllowed"] is True  # RFC 9444 §4.4


def test_new_authz_where_the_profile_does_not_offer_it(client: AcmeClient) -> None:
    url = client.directory["newOrder"].replace("/new-order", "/new-authz")
    response = client.post(url, {"identifier": {"type": "dns", "value": unique_name()}})
    assert_problem(response, 404, "malformed", "does not offer pre-authorization")


def test_a_pre_authorization_makes_a_later_order_ready(preauth: AcmeClient, flows: Flows) -> None:
    name = unique_name()
    response = new_authz(preauth, name)
    assert response.status_code == 201, response.text
    authz_url = response.headers["Location"]
    doc = response.json()
    assert doc["identifier"] == {"type": "dns", "value": name}
    assert doc["status"] == "pending"
    assert {c["type"] for c in doc["challenges"]} == {"http-01", "dns-01", "tls-alpn-01"}
    assert "subdomainAuthAllowed" not in doc
    flows.authorize_http01(preauth, authz_url)
    order = preauth.new_order([name])
    assert order.status_code == 201, order.text
    assert order.json()["status"] == "ready"
    assert order.json()["authorizations"] == [authz_url]
    issued = flows.finalize(preauth, order.headers["Location"], order.json())
    assert issued["status"] == "valid"


def test_new_authz_refuses_a_wildcard(preauth: AcmeClient) -> None:
    response = new_authz(preauth, "*." + unique_name())
    assert_problem(response, 400, "malformed", "cannot pre-authorize the wildcard")


def test_new_authz_applies_the_identifier_policy(preauth: AcmeClient) -> None:
    response = new_authz(preauth, "bad_name.example.com")
    assert_problem(response, 400, "rejectedIdentifier")


def test_a_subdomain_authorization_covers_the_names_below(
    preauth: AcmeClient, flows: Flows
) -> None:
    domain = unique_name("sub")
    response = new_authz(preauth, domain, subdomainAuthAllowed=True)
    assert response.status_code == 201, response.text
    doc = response.json()
    assert doc["subdomainAuthAllowed"] is True  # RFC 9444 §4.1
    assert [c["type"] for c in doc["challenges"]] == ["dns-01"]
    authz_url = response.headers["Location"]
    flows.authorize_dns01(preauth, authz_url)
    names = [f"www.{domain}", f"api.eu.{domain}"]
    order = preauth.new_order(names)
    assert order.status_code == 201, order.text
    assert order.json()["status"] == "ready"
    assert order.json()["authorizations"] == [authz_url]
    issued = flows.finalize(preauth, order.headers["Location"], order.json())
    assert issued["status"] == "valid"
    # A name elsewhere still needs its own challenge.
    elsewhere = preauth.new_order([unique_name()])
    assert elsewhere.json()["status"] == "pending"


def test_subdomain_auth_where_the_profile_does_not_offer_it(
    clients: Clients, profiles: Profiles, family: str
) -> None:
    acme = profiles.acme_profile(new_authz_enabled=True)
    client = client_for(clients, profiles, family, acme)
    response = new_authz(client, unique_name(), subdomainAuthAllowed=True)
    assert_problem(response, 400, "malformed", "does not offer subdomain authorizations")


def test_a_valid_authorization_is_reused_within_the_profile_window(
    clients: Clients, profiles: Profiles, family: str, flows: Flows
) -> None:
    acme = profiles.acme_profile(authorization_reuse=30 * 86400)
    client = client_for(clients, profiles, family, acme)
    name = unique_name()
    _, first = flows.ready_order(client, [name])
    second = client.new_order([name])
    assert second.status_code == 201, second.text
    assert second.json()["status"] == "ready"
    assert second.json()["authorizations"] == first["authorizations"]
    # The authorization stays valid for the reuse window, not only the order's lifetime.
    authz = client.get(first["authorizations"][0]).json()
    assert authz["status"] == "valid"
    assert authz["expires"] >= second.json()["expires"]  # RFC 3339, both in UTC


def test_without_reuse_each_order_gets_fresh_authorizations(
    client: AcmeClient, flows: Flows
) -> None:
    name = unique_name()
    _, first = flows.ready_order(client, [name])
    second = client.new_order([name]).json()
    assert second["status"] == "pending"
    assert second["authorizations"] != first["authorizations"]


def test_another_account_never_reuses(
    clients: Clients, profiles: Profiles, family: str, flows: Flows
) -> None:
    acme = profiles.acme_profile(authorization_reuse=86400)
    owner = client_for(clients, profiles, family, acme)
    name = unique_name()
    _, first = flows.ready_order(owner, [name])
    other = clients(family, owner.directory_url.rstrip("/").split("/")[-2])
    order = other.new_order([name]).json()
    assert order["status"] == "pending"
    assert order["authorizations"] != first["authorizations"]
    theirs = other.get(first["authorizations"][0])
    assert_problem(theirs, 403, "unauthorized")
    assert challenge_of(owner.get(first["authorizations"][0]).json(), "http-01")
