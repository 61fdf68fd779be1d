"""The key policy as clients meet it (RFC 8555 §7.3, §7.3.5, §7.4): each class of bad key is
refused as an account key (new-account, key-change: badPublicKey) and in a CSR at finalize
(badCSR), with a detail that says what is wrong. The keys are real: they sign their requests."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tests.integration.conftest import (
    Clients,
    Flows,
    State,
    assert_problem,
    last_segment,
    unique_name,
)
from tests.integration.test_protocol_accounts import key_change_body
from tests.integration.test_protocol_finalize import assert_refused_and_still_ready, csr_for
from tests.jws_signer import AccountKey
from tests.support.weak_keys import fermat_close_key, roca_key, small_factor_key

#: (name, what the detail says): the classes every path must refuse.
RSA_CLASSES = {
    "small-factor": "the RSA modulus is divisible by 751",
    "fermat": "can be factored by Fermat's method",
    "roca": "ROCA fingerprint (CVE-2017-15361)",
    "exponent-3": "exponent must be 65537, not 3",
    "2056-bit": "",  # a sound size: the control
    "2052-bit": "an RSA key of 2052 bits is not accepted",
    "4104-bit": "an RSA key of 4104 bits is not accepted",
}


@pytest.fixture(scope="module")
def rsa_keys() -> dict[str, rsa.RSAPrivateKey]:
    """One key of each class, made once for the module (the weak ones take a second or two)."""
    return {
        "small-factor": small_factor_key(),
        "fermat": fermat_close_key(),
        "roca": roca_key(),
        "exponent-3": rsa.generate_private_key(3, 2048),
        "2056-bit": rsa.generate_private_key(65537, 2056),
        "2052-bit": rsa.generate_private_key(65537, 2052),
        "4104-bit": rsa.generate_private_key(65537, 4104),
    }


# --------------------------------------------------------------------------- account keys


@pytest.mark.parametrize("name", list(RSA_CLASSES))
def test_new_account_refuses_each_bad_rsa_key(
    clients: Clients, state: State, rsa_keys: dict[str, rsa.RSAPrivateKey], name: str
) -> None:
    client = clients(key=AccountKey.from_private_key("RS256", rsa_keys[name]), register=False)
    before = state.counts()
    response = client.register()
    if not RSA_CLASSES[name]:
        assert response.status_code == 201, response.text
        return
    doc = assert_problem(response, 400, "badPublicKey", RSA_CLASSES[name], client.directory_url)
    assert doc["detail"].startswith("account key refused: ")
    assert state.counts() == before


def test_p521_is_an_account_key(clients: Clients) -> None:
    # It signs JWS only, never a certificate (docs/acme-divergences.md says why it is accepted).
    assert clients(alg="ES512").kid is not None


def test_an_ec_point_off_its_curve_is_bad_public_key(clients: Clients, state: State) -> None:
    client = clients(register=False)
    jwk = client.key.jwk_public()
    y = int.from_bytes(base64.urlsafe_b64decode(jwk["y"] + "=="), "big")
    jwk["y"] = base64.urlsafe_b64encode((y ^ 1).to_bytes(32, "big")).rstrip(b"=").decode()
    url = client.directory["newAccount"]
    protected = {"alg": "ES256", "nonce": client.nonce(), "url": url, "jwk": jwk}
    before = state.counts()
    response = client.post_body(
        url, client.key.sign_raw_body(protected, {"termsOfServiceAgreed": True})
    )
    assert_problem(response, 400, "badPublicKey", "not a valid public key", client.directory_url)
    assert state.counts() == before


def test_key_change_refuses_a_bad_new_key(
    clients: Clients, state: State, rsa_keys: dict[str, rsa.RSAPrivateKey]
) -> None:
    client = clients()
    assert client.kid is not None
    new_key = AccountKey.from_private_key("RS256", rsa_keys["fermat"])
    response = client.post(client.directory["keyChange"], key_change_body(client, new_key))
    assert_problem(response, 400, "badPublicKey", RSA_CLASSES["fermat"], client.directory_url)
    assert state.account(last_segment(client.kid)).key_thumbprint == client.key.thumbprint()


# --------------------------------------------------------------------------- CSR keys


def test_finalize_refuses_each_bad_csr_key(
    clients: Clients, flows: Flows, state: State, rsa_keys: dict[str, rsa.RSAPrivateKey]
) -> None:
    client = clients()
    order_url, order = flows.ready_order(client, [unique_name()])
    names = [i["value"] for i in order["identifiers"]]
    refused: dict[str, Any] = {name: key for name, key in rsa_keys.items() if RSA_CLASSES[name]}
    refused["p521"] = ec.generate_private_key(ec.SECP521R1())
    details = {**RSA_CLASSES, "p521": "secp521r1 is not accepted"}
    for name, key in refused.items():
        csr = csr_for(names, key)
        assert_refused_and_still_ready(
            client, state, order_url, order, csr, "badCSR", details[name]
        )
    # The order is still ready: a sound key finalizes it.
    flows.finalize(client, order_url, order)
