"""Where validation may connect, as an ACME client sees it (issue 15 §1): a challenge whose
name points at a refused address becomes invalid with a problem that names the address and
the rule, through the live server over HTTP.

``strict`` is a server with the default policy (no allowed networks); the session's servers
allow 127.0.0.0/8 as every loopback test set-up must. The ``internal`` / ``public`` test makes
a host on a private address itself: a network namespace behind a veth pair.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from acmehub.domain.model import AcmeProfile, ValidationNetwork
from tests.jws_signer import AccountKey
from tests.support.acme_client import AcmeClient
from tests.support.challtestsrv import ChallTestSrv
from tests.support.http01 import Http01Responder
from tests.support.netns import private_host, unavailable
from tests.support.procs import poll
from tests.support.server import AcmehubServer

pytestmark = pytest.mark.timeout(90)

ACME_ERROR = "urn:ietf:params:acme:error:"
WAIT_SECONDS = 20.0


@pytest.fixture(scope="module")
def strict(
    tmp_path_factory: pytest.TempPathFactory, dns_server: ChallTestSrv
) -> Iterator[AcmehubServer]:
    """acmehub as deployed: validation_allowed_networks left empty."""
    root = tmp_path_factory.mktemp("acmehub-strict")
    server = AcmehubServer(
        root / "state", dns_port=dns_server.dns_port, ACMEHUB_VALIDATION_ALLOWED_NETWORKS=""
    ).start()
    yield server
    server.stop()


def new_name() -> str:
    return f"v{secrets.token_hex(5)}.acmehub-test.com"


def profile(server: AcmehubServer, network: ValidationNetwork) -> AcmeProfile:
    platform = server.container().services.platform
    with server.container().services.deps.uow() as tx:
        ra = tx.profiles.ra_profile_by_name("default")
    assert ra is not None
    created: AcmeProfile = platform.create_acme_profile(
        f"net-{network}-{secrets.token_hex(3)}",
        enabled=True,
        retry_interval=1,
        default_ra_profile_uuid=ra.uuid,
        validation_network=network,
    )
    assert created.validation_network is network
    return created


class Attempt:
    """One account, one order for one name, its http-01 challenge."""

    def __init__(self, server: AcmehubServer, http: httpx.Client, profile_name: str) -> None:
        self.client = AcmeClient(http, server.directory_url(profile_name))
        self.client.key = AccountKey.generate("ES256")
        assert self.client.register().status_code == 201

    def order(self, name: str) -> dict[str, Any]:
        response = self.client.new_order([name])
        assert response.status_code == 201, response.text
        self.authz_url = response.json()["authorizations"][0]
        authz = self.client.get(self.authz_url).json()
        challenge = next(c for c in authz["challenges"] if c["type"] == "http-01")
        self.token = challenge["token"]
        self.challenge_url = challenge["url"]
        return dict(challenge)

    @property
    def key_authorization(self) -> str:
        return self.client.key_authorization(self.token)

    def respond(self) -> dict[str, Any]:
        """Ask for validation; the authorization once it is decided."""
        assert self.client.post(self.challenge_url, {}).status_code == 200

        def decided() -> dict[str, Any] | None:
            doc: dict[str, Any] = self.client.get(self.authz_url).json()
            return doc if doc["status"] in ("valid", "invalid") else None

        return poll(decided, WAIT_SECONDS, "the authorization decided", interval=0.05)


def challenge_error(authz: dict[str, Any]) -> dict[str, Any]:
    assert authz["status"] == "invalid", authz
    challenge = next(c for c in authz["challenges"] if c["type"] == "http-01")
    assert challenge["status"] == "invalid"
    error: dict[str, Any] = challenge["error"]
    return error


def test_a_name_on_loopback_is_refused_by_default(strict, dns_server, tmp_path):
    responder = Http01Responder(strict.http01_port).start()
    try:
        with strict.client() as http:
            attempt = Attempt(strict, http, "default")
            name = new_name()  # the test DNS answers 127.0.0.1
            attempt.order(name)
            responder.answers[attempt.token] = attempt.key_authorization

            error = challenge_error(attempt.respond())

        assert error["type"] == ACME_ERROR + "dns"
        assert "127.0.0.1 is a loopback address" in error["detail"]
        assert "refused by the validation network policy (internal)" in error["detail"]
        assert responder.fetches[attempt.token] == 0  # nothing connected
    finally:
        responder.stop()


def test_a_redirect_to_the_metadata_service_is_refused(acmehub, dns_server):
    """The session's server allows loopback (the responder is there), never 169.254.0.0/16."""
    responder = Http01Responder(acmehub.http01_port).start()
    try:
        with acmehub.client() as http:
            attempt = Attempt(acmehub, http, "default")
            attempt.order(new_name())
            responder.redirects[attempt.token] = "http://169.254.169.254/latest/meta-data/"

            error = challenge_error(attempt.respond())

        assert error["type"] == ACME_ERROR + "connection"
        assert "169.254.169.254 is a link-local address" in error["detail"]
        assert "refused by the validation network policy" in error["detail"]
        assert responder.fetches[attempt.token] == 1
    finally:
        responder.stop()


def test_a_private_host_is_valid_under_internal_refused_under_public(
    strict, dns_server: ChallTestSrv, tmp_path: Path
):
    reason = unavailable()
    if reason is not None:
        pytest.skip(f"needs a network namespace for a host on 10.77.x.x: {reason}")
    internal = profile(strict, ValidationNetwork.INTERNAL)
    public = profile(strict, ValidationNetwork.PUBLIC)
    with private_host(tmp_path / "answers", strict.http01_port) as host, strict.client() as http:
        name = new_name()
        dns_server.set_a(name, [host.address])

        allowed = Attempt(strict, http, internal.name)
        allowed.order(name)
        host.answer(allowed.token, allowed.key_authorization)
        assert allowed.respond()["status"] == "valid"

        refused = Attempt(strict, http, public.name)
        refused.order(name)
        host.answer(refused.token, refused.key_authorization)
        error = challenge_error(refused.respond())
        assert error["type"] == ACME_ERROR + "dns"
        assert f"{host.address} is a private address (10.0.0.0/8)" in error["detail"]
        assert "refused by the validation network policy (public)" in error["detail"]

        # The private host may not send the validation to this machine's loopback.
        redirected = Attempt(strict, http, internal.name)
        redirected.order(name)
        host.redirect(redirected.token, "http://127.0.0.1/")
        error = challenge_error(redirected.respond())
        assert error["type"] == ACME_ERROR + "connection"
        assert "127.0.0.1 is a loopback address" in error["detail"]
