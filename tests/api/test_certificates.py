"""The certificate inventory over the management API: list with filters, detail, revocation
with a reason, and what ACME clients and the CRL then see (RFC 8555 §7.6, RFC 5280 §5)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding

from acmehub.domain.admin_model import Role
from acmehub.domain.model import AcmeProfile
from acmehub.domain.ports import AuditFilter, Page
from tests.api.conftest import ApiFactory
from tests.api.profile_helpers import octets_hex
from tests.integration.conftest import (
    Clients,
    Flows,
    Profiles,
    State,
    assert_problem,
    last_segment,
    unique_name,
)
from tests.jws_signer import AccountKey
from tests.support.acme_client import AcmeClient, b64url
from tests.support.challtestsrv import ChallTestSrv
from tests.support.http01 import Http01Responder
from tests.support.interop import crl_for
from tests.support.server import AcmehubServer

ASSOCIATIONS = {
    "ownerUuid": "7d3c2a4e-0000-4000-8000-000000000001",
    "groupUuids": ["7d3c2a4e-0000-4000-8000-0000000000a1"],
    "customAttributes": {"costCenter": "42"},
}


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
def state(acmehub: AcmehubServer) -> State:
    return State(acmehub)


@pytest.fixture
def profile(acmehub: AcmehubServer) -> AcmeProfile:
    """A fresh ACME profile whose certificates carry associations."""
    return Profiles(acmehub).acme_profile(certificate_associations=ASSOCIATIONS)


@pytest.fixture
def operator(api_as: ApiFactory) -> httpx.Client:
    return api_as(Role.OPERATOR)


@pytest.fixture
def auditor(api_as: ApiFactory) -> httpx.Client:
    return api_as(Role.AUDITOR)


@dataclass
class Issued:
    client: AcmeClient
    cert_id: str
    names: list[str]
    chain_pem: bytes

    @property
    def leaf(self) -> x509.Certificate:
        return x509.load_pem_x509_certificates(self.chain_pem)[0]

    @property
    def der(self) -> bytes:
        return self.leaf.public_bytes(Encoding.DER)


def issue(client: AcmeClient, flows: Flows, *names: str) -> Issued:
    wanted = list(names) or [unique_name()]
    _, order = flows.issue(client, wanted)
    chain = client.get(order["certificate"]).content
    return Issued(client, last_segment(order["certificate"]), wanted, chain)


def listed(api: httpx.Client, **params: Any) -> tuple[list[str], dict[str, Any]]:
    response = api.get("/certificates", params=params)
    assert response.status_code == 200, response.text
    doc: dict[str, Any] = response.json()
    return [c["id"] for c in doc["items"]], doc


def problem(response: httpx.Response, status: int, detail: str = "") -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    doc: dict[str, Any] = response.json()
    assert detail in doc["detail"], doc
    return doc


def test_list_filters_and_pages(
    auditor: httpx.Client,
    api: httpx.Client,
    clients: Clients,
    flows: Flows,
    profile: AcmeProfile,
    state: State,
) -> None:
    owner = clients("acme", profile.name)
    other = clients("acme", profile.name)
    first = issue(owner, flows, unique_name("alpha"))
    second = issue(owner, flows, unique_name("beta"), unique_name("www-beta"))
    third = issue(other, flows)
    assert api.post(f"/certificates/{second.cert_id}/revoke", json={}).status_code == 200
    owner_account = state.account(last_segment(owner.kid or ""))
    mine = {"acmeProfileUuid": profile.uuid}

    ids, doc = listed(auditor, **mine)
    assert ids == [third.cert_id, second.cert_id, first.cert_id]  # newest first
    assert (doc["total"], doc["hasMore"], doc["offset"], doc["limit"]) == (3, False, 0, 100)
    row = doc["items"][2]
    assert row["names"] == first.names
    assert row["serialNumber"] == octets_hex(first.leaf.serial_number)
    assert (row["status"], row["revokedAt"]) == ("valid", None)
    assert (row["accountUuid"], row["accountId"]) == (owner_account.uuid, owner_account.id)
    assert row["raProfileUuid"] == profile.default_ra_profile_uuid

    assert listed(auditor, **mine, offset=1, limit=1)[0] == [second.cert_id]
    assert listed(auditor, **mine, offset=1, limit=1)[1]["hasMore"] is True
    assert listed(auditor, **mine, accountUuid=owner_account.uuid)[0] == [
        second.cert_id,
        first.cert_id,
    ]
    assert listed(auditor, **mine, accountId=owner_account.id)[1]["total"] == 2
    assert listed(auditor, **mine, status="revoked")[0] == [second.cert_id]
    assert listed(auditor, **mine, status="valid")[0] == [third.cert_id, first.cert_id]
    assert listed(auditor, **mine, status="expired")[0] == []
    assert listed(auditor, **mine, name=first.names[0][:8].upper())[0] == [first.cert_id]
    assert listed(auditor, **mine, name="www-beta")[0] == [second.cert_id]
    not_after = first.leaf.not_valid_after_utc
    soon = (not_after + timedelta(seconds=1)).isoformat()
    assert len(listed(auditor, **mine, expiresBefore=soon)[0]) >= 1
    past = datetime(2000, 1, 1, tzinfo=UTC).isoformat()
    assert listed(auditor, **mine, expiresBefore=past)[0] == []
    assert len(listed(auditor, **mine, expiresAfter=past)[0]) == 3
    ra = listed(auditor, raProfileUuid=profile.default_ra_profile_uuid, limit=1000)[0]
    assert {first.cert_id, second.cert_id, third.cert_id} <= set(ra)


@pytest.mark.parametrize(
    "params",
    [
        {"status": "sleeping"},
        {"expiresBefore": "2030-01-01T00:00:00"},  # no zone
        {"expiresAfter": "tomorrow"},
        {"limit": 0},
        {"offset": -1},
        {"accountUUID": "x"},
    ],
)
def test_list_refuses_invalid_filters(api: httpx.Client, params: dict[str, Any]) -> None:
    problem(api.get("/certificates", params=params), 422)


def test_detail(
    auditor: httpx.Client, clients: Clients, flows: Flows, profile: AcmeProfile, state: State
) -> None:
    client = clients("acme", profile.name)
    issued = issue(client, flows, unique_name(), unique_name())

    response = auditor.get(f"/certificates/{issued.cert_id}")

    assert response.status_code == 200, response.text
    doc = response.json()
    chain = x509.load_pem_x509_certificates(issued.chain_pem)
    assert x509.load_pem_x509_certificate(doc["certificatePem"].encode()) == chain[0]
    assert x509.load_pem_x509_certificates(doc["chainPem"].encode()) == chain[1:]
    assert sorted(doc["names"]) == sorted(issued.names)
    assert doc["serialNumber"] == octets_hex(chain[0].serial_number)
    assert doc["notBefore"] == chain[0].not_valid_before_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert doc["notAfter"] == chain[0].not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert doc["issuedAt"]
    assert (doc["status"], doc["revocation"]) == ("valid", None)
    assert doc["associations"] == ASSOCIATIONS
    assert doc["acmeProfileUuid"] == profile.uuid
    assert doc["accountId"] == last_segment(client.kid or "")
    problem(auditor.get("/certificates/no-such-certificate"), 404, "Certificate not found")
    # Found by its serial too, as openssl prints it or without a leading zero.
    serial = chain[0].serial_number
    for ref in (octets_hex(serial), f"{serial:x}", f"{serial:X}"):
        by_serial = auditor.get(f"/certificates/{ref}")
        assert by_serial.status_code == 200, by_serial.text
        assert by_serial.json()["id"] == issued.cert_id


def test_revoke_with_a_reason_updates_the_crl(
    operator: httpx.Client,
    clients: Clients,
    flows: Flows,
    profile: AcmeProfile,
    acmehub: AcmehubServer,
) -> None:
    client = clients("acme", profile.name)
    issued = issue(client, flows)
    issuer = x509.load_pem_x509_certificates(issued.chain_pem)[1]
    crl = crl_for(issued.leaf, issuer, acmehub)
    assert crl.get_revoked_certificate_by_serial_number(issued.leaf.serial_number) is None

    response = operator.post(
        f"/certificates/{issued.cert_id}/revoke", json={"reason": "keyCompromise"}
    )

    assert response.status_code == 200, response.text
    doc = response.json()
    assert doc["status"] == "revoked"
    assert doc["revocation"]["reason"] == "keyCompromise"
    assert doc["revocation"]["reasonCode"] == 1
    assert doc["revokedAt"] == doc["revocation"]["revokedAt"]
    entry = crl_for(issued.leaf, issuer, acmehub).get_revoked_certificate_by_serial_number(
        issued.leaf.serial_number
    )
    assert entry is not None
    reason = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
    assert reason == x509.ReasonFlags.key_compromise
    # The ACME client sees the same revocation.
    again = client.post(client.directory["revokeCert"], {"certificate": b64url(issued.der)})
    assert_problem(again, 400, "alreadyRevoked")
    problem(operator.post(f"/certificates/{issued.cert_id}/revoke", json={}), 422, "already")


def test_reason_by_code_and_default(
    operator: httpx.Client, clients: Clients, flows: Flows, profile: AcmeProfile, state: State
) -> None:
    client = clients("acme", profile.name)
    by_code, by_default = issue(client, flows), issue(client, flows)
    response = operator.post(f"/certificates/{by_code.cert_id}/revoke", json={"reason": 4})
    assert response.json()["revocation"]["reason"] == "superseded"
    response = operator.post(f"/certificates/{by_default.cert_id}/revoke")
    assert response.status_code == 200, response.text
    assert response.json()["revocation"] == {
        "revokedAt": response.json()["revokedAt"],
        "reason": "unspecified",
        "reasonCode": 0,
    }
    assert state.certificate(by_default.cert_id).revocation_reason == 0


@pytest.mark.parametrize("reason", [7, 11, "keycompromise", "nope", None, 1.5])
def test_bad_reasons_are_422(
    operator: httpx.Client,
    clients: Clients,
    flows: Flows,
    profile: AcmeProfile,
    state: State,
    reason: object,
) -> None:
    issued = issue(clients("acme", profile.name), flows)
    problem(operator.post(f"/certificates/{issued.cert_id}/revoke", json={"reason": reason}), 422)
    assert state.certificate(issued.cert_id).revoked_at is None


def test_roles_anonymous_and_audit(
    anonymous: httpx.Client,
    auditor: httpx.Client,
    operator: httpx.Client,
    clients: Clients,
    flows: Flows,
    profile: AcmeProfile,
    acmehub: AcmehubServer,
    state: State,
) -> None:
    client = clients("acme", profile.name)
    issued = issue(client, flows)
    revoke = f"/certificates/{issued.cert_id}/revoke"
    for method, url in (
        ("GET", "/certificates"),
        ("GET", f"/certificates/{issued.cert_id}"),
        ("POST", revoke),
    ):
        problem(anonymous.request(method, url), 401)
    problem(auditor.post(revoke, json={}), 403, "operator")
    problem(operator.post("/certificates/no-such-certificate/revoke", json={}), 404)
    assert state.certificate(issued.cert_id).revoked_at is None
    assert operator.post(revoke, json={"reason": "superseded"}).status_code == 200

    with acmehub.container().services.deps.uow() as tx:
        events = tx.audit.list(AuditFilter(object_id=issued.cert_id), Page())
    seen = [(e.actor, e.action) for e in reversed(events)]
    account_id = last_segment(client.kid or "")
    assert seen[0] == (f"acme:{account_id}", "certificate.issue")
    assert seen[1][0].startswith("token:test-operator-")
    assert seen[1][1] == "certificate.revoke"
    assert events[0].detail["reason"] == 4


def test_an_administrator_may_give_the_cas_reasons_but_not_remove_from_crl(
    operator: httpx.Client,
    clients: Clients,
    flows: Flows,
    profile: AcmeProfile,
    acmehub: AcmehubServer,
    state: State,
) -> None:
    issued = issue(clients("acme", profile.name), flows)
    revoke = f"/certificates/{issued.cert_id}/revoke"
    for reason in ("removeFromCRL", 8, "certificateHold", "cACompromise", "aACompromise"):
        refused = problem(operator.post(revoke, json={"reason": reason}), 422)
        assert "9 (privilegeWithdrawn) (Baseline Requirements §7.2.2" in refused["detail"]
    assert state.certificate(issued.cert_id).revoked_at is None

    response = operator.post(revoke, json={"reason": "privilegeWithdrawn"})
    assert response.status_code == 200, response.text
    assert response.json()["revocation"]["reasonCode"] == 9
    issuer = x509.load_pem_x509_certificates(issued.chain_pem)[1]
    entry = crl_for(issued.leaf, issuer, acmehub).get_revoked_certificate_by_serial_number(
        issued.leaf.serial_number
    )
    assert entry is not None
    reason = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
    assert reason == x509.ReasonFlags.privilege_withdrawn


def test_an_administrator_moves_a_revoked_certificate_to_key_compromise(
    operator: httpx.Client,
    clients: Clients,
    flows: Flows,
    profile: AcmeProfile,
    acmehub: AcmehubServer,
    state: State,
) -> None:
    client = clients("acme", profile.name)
    key = ec.generate_private_key(ec.SECP256R1())
    _, order = flows.issue(client, [unique_name()], key)
    cert_id = last_segment(order["certificate"])
    chain = x509.load_pem_x509_certificates(client.get(order["certificate"]).content)
    revoke = f"/certificates/{cert_id}/revoke"
    assert operator.post(revoke, json={"reason": "superseded"}).status_code == 200
    revoked_at = state.certificate(cert_id).revoked_at
    problem(operator.post(revoke, json={"reason": "cessationOfOperation"}), 422, "already")

    moved = operator.post(revoke, json={"reason": "keyCompromise"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["revocation"]["reason"] == "keyCompromise"
    stored = state.certificate(cert_id)
    assert (stored.revoked_at, stored.revocation_reason) == (revoked_at, 1)
    entry = crl_for(chain[0], chain[1], acmehub).get_revoked_certificate_by_serial_number(
        chain[0].serial_number
    )
    assert entry is not None
    reason = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
    assert reason == x509.ReasonFlags.key_compromise
    # The key is blocked: an ACME client can no longer make it an account key.
    blocked = clients(
        "acme", profile.name, key=AccountKey.from_private_key("ES256", key), register=False
    )
    assert_problem(blocked.register(), 400, "badPublicKey", "revoked for keyCompromise")
    problem(operator.post(revoke, json={"reason": "keyCompromise"}), 422, "already")
