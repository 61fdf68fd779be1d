"""IP address identifiers (RFC 8738) over HTTP, under both URL families: allowed per RA profile
by ``issuancePolicy.allowedIpNetworks`` (none by default), refused at new-order where validation
could never connect (the test server allows 127.0.0.0/8 only), proven by http-01 at the
address itself, never offered dns-01, and issued with an iPAddress SAN that the CSR must ask."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.integration.conftest import (
    Clients,
    Flows,
    Profiles,
    State,
    assert_problem,
    challenge_of,
    poll_resource,
)
from tests.support.acme_client import AcmeClient, b64url
from tests.support.server import AcmehubServer

ALLOWED = ["127.0.0.0/8", "::1/128", "192.0.2.0/24"]


def ip_csr(addresses: list[str], dns_names: tuple[str, ...] = ()) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [x509.DNSName(n) for n in dns_names]
    names += [x509.IPAddress(ipaddress.ip_address(a)) for a in addresses]
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([]))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .sign(key, hashes.SHA256())
    )
    return csr.public_bytes(serialization.Encoding.DER)


def ip_order(client: AcmeClient, *addresses: str) -> Any:
    payload = {"identifiers": [{"type": "ip", "value": a} for a in addresses]}
    return client.post(client.directory["newOrder"], payload)


@pytest.fixture
def ip_client(profiles: Profiles, clients: Clients, family: str) -> AcmeClient:
    """An account under a profile whose RA profile allows IP identifiers, in each family."""
    ra = profiles.ra_profile(policy={"allowed_ip_networks": ALLOWED})
    acme = profiles.acme_profile(ra)
    if family == "raProfile":
        profiles.platform.activate_acme(ra.uuid, acme.uuid)
        return clients("raProfile", ra.name)
    return clients("acme", acme.name)


def test_an_ip_address_is_validated_by_http01_and_issued_with_an_ip_san(
    ip_client: AcmeClient, flows: Flows, acmehub: AcmehubServer
) -> None:
    response = ip_order(ip_client, "127.0.0.1")
    assert response.status_code == 201, response.text
    order_url = response.headers["Location"]
    assert response.json()["identifiers"] == [{"type": "ip", "value": "127.0.0.1"}]
    authz_url = response.json()["authorizations"][0]
    authz = ip_client.get(authz_url).json()
    assert authz["identifier"] == {"type": "ip", "value": "127.0.0.1"}
    # RFC 8738 §7: no dns-01 for an address.
    assert {c["type"] for c in authz["challenges"]} == {"http-01", "tls-alpn-01"}

    flows.authorize_http01(ip_client, authz_url)
    token = challenge_of(authz, "http-01")["token"]
    # RFC 8738 §4: the VA connected to the address and named it in Host.
    assert flows.responder.hosts[token] == f"127.0.0.1:{acmehub.http01_port}"

    order = poll_resource(ip_client, order_url, lambda d: d["status"] == "ready", "ready")
    # A CSR that names the address as a DNS name does not ask for the order's identifier.
    wrong = ip_client.post(order["finalize"], {"csr": b64url(ip_csr([], ("127.0.0.1",)))})
    assert_problem(wrong, 400, "badCSR", "missing 127.0.0.1", ip_client.directory_url)

    response = ip_client.post(order["finalize"], {"csr": b64url(ip_csr(["127.0.0.1"]))})
    assert response.status_code == 200, response.text
    order = poll_resource(ip_client, order_url, lambda d: d["status"] == "valid", "valid")
    pem = ip_client.get(order["certificate"]).text.encode()
    leaf = x509.load_pem_x509_certificate(pem)
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]
    assert san.get_values_for_type(x509.DNSName) == []


def test_the_default_profile_allows_no_ip_identifier(client: AcmeClient, state: State) -> None:
    before = state.counts()
    response = ip_order(client, "127.0.0.1")
    assert_problem(
        response,
        400,
        "rejectedIdentifier",
        "IP identifiers are not allowed (issuancePolicy.allowedIpNetworks is empty)",
        client.directory_url,
    )
    assert state.counts() == before


@pytest.mark.parametrize(
    ("address", "kind", "detail"),
    [
        # Allowed by the RA profile, but validation may not connect to it (issue 15's policy:
        # the test server allows 127.0.0.0/8 alone).
        ("::1", "rejectedIdentifier", "::1 is a loopback address"),
        ("192.0.2.7", "rejectedIdentifier", "192.0.2.7 is a documentation address"),
        ("10.0.0.1", "rejectedIdentifier", "none of the networks of issuancePolicy.allowedIpNet"),
        ("127.0.0.01", "malformed", "not an IPv4 or IPv6 address"),
        ("0:0:0:0:0:0:0:1", "malformed", "write it as ::1"),
    ],
)
def test_refused_ip_identifiers(
    ip_client: AcmeClient, state: State, address: str, kind: str, detail: str
) -> None:
    before = state.counts()
    response = ip_order(ip_client, address)
    doc = assert_problem(response, 400, kind, detail, ip_client.directory_url)
    assert doc["identifier"] == {"type": "ip", "value": address}
    assert state.counts() == before


@pytest.fixture
def ip_preauth(profiles: Profiles, clients: Clients, family: str) -> AcmeClient:
    """An account under a profile that offers newAuthz, on an RA profile allowing addresses."""
    ra = profiles.ra_profile(policy={"allowed_ip_networks": ALLOWED})
    acme = profiles.acme_profile(ra, new_authz_enabled=True, subdomain_auth_allowed=True)
    if family == "raProfile":
        profiles.platform.activate_acme(ra.uuid, acme.uuid)
        return clients("raProfile", ra.name)
    return clients("acme", acme.name)


def test_new_authz_for_an_address_follows_the_same_rules(ip_preauth: AcmeClient) -> None:
    client = ip_preauth
    url = client.directory["newAuthz"]
    made = client.post(url, {"identifier": {"type": "ip", "value": "127.0.0.1"}})
    assert made.status_code == 201, made.text
    assert {c["type"] for c in made.json()["challenges"]} == {"http-01", "tls-alpn-01"}
    # The validation address policy, as at new-order.
    refused = client.post(url, {"identifier": {"type": "ip", "value": "::1"}})
    assert_problem(refused, 400, "rejectedIdentifier", "::1 is a loopback address")
    # RFC 9444: subdomains belong to DNS names.
    payload = {"identifier": {"type": "ip", "value": "127.0.0.1"}, "subdomainAuthAllowed": True}
    subdomains = client.post(url, payload)
    assert_problem(subdomains, 400, "malformed", "subdomainAuthAllowed is for DNS names only")
