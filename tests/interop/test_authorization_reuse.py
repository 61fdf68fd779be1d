"""Authorization reuse with real clients: under an ACME profile that reuses valid
authorizations, a second certificate for the same names needs no challenge. certbot 5.8 and
lego 4.9 both skip an authorization the server returns valid; neither sends newAuthz (RFC 8555
§7.4.1) nor speaks RFC 9444, which tests/integration covers with our own client code."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import Profiles
from tests.interop.test_certbot import CERTBOT, Certbot, domains
from tests.interop.test_lego import Lego, http01
from tests.support.interop import Transcript, assert_issued, domain_for
from tests.support.server import AcmehubServer

pytestmark = pytest.mark.interop


@pytest.fixture
def reuse_directory(acmehub: AcmehubServer, family: str) -> str:
    """The directory of a fresh ACME profile that reuses authorizations for a day."""
    profiles = Profiles(acmehub)
    acme = profiles.acme_profile(authorization_reuse=86400)
    if family == "acme":
        return acmehub.directory_url(acme.name, "acme")
    return acmehub.directory_url(profiles.ra_profile(acme).name, "raProfile")


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A loopback port something already listens on: a client that had to answer http-01 there
    could not."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        yield held.getsockname()[1]


def test_certbot_gets_a_second_certificate_without_a_challenge(
    tmp_path: Path,
    transcript: Transcript,
    acmehub: AcmehubServer,
    reuse_directory: str,
    request: pytest.FixtureRequest,
    family: str,
) -> None:
    bot = Certbot(transcript, tmp_path, reuse_directory, acmehub, "reuse@acmehub.example.com")
    transcript.logs.append(bot.log)
    names = {domain_for(request, family, "reuse.test")}
    bot.certonly_http01("first", names)
    first = assert_issued(bot.live("first") / "fullchain.pem", names, acmehub)
    marker = tmp_path / "auth-hook-ran"
    # A manual auth hook that fails (and leaves a mark) if certbot ever needs a challenge.
    bot.run(
        "certonly",
        *bot.registration(),
        "--cert-name", "second",
        *domains(sorted(names)),
        "--manual",
        "--preferred-challenges", "http",
        "--manual-auth-hook", f"touch {marker}; false",
    )  # fmt: skip
    assert not marker.exists()
    second = assert_issued(bot.live("second") / "fullchain.pem", names, acmehub)
    assert second.serial_number != first.serial_number
    assert CERTBOT.exists()


def test_lego_renews_without_a_challenge(
    tmp_path: Path,
    transcript: Transcript,
    acmehub: AcmehubServer,
    reuse_directory: str,
    busy_port: int,
    request: pytest.FixtureRequest,
    family: str,
) -> None:
    lego = Lego(transcript, tmp_path, reuse_directory, acmehub, [], [])
    lego.names = [domain_for(request, family, "reuse-lego.test")]
    lego.challenge = http01(acmehub)
    lego.run("run")
    first = assert_issued(lego.file(".crt"), set(lego.names), acmehub)
    # The http-01 port is taken now: the renewal works only if no challenge is needed.
    lego.challenge = ["--http", "--http.port", f"127.0.0.1:{busy_port}"]
    lego.run("renew", "--days", "999", "--no-random-sleep")
    second = assert_issued(lego.file(".crt"), set(lego.names), acmehub)
    assert second.serial_number != first.serial_number
