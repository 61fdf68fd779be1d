"""Challenges and authorizations (RFC 8555 §7.5, §7.5.1, §7.5.2) with real validations."""

from __future__ import annotations

import threading
from typing import Any

from acmehub.domain.model import AuthzStatus, ChallengeStatus, OrderStatus
from tests.integration.conftest import (
    Flows,
    Http01Responder,
    State,
    assert_problem,
    assert_rituals,
    challenge_of,
    last_segment,
    link_header,
    poll_resource,
    unique_name,
)
from tests.support.acme_client import AcmeClient
from tests.support.challtestsrv import ChallTestSrv


def new_authz(client: AcmeClient, name: str | None = None) -> tuple[str, str, dict[str, Any]]:
    """(order URL, authorization URL, authorization document) of a fresh one-name order."""
    response = client.new_order([name or unique_name()])
    assert response.status_code == 201, response.text
    authz_url = response.json()["authorizations"][0]
    return response.headers["Location"], authz_url, client.get(authz_url).json()


def test_a_poll_during_validation_is_held_until_the_result_is_recorded(
    client: AcmeClient, http01: Http01Responder
) -> None:
    """The validation runs in the process that took the answer: a poll of the authorization
    that comes meanwhile waits for the result (at most a second) instead of reading pending."""
    _, authz_url, authz = new_authz(client)
    challenge = challenge_of(authz, "http-01")
    token = challenge["token"]
    http01.answers[token] = client.key_authorization(token)
    gate = http01.hold[token] = threading.Event()
    try:
        assert client.post(challenge["url"], {}).json()["status"] == "processing"
        # The responder answers once the poll below is on its way.
        threading.Timer(0.2, gate.set).start()
        polled = client.get(authz_url)
    finally:
        gate.set()
    assert polled.status_code == 200
    assert polled.json()["status"] == "valid", polled.text
    assert "Retry-After" not in polled.headers


def test_http01_processing_then_valid(
    client: AcmeClient, http01: Http01Responder, state: State
) -> None:
    order_url, authz_url, authz = new_authz(client)
    challenge = challenge_of(authz, "http-01")
    token = challenge["token"]
    http01.answers[token] = client.key_authorization(token)
    gate = http01.hold[token] = threading.Event()
    try:
        response = client.post(challenge["url"], {})
        assert response.status_code == 200, response.text
        assert_rituals(response, client.directory_url)
        assert response.json()["status"] == "processing"
        assert response.json()["url"] == challenge["url"]
        assert link_header(response, "up") == [authz_url]
        assert response.headers["Retry-After"] == "1"
        assert state.authorization(last_segment(authz_url)).challenges

        # While the VA waits on our responder, the challenge reads processing.
        polled = client.get(challenge["url"])
        assert polled.status_code == 200
        assert polled.json()["status"] == "processing"
        assert polled.headers["Retry-After"] == "1"
        assert link_header(polled, "up") == [authz_url]
        # A poll of the authorization is held a second at most, then reads pending.
        held = client.get(authz_url)
        assert held.json()["status"] == "pending"
        assert held.headers["Retry-After"] == "1"
        assert client.get(order_url).json()["status"] == "pending"

        # Answering again while processing is harmless.
        again = client.post(challenge["url"], {})
        assert again.status_code == 200
        assert again.json()["status"] == "processing"
    finally:
        gate.set()

    done = poll_resource(client, challenge["url"], lambda d: d["status"] == "valid", "valid")
    assert "validated" in done
    assert "error" not in done
    final = client.get(challenge["url"])
    assert "Retry-After" not in final.headers
    assert link_header(final, "up") == [authz_url]

    authz_doc = client.get(authz_url).json()
    assert authz_doc["status"] == "valid"
    # RFC 8555 §7.1.4: a valid authorization lists the challenge that was validated.
    assert [c["type"] for c in authz_doc["challenges"]] == ["http-01"]
    assert client.get(order_url).json()["status"] == "ready"
    stored = state.authorization(last_segment(authz_url))
    assert stored.status is AuthzStatus.VALID
    assert state.order(last_segment(order_url)).status is OrderStatus.READY

    # Answering a valid challenge returns it as it is.
    after = client.post(challenge["url"], {})
    assert after.status_code == 200
    assert after.json()["status"] == "valid"


def test_dns01_valid(client: AcmeClient, dns_server: ChallTestSrv, state: State) -> None:
    name = unique_name()
    order_url, _, authz = new_authz(client, name)
    challenge = challenge_of(authz, "dns-01")
    dns_server.set_txt(f"_acme-challenge.{name}", client.dns01_value(challenge["token"]))
    try:
        response = client.post(challenge["url"], {})
        assert response.status_code == 200, response.text
        assert response.json()["status"] in ("processing", "valid")
        poll_resource(client, challenge["url"], lambda d: d["status"] == "valid", "dns-01 valid")
    finally:
        dns_server.clear_txt(f"_acme-challenge.{name}")
    assert client.get(order_url).json()["status"] == "ready"


def test_wildcard_validated_by_dns01(client: AcmeClient, flows: Flows) -> None:
    base = unique_name()
    _, order = flows.ready_order(client, [f"*.{base}"])
    assert order["identifiers"] == [{"type": "dns", "value": f"*.{base}"}]
    authz = client.get(order["authorizations"][0]).json()
    assert authz["wildcard"] is True
    assert authz["status"] == "valid"


