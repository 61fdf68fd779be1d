"""dns-account-01 (draft-ietf-acme-dns-account-label) and dns-persist-01
(draft-ietf-acme-dns-persist) as an ACME client meets them: records served by
pebble-challtestsrv, validated by the live server, through both URL families."""

from __future__ import annotations

import time
from typing import Any

import pytest

from acmehub.domain.model import AcmeProfile
from tests.integration.conftest import (
    ACME_ERROR,
    Clients,
    Flows,
    Profiles,
    challenge_of,
    poll_resource,
    unique_name,
)
from tests.support.acme_client import AcmeClient
from tests.support.challtestsrv import ChallTestSrv

US = "ca.acmehub.example"
ACCOUNT_01 = "dns-account-01"
PERSIST_01 = "dns-persist-01"


@pytest.fixture
def newer_profile(profiles: Profiles) -> AcmeProfile:
    """An ACME profile that offers both newer types; ``US`` is its issuer domain name."""
    return profiles.acme_profile(
        caa_identities=(US,), offer_dns_account_01=True, offer_dns_persist_01=True
    )


@pytest.fixture(params=("acme", "raProfile"))
def newer_client(
    request: pytest.FixtureRequest, profiles: Profiles, clients: Clients, newer_profile: AcmeProfile
) -> AcmeClient:
    """A registered account under ``newer_profile``, through each URL family."""
    if request.param == "acme":
        return clients("acme", newer_profile.name)
    ra = profiles.ra_profile(newer_profile)
    return clients("raProfile", ra.name)


def order_challenge(client: AcmeClient, name: str, kind: str) -> tuple[str, dict[str, Any]]:
    """A new order for ``name``: (its authorization URL, its ``kind`` challenge)."""
    response = client.new_order([name])
    assert response.status_code == 201, response.text
    authz_url = response.json()["authorizations"][0]
    return authz_url, challenge_of(client.get(authz_url).json(), kind)


def respond(client: AcmeClient, authz_url: str, challenge: dict[str, Any]) -> dict[str, Any]:
    """POST the challenge (the client still says it is ready, draft §4) and wait for the
    decision; returns the challenge as the final authorization shows it."""
    response = client.post(challenge["url"], {})
    assert response.status_code == 200, response.text
    authz = poll_resource(client, authz_url, lambda d: d["status"] != "pending", "authz decided")
    decided = challenge_of(authz, challenge["type"])
    assert authz["status"] == decided["status"], authz
    return decided


def refused(challenge: dict[str, Any], kind: str) -> str:
    assert challenge["status"] == "invalid", challenge
    assert challenge["error"]["type"] == ACME_ERROR + kind, challenge
    return str(challenge["error"]["detail"])


# --------------------------------------------------------------------------- offering


def test_the_default_profile_offers_neither(client: AcmeClient) -> None:
    assert "issuerDomainNames" not in client.directory["meta"]
    response = client.new_order([unique_name()])
    authz = client.get(response.json()["authorizations"][0]).json()
    types = {c["type"] for c in authz["challenges"]}
    assert types == {"http-01", "dns-01", "tls-alpn-01"}


def test_the_directory_and_challenges_of_a_profile_that_offers_them(
    newer_client: AcmeClient,
) -> None:
    # draft-ietf-acme-dns-persist §3.2: the names a record may carry, before any order.
    assert newer_client.directory["meta"]["issuerDomainNames"] == [US]
    response = newer_client.new_order([unique_name()])
    authz = newer_client.get(response.json()["authorizations"][0]).json()
    account = challenge_of(authz, ACCOUNT_01)
    assert len(account["token"]) >= 43
    persist = challenge_of(authz, PERSIST_01)
    # §3.1: issuerDomainNames, and no token.
    assert persist["issuerDomainNames"] == [US]
    assert "token" not in persist


def test_dns_persist_is_not_offered_without_an_issuer_domain_name(
    profiles: Profiles, clients: Clients
) -> None:
    profile = profiles.acme_profile(offer_dns_persist_01=True)
    client = clients("acme", profile.name)
    assert "issuerDomainNames" not in client.directory["meta"]
    authz = client.get(client.new_order([unique_name()]).json()["authorizations"][0]).json()
    assert PERSIST_01 not in {c["type"] for c in authz["challenges"]}


# --------------------------------------------------------------------------- dns-account-01


