"""Alternate chains over HTTP (RFC 8555 §7.4.2), under both URL families: once an Authority's
issuing CA is cross-signed, cert/{id} carries Link rel="alternate" to cert/{id}/1, which serves
the same leaf with the twin's chain and links back; an Authority without a cross-sign links
nothing."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from cryptography import x509

from acmehub.services.admin import CLI_ACTOR
from tests.integration.conftest import (
    Clients,
    Flows,
    Profiles,
    assert_problem,
    assert_rituals,
    link_header,
    unique_name,
)
from tests.support.acme_client import AcmeClient
from tests.support.server import AcmehubServer


@pytest.fixture
def crossed_client(
    acmehub: AcmehubServer, profiles: Profiles, clients: Clients, family: str
) -> AcmeClient:
    """An account under a profile whose fresh Authority has been cross-signed once."""
    services = acmehub.container().services
    authority = services.authorities.create_embedded(CLI_ACTOR, f"Crossed {secrets.token_hex(3)}")
    services.authorities.cross_sign(CLI_ACTOR, authority.authority.uuid)
    ra = profiles.platform.create_ra_profile(
        authority.authority.uuid, f"ra-x-{secrets.token_hex(4)}"
    )
    acme = profiles.acme_profile(ra)
    if family == "raProfile":
        profiles.platform.activate_acme(ra.uuid, acme.uuid)
        return clients("raProfile", ra.name)
    return clients("acme", acme.name)


def chain(response: Any) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(response.content)


def test_a_cross_signed_authority_offers_the_alternate_chain(
    crossed_client: AcmeClient, flows: Flows
) -> None:
    client = crossed_client
    _, order = flows.issue(client, [unique_name()])
    cert_url = order["certificate"]

    default = client.get(cert_url)
    assert default.status_code == 200, default.text
    assert_rituals(default, client.directory_url)
    assert link_header(default, "alternate") == [cert_url + "/1"]

    alternate = client.get(cert_url + "/1")
    assert alternate.status_code == 200, alternate.text
    assert alternate.headers["Content-Type"] == "application/pem-certificate-chain"
    assert link_header(alternate, "alternate") == [cert_url]

    first, second = chain(default), chain(alternate)
    # The same leaf, under an issuing CA of the same subject and key but another issuer.
    assert first[0] == second[0]
    assert (first[1].subject, first[1].public_key()) == (second[1].subject, second[1].public_key())
    assert "Alternate Root CA 1" in second[1].issuer.rfc4514_string()
    assert first[1].issuer != second[1].issuer
    first[0].verify_directly_issued_by(second[1])

    missing = client.get(cert_url + "/2")
    assert_problem(missing, 404, "malformed", "no alternate chain 2", client.directory_url)


def test_without_a_cross_sign_there_is_no_alternate(client: AcmeClient, flows: Flows) -> None:
    _, order = flows.issue(client, [unique_name()])
    response = client.get(order["certificate"])
    assert response.status_code == 200
    assert link_header(response, "alternate") == []
    assert client.get(order["certificate"] + "/1").status_code == 404
