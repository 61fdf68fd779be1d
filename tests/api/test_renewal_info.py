"""Mass renewal (RFC 9773) from the management API and the CLI: an operator moves the renewal
window of one certificate, or of every valid certificate of an account, an RA profile or an
authority, into the past; ACME clients then see it; the certificate's detail shows its window
and its chain of renewals; the action is audited."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from acmehub.domain.admin_model import Role
from acmehub.domain.ports import AuditFilter, Page
from tests.api.conftest import ApiFactory
from tests.api.test_certificates import Issued, issue, problem
from tests.integration.conftest import Clients, Flows, Profiles, State, last_segment
from tests.integration.test_protocol_renewal_info import cert_id, renewal_info, window
from tests.support.challtestsrv import ChallTestSrv
from tests.support.http01 import Http01Responder
from tests.support.remote_cli import Remote
from tests.support.server import AcmehubServer


@pytest.fixture(scope="module")
def http01(acmehub: AcmehubServer) -> Iterator[Http01Responder]:
    responder = Http01Responder(acmehub.http01_port).start()
    yield responder
    responder.stop()


@pytest.fixture
def flows(dns_server: ChallTestSrv, http01: Http01Responder) -> Flows:
    return Flows(dns_server, http01)


@pytest.fixture
def state(acmehub: AcmehubServer) -> State:
    return State(acmehub)


@pytest.fixture
def clients(acmehub: AcmehubServer) -> Iterator[Clients]:
    made = Clients(acmehub)
    yield made
    made.close()


def in_past(acmehub: AcmehubServer, cert: Issued) -> bool:
    _, end = window(renewal_info(acmehub, cert.client, cert_id(cert.leaf)))
    return end <= datetime.now(UTC) + timedelta(seconds=1)


def test_renew_early_by_account_and_ra_profile(
    acmehub: AcmehubServer, api_as: ApiFactory, clients: Clients, flows: Flows, state: State
) -> None:
    profiles = Profiles(acmehub)
    ra = profiles.ra_profile()
    acme = profiles.acme_profile(ra)
    owner, other = clients("acme", acme.name), clients("acme", acme.name)
    mine = [issue(owner, flows), issue(owner, flows)]
    theirs = issue(other, flows)
    account = state.account(last_segment(owner.kid or ""))

    auditor = api_as(Role.AUDITOR)
    body = {"scope": "account", "target": account.uuid}
    problem(auditor.post("/certificates/renewEarly", json=body), 403)
    assert not any(in_past(acmehub, c) for c in (*mine, theirs))

    operator = api_as(Role.OPERATOR)
    url = "https://status.example/incident-7"
    response = operator.post("/certificates/renewEarly", json={**body, "explanationUrl": url})
    assert response.status_code == 200, response.text
    doc = response.json()
    assert (doc["moved"], doc["targetUuid"], doc["targetName"]) == (2, account.uuid, account.id)
    assert all(in_past(acmehub, c) for c in mine)
    assert not in_past(acmehub, theirs)
    got = renewal_info(acmehub, owner, cert_id(mine[0].leaf)).json()
    assert got["explanationURL"] == url

    # The RA profile by its name: every certificate issued through it.
    by_ra = operator.post(
        "/certificates/renewEarly", json={"scope": "raProfile", "target": ra.name}
    )
    assert by_ra.json()["moved"] == 3, by_ra.text
    assert in_past(acmehub, theirs)

    events = acmehub.container().services.deps.uow
    with events() as tx:
        found = tx.audit.list(AuditFilter(action="certificate.renew_early"), Page(0, 50))
    audited = [e for e in found if e.object_id in (account.uuid, ra.uuid)]
    assert {(e.object_type, e.detail["moved"]) for e in audited} == {
        ("account", 2),
        ("raProfile", 3),
    }
    assert all(e.actor.startswith("token:") for e in audited)


def test_renew_early_refusals(api_as: ApiFactory) -> None:
    operator = api_as(Role.OPERATOR)
    missing = operator.post("/certificates/renewEarly", json={"scope": "authority", "target": "x"})
    problem(missing, 404, "Authority not found")
    bad_scope = operator.post("/certificates/renewEarly", json={"scope": "galaxy", "target": "x"})
    problem(bad_scope, 422)
    bad_url = operator.post(
        "/certificates/renewEarly",
        json={"scope": "authority", "target": "x", "explanationUrl": "ftp://x"},
    )
    problem(bad_url, 422)


def test_detail_shows_window_and_chain_of_renewals(
    api_as: ApiFactory, clients: Clients, flows: Flows
) -> None:
    client = clients()
    first = issue(client, flows)
    ident = cert_id(first.leaf)
    # The same names again, this time as a replacement (RFC 9773 §5).
    response = client.new_order(first.names, replaces=ident)
    assert response.status_code == 201, response.text
    order_url = response.headers["Location"]
    for authz_url in response.json()["authorizations"]:
        flows.authorize_http01(client, authz_url)
    done = flows.finalize(client, order_url, client.get(order_url).json())
    second_id = last_segment(done["certificate"])

    auditor = api_as(Role.AUDITOR)
    old = auditor.get(f"/certificates/{first.cert_id}").json()["renewal"]
    assert old["certId"] == ident
    assert old["suggestedWindow"]["reason"] == "default"
    assert old["replacedBy"] == [
        {"orderId": last_segment(order_url), "status": "valid", "certificateId": second_id}
    ]
    order_doc = auditor.get(f"/orders/{last_segment(order_url)}").json()
    assert order_doc["replaces"] == ident
    new = auditor.get(f"/certificates/{second_id}").json()["renewal"]
    assert new["replaces"] == first.cert_id
    assert new["replacedBy"] == []


def test_cli_renew_early(
    remote: Remote, acmehub: AcmehubServer, clients: Clients, flows: Flows
) -> None:
    cert = issue(clients(), flows)
    out = remote.ok("certificate", "renew-early", "certificate", cert.cert_id)
    assert "moved the renewal window of 1 certificate(s)" in out
    assert in_past(acmehub, cert)
    shown = remote.json("certificate", "show", cert.cert_id)
    assert shown["renewal"]["suggestedWindow"]["reason"] == "moved"
    failed = remote("certificate", "renew-early", "authority", "no-such-authority")
    assert failed.returncode != 0
    assert "Authority not found" in failed.stderr
