"""ACME accounts over the management API (platform-reference.md, "ACME accounts"), and what the
ACME protocol then does with them, over real HTTPS against the live server.

Each test works on ACME profiles of its own, so lists and counts are not shared.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from acmehub.domain.admin_model import Role
from acmehub.domain.model import AccountStatus, AcmeProfile
from acmehub.domain.ports import AuditFilter, Page
from tests.api.conftest import ApiFactory
from tests.integration.conftest import (
    Clients,
    Flows,
    Profiles,
    State,
    assert_problem,
    last_segment,
    unique_name,
)
from tests.support.acme_client import AcmeClient, b64url, make_csr
from tests.support.challtestsrv import ChallTestSrv
from tests.support.http01 import Http01Responder
from tests.support.server import AcmehubServer

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
def profile(acmehub: AcmehubServer) -> AcmeProfile:
    """A fresh enabled ACME profile on the default RA profile."""
    return Profiles(acmehub).acme_profile()


@pytest.fixture
def state(acmehub: AcmehubServer) -> State:
    return State(acmehub)


@pytest.fixture
def operator(api_as: ApiFactory) -> httpx.Client:
    return api_as(Role.OPERATOR)


@pytest.fixture
def auditor(api_as: ApiFactory) -> httpx.Client:
    return api_as(Role.AUDITOR)


def account_uuid(client: AcmeClient, state: State) -> str:
    assert client.kid is not None
    return state.account(last_segment(client.kid)).uuid


def account_url(profile: AcmeProfile, uuid: str, action: str = "") -> str:
    return f"/acmeProfiles/{profile.uuid}/acmeAccounts/{uuid}{action}"


def problem(response: httpx.Response, status: int, detail: str = "") -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    doc: dict[str, Any] = response.json()
    assert doc["status"] == status
    assert detail in doc["detail"], doc
    return doc


def listed(api: httpx.Client, **params: Any) -> dict[str, Any]:
    response = api.get("/acmeAccounts", params=params)
    assert response.status_code == 200, response.text
    doc: dict[str, Any] = response.json()
    return doc


# --------------------------------------------------------------------------- reads


def test_list_filters_and_pages(
    api: httpx.Client, auditor: httpx.Client, clients: Clients, profile: AcmeProfile, state: State
) -> None:
    made = [clients("acme", profile.name) for _ in range(3)]
    uuids = [account_uuid(c, state) for c in made]
    assert api.patch(account_url(profile, uuids[1], "/disable")).status_code == 204
    assert api.post(account_url(profile, uuids[2])).status_code == 204

    everything = listed(auditor, acmeProfileUuid=profile.uuid)
    assert [a["uuid"] for a in everything["items"]] == uuids  # oldest first
    assert (everything["total"], everything["hasMore"]) == (3, False)
    first = everything["items"][0]
    assert first["accountId"] == last_segment(made[0].kid or "")
    assert first["acmeProfile"] == {"uuid": profile.uuid, "name": profile.name}
    assert first["raProfile"]["name"] == "default"
    assert (first["status"], first["enabled"], first["totalOrders"]) == ("valid", True, 0)

    page = listed(api, acmeProfileUuid=profile.uuid, offset=1, limit=1)
    assert [a["uuid"] for a in page["items"]] == uuids[1:2]
    assert (page["offset"], page["limit"], page["total"], page["hasMore"]) == (1, 1, 3, True)
    disabled = listed(api, acmeProfileUuid=profile.uuid, enabled="false")
    assert [a["uuid"] for a in disabled["items"]] == [uuids[1]]
    revoked = listed(api, acmeProfileUuid=profile.uuid, status="revoked")
    assert [(a["uuid"], a["status"]) for a in revoked["items"]] == [(uuids[2], "revoked")]
    valid_enabled = listed(api, acmeProfileUuid=profile.uuid, status="valid", enabled="true")
    assert [a["uuid"] for a in valid_enabled["items"]] == [uuids[0]]
    by_ra = listed(api, raProfileUuid=profile.default_ra_profile_uuid, limit=1000)
    assert set(uuids) <= {a["uuid"] for a in by_ra["items"]}
    assert listed(api, acmeProfileUuid="no-such-profile")["total"] == 0


@pytest.mark.parametrize(
    "params",
    [{"status": "unknown"}, {"enabled": "maybe"}, {"limit": 0}, {"limit": 1001}, {"offset": -1}],
)
def test_list_refuses_invalid_filters(api: httpx.Client, params: dict[str, Any]) -> None:
    problem(api.get("/acmeAccounts", params=params), 422)


def test_unknown_query_parameters_are_refused_after_authentication(
    api: httpx.Client, anonymous: httpx.Client
) -> None:
    # A misspelt filter must not silently list every account.
    problem(api.get("/acmeAccounts", params={"acmeProfileUUID": "x"}), 422, "'acmeProfileUUID'")
    problem(anonymous.get("/acmeAccounts", params={"acmeProfileUUID": "x"}), 401)


def test_detail_counts_orders_by_status(
    auditor: httpx.Client,
    clients: Clients,
    flows: Flows,
    profile: AcmeProfile,
    state: State,
) -> None:
    client = clients("acme", profile.name, contact=["mailto:ops@example.com"])
    flows.issue(client, [unique_name()])  # valid
    flows.ready_order(client, [unique_name()])  # ready
    assert client.new_order([unique_name()]).status_code == 201  # pending
    uuid = account_uuid(client, state)

    response = auditor.get(account_url(profile, uuid))

    assert response.status_code == 200, response.text
    doc = response.json()
    assert doc["uuid"] == uuid
    assert doc["accountId"] == last_segment(client.kid or "")
    assert doc["contact"] == ["mailto:ops@example.com"]
    assert doc["termsOfServiceAgreed"] is True
    assert doc["eabKeyId"] is None
    assert doc["acmeProfile"] == {"uuid": profile.uuid, "name": profile.name}
    assert doc["raProfile"]["uuid"] == profile.default_ra_profile_uuid
    counts = {k: v for k, v in doc.items() if k.endswith("Orders")}
    assert counts == {
        "totalOrders": 3,
        "pendingOrders": 1,
        "readyOrders": 1,
        "processingOrders": 0,
        "validOrders": 1,
        "failedOrders": 0,
    }


def test_detail_of_an_unknown_account_or_profile_is_404(
    api: httpx.Client, clients: Clients, profile: AcmeProfile, state: State, acmehub: AcmehubServer
) -> None:
    uuid = account_uuid(clients("acme", profile.name), state)
    other = Profiles(acmehub).acme_profile()
    problem(api.get(account_url(profile, "no-such-account")), 404, "ACME Account not found")
    problem(api.get(account_url(other, uuid)), 404, "ACME Account not found")
    problem(api.get(f"/acmeProfiles/nope/acmeAccounts/{uuid}"), 404, "ACME Profile not found")


# --------------------------------------------------------------------------- enable / disable


def test_disabled_account_is_refused_orders_finalize_challenges_and_revocation(
    operator: httpx.Client, clients: Clients, flows: Flows, profile: AcmeProfile, state: State
) -> None:
    client = clients("acme", profile.name)
    _, issued = flows.issue(client, [unique_name()])
    cert_pem = client.get(issued["certificate"]).content
    ready_url, ready = flows.ready_order(client, [unique_name()])
    pending = client.new_order([unique_name()]).json()
    challenge = client.get(pending["authorizations"][0]).json()["challenges"][0]
    uuid = account_uuid(client, state)
    before = state.counts()

    assert operator.patch(account_url(profile, uuid, "/disable")).status_code == 204

    disabled = "Account is disabled by the administrator"
    assert_problem(client.new_order([unique_name()]), 401, "unauthorized", disabled)
    csr, _ = make_csr([i["value"] for i in ready["identifiers"]])
    assert_problem(
        client.post(ready["finalize"], {"csr": b64url(csr)}), 401, "unauthorized", disabled
    )
    assert_problem(client.post(challenge["url"], {}), 401, "unauthorized", disabled)
    der = x509.load_pem_x509_certificates(cert_pem)[0].public_bytes(Encoding.DER)
    revoke = client.post(client.directory["revokeCert"], {"certificate": b64url(der)})
    assert_problem(revoke, 401, "unauthorized", disabled)
    assert state.counts() == before
    # Reading what it has is still allowed.
    assert client.get(ready_url).json()["status"] == "ready"

    assert operator.patch(account_url(profile, uuid, "/enable")).status_code == 204
    assert client.new_order([unique_name()]).status_code == 201
    assert client.post(ready["finalize"], {"csr": b64url(csr)}).status_code == 200


def test_enable_and_disable_refuse_what_is_already_so(
    operator: httpx.Client, clients: Clients, profile: AcmeProfile, state: State
) -> None:
    uuid = account_uuid(clients("acme", profile.name), state)
    problem(operator.patch(account_url(profile, uuid, "/enable")), 422, "already enabled")
    assert operator.patch(account_url(profile, uuid, "/disable")).status_code == 204
    problem(operator.patch(account_url(profile, uuid, "/disable")), 422, "already disabled")


def test_a_deactivated_account_cannot_be_switched(
    operator: httpx.Client, clients: Clients, profile: AcmeProfile, state: State
) -> None:
    client = clients("acme", profile.name)
    deactivated = client.post(client.kid or "", {"status": "deactivated"})
    assert deactivated.status_code == 200, deactivated.text
    uuid = account_uuid(client, state)
    for action in ("/enable", "/disable"):
        problem(operator.patch(account_url(profile, uuid, action)), 422, "deactivated, not valid")
    problem(operator.post(account_url(profile, uuid)), 422, "deactivated, not valid")


# --------------------------------------------------------------------------- revoke


def test_revoked_account_is_refused_everything(
    operator: httpx.Client, clients: Clients, profile: AcmeProfile, state: State
) -> None:
    client = clients("acme", profile.name)
    order_url = client.new_order([unique_name()]).headers["Location"]
    uuid = account_uuid(client, state)

    assert operator.post(account_url(profile, uuid)).status_code == 204

    assert state.account(last_segment(client.kid or "")).status is AccountStatus.REVOKED
    refused = "Account is revoked"
    assert_problem(client.new_order([unique_name()]), 401, "unauthorized", refused)
    assert_problem(client.get(order_url), 401, "unauthorized", refused)
    assert_problem(client.post(client.kid or "", {}), 401, "unauthorized", refused)
    assert_problem(client.register(), 401, "unauthorized", refused)
    # Final: no way back.
    problem(operator.post(account_url(profile, uuid)), 422, "already revoked")
    problem(operator.patch(account_url(profile, uuid, "/enable")), 422, "revoked, not valid")


# --------------------------------------------------------------------------- bulk


def test_bulk_enable_disable_revoke_report_failures_only(
    operator: httpx.Client, clients: Clients, profile: AcmeProfile, state: State
) -> None:
    made = [clients("acme", profile.name) for _ in range(3)]
    a, b, c = (account_uuid(x, state) for x in made)

    response = operator.patch("/acmeAccounts/disable", json=[a, b, "no-such-account"])
    assert response.status_code == 200, response.text
    assert response.json() == [
        {"uuid": "no-such-account", "name": "", "message": "ACME Account not found"}
    ]
    again = operator.patch("/acmeAccounts/disable", json=[a, c]).json()
    assert again == [
        {
            "uuid": a,
            "name": last_segment(made[0].kid or ""),
            "message": "ACME Account is already disabled",
        }
    ]
    assert listed(operator, acmeProfileUuid=profile.uuid, enabled="false")["total"] == 3
    assert operator.patch("/acmeAccounts/enable", json=[a, b, c]).json() == []
    assert operator.put("/acmeAccounts/revoke", json=[b, c]).json() == []
    statuses = [a["status"] for a in listed(operator, acmeProfileUuid=profile.uuid)["items"]]
    assert statuses == ["valid", "revoked", "revoked"]
    assert_problem(made[1].new_order([unique_name()]), 401, "unauthorized", "revoked")
    assert made[0].new_order([unique_name()]).status_code == 201


@pytest.mark.parametrize("body", [{"uuids": []}, "not-a-list", [1, 2], ["x" * 37]])
def test_bulk_refuses_bodies_that_are_not_lists_of_uuids(
    operator: httpx.Client, body: object
) -> None:
    problem(operator.patch("/acmeAccounts/disable", json=body), 422)


# --------------------------------------------------------------------------- roles and audit


def test_roles_and_anonymous(
    anonymous: httpx.Client,
    auditor: httpx.Client,
    operator: httpx.Client,
    clients: Clients,
    profile: AcmeProfile,
    state: State,
) -> None:
    client = clients("acme", profile.name)
    uuid = account_uuid(client, state)
    changes = [
        ("PATCH", account_url(profile, uuid, "/enable"), None),
        ("PATCH", account_url(profile, uuid, "/disable"), None),
        ("POST", account_url(profile, uuid), None),
        ("PATCH", "/acmeAccounts/enable", [uuid]),
        ("PATCH", "/acmeAccounts/disable", [uuid]),
        ("PUT", "/acmeAccounts/revoke", [uuid]),
    ]
    reads = [("GET", "/acmeAccounts", None), ("GET", account_url(profile, uuid), None)]
    for method, url, body in changes + reads:
        problem(anonymous.request(method, url, json=body), 401)
    for method, url, body in changes:
        problem(auditor.request(method, url, json=body), 403, "operator")
    for method, url, body in reads:
        assert auditor.request(method, url, json=body).status_code == 200
    stored = state.account(last_segment(client.kid or ""))
    assert (stored.status, stored.enabled) == (AccountStatus.VALID, True)
    assert operator.patch(account_url(profile, uuid, "/disable")).status_code == 204


def test_changes_are_audited_with_the_token_name(
    api: httpx.Client, acmehub: AcmehubServer, clients: Clients, profile: AcmeProfile, state: State
) -> None:
    client = clients("acme", profile.name)
    uuid = account_uuid(client, state)
    assert api.patch(account_url(profile, uuid, "/disable")).status_code == 204
    assert api.patch("/acmeAccounts/enable", json=[uuid]).status_code == 200
    assert api.post(account_url(profile, uuid)).status_code == 204
    with acmehub.container().services.deps.uow() as tx:
        events = tx.audit.list(AuditFilter(object_id=uuid), Page())
    seen = [(e.actor.split(":")[0], e.action) for e in reversed(events)]
    assert seen == [
        ("acme", "account.create"),
        ("token", "account.disable"),
        ("token", "account.enable"),
        ("token", "account.revoke"),
    ]
    assert events[0].actor.startswith("token:test-admin-")
    assert events[-1].actor == f"acme:{last_segment(client.kid or '')}"
