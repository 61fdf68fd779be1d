"""CAA (RFC 8659, RFC 8657) as an ACME client meets it: a challenge that passes, CAA records
served by pebble-challtestsrv, the authorization valid or invalid with the challenge's error
of type caa (or dns), through the live server over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from acmehub.domain.model import AcmeProfile
from tests.integration.conftest import (
    ACME_ERROR,
    Clients,
    Flows,
    Profiles,
    assert_problem,
    challenge_of,
    poll_resource,
    unique_name,
)
from tests.jws_signer import AccountKey
from tests.support.acme_client import AcmeClient, b64url, make_csr
from tests.support.challtestsrv import ChallTestSrv
from tests.support.server import AcmehubServer

US = "ca.acmehub.example"


@pytest.fixture
def caa_profile(profiles: Profiles) -> AcmeProfile:
    """An ACME profile whose directory advertises (and whose CAA check accepts) ``US``."""
    return profiles.acme_profile(caa_identities=(US,))


@pytest.fixture
def caa_client(clients: Clients, caa_profile: AcmeProfile) -> AcmeClient:
    return clients("acme", caa_profile.name)


def answer(
    client: AcmeClient, flows: Flows, name: str, kind: str = "http-01"
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Order ``name``, answer its challenge correctly; (final authorization, its challenge)."""
    response = client.new_order([name])
    assert response.status_code == 201, response.text
    authz_url = response.json()["authorizations"][0]
    challenge = challenge_of(client.get(authz_url).json(), kind)
    token = challenge["token"]
    if kind == "http-01":
        flows.responder.answers[token] = client.key_authorization(token)
    else:
        flows.dns.set_txt("_acme-challenge." + name.removeprefix("*."), client.dns01_value(token))
    assert client.post(challenge["url"], {}).status_code == 200
    authz = poll_resource(client, authz_url, lambda d: d["status"] != "pending", "authz decided")
    return authz, challenge_of(authz, kind)


def refused(authz: dict[str, Any], challenge: dict[str, Any], kind: str = "caa") -> str:
    assert authz["status"] == "invalid", authz
    assert challenge["status"] == "invalid", challenge
    assert challenge["error"]["type"] == ACME_ERROR + kind, challenge
    return str(challenge["error"]["detail"])


def test_the_directory_advertises_the_names_caa_must_carry(caa_client: AcmeClient) -> None:
    assert caa_client.directory["meta"]["caaIdentities"] == [US]


def test_issue_naming_us_permits(
    caa_client: AcmeClient, flows: Flows, dns_server: ChallTestSrv
) -> None:
    name = unique_name()
    dns_server.add_caa(name, ("issue", US))
    authz, challenge = answer(caa_client, flows, name)
    assert authz["status"] == "valid", challenge


def test_issue_naming_another_ca_refuses(
    caa_client: AcmeClient, flows: Flows, dns_server: ChallTestSrv
) -> None:
    name = unique_name()
    dns_server.add_caa(name, ("issue", "other-ca.example"))
    authz, challenge = answer(caa_client, flows, name)
    detail = refused(authz, challenge)
    assert f'CAA record for {name} prevents issuance: 0 issue "other-ca.example"' in detail
    assert challenge["error"]["identifier"] == {"type": "dns", "value": name}


def test_issuewild_refuses_a_wildcard(
    caa_client: AcmeClient, flows: Flows, dns_server: ChallTestSrv
) -> None:
    base = unique_name()
    dns_server.add_caa(base, ("issue", US), ("issuewild", "other-ca.example"))
    authz, challenge = answer(caa_client, flows, f"*.{base}", "dns-01")
    assert '0 issuewild "other-ca.example"' in refused(authz, challenge)


def test_accounturi_of_another_account_refuses_ours_permits(
    caa_client: AcmeClient, flows: Flows, dns_server: ChallTestSrv
) -> None:
    theirs, ours = unique_name(), unique_name()
    other_account = caa_client.kid.rsplit("/", 1)[0] + "/someone-else"
    dns_server.add_caa(theirs, ("issue", f"{US}; accounturi={other_account}"))
    dns_server.add_caa(ours, ("issue", f"{US}; accounturi={caa_client.kid}"))
    assert "accounturi" in refused(*answer(caa_client, flows, theirs))
    authz, _ = answer(caa_client, flows, ours)
    assert authz["status"] == "valid"


def test_validationmethods_without_the_method_used_refuses(
    caa_client: AcmeClient, flows: Flows, dns_server: ChallTestSrv
) -> None:
    name = unique_name()
    dns_server.add_caa(name, ("issue", f"{US}; validationmethods=dns-01"))
    detail = refused(*answer(caa_client, flows, name))
    assert "validationmethods does not allow http-01" in detail