def test_http01_wrong_content_invalidates(
    client: AcmeClient, http01: Http01Responder, state: State
) -> None:
    name = unique_name()
    order_url, authz_url, authz = new_authz(client, name)
    challenge = challenge_of(authz, "http-01")
    http01.answers[challenge["token"]] = "not-the-key-authorization"
    response = client.post(challenge["url"], {})
    assert response.status_code == 200, response.text

    done = poll_resource(client, challenge["url"], lambda d: d["status"] == "invalid", "invalid")
    error = done["error"]
    assert error["type"] == "urn:ietf:params:acme:error:incorrectResponse"
    assert error["identifier"] == {"type": "dns", "value": name}
    assert error["detail"]

    authz_doc = client.get(authz_url).json()
    assert authz_doc["status"] == "invalid"
    order = client.get(order_url)
    assert order.status_code == 200
    assert order.json()["status"] == "invalid"
    assert order.json()["error"]["type"] == "urn:ietf:params:acme:error:incorrectResponse"
    assert order.json()["error"]["identifier"] == {"type": "dns", "value": name}
    assert state.authorization(last_segment(authz_url)).status is AuthzStatus.INVALID
    assert state.order(last_segment(order_url)).status is OrderStatus.INVALID

    # An invalid authorization's other challenges can no longer be answered.
    other = challenge_of(authz, "dns-01")
    refused = client.post(other["url"], {})
    assert_problem(refused, 400, "malformed", "the authorization is invalid", client.directory_url)
    stored = state.authorization(last_segment(authz_url))
    assert {c.type.value: c.status for c in stored.challenges}["dns-01"] is ChallengeStatus.PENDING


def test_http01_not_found_is_unauthorized(client: AcmeClient, http01: Http01Responder) -> None:
    _, _, authz = new_authz(client)
    challenge = challenge_of(authz, "http-01")  # the responder has no answer for it: 404
    client.post(challenge["url"], {})
    done = poll_resource(client, challenge["url"], lambda d: d["status"] == "invalid", "invalid")
    assert done["error"]["type"] == "urn:ietf:params:acme:error:unauthorized"


def test_second_challenge_while_one_is_processing(
    client: AcmeClient, http01: Http01Responder, state: State
) -> None:
    _, authz_url, authz = new_authz(client)
    first = challenge_of(authz, "http-01")
    token = first["token"]
    http01.answers[token] = client.key_authorization(token)
    gate = http01.hold[token] = threading.Event()
    try:
        assert client.post(first["url"], {}).json()["status"] == "processing"
        second = challenge_of(authz, "dns-01")
        refused = client.post(second["url"], {})
        assert_problem(refused, 400, "malformed", "already being validated", client.directory_url)
        stored = state.authorization(last_segment(authz_url))
        assert {c.type.value: c.status for c in stored.challenges}["dns-01"] is (
            ChallengeStatus.PENDING
        )
    finally:
        gate.set()
    poll_resource(client, first["url"], lambda d: d["status"] == "valid", "valid")


def test_challenge_payload_must_be_json_object(client: AcmeClient, state: State) -> None:
    _, authz_url, authz = new_authz(client)
    challenge = challenge_of(authz, "http-01")
    response = client.post(challenge["url"], b"null")
    assert_problem(response, 400, "malformed", "not a JSON object", client.directory_url)
    stored = state.authorization(last_segment(authz_url))
    assert all(c.status is ChallengeStatus.PENDING for c in stored.challenges)


def test_authorization_deactivation(client: AcmeClient, state: State) -> None:
    order_url, authz_url, authz = new_authz(client)
    response = client.post(authz_url, {"status": "deactivated"})
    assert response.status_code == 200, response.text
    assert_rituals(response, client.directory_url)
    assert response.json()["status"] == "deactivated"
    assert state.authorization(last_segment(authz_url)).status is AuthzStatus.DEACTIVATED
    assert client.get(authz_url).json()["status"] == "deactivated"
    assert client.get(order_url).json()["status"] == "invalid"
    assert state.order(last_segment(order_url)).status is OrderStatus.INVALID

    again = client.post(authz_url, {"status": "deactivated"})
    assert_problem(
        again, 400, "malformed", "only a pending or valid authorization", client.directory_url
    )
    challenge = challenge_of(authz, "http-01")
    refused = client.post(challenge["url"], {})
    assert_problem(
        refused, 400, "malformed", "the authorization is deactivated", client.directory_url
    )


def test_valid_authorization_can_be_deactivated(
    client: AcmeClient, flows: Flows, state: State
) -> None:
    order_url, order = flows.ready_order(client, [unique_name()])
    authz_url = order["authorizations"][0]
    response = client.post(authz_url, {"status": "deactivated"})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "deactivated"
    assert client.get(order_url).json()["status"] == "invalid"
    assert state.order(last_segment(order_url)).status is OrderStatus.INVALID


def test_authorization_update_other_than_deactivation(client: AcmeClient, state: State) -> None:
    _, authz_url, _ = new_authz(client)
    for payload in ({"status": "valid"}, {}):
        response = client.post(authz_url, payload)
        assert_problem(
            response, 400, "malformed", "can only be set to deactivated", client.directory_url
        )
    assert state.authorization(last_segment(authz_url)).status is AuthzStatus.PENDING
