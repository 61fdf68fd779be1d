"""Finalize and certificate download (RFC 8555 §7.4, §7.4.2)."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from acmehub.domain.model import OrderStatus
from tests.integration.conftest import (
    Clients,
    Flows,
    State,
    assert_problem,
    assert_rituals,
    last_segment,
    unique_name,
)
from tests.support.acme_client import AcmeClient, b64url, make_csr
from tests.support.server import AcmehubServer


def csr_for(names: list[str], key: Any) -> bytes:
    """A CSR for ``names`` signed by any private key (make_csr takes EC keys only)."""
    builder = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    )
    builder = builder.add_extension(
        x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False
    )
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def assert_refused_and_still_ready(
    client: AcmeClient,
    state: State,
    order_url: str,
    order: dict[str, Any],
    csr: bytes | str,
    kind: str,
    detail: str,
) -> None:
    before = state.counts()
    encoded = csr if isinstance(csr, str) else b64url(csr)
    response = client.post(order["finalize"], {"csr": encoded})
    assert_problem(response, 400, kind, detail, client.directory_url)
    assert state.counts() == before
    assert state.order(last_segment(order_url)).status is OrderStatus.READY
    assert client.get(order_url).json()["status"] == "ready"


@pytest.fixture
def ready(client: AcmeClient, flows: Flows) -> tuple[AcmeClient, str, dict[str, Any]]:
    """A ready two-name order: (client, order URL, order document)."""
    order_url, order = flows.ready_order(client, [unique_name(), unique_name()])
    return client, order_url, order


def test_csr_names_must_match(ready: tuple[AcmeClient, str, dict[str, Any]], state: State) -> None:
    client, order_url, order = ready
    first, second = (i["value"] for i in order["identifiers"])
    extra = unique_name()
    csr, _ = make_csr([first, extra])
    assert_refused_and_still_ready(
        client, state, order_url, order, csr, "badCSR", f"missing {second}; extra {extra}"
    )
    csr, _ = make_csr([first])
    assert_refused_and_still_ready(
        client, state, order_url, order, csr, "badCSR", f"missing {second}"
    )
    csr, _ = make_csr([first, second, extra])
    assert_refused_and_still_ready(client, state, order_url, order, csr, "badCSR", f"extra {extra}")


def test_csr_key_must_not_be_account_key(
    ready: tuple[AcmeClient, str, dict[str, Any]], state: State
) -> None:
    client, order_url, order = ready
    names = [i["value"] for i in order["identifiers"]]
    csr = csr_for(names, client.key.private_key())
    assert_refused_and_still_ready(
        client, state, order_url, order, csr, "badCSR", "different than account key"
    )


def test_rsa_1024_csr_is_bad_csr(
    ready: tuple[AcmeClient, str, dict[str, Any]], state: State
) -> None:
    client, order_url, order = ready
    names = [i["value"] for i in order["identifiers"]]
    csr = csr_for(names, rsa.generate_private_key(65537, 1024))
    assert_refused_and_still_ready(
        client, state, order_url, order, csr, "badCSR", "an RSA key of 1024 bits is not accepted"
    )


def test_csr_p521_is_bad_csr(ready: tuple[AcmeClient, str, dict[str, Any]], state: State) -> None:
    client, order_url, order = ready
    names = [i["value"] for i in order["identifiers"]]
    csr = csr_for(names, ec.generate_private_key(ec.SECP521R1()))
    assert_refused_and_still_ready(client, state, order_url, order, csr, "badCSR", "secp521r1")


def test_csr_garbage_is_bad_csr(
    ready: tuple[AcmeClient, str, dict[str, Any]], state: State
) -> None:
    client, order_url, order = ready
    assert_refused_and_still_ready(
        client, state, order_url, order, b"not a csr", "badCSR", "not a valid DER"
    )
    assert_refused_and_still_ready(
        client, state, order_url, order, "a+b/c=", "malformed", "csr is not unpadded base64url"
    )


def test_finalize_payload_needs_csr(
    ready: tuple[AcmeClient, str, dict[str, Any]], state: State
) -> None:
    client, order_url, order = ready
    response = client.post(order["finalize"], {"certificate": "x"})
    assert_problem(response, 400, "malformed", "needs a csr string", client.directory_url)
    assert state.order(last_segment(order_url)).status is OrderStatus.READY


def test_finalize_success_and_download(
    ready: tuple[AcmeClient, str, dict[str, Any]], state: State
) -> None:
    client, order_url, order = ready
    names = [i["value"] for i in order["identifiers"]]
    cert_key = ec.generate_private_key(ec.SECP256R1())
    csr, _ = make_csr(list(reversed(names)), cert_key)
    response = client.post(order["finalize"], {"csr": b64url(csr)})
    assert response.status_code == 200, response.text
    assert_rituals(response, client.directory_url)
    assert response.headers["Location"] == order_url
    finalized = response.json()
    if finalized["status"] == "processing":
        assert "Retry-After" in response.headers
    else:
        assert finalized["status"] == "valid"

    polled = client.get(order_url).json()
    assert polled["status"] == "valid"
    cert_url = polled["certificate"]
    assert cert_url.startswith(client.directory_url.removesuffix("/directory") + "/cert/")
    order_id = last_segment(order_url)
    assert state.order(order_id).status is OrderStatus.VALID
    assert state.certificates_for_order(order_id) == 1

    download = client.get(cert_url)
    assert download.status_code == 200, download.text
    assert download.headers["Content-Type"].startswith("application/pem-certificate-chain")
    assert_rituals(download, client.directory_url)
    chain = x509.load_pem_x509_certificates(download.content)
    assert len(chain) >= 2
    leaf, issuer = chain[0], chain[1]
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sorted(san.get_values_for_type(x509.DNSName)) == sorted(names)
    assert leaf.public_key() == cert_key.public_key()
    assert leaf.issuer == issuer.subject
    leaf.verify_directly_issued_by(issuer)
    stored = state.certificate(last_segment(cert_url))
    assert format(leaf.serial_number, "x") == stored.serial_hex

    # The certificate resource is POST-as-GET only (RFC 8555 §7.4.2).
    refused = client.post(cert_url, {})
    assert_problem(refused, 400, "malformed", "empty payload", client.directory_url)

    # A second finalize of a valid order is refused, and nothing is issued again.
    before = state.counts()
    again = client.post(order["finalize"], {"csr": b64url(csr)})
    assert_problem(again, 403, "orderNotReady", "order is valid", client.directory_url)
    assert state.counts() == before
    assert state.certificates_for_order(order_id) == 1
    assert client.get(order_url).json()["certificate"] == cert_url


def test_concurrent_finalize_issues_once(
    acmehub: AcmehubServer, ready: tuple[AcmeClient, str, dict[str, Any]], state: State
) -> None:
    client, order_url, order = ready
    names = [i["value"] for i in order["identifiers"]]
    csr, _ = make_csr(names)
    bodies = [
        client.key.sign(order["finalize"], client.nonce(), {"csr": b64url(csr)}, kid=client.kid)
        for _ in range(2)
    ]
    results: list[httpx.Response] = []
    barrier = threading.Barrier(2)

    def send(body: bytes) -> None:
        with acmehub.client() as http:
            barrier.wait(5)
            results.append(
                http.post(
                    order["finalize"],
                    content=body,
                    headers={"Content-Type": "application/jose+json"},
                )
            )

    threads = [threading.Thread(target=send, args=(b,)) for b in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    statuses = sorted(r.status_code for r in results)
    assert statuses == [200, 403], [r.text for r in results]
    loser = next(r for r in results if r.status_code == 403)
    assert_problem(loser, 403, "orderNotReady", "not ready", client.directory_url)
    order_id = last_segment(order_url)
    assert state.certificates_for_order(order_id) == 1
    assert client.get(order_url).json()["status"] == "valid"


def test_rsa_certificate_key_is_accepted(clients: Clients, flows: Flows, state: State) -> None:
    client = clients("raProfile", alg="RS256")
    order_url, order = flows.ready_order(client, [unique_name()])
    names = [i["value"] for i in order["identifiers"]]
    key = rsa.generate_private_key(65537, 2048)
    response = client.post(order["finalize"], {"csr": b64url(csr_for(names, key))})
    assert response.status_code == 200, response.text
    assert client.get(order_url).json()["status"] == "valid"
    assert state.certificates_for_order(last_segment(order_url)) == 1


def test_wildcard_certificate(client: AcmeClient, flows: Flows) -> None:
    base = unique_name()
    _, order = flows.issue(client, [f"*.{base}", base])
    leaf = x509.load_pem_x509_certificates(client.get(order["certificate"]).content)[0]
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sorted(san.get_values_for_type(x509.DNSName)) == sorted([f"*.{base}", base])


def test_csr_names_compare_case_insensitively(
    ready: tuple[AcmeClient, str, dict[str, Any]],
) -> None:
    client, order_url, order = ready
    names = [i["value"].upper() for i in order["identifiers"]]
    response = client.post(order["finalize"], {"csr": b64url(make_csr(names)[0])})
    assert response.status_code == 200, response.text
    done = client.get(order_url).json()
    leaf = x509.load_pem_x509_certificates(client.get(done["certificate"]).content)[0]
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sorted(san.get_values_for_type(x509.DNSName)) == sorted(
        i["value"] for i in order["identifiers"]
    )