def test_dns_account_01_validates_and_issues(
    newer_client: AcmeClient, flows: Flows, dns_server: ChallTestSrv
) -> None:
    name = unique_name()
    response = newer_client.new_order([name])
    order_url = response.headers["Location"]
    authz_url = response.json()["authorizations"][0]
    challenge = challenge_of(newer_client.get(authz_url).json(), ACCOUNT_01)
    dns_server.set_txt(
        newer_client.dns_account01_name(name), newer_client.dns01_value(challenge["token"])
    )
    assert respond(newer_client, authz_url, challenge)["status"] == "valid"
    order = poll_resource(newer_client, order_url, lambda d: d["status"] == "ready", "ready")
    assert flows.finalize(newer_client, order_url, order)["certificate"]


def test_two_accounts_validate_one_name_at_once(
    clients: Clients, newer_profile: AcmeProfile, dns_server: ChallTestSrv
) -> None:
    """The point of the account label: each client's record has a name of its own."""
    name = unique_name()
    first, second = clients("acme", newer_profile.name), clients("acme", newer_profile.name)
    pending = []
    for client in (first, second):
        authz_url, challenge = order_challenge(client, name, ACCOUNT_01)
        dns_server.set_txt(client.dns_account01_name(name), client.dns01_value(challenge["token"]))
        pending.append((client, authz_url, challenge))
    assert first.dns_account01_name(name) != second.dns_account01_name(name)
    for client, authz_url, challenge in pending:
        assert respond(client, authz_url, challenge)["status"] == "valid"


def test_dns_account_01_at_the_dns_01_name_is_refused(
    newer_client: AcmeClient, dns_server: ChallTestSrv
) -> None:
    name = unique_name()
    authz_url, challenge = order_challenge(newer_client, name, ACCOUNT_01)
    dns_server.set_txt(f"_acme-challenge.{name}", newer_client.dns01_value(challenge["token"]))
    detail = refused(respond(newer_client, authz_url, challenge), "unauthorized")
    assert detail.startswith("No TXT record found at _"), detail
    assert f"._acme-challenge.{name}" in detail


def test_dns_account_01_with_a_wrong_value_is_incorrect(
    newer_client: AcmeClient, dns_server: ChallTestSrv
) -> None:
    name = unique_name()
    authz_url, challenge = order_challenge(newer_client, name, ACCOUNT_01)
    dns_server.set_txt(newer_client.dns_account01_name(name), "not-the-digest")
    detail = refused(respond(newer_client, authz_url, challenge), "incorrectResponse")
    assert detail == "Incorrect TXT record 'not-the-digest' found at " + (
        newer_client.dns_account01_name(name)
    )


# --------------------------------------------------------------------------- dns-persist-01


def test_a_standing_record_validates_every_order(
    newer_client: AcmeClient, flows: Flows, dns_server: ChallTestSrv
) -> None:
    name = unique_name()
    dns_server.set_txt(f"_validation-persist.{name}", newer_client.dns_persist_record(US))
    for _ in range(2):  # checked at each order, with nothing to change in DNS
        response = newer_client.new_order([name])
        order_url = response.headers["Location"]
        authz_url = response.json()["authorizations"][0]
        challenge = challenge_of(newer_client.get(authz_url).json(), PERSIST_01)
        assert respond(newer_client, authz_url, challenge)["status"] == "valid"
        order = poll_resource(newer_client, order_url, lambda d: d["status"] == "ready", "ready")
        assert flows.finalize(newer_client, order_url, order)["certificate"]


def test_a_record_for_another_account_is_refused(
    newer_client: AcmeClient, clients: Clients, newer_profile: AcmeProfile, dns_server: ChallTestSrv
) -> None:
    other = clients("acme", newer_profile.name)
    name = unique_name()
    dns_server.set_txt(f"_validation-persist.{name}", other.dns_persist_record(US))
    authz_url, challenge = order_challenge(newer_client, name, PERSIST_01)
    detail = refused(respond(newer_client, authz_url, challenge), "unauthorized")
    assert f"accounturi '{other.kid}' is not this account's URL" in detail


def test_an_expired_record_is_refused(newer_client: AcmeClient, dns_server: ChallTestSrv) -> None:
    name = unique_name()
    past = int(time.time()) - 3600
    record = newer_client.dns_persist_record(US, f"persistUntil={past}")
    dns_server.set_txt(f"_validation-persist.{name}", record)
    authz_url, challenge = order_challenge(newer_client, name, PERSIST_01)
    detail = refused(respond(newer_client, authz_url, challenge), "unauthorized")
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(past))
    assert f"it expired at {stamp} (persistUntil)" in detail


