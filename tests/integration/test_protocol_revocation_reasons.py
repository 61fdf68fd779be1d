"""Revocation reasons a subscriber may give (RFC 8555 §7.6, Baseline Requirements §7.2.2), the
keyCompromise flow (the key blocked afterwards), and re-revocation to keyCompromise; what a
client sees over HTTP and what the CRL then says."""

from __future__ import annotations

import pytest
from cryptography import x509

from tests.integration.conftest import (
    Clients,
    Flows,
    State,
    assert_problem,
    unique_name,
)
from tests.integration.test_protocol_finalize import assert_refused_and_still_ready, csr_for
from tests.integration.test_protocol_revoke import Issued, issue, revoke
from tests.jws_signer import AccountKey
from tests.support.server import AcmehubServer

ALLOWED = "0 (unspecified), 1 (keyCompromise), 3 (affiliationChanged), 4 (superseded)"


def crl_reason(acmehub: AcmehubServer, leaf: x509.Certificate) -> x509.ReasonFlags | None:
    """The reason the CRL gives for the certificate (None: listed without a reasonCode)."""
    points = leaf.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    url = points[0].full_name[0].value  # type: ignore[index]
    with acmehub.client() as http:
        response = http.get(url)
    assert response.status_code == 200, response.text
    entry = x509.load_der_x509_crl(response.content).get_revoked_certificate_by_serial_number(
        leaf.serial_number
    )
    assert entry is not None, "the certificate is not on the CRL"
    try:
        return entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
    except x509.ExtensionNotFound:
        return None


def cert_key_of(issued: Issued) -> AccountKey:
    return AccountKey.from_private_key("ES256", issued.key)


@pytest.mark.parametrize("reason", [8, 2, 6, 9, 10])
def test_a_subscriber_may_not_give_ca_reasons(
    clients: Clients, flows: Flows, state: State, reason: int
) -> None:
    client = clients()
    issued = issue(client, flows)
    for key in (None, cert_key_of(issued)):  # by account, by the certificate's key
        response = revoke(client, issued.der, reason, key=key)
        assert_problem(response, 400, "badRevocationReason", ALLOWED, client.directory_url)
    assert state.certificate(issued.cert_id).revoked_at is None


def test_key_compromise_by_the_certificate_key_blocks_the_key(
    acmehub: AcmehubServer, clients: Clients, flows: Flows, state: State
) -> None:
    client = clients()
    issued = issue(client, flows)
    response = revoke(client, issued.der, 1, key=cert_key_of(issued))
    assert response.status_code == 200, response.text
    assert state.certificate(issued.cert_id).revocation_reason == 1
    assert crl_reason(acmehub, issued.leaf) is x509.ReasonFlags.key_compromise

    # The key is refused afterwards as an account key...
    before = state.counts()
    newcomer = clients(key=cert_key_of(issued), register=False)
    refused = newcomer.register()
    assert_problem(refused, 400, "badPublicKey", "revoked for keyCompromise", client.directory_url)
    assert state.counts() == before
    # ... and in a CSR, for any account.
    order_url, order = flows.ready_order(client, [unique_name()])
    names = [i["value"] for i in order["identifiers"]]
    assert_refused_and_still_ready(
        client,
        state,
        order_url,
        order,
        csr_for(names, issued.key),
        "badCSR",
        "revoked for keyCompromise",
    )


def test_key_compromise_from_the_owner_account_is_refused(
    acmehub: AcmehubServer, clients: Clients, flows: Flows, state: State
) -> None:
    """What certbot and lego send by default ("revoke --reason keyCompromise" signed by the
    account key) is refused: keyCompromise needs proof of the key (issue 15 §6). Nothing is
    revoked; the same request signed with the certificate's key revokes and blocks the key."""
    client = clients()
    issued = issue(client, flows)
    refused = revoke(client, issued.der, 1)
    assert_problem(refused, 400, "badRevocationReason", "certificate's key", client.directory_url)
    assert state.certificate(issued.cert_id).revoked_at is None
    assert clients(key=cert_key_of(issued)).kid is not None  # the key is not blocked

    proof = revoke(client, issued.der, 1, key=cert_key_of(issued))
    assert proof.status_code == 200, proof.text
    assert crl_reason(acmehub, issued.leaf) is x509.ReasonFlags.key_compromise
    newcomer = clients(key=cert_key_of(issued), register=False)
    refused = newcomer.post(
        client.directory["newAccount"], {"onlyReturnExisting": True}, use_jwk=True
    )
    assert_problem(refused, 400, "badPublicKey", "revoked for keyCompromise", client.directory_url)


def test_key_compromise_from_another_account_is_refused(
    clients: Clients, flows: Flows, state: State
) -> None:
    owner, other = clients(), clients()
    names = [unique_name()]
    issued = issue(owner, flows, names)
    flows.ready_order(other, names)  # control of every name: may revoke, but not claim this
    response = revoke(other, issued.der, 1)
    assert_problem(response, 400, "badRevocationReason", "certificate's key", other.directory_url)
    assert state.certificate(issued.cert_id).revoked_at is None


def test_a_revoked_certificate_moves_to_key_compromise(
    acmehub: AcmehubServer, clients: Clients, flows: Flows, state: State
) -> None:
    client = clients()
    issued = issue(client, flows)
    assert revoke(client, issued.der, 4).status_code == 200
    first = state.certificate(issued.cert_id)
    assert crl_reason(acmehub, issued.leaf) is x509.ReasonFlags.superseded
    # Anything but the move to keyCompromise with proof of the key is refused.
    for reason, key in ((5, None), (4, cert_key_of(issued))):
        again = revoke(client, issued.der, reason, key=key)
        assert_problem(again, 400, "alreadyRevoked", "already revoked", client.directory_url)
    unproven = revoke(client, issued.der, 1)
    assert_problem(unproven, 400, "badRevocationReason", "certificate's key", client.directory_url)

    moved = revoke(client, issued.der, 1, key=cert_key_of(issued))
    assert moved.status_code == 200, moved.text
    after = state.certificate(issued.cert_id)
    assert (after.revoked_at, after.revocation_reason) == (first.revoked_at, 1)
    # The CRL says so at once.
    assert crl_reason(acmehub, issued.leaf) is x509.ReasonFlags.key_compromise
    assert clients(key=cert_key_of(issued), register=False).register().status_code == 400

    once_more = revoke(client, issued.der, 1, key=cert_key_of(issued))
    assert_problem(once_more, 400, "alreadyRevoked", "already revoked", client.directory_url)
