"""The orders API: the order browser of the UI over HTTP (list with filters, one order with its
authorizations, challenges, certificate, profile and account), auditor role."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from cryptography import x509

from acmehub.domain.admin_model import Role
from tests.api.conftest import ApiFactory
from tests.api.profile_helpers import octets_hex
from tests.integration.conftest import (
    Clients,
    Flows,
    Profiles,
    State,
    challenge_of,
    last_segment,
    poll_resource,
    unique_name,
)
from tests.support.challtestsrv import ChallTestSrv
from tests.support.http01 import Http01Responder
from tests.support.server import AcmehubServer


@pytest.fixture(scope="module")
def http01(acmehub: AcmehubServer) -> Iterator[Http01Responder]:
    responder = Http01Responder(acmehub.http01_port).start()
    yield responder
    responder.stop()


@dataclass(frozen=True)
class Orders:
    """Three orders of one account under a fresh profile, oldest first."""

    profile_uuid: str
    profile_name: str
    account_id: str
    account_uuid: str
    valid: str
    valid_name: str
    certificate_id: str
    chain_pem: bytes
    failed: str
    failed_name: str
    pending: str


@pytest.fixture(scope="module")
def orders(
    acmehub: AcmehubServer, dns_server: ChallTestSrv, http01: Http01Responder
) -> Iterator[Orders]:
    profile = Profiles(acmehub).acme_profile()
    clients = Clients(acmehub)
    client = clients("acme", profile.name)
    flows = Flows(dns_server, http01)
    valid_name, failed_name = unique_name(), unique_name()
    valid_url, valid = flows.issue(client, [valid_name])
    # A failed order: its http-01 challenge answered with nothing there (the responder 404s).
    created = client.new_order([failed_name])
    assert created.status_code == 201, created.text
    failed_url = created.headers["Location"]
    authz = client.get(created.json()["authorizations"][0]).json()
    client.post(challenge_of(authz, "http-01")["url"], {})
    poll_resource(client, failed_url, lambda d: d["status"] == "invalid", "order invalid")
    pending = client.new_order([unique_name()])
    assert pending.status_code == 201, pending.text
    account_id = last_segment(client.kid or "")
    yield Orders(
        profile_uuid=profile.uuid,
        profile_name=profile.name,
        account_id=account_id,
        account_uuid=State(acmehub).account(account_id).uuid,
        valid=last_segment(valid_url),
        valid_name=valid_name,
        certificate_id=last_segment(valid["certificate"]),
        chain_pem=client.get(valid["certificate"]).content,
        failed=last_segment(failed_url),
        failed_name=failed_name,
        pending=last_segment(pending.headers["Location"]),
    )
    clients.close()


@pytest.fixture(scope="module")
def auditor(api_as: ApiFactory) -> httpx.Client:
    return api_as(Role.AUDITOR)


def listed(api: httpx.Client, **params: Any) -> dict[str, Any]:
    response = api.get("/orders", params=params)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


def ids(page: dict[str, Any]) -> list[str]:
    return [o["id"] for o in page["items"]]


def test_list_by_profile_newest_first_and_paged(auditor: httpx.Client, orders: Orders) -> None:
    page = listed(auditor, acmeProfileUuid=orders.profile_uuid)
    assert ids(page) == [orders.pending, orders.failed, orders.valid]
    assert (page["offset"], page["limit"], page["total"], page["hasMore"]) == (0, 100, 3, False)
    first = listed(auditor, acmeProfileUuid=orders.profile_uuid, limit=2)
    assert (ids(first), first["hasMore"]) == ([orders.pending, orders.failed], True)
    rest = listed(auditor, acmeProfileUuid=orders.profile_uuid, offset=2, limit=2)
    assert (ids(rest), rest["total"], rest["hasMore"]) == ([orders.valid], 3, False)

    row = page["items"][2]
    assert row == {
        "id": orders.valid,
        "identifiers": [{"type": "dns", "value": orders.valid_name}],
        "status": "valid",
        "error": None,
        "acmeProfileUuid": orders.profile_uuid,
        "acmeProfileName": orders.profile_name,
        "accountId": orders.account_id,
        "accountUuid": orders.account_uuid,
        "createdAt": row["createdAt"],
        "expires": row["expires"],
    }
    assert page["items"][1]["status"] == "invalid"
    assert page["items"][1]["error"]["type"].startswith("urn:ietf:params:acme:error:")
    assert page["items"][0]["status"] == "pending"


def test_filters(auditor: httpx.Client, orders: Orders) -> None:
    in_profile = {"acmeProfileUuid": orders.profile_uuid}
    assert ids(listed(auditor, accountUuid=orders.account_uuid))[-1] == orders.valid
    assert len(ids(listed(auditor, accountUuid=orders.account_uuid))) == 3
    assert len(ids(listed(auditor, accountId=orders.account_id))) == 3
    assert ids(listed(auditor, name=orders.failed_name.upper())) == [orders.failed]
    assert ids(listed(auditor, status="valid", **in_profile)) == [orders.valid]
    assert ids(listed(auditor, status="invalid", **in_profile)) == [orders.failed]
    nobody = listed(auditor, accountUuid="00000000-0000-4000-8000-000000000000")
    assert (nobody["items"], nobody["total"]) == ([], 0)
    both = listed(auditor, accountUuid=orders.account_uuid, accountId="someone-else")
    assert both["total"] == 0


@pytest.mark.parametrize(
    "params", [{"status": "done"}, {"limit": "0"}, {"acmeProfileUUID": "x"}, {"offset": "-1"}]
)
def test_invalid_filters_are_422_problems(auditor: httpx.Client, params: dict[str, str]) -> None:
    response = auditor.get("/orders", params=params)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalidInput"


def test_a_valid_order_in_full(auditor: httpx.Client, orders: Orders) -> None:
    response = auditor.get(f"/orders/{orders.valid}")
    assert response.status_code == 200, response.text
    doc = response.json()
    assert doc["identifiers"] == [{"type": "dns", "value": orders.valid_name}]
    assert (doc["status"], doc["storedStatus"], doc["error"]) == ("valid", "valid", None)
    assert (doc["acmeProfileUuid"], doc["acmeProfileName"]) == (
        orders.profile_uuid,
        orders.profile_name,
    )
    assert doc["raProfileName"]
    account = doc["account"]
    assert (account["id"], account["uuid"], account["status"]) == (
        orders.account_id,
        orders.account_uuid,
        "valid",
    )
    [authz] = doc["authorizations"]
    assert authz["identifier"] == {"type": "dns", "value": orders.valid_name}
    assert (authz["status"], authz["wildcard"]) == ("valid", False)
    challenges = {c["type"]: c for c in authz["challenges"]}
    assert challenges["http-01"]["status"] == "valid"
    assert challenges["http-01"]["validated"]
    assert challenges["dns-01"]["status"] == "pending"

    leaf = x509.load_pem_x509_certificates(orders.chain_pem)[0]
    certificate = doc["certificate"]
    assert certificate["id"] == orders.certificate_id
    assert certificate["serialNumber"] == octets_hex(leaf.serial_number)
    assert (certificate["status"], certificate["names"]) == ("valid", [orders.valid_name])


def test_a_failed_order_says_why(auditor: httpx.Client, orders: Orders) -> None:
    doc = auditor.get(f"/orders/{orders.failed}").json()
    assert doc["status"] == "invalid"
    assert doc["certificate"] is None
    assert doc["error"]["identifier"] == {"type": "dns", "value": orders.failed_name}
    [authz] = doc["authorizations"]
    assert authz["status"] == "invalid"
    http01 = next(c for c in authz["challenges"] if c["type"] == "http-01")
    assert http01["status"] == "invalid"
    assert http01["error"]["type"] == doc["error"]["type"]
    assert http01["error"]["detail"]


def test_unknown_orders_are_404_and_anonymous_callers_401(
    auditor: httpx.Client, anonymous: httpx.Client, orders: Orders
) -> None:
    missing = auditor.get("/orders/no-such-order")
    assert missing.status_code == 404
    assert (missing.json()["code"], missing.json()["detail"]) == ("notFound", "Order not found")
    for path in ("/orders", f"/orders/{orders.valid}"):
        assert anonymous.get(path).status_code == 401