def test_a_record_that_has_not_expired_yet_validates_until_then(
    newer_client: AcmeClient, dns_server: ChallTestSrv
) -> None:
    """draft §4.1 item 5: the authorization expires no later than persistUntil (the profile's
    authorizations live 10 hours; the record one)."""
    name = unique_name()
    until = int(time.time()) + 3600
    record = newer_client.dns_persist_record(US, f"persistUntil={until}")
    dns_server.set_txt(f"_validation-persist.{name}", record)
    authz_url, challenge = order_challenge(newer_client, name, PERSIST_01)
    assert respond(newer_client, authz_url, challenge)["status"] == "valid"
    authz = newer_client.get(authz_url).json()
    assert authz["expires"] == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(until))


def test_a_wildcard_needs_policy_wildcard(
    newer_client: AcmeClient, dns_server: ChallTestSrv
) -> None:
    base = unique_name()
    dns_server.set_txt(f"_validation-persist.{base}", newer_client.dns_persist_record(US))
    authz_url, challenge = order_challenge(newer_client, f"*.{base}", PERSIST_01)
    detail = refused(respond(newer_client, authz_url, challenge), "unauthorized")
    assert "a wildcard needs policy=wildcard" in detail
    dns_server.clear_txt(f"_validation-persist.{base}")
    record = newer_client.dns_persist_record(US, "policy=wildcard")
    dns_server.set_txt(f"_validation-persist.{base}", record)
    authz_url, challenge = order_challenge(newer_client, f"*.{base}", PERSIST_01)
    assert respond(newer_client, authz_url, challenge)["status"] == "valid"


def test_records_for_another_ca_are_skipped_and_malformed_ones_named(
    newer_client: AcmeClient, dns_server: ChallTestSrv
) -> None:
    name = unique_name()
    dns_server.set_txt(f"_validation-persist.{name}", "other-ca.example; accounturi=x")
    authz_url, challenge = order_challenge(newer_client, name, PERSIST_01)
    detail = refused(respond(newer_client, authz_url, challenge), "unauthorized")
    assert detail == f"None of the 1 TXT records at _validation-persist.{name} names {US}"
    dns_server.set_txt(f"_validation-persist.{name}", f"{US}; policy=wildcard")
    authz_url, challenge = order_challenge(newer_client, name, PERSIST_01)
    detail = refused(respond(newer_client, authz_url, challenge), "malformed")
    assert "missing mandatory accounturi parameter" in detail


def test_each_ra_profile_answers_to_its_own_issuer_domain_name(
    profiles: Profiles, clients: Clients, newer_profile: AcmeProfile, dns_server: ChallTestSrv
) -> None:
    """The RA profile's caaIssuerDomains (issue 15) name the CA for dns-persist-01 too."""
    own = "ra.acmehub.example"
    ra = profiles.ra_profile(newer_profile, policy={"caa_issuer_domains": [own]})
    client = clients("raProfile", ra.name)
    assert client.directory["meta"]["issuerDomainNames"] == [own]
    name = unique_name()
    dns_server.set_txt(f"_validation-persist.{name}", client.dns_persist_record(US))
    authz_url, challenge = order_challenge(client, name, PERSIST_01)
    assert challenge["issuerDomainNames"] == [own]
    detail = refused(respond(client, authz_url, challenge), "unauthorized")
    assert detail.endswith(f"names {own}"), detail
    dns_server.set_txt(f"_validation-persist.{name}", client.dns_persist_record(own))
    authz_url, challenge = order_challenge(client, name, PERSIST_01)
    assert respond(client, authz_url, challenge)["status"] == "valid"


# --------------------------------------------------------------------------- CAA (issue 15)


def test_caa_validationmethods_names_the_new_methods(
    newer_client: AcmeClient, dns_server: ChallTestSrv
) -> None:
    allowed = unique_name()
    dns_server.add_caa(allowed, ("issue", f"{US}; validationmethods=dns-persist-01"))
    dns_server.set_txt(f"_validation-persist.{allowed}", newer_client.dns_persist_record(US))
    authz_url, challenge = order_challenge(newer_client, allowed, PERSIST_01)
    assert respond(newer_client, authz_url, challenge)["status"] == "valid"

    refusing = unique_name()
    dns_server.add_caa(refusing, ("issue", f"{US}; validationmethods=dns-01"))
    authz_url, challenge = order_challenge(newer_client, refusing, ACCOUNT_01)
    dns_server.set_txt(
        newer_client.dns_account01_name(refusing), newer_client.dns01_value(challenge["token"])
    )
    detail = refused(respond(newer_client, authz_url, challenge), "caa")
    assert "validationmethods does not allow dns-account-01" in detail