def test_a_record_at_the_parent_is_found(
    caa_client: AcmeClient, flows: Flows, dns_server: ChallTestSrv
) -> None:
    parent = unique_name()
    dns_server.add_caa(parent, ("issue", "other-ca.example"))
    detail = refused(*answer(caa_client, flows, f"www.{parent}"))
    assert f"CAA record for {parent} prevents issuance" in detail


def test_a_cname_is_followed(
    caa_client: AcmeClient, flows: Flows, dns_server: ChallTestSrv
) -> None:
    alias, target = unique_name(), unique_name()
    dns_server.set_cname(alias, target)
    dns_server.add_caa(target, ("issue", "other-ca.example"))
    assert f"CAA record for {alias}" in refused(*answer(caa_client, flows, alias))


def test_servfail_refuses(caa_client: AcmeClient, flows: Flows, dns_server: ChallTestSrv) -> None:
    parent = unique_name()
    dns_server.set_servfail(parent)
    detail = refused(*answer(caa_client, flows, f"www.{parent}"), kind="dns")
    assert f"SERVFAIL looking up CAA for {parent}" in detail


def test_caa_checking_off_permits(
    profiles: Profiles, clients: Clients, flows: Flows, dns_server: ChallTestSrv
) -> None:
    profile = profiles.acme_profile(caa_identities=(US,), caa_checking=False)
    name = unique_name()
    dns_server.add_caa(name, ("issue", "other-ca.example"))
    authz, _ = answer(clients("acme", profile.name), flows, name)
    assert authz["status"] == "valid"


def test_dnssec_required_refuses_unvalidated_answers(
    profiles: Profiles, clients: Clients, flows: Flows
) -> None:
    # pebble-challtestsrv does not validate DNSSEC: no AD bit on its answers.
    profile = profiles.acme_profile(caa_identities=(US,), dnssec_required=True)
    detail = refused(*answer(clients("acme", profile.name), flows, unique_name()), kind="dns")
    assert "was not DNSSEC-validated" in detail


def test_the_ra_profiles_issuer_domains_win_in_its_directory(
    profiles: Profiles, clients: Clients, flows: Flows, dns_server: ChallTestSrv
) -> None:
    acme = profiles.acme_profile(caa_identities=(US,))
    ra = profiles.ra_profile(acme, policy={"caa_issuer_domains": ["ra.acmehub.example"]})
    client = clients("raProfile", ra.name)
    assert client.directory["meta"]["caaIdentities"] == ["ra.acmehub.example"]
    name = unique_name()
    dns_server.add_caa(name, ("issue", US))
    assert "ra.acmehub.example" in refused(*answer(client, flows, name))


# --------------------------------------------------------------------------- finalize


@pytest.fixture(scope="module")
def recheck_always(
    tmp_path_factory: pytest.TempPathFactory, dns_server: ChallTestSrv
) -> Iterator[AcmehubServer]:
    """A server that relies on no earlier CAA check at finalize (caa_recheck_seconds = 0), so
    that the recheck runs without waiting 7 hours; the clock-driven age is tested in
    tests/integration/validation/test_caa_recheck.py."""
    root = tmp_path_factory.mktemp("acmehub-caa-recheck")
    server = AcmehubServer(
        root / "state", dns_port=dns_server.dns_port, ACMEHUB_CAA_RECHECK_SECONDS="0"
    ).start()
    yield server
    server.stop()


def test_finalize_checks_caa_again_and_fails_the_order(
    recheck_always: AcmehubServer, dns_server: ChallTestSrv
) -> None:
    with recheck_always.client() as http:
        client = AcmeClient(http, recheck_always.directory_url())
        client.key = AccountKey.generate()
        assert client.register(termsOfServiceAgreed=True).status_code == 201
        flows = Flows(dns_server, None)  # type: ignore[arg-type]  # dns-01 only
        name = unique_name()
        order_url = client.new_order([name]).headers["Location"]
        order = client.get(order_url).json()
        flows.authorize_dns01(client, order["authorizations"][0])
        order = poll_resource(client, order_url, lambda d: d["status"] == "ready", "ready")
        # The domain's owner turns to another CA after the validation.
        dns_server.add_caa(name, ("issue", "other-ca.example"))
        csr, _ = make_csr([name])
        response = client.post(order["finalize"], {"csr": b64url(csr)})
        doc = assert_problem(response, 403, "caa", f"CAA record for {name} prevents issuance")
        assert doc["detail"].startswith("CAA recheck at finalize")
        failed = client.get(order_url).json()
        assert failed["status"] == "invalid"
        assert failed["error"]["type"] == ACME_ERROR + "caa"
