"""Renewal information (RFC 9773) in the web interface over real HTTP: a certificate's page
shows its window and its chain of renewals (replaces / replaced by); "Renew early" moves the
window of one certificate, or of every certificate of an account, an RA profile or an authority,
into the past; an auditor cannot."""

from __future__ import annotations

import html
from collections.abc import Iterator

import pytest

from acmehub.domain.admin_model import Role
from tests.integration.conftest import Clients, Flows, last_segment
from tests.integration.test_protocol_renewal_info import cert_id
from tests.integration.test_protocol_revoke import issue
from tests.support.challtestsrv import ChallTestSrv
from tests.support.http01 import Http01Responder
from tests.support.server import AcmehubServer
from tests.webui.conftest import ClientFactory, WebClient


@pytest.fixture(scope="module")
def flows(acmehub: AcmehubServer, dns_server: ChallTestSrv) -> Iterator[Flows]:
    responder = Http01Responder(acmehub.http01_port).start()
    yield Flows(dns_server, responder)
    responder.stop()


@pytest.fixture
def clients(acmehub: AcmehubServer) -> Iterator[Clients]:
    made = Clients(acmehub)
    yield made
    made.close()


def test_chain_of_renewals_and_renew_early(
    admin: WebClient, web_as: ClientFactory, clients: Clients, flows: Flows
) -> None:
    client = clients()
    first = issue(client, flows)
    response = client.new_order(first.names, replaces=cert_id(first.leaf))
    assert response.status_code == 201, response.text
    order_url = response.headers["Location"]
    for authz_url in response.json()["authorizations"]:
        flows.authorize_http01(client, authz_url)
    second_id = last_segment(
        flows.finalize(client, order_url, client.get(order_url).json())["certificate"]
    )

    order_page = admin.get(f"/ui/orders/{last_segment(order_url)}").text
    assert cert_id(first.leaf) in html.unescape(order_page)  # the order's replaces
    old = html.unescape(admin.get(f"/ui/certificates/{first.cert_id}").text)
    assert "Renewal (RFC 9773)" in old
    assert cert_id(first.leaf) in old
    assert "last third of the lifetime" in old
    assert f'href="/ui/certificates/{second_id}"' in old  # replaced by
    new = html.unescape(admin.get(f"/ui/certificates/{second_id}").text)
    assert f'href="/ui/certificates/{first.cert_id}"' in new  # replaces

    # "Renew early…" on the page opens the form for this certificate.
    assert f"/ui/certificates/renew-early?scope=certificate&target={second_id}" in new
    page = admin.get(
        "/ui/certificates/renew-early", params={"scope": "certificate", "target": second_id}
    )
    assert page.status_code == 200
    assert f'value="{second_id}"' in page.text
    auditor = web_as(Role.AUDITOR)
    refused = auditor.form(
        "/ui/certificates/renew-early", {"scope": "certificate", "target": second_id}
    )
    assert refused.status_code == 403

    done = admin.form(
        "/ui/certificates/renew-early",
        {
            "scope": "certificate",
            "target": second_id,
            "explanationUrl": "https://status.example/1",
        },
    )
    assert done.status_code == 303, done.text
    after = html.unescape(admin.get(done.headers["location"]).text)
    assert "Renewal window moved into the past for 1 certificate(s)" in after
    assert "moved into the past by an administrator" in after
    assert "https://status.example/1" in after

    missing = admin.form("/ui/certificates/renew-early", {"scope": "authority", "target": "nope"})
    assert missing.status_code == 422
    assert "Authority not found" in html.unescape(missing.text)
