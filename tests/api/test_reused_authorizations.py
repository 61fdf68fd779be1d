"""The orders API says which authorization an order reused (made for which order, validated
when) and which one is an RFC 9444 subdomain pre-authorization: orders made over ACME."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.integration.conftest import Clients, Flows, Profiles, last_segment, unique_name
from tests.support.challtestsrv import ChallTestSrv
from tests.support.http01 import Http01Responder
from tests.support.server import AcmehubServer


@pytest.fixture(scope="module")
def http01(acmehub: AcmehubServer) -> Iterator[Http01Responder]:
    responder = Http01Responder(acmehub.http01_port).start()
    yield responder
    responder.stop()


def test_order_detail_shows_reused_and_subdomain_authorizations(
    api: httpx.Client, acmehub: AcmehubServer, dns_server: ChallTestSrv, http01: Http01Responder
) -> None:
    profile = Profiles(acmehub).acme_profile(
        authorization_reuse=86400, new_authz_enabled=True, subdomain_auth_allowed=True
    )
    clients = Clients(acmehub)
    try:
        client = clients("acme", profile.name)
        flows = Flows(dns_server, http01)
        name = unique_name()
        first_url, _ = flows.ready_order(client, [name])
        second = client.new_order([name])
        domain = unique_name("zone")
        pre = client.post(
            client.directory["newAuthz"],
            {"identifier": {"type": "dns", "value": domain}, "subdomainAuthAllowed": True},
        )
        flows.authorize_dns01(client, pre.headers["Location"])
        third = client.new_order([f"www.{domain}"])
    finally:
        clients.close()

    own = api.get(f"/orders/{last_segment(first_url)}").json()["authorizations"][0]
    assert own["reused"] is False
    assert own["madeForOrderId"] == last_segment(first_url)
    reused = api.get(f"/orders/{last_segment(second.headers['Location'])}").json()
    (authz,) = reused["authorizations"]
    assert authz["reused"] is True
    assert authz["madeForOrderId"] == last_segment(first_url)
    assert authz["validatedAt"] is not None
    (sub,) = api.get(f"/orders/{last_segment(third.headers['Location'])}").json()["authorizations"]
    assert sub["reused"] is True
    assert sub["madeForOrderId"] is None  # a pre-authorization
    assert sub["subdomainAuthAllowed"] is True
    assert sub["identifier"]["value"] == domain
