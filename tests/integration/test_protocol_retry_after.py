"""Retry-After on a processing challenge and a pending authorization says when the result is
expected (RFC 8555 §7.5.1, §8.2; issue 16 §6), on a server of its own so that its first
validation is really its first: 1 s before any figure, then the recent validations' time,
never more than the profile's retry interval."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.conftest import Profiles, challenge_of, poll_resource, unique_name
from tests.jws_signer import AccountKey
from tests.support.acme_client import AcmeClient
from tests.support.challtestsrv import ChallTestSrv
from tests.support.http01 import Http01Responder
from tests.support.server import AcmehubServer


@pytest.fixture(scope="module")
def fresh(
    tmp_path_factory: pytest.TempPathFactory, dns_server: ChallTestSrv
) -> Iterator[AcmehubServer]:
    root: Path = tmp_path_factory.mktemp("acmehub-retry-after")
    server = AcmehubServer(root / "state", dns_port=dns_server.dns_port).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def responder(fresh: AcmehubServer) -> Iterator[Http01Responder]:
    made = Http01Responder(fresh.http01_port).start()
    yield made
    made.stop()


def account(http: httpx.Client, directory_url: str) -> AcmeClient:
    client = AcmeClient(http, directory_url)
    client.key = AccountKey.generate()
    assert client.register().status_code == 201
    return client


def held_validation(client: AcmeClient, responder: Http01Responder, seconds: float) -> str:
    """Answer the http-01 challenge of a new order, the responder taking ``seconds``; returns
    the Retry-After of the processing challenge and checks the pending authorization's."""
    order = client.new_order([unique_name()]).json()
    authz_url = order["authorizations"][0]
    challenge = challenge_of(client.get(authz_url).json(), "http-01")
    token = challenge["token"]
    responder.answers[token] = client.key_authorization(token)
    gate = responder.hold[token] = threading.Event()
    timer = threading.Timer(seconds, gate.set)
    timer.start()
    try:
        answered = client.post(challenge["url"], {})
        assert answered.json()["status"] == "processing", answered.text
        retry_after = answered.headers["Retry-After"]
        polled = client.get(challenge["url"])
        if polled.json()["status"] == "processing":
            assert polled.headers["Retry-After"] == retry_after
    finally:
        timer.join()
    poll_resource(client, authz_url, lambda d: d["status"] == "valid", "authz valid")
    return retry_after


def test_retry_after_is_the_expected_time_capped_by_the_retry_interval(
    fresh: AcmehubServer, responder: Http01Responder
) -> None:
    profiles = Profiles(fresh)
    patient = profiles.acme_profile(retry_interval=30)
    brisk = profiles.acme_profile(retry_interval=2)
    with fresh.client() as http:
        client = account(http, fresh.directory_url(patient.name))
        # The first validation of this server: no figure yet, so 1 s, not the 30 s interval.
        assert held_validation(client, responder, 2.6) == "1"
        # Now the recent validations took about 2.6 s: "3".
        assert held_validation(client, responder, 0.05) == "3"
        # The profile's retry interval stays the ceiling.
        other = account(http, fresh.directory_url(brisk.name))
        assert held_validation(other, responder, 0.05) == "2"
