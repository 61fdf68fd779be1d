"""revoke-cert (RFC 8555 §7.6) and the CRL named in issued certificates (RFC 5280 §5)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.integration.conftest import (
    Clients,
    Flows,
    State,
    assert_problem,
    assert_rituals,
    last_segment,
    unique_name,
)
from tests.jws_signer import AccountKey
from tests.support.acme_client import AcmeClient, b64url
from tests.support.server import AcmehubServer


@dataclass
class Issued:
    client: AcmeClient
    names: list[str]
    cert_id: str
    der: bytes
    leaf: x509.Certificate
    key: ec.EllipticCurvePrivateKey


def issue(client: AcmeClient, flows: Flows, names: list[str] | None = None) -> Issued:
    names = names or [unique_name()]
    key = ec.generate_private_key(ec.SECP256R1())
    _, order = flows.issue(client, names, key)
    pem = client.get(order["certificate"]).content
    leaf = x509.load_pem_x509_certificates(pem)[0]
    der = leaf.public_bytes(serialization.Encoding.DER)
    return Issued(client, names, last_segment(order["certificate"]), der, leaf, key)


def revoke(
    client: AcmeClient, der: bytes, reason: Any = None, *, key: AccountKey | None = None
) -> Any:
    payload: dict[str, Any] = {"certificate": b64url(der)}
    if reason is not None:
        payload["reason"] = reason
    return client.post(client.directory["revokeCert"], payload, use_jwk=key is not None, key=key)


def crl_serials(acmehub: AcmehubServer, leaf: x509.Certificate) -> set[int]:
    points = leaf.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    url = points[0].full_name[0].value  # type: ignore[index]
    with acmehub.client() as http:
        response = http.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/pkix-crl")
    crl = x509.load_der_x509_crl(response.content)
    return {entry.serial_number for entry in crl}


def test_revoke_by_owner_then_already_revoked(
    acmehub: AcmehubServer, client: AcmeClient, flows: Flows, state: State
) -> None:
    issued = issue(client, flows)
    assert issued.leaf.serial_number not in crl_serials(acmehub, issued.leaf)
    response = revoke(client, issued.der, 4)
    assert response.status_code == 200, response.text
    assert_rituals(response, client.directory_url)
    stored = state.certificate(issued.cert_id)
    assert stored.revoked_at is not None
    assert stored.revocation_reason == 4
    # The CRL reflects the revocation at once.
    assert issued.leaf.serial_number in crl_serials(acmehub, issued.leaf)

    again = revoke(client, issued.der, 5)
    assert_problem(again, 400, "alreadyRevoked", "already revoked", client.directory_url)
    assert state.certificate(issued.cert_id).revocation_reason == 4


def test_revoke_by_certificate_key(client: AcmeClient, flows: Flows, state: State) -> None:
    issued = issue(client, flows)
    cert_key = AccountKey.from_private_key("ES256", issued.key)
    response = revoke(client, issued.der, key=cert_key)
    assert response.status_code == 200, response.text
    stored = state.certificate(issued.cert_id)
    assert stored.revoked_at is not None
    assert stored.revocation_reason == 0


def test_revoke_by_key_that_is_not_the_certificates(
    client: AcmeClient, flows: Flows, state: State
) -> None:
    issued = issue(client, flows)
    response = revoke(client, issued.der, key=AccountKey.generate())
    assert_problem(response, 403, "unauthorized", "signed by neither", client.directory_url)
    assert state.certificate(issued.cert_id).revoked_at is None


def test_revoke_by_account_holding_authorizations(
    clients: Clients, family: str, flows: Flows, state: State
) -> None:
    owner, other = clients(family), clients(family)
    names = [unique_name(), unique_name()]
    issued = issue(owner, flows, names)
    # The other account proves control of every name, without a certificate of its own.
    flows.ready_order(other, names)
    response = revoke(other, issued.der, 5)
    assert response.status_code == 200, response.text
    assert state.certificate(issued.cert_id).revocation_reason == 5


def test_revoke_refused_without_authorizations(
    clients: Clients, family: str, flows: Flows, state: State
) -> None:
    owner, other = clients(family), clients(family)
    names = [unique_name(), unique_name()]
    issued = issue(owner, flows, names)
    # Control of one of the two names is not enough.
    flows.ready_order(other, names[:1])
    before = state.counts()
    response = revoke(other, issued.der)
    assert_problem(
        response,
        403,
        "unauthorized",
        "valid authorizations for all of its names",
        other.directory_url,
    )
    assert state.counts() == before
    assert state.certificate(issued.cert_id).revoked_at is None


@pytest.mark.parametrize("reason", [7, 11, -1, "1", True])
def test_bad_revocation_reason(client: AcmeClient, flows: Flows, state: State, reason: Any) -> None:
    issued = issue(client, flows)
    response = revoke(client, issued.der, reason)
    assert_problem(
        response, 400, "badRevocationReason", "reason must be one of", client.directory_url
    )
    assert state.certificate(issued.cert_id).revoked_at is None


def test_revoke_unknown_certificate(client: AcmeClient, state: State) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, unique_name())])
    now = datetime.now(UTC)
    foreign = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    response = revoke(client, foreign.public_bytes(serialization.Encoding.DER))
    assert_problem(response, 404, "malformed", "not issued by this server", client.directory_url)


def test_revoke_payload_checks(client: AcmeClient, state: State) -> None:
    url = client.directory["revokeCert"]
    before = state.counts()
    missing = client.post(url, {"reason": 1})
    assert_problem(missing, 400, "malformed", "needs a certificate string", client.directory_url)
    garbage = client.post(url, {"certificate": b64url(b"garbage")})
    assert_problem(garbage, 400, "malformed", "not valid DER", client.directory_url)
    assert state.counts() == before


@pytest.mark.parametrize("path", ["/order/revoke-cert", "/revoke-cert"])
def test_the_ra_family_revokes_at_order_revoke_cert_and_at_the_alias(
    clients: Clients, flows: Flows, state: State, acmehub: AcmehubServer, path: str
) -> None:
    client = clients("raProfile", "default")
    root = acmehub.directory_url("default", "raProfile").removesuffix("/directory")
    # platform-reference.md: the RA-profile family's revocation is .../order/revoke-cert, and its
    # directory says so; the ACME-profile family's /revoke-cert is served there as well.
    assert client.directory["revokeCert"] == root + "/order/revoke-cert"
    issued = issue(client, flows)
    response = client.post(root + path, {"certificate": b64url(issued.der), "reason": 4})
    assert response.status_code == 200, response.text
    assert_rituals(response, client.directory_url)
    assert state.certificate(issued.cert_id).revocation_reason == 4
    again = client.post(root + path, {"certificate": b64url(issued.der)})
    assert_problem(again, 400, "alreadyRevoked", "", client.directory_url)


def test_the_acme_family_has_no_order_revoke_cert(clients: Clients, acmehub: AcmehubServer) -> None:
    client = clients("acme", "default")
    url = acmehub.directory_url("default", "acme").removesuffix("/directory") + "/order/revoke-cert"
    # An order id never reads "revoke-cert": no such order.
    response = client.get(url)
    assert response.status_code == 404, response.text
