"""RA profiles over the management API: CRUD, enable/disable, the ACME activation, and the
issuance policy as ACME clients meet it (rejectedIdentifier at new-order, badCSR at
finalize, validity and extended key usages of the certificates issued).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from acmehub.domain.admin_model import Role
from tests.api.conftest import ApiFactory
from tests.api.profile_helpers import (
    activate,
    audit_events,
    default_authority,
    label,
    new_acme_profile,
    new_ra_profile,
    ok,
    problem,
    ra_url,
)
from tests.integration.conftest import (
    Clients,
    Flows,
    Http01Responder,
    assert_problem,
    unique_name,
)
from tests.integration.test_protocol_finalize import csr_for
from tests.support.acme_client import AcmeClient, b64url
from tests.support.challtestsrv import ChallTestSrv
from tests.support.server import AcmehubServer

DAY = 86400
DEFAULT_POLICY = {
    "allowedIdentifiers": [],
    "deniedIdentifiers": [],
    "allowWildcards": True,
    "maxNames": 100,
    "maxLabels": 10,
    "allowedKeyTypes": ["rsa", "ec-p256", "ec-p384"],
    "minRsaBits": 2048,
    "extendedKeyUsages": ["serverAuth"],
    "caaIssuerDomains": [],
    "allowedIpNetworks": [],
}

# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def http01(acmehub: AcmehubServer) -> Iterator[Http01Responder]:
    responder = Http01Responder(acmehub.http01_port).start()
    yield responder
    responder.stop()


@pytest.fixture
def flows(dns_server: ChallTestSrv, http01: Http01Responder) -> Flows:
    return Flows(dns_server, http01)


@pytest.fixture
def clients(acmehub: AcmehubServer) -> Iterator[Clients]:
    made = Clients(acmehub)
    yield made
    made.close()


@pytest.fixture
def operator(api_as: ApiFactory) -> httpx.Client:
    return api_as(Role.OPERATOR)


@pytest.fixture
def auditor(api_as: ApiFactory) -> httpx.Client:
    return api_as(Role.AUDITOR)


@pytest.fixture
def authority(api: httpx.Client) -> dict[str, Any]:
    return default_authority(api)


def client_for(
    api: httpx.Client, clients: Clients, *, family: str = "acme", **ra_body: Any
) -> tuple[AcmeClient, dict[str, Any]]:
    """An ACME account under a fresh RA profile made with ``ra_body`` (both URL families)."""
    ra = new_ra_profile(api, **ra_body)
    acme = new_acme_profile(api, ra)
    activate(api, ra, acme)
    return clients(family, acme["name"] if family == "acme" else ra["name"]), ra


# --------------------------------------------------------------------------- CRUD


def test_create_with_defaults(
    api: httpx.Client, authority: dict[str, Any], acmehub: AcmehubServer
) -> None:
    name = label("ra")
    url = f"/authorities/{authority['uuid']}/raProfiles"
    response = api.post(url, json={"name": name})
    assert response.status_code == 201, response.text
    uuid = response.json()["uuid"]
    assert response.headers["Location"] == f"{acmehub.base_url}/api/v1{url}/{uuid}"
    assert ok(api.get(f"{url}/{uuid}")) == {
        "uuid": uuid,
        "name": name,
        "description": "",
        "enabled": True,
        "authority": {"uuid": authority["uuid"], "name": authority["name"]},
        "validityDefault": 90 * DAY,
        "validityMax": 397 * DAY,
        "issuancePolicy": DEFAULT_POLICY,
        "acmeProfile": None,
    }
    assert uuid in [r["uuid"] for r in ok(api.get(url))["items"]]
    assert uuid in [r["uuid"] for r in ok(api.get("/raProfiles"))["items"]]
    [event] = audit_events(acmehub, "raProfile.create", uuid)
    assert event.detail["name"] == name


def test_create_with_a_policy(api: httpx.Client) -> None:
    policy = {
        "allowedIdentifiers": [".Example.COM", "10.0.0.0/8"],
        "deniedIdentifiers": ["secret.example.com"],
        "allowWildcards": False,
        "maxNames": 3,
        "maxLabels": 4,
        "allowedKeyTypes": ["ec-p256"],
        "minRsaBits": 3072,
        "extendedKeyUsages": ["serverAuth", "clientAuth"],
        "caaIssuerDomains": ["CA.Example.NET", "ca.example.net"],
        "allowedIpNetworks": ["2001:DB8::/32", "192.0.2.7", "2001:db8::/32"],
    }
    ra = new_ra_profile(
        api,
        description="strict",
        enabled=False,
        validityDefault=7 * DAY,
        validityMax=30 * DAY,
        issuancePolicy=policy,
    )
    assert (ra["description"], ra["enabled"]) == ("strict", False)
    assert (ra["validityDefault"], ra["validityMax"]) == (7 * DAY, 30 * DAY)
    # Patterns are stored in their canonical spelling.
    assert ra["issuancePolicy"] == {
        **policy,
        "allowedIdentifiers": [".example.com", "10.0.0.0/8"],
        "caaIssuerDomains": ["ca.example.net"],
        "allowedIpNetworks": ["2001:db8::/32", "192.0.2.7/32"],
    }


def test_a_maximum_below_the_default_validity_lowers_the_default(api: httpx.Client) -> None:
    ra = new_ra_profile(api, validityMax=7 * DAY)
    assert (ra["validityDefault"], ra["validityMax"]) == (7 * DAY, 7 * DAY)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "raProfile has spaces"}, "name"),
        ({"name": "a/b"}, "name"),
        ({"validityDefault": 0}, "validityDefault"),
        ({"validityDefault": 10 * DAY, "validityMax": 5 * DAY}, "validityDefault"),
        ({"issuancePolicy": {"maxNames": 0}}, "maxNames"),
        ({"issuancePolicy": {"maxNames": 101}}, "maxNames"),
        ({"issuancePolicy": {"maxLabels": 1}}, "maxLabels"),
        ({"issuancePolicy": {"maxLabels": 128}}, "maxLabels"),
        ({"issuancePolicy": {"allowedKeyTypes": ["dsa"]}}, "allowedKeyTypes"),
        ({"issuancePolicy": {"allowedKeyTypes": []}}, "allowedKeyTypes"),
        ({"issuancePolicy": {"extendedKeyUsages": ["codeSigning"]}}, "extendedKeyUsages"),
        ({"issuancePolicy": {"minRsaBits": 1024}}, "minRsaBits"),
        ({"issuancePolicy": {"caaIssuerDomains": ["ca example"]}}, "caaIssuerDomains"),
        ({"issuancePolicy": {"deniedIdentifiers": ["bad..name"]}}, "deniedIdentifiers"),
        ({"issuancePolicy": {"allowedIdentifiers": ["10.0.0.1/8"]}}, "allowedIdentifiers"),
        ({"issuancePolicy": {"allowedIpNetworks": ["10.0.0.1/8"]}}, "allowedIpNetworks"),
        ({"issuancePolicy": {"allowedIpNetworks": ["example.com"]}}, "allowedIpNetworks"),
    ],
)
def test_invalid_input_is_refused_naming_the_field(
    api: httpx.Client, authority: dict[str, Any], body: dict[str, Any], field: str
) -> None:
    body = {"name": label("bad"), **body}
    problem(api.post(f"/authorities/{authority['uuid']}/raProfiles", json=body), 422, field)


def test_names_are_unique_across_authorities(api: httpx.Client) -> None:
    ra = new_ra_profile(api)
    other = ok(api.post("/authorities", json={"name": label("CA")}), 201)["uuid"]
    for authority in (ra["authority"]["uuid"], other):
        response = api.post(f"/authorities/{authority}/raProfiles", json={"name": ra["name"]})
        problem(response, 409, f"RA Profile {ra['name']} already exists")


def test_unknown_authorities_and_ra_profiles_are_not_found(
    api: httpx.Client, authority: dict[str, Any]
) -> None:
    ra = new_ra_profile(api)
    other = ok(api.post("/authorities", json={"name": label("CA")}), 201)["uuid"]
    problem(api.get("/authorities/nope/raProfiles"), 404, "Authority not found")
    problem(api.post("/authorities/nope/raProfiles", json={"name": label("x")}), 404)
    problem(api.get(f"/authorities/{authority['uuid']}/raProfiles/nope"), 404, "RA Profile")
    # An RA profile exists only under its own Authority.
    wrong = f"/authorities/{other}/raProfiles/{ra['uuid']}"
    for response in (
        api.get(wrong),
        api.put(wrong, json={"description": "x"}),
        api.delete(wrong),
        api.patch(f"{wrong}/disable"),
        api.get(f"{wrong}/protocols/acme"),
    ):
        problem(response, 404, "RA Profile not found")
    assert ok(api.get(ra_url(ra))) == ra


def test_put_changes_only_the_fields_it_carries(api: httpx.Client, acmehub: AcmehubServer) -> None:
    ra = new_ra_profile(
        api, description="before", issuancePolicy={"deniedIdentifiers": [".bad.example"]}
    )
    doc = ok(api.put(ra_url(ra), json={"description": "after", "validityDefault": DAY}))
    assert doc == {**ra, "description": "after", "validityDefault": DAY}
    # A policy change keeps the policy fields it leaves out.
    doc = ok(api.put(ra_url(ra), json={"issuancePolicy": {"maxNames": 2}}))
    assert doc["issuancePolicy"] == {**ra["issuancePolicy"], "maxNames": 2}
    assert doc["issuancePolicy"]["deniedIdentifiers"] == [".bad.example"]
    problem(api.put(ra_url(ra), json={"validityMax": 60}), 422, "validityDefault")
    problem(api.put(ra_url(ra), json={"description": None}), 422, "description")
    assert ok(api.put(ra_url(ra), json={"name": "renamed"}))["name"] == ra["name"]
    changes = sorted(
        e.detail["changed"] for e in audit_events(acmehub, "raProfile.update", ra["uuid"])
    )
    assert changes == [["description", "validityDefault"], ["issuancePolicy"]]


def test_enable_and_disable(
    api: httpx.Client, operator: httpx.Client, auditor: httpx.Client, acmehub: AcmehubServer
) -> None:
    ra = new_ra_profile(api)
    problem(operator.patch(ra_url(ra, "/enable")), 422, "is already enabled")
    problem(auditor.patch(ra_url(ra, "/disable")), 403)
    assert operator.patch(ra_url(ra, "/disable")).status_code == 204
    problem(operator.patch(ra_url(ra, "/disable")), 422, "is already disabled")
    assert ok(api.get(ra_url(ra)))["enabled"] is False
    assert operator.patch(ra_url(ra, "/enable")).status_code == 204
    assert len(audit_events(acmehub, "raProfile.disable", ra["uuid"])) == 1


def test_a_disabled_ra_profile_refuses_acme_requests(
    api: httpx.Client, operator: httpx.Client, clients: Clients
) -> None:
    client, ra = client_for(api, clients)
    assert operator.patch(ra_url(ra, "/disable")).status_code == 204
    assert_problem(client.new_order([unique_name()]), 400, "malformed", "RA Profile is not enabled")
    assert operator.patch(ra_url(ra, "/enable")).status_code == 204
    assert client.new_order([unique_name()]).status_code == 201


def test_roles(
    api: httpx.Client,
    operator: httpx.Client,
    auditor: httpx.Client,
    anonymous: httpx.Client,
    authority: dict[str, Any],
) -> None:
    ra = new_ra_profile(api)
    acme = new_acme_profile(api, enabled=False)
    url = f"/authorities/{authority['uuid']}/raProfiles"
    assert ok(auditor.get(ra_url(ra)))["uuid"] == ra["uuid"]
    assert ok(auditor.get(ra_url(ra, "/protocols/acme")))["acmeAvailable"] is False
    assert ra["uuid"] in [r["uuid"] for r in ok(auditor.get(url))["items"]]
    for client in (auditor, operator):
        for response in (
            client.post(url, json={"name": label("no")}),
            client.put(ra_url(ra), json={"description": "no"}),
            client.delete(ra_url(ra)),
            client.patch(ra_url(ra, f"/protocols/acme/activate/{acme['uuid']}")),
            client.patch(ra_url(ra, "/protocols/acme/deactivate")),
        ):
            problem(response, 403, "needs the admin role")
    problem(anonymous.get(ra_url(ra)), 401)
    problem(anonymous.get("/raProfiles"), 401)


def test_delete_is_refused_while_a_profile_or_accounts_depend_on_it(
    api: httpx.Client, clients: Clients, acmehub: AcmehubServer
) -> None:
    ra, spare = new_ra_profile(api), new_ra_profile(api)
    acme = new_acme_profile(api, ra)
    problem(api.delete(ra_url(ra)), 422, f"default RA Profile of ACME Profile(s) {acme['name']}")
    clients("acme", acme["name"])
    ok(api.patch(f"/acmeProfiles/{acme['uuid']}/raprofile/{spare['uuid']}"))
    # The account followed the default to ``spare``; activation binds RA-family accounts.
    activate(api, ra, acme)
    clients("raProfile", ra["name"])
    problem(api.delete(ra_url(ra)), 422, "has 1 ACME account(s) bound to it")

    free = new_ra_profile(api)
    activate(api, free, acme)  # an activation alone does not hold an RA profile back
    assert api.delete(ra_url(free)).status_code == 204
    problem(api.get(ra_url(free)), 404)
    assert len(audit_events(acmehub, "raProfile.delete", free["uuid"])) == 1


# --------------------------------------------------------------------------- ACME activation


def test_activation_lifecycle(api: httpx.Client, acmehub: AcmehubServer, clients: Clients) -> None:
    ra = new_ra_profile(api)
    acme = new_acme_profile(api)
    assert ok(api.get(ra_url(ra, "/protocols/acme"))) == {
        "acmeAvailable": False,
        "uuid": None,
        "name": None,
        "directoryUrl": None,
        "issueCertificateAttributes": None,
        "revokeCertificateAttributes": None,
    }
    body = {"issueCertificateAttributes": {"a": 1}, "revokeCertificateAttributes": {"b": [2]}}
    expected = {
        "acmeAvailable": True,
        "uuid": acme["uuid"],
        "name": acme["name"],
        "directoryUrl": f"{acmehub.base_url}/acme/raProfile/{ra['name']}/directory",
        **body,
    }
    assert activate(api, ra, acme, **body) == expected
    assert ok(api.get(ra_url(ra, "/protocols/acme"))) == expected
    assert ok(api.get(ra_url(ra)))["acmeProfile"] == {"uuid": acme["uuid"], "name": acme["name"]}
    activated_on = ok(api.get(f"/acmeProfiles/{acme['uuid']}"))["activatedOn"]
    assert activated_on == [{"uuid": ra["uuid"], "name": ra["name"]}]
    with acmehub.client() as http:
        assert http.get(expected["directoryUrl"]).status_code == 200
    assert clients("raProfile", ra["name"]).new_order([unique_name()]).status_code == 201

    assert api.patch(ra_url(ra, "/protocols/acme/deactivate")).status_code == 204
    assert ok(api.get(ra_url(ra, "/protocols/acme")))["acmeAvailable"] is False
    problem(api.patch(ra_url(ra, "/protocols/acme/deactivate")), 422, "no ACME Profile")
    with acmehub.client() as http:
        response = http.get(expected["directoryUrl"])
    assert_problem(response, 404, "malformed", "ACME Profile is not associated with the RA Profile")
    assert len(audit_events(acmehub, "raProfile.activateAcme", ra["uuid"])) == 1
    assert len(audit_events(acmehub, "raProfile.deactivateAcme", ra["uuid"])) == 1


def test_activation_without_a_body_and_of_unknown_profiles(api: httpx.Client) -> None:
    ra = new_ra_profile(api)
    acme = new_acme_profile(api)
    doc = ok(api.patch(ra_url(ra, f"/protocols/acme/activate/{acme['uuid']}")))
    assert (doc["issueCertificateAttributes"], doc["revokeCertificateAttributes"]) == ({}, {})
    problem(api.patch(ra_url(ra, "/protocols/acme/activate/nope")), 404, "ACME Profile not found")
    # Activating another ACME profile replaces the first.
    second = new_acme_profile(api)
    assert activate(api, ra, second)["uuid"] == second["uuid"]


# --------------------------------------------------------------------------- policy at work


def test_a_denied_name_is_rejected_at_new_order_naming_the_rule(
    api: httpx.Client, clients: Clients
) -> None:
    client, _ = client_for(
        api, clients, issuancePolicy={"deniedIdentifiers": [".acmehub-test.com"]}
    )
    name = unique_name()
    doc = assert_problem(client.new_order([name]), 400, "rejectedIdentifier", name)
    assert "issuancePolicy.deniedIdentifiers '.acmehub-test.com'" in doc["detail"]
    assert doc["identifier"] == {"type": "dns", "value": name}


def test_only_allowed_names_pass(api: httpx.Client, clients: Clients) -> None:
    name = unique_name()
    client, _ = client_for(api, clients, issuancePolicy={"allowedIdentifiers": [name]})
    assert client.new_order([name]).status_code == 201
    other = unique_name()
    doc = assert_problem(client.new_order([name, other]), 400, "rejectedIdentifier", other)
    assert "issuancePolicy.allowedIdentifiers" in doc["detail"]


@pytest.mark.parametrize("family", ["acme", "raProfile"])
def test_max_names(api: httpx.Client, clients: Clients, family: str) -> None:
    client, _ = client_for(api, clients, family=family, issuancePolicy={"maxNames": 2})
    assert client.new_order([unique_name(), unique_name()]).status_code == 201
    refused = client.new_order([unique_name(), unique_name(), unique_name()])
    assert_problem(refused, 400, "rejectedIdentifier", "at most 2 (issuancePolicy.maxNames)")


def test_max_labels(api: httpx.Client, clients: Clients) -> None:
    client, ra = client_for(api, clients, issuancePolicy={"maxLabels": 3})
    name = unique_name()  # h....acmehub-test.com: three labels
    # A wildcard's "*" is not counted (Boulder counts the labels of the base name).
    assert client.new_order([name, f"*.{name}"]).status_code == 201
    deeper = f"www.{name}"
    doc = assert_problem(client.new_order([deeper]), 400, "rejectedIdentifier", deeper)
    assert "it has 4 labels; at most 3 are allowed (issuancePolicy.maxLabels)" in doc["detail"]
    assert doc["identifier"] == {"type": "dns", "value": deeper}
    policy = ok(api.put(ra_url(ra), json={"issuancePolicy": {"maxLabels": 4}}))["issuancePolicy"]
    assert policy["maxLabels"] == 4
    assert client.new_order([deeper]).status_code == 201


def test_wildcards_not_allowed(api: httpx.Client, clients: Clients) -> None:
    client, _ = client_for(api, clients, issuancePolicy={"allowWildcards": False})
    name = unique_name()
    doc = assert_problem(client.new_order([f"*.{name}"]), 400, "rejectedIdentifier")
    assert "issuancePolicy.allowWildcards" in doc["detail"]
    assert client.new_order([name]).status_code == 201


def test_several_refused_names_come_as_subproblems(api: httpx.Client, clients: Clients) -> None:
    """RFC 8555 §6.7.1."""
    client, _ = client_for(
        api, clients, issuancePolicy={"allowWildcards": False, "deniedIdentifiers": ["x.example"]}
    )
    wildcard = f"*.{unique_name()}"
    doc = assert_problem(client.new_order([wildcard, "x.example"]), 400, "rejectedIdentifier")
    assert {s["identifier"]["value"] for s in doc["subproblems"]} == {wildcard, "x.example"}


def test_a_tightened_policy_is_enforced_at_finalize(
    api: httpx.Client, clients: Clients, flows: Flows
) -> None:
    client, ra = client_for(api, clients)
    name = unique_name()
    _, order = flows.ready_order(client, [name])
    ok(api.put(ra_url(ra), json={"issuancePolicy": {"deniedIdentifiers": [name]}}))
    csr = csr_for([name], ec.generate_private_key(ec.SECP256R1()))
    refused = client.post(order["finalize"], {"csr": b64url(csr)})
    assert_problem(refused, 400, "rejectedIdentifier", "issuancePolicy.deniedIdentifiers")


def test_an_rsa_key_is_a_bad_public_key_where_only_ec_is_allowed(
    api: httpx.Client, clients: Clients, flows: Flows
) -> None:
    client, _ = client_for(api, clients, issuancePolicy={"allowedKeyTypes": ["ec-p256"]})
    name = unique_name()
    order_url, order = flows.ready_order(client, [name])
    csr = csr_for([name], rsa.generate_private_key(65537, 2048))
    refused = client.post(order["finalize"], {"csr": b64url(csr)})
    doc = assert_problem(refused, 400, "badCSR", "RSA 2048 bits")
    assert "issuancePolicy.allowedKeyTypes allows ec-p256" in doc["detail"]
    assert client.get(order_url).json()["status"] == "ready"
    # The same order goes through with an allowed key.
    assert flows.finalize(client, order_url, order)["status"] == "valid"


def test_short_rsa_keys_are_refused_naming_min_rsa_bits(
    api: httpx.Client, clients: Clients, flows: Flows
) -> None:
    client, _ = client_for(api, clients, issuancePolicy={"minRsaBits": 3072})
    name = unique_name()
    _, order = flows.ready_order(client, [name])
    csr = csr_for([name], rsa.generate_private_key(65537, 2048))
    refused = client.post(order["finalize"], {"csr": b64url(csr)})
    assert_problem(refused, 400, "badCSR", "issuancePolicy.minRsaBits is 3072")


def test_certificates_carry_the_validity_and_extended_key_usages_of_the_policy(
    api: httpx.Client, clients: Clients, flows: Flows
) -> None:
    client, _ = client_for(
        api,
        clients,
        validityDefault=2 * DAY,
        validityMax=10 * DAY,
        issuancePolicy={"extendedKeyUsages": ["serverAuth", "clientAuth"]},
    )
    _, order = flows.issue(client, [unique_name()])
    pem = client.get(order["certificate"]).content
    leaf = x509.load_pem_x509_certificates(pem)[0]
    assert (leaf.not_valid_after_utc - leaf.not_valid_before_utc).total_seconds() == 2 * DAY
    usages = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usages) == [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
    # The maximum caps what an order may ask (RFC 8555 §7.4 notBefore/notAfter).
    refused = client.new_order([unique_name()], notAfter="2999-01-01T00:00:00Z")
    assert_problem(refused, 400, "malformed", f"maximum of {10 * DAY} seconds")
