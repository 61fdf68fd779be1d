"""certbot and lego against a profile that offers dns-account-01 and dns-persist-01: neither
pinned version speaks them (docs/dns-challenges.md), so they must pass them over and still get
their certificates with http-01, through both URL families."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from tests.interop.test_certbot import Certbot
from tests.interop.test_lego import Lego, http01
from tests.support.interop import Transcript, assert_issued, domain_for
from tests.support.server import AcmehubServer

pytestmark = pytest.mark.interop


@pytest.fixture
def newer_directory_url(acmehub: AcmehubServer, family: str) -> str:
    """The directory of a new ACME profile offering both types (its RA profile's, for the
    RA-profile family)."""
    platform = acmehub.container().services.platform
    with acmehub.container().services.deps.uow() as tx:
        default = tx.profiles.ra_profile_by_name("default")
    assert default is not None
    suffix = secrets.token_hex(4)
    ra = platform.create_ra_profile(default.authority_uuid, f"ra-newdns-{suffix}")
    acme = platform.create_acme_profile(
        f"acme-newdns-{suffix}",
        enabled=True,
        default_ra_profile_uuid=ra.uuid,
        caa_identities=("ca.acmehub.example",),
        offer_dns_account_01=True,
        offer_dns_persist_01=True,
        retry_interval=1,
    )
    if family == "acme":
        return acmehub.directory_url(acme.name, "acme")
    platform.activate_acme(ra.uuid, acme.uuid)
    return acmehub.directory_url(ra.name, "raProfile")


def test_lego_passes_the_newer_types_over(
    tmp_path: Path,
    transcript: Transcript,
    acmehub: AcmehubServer,
    newer_directory_url: str,
    request: pytest.FixtureRequest,
    family: str,
) -> None:
    lego = Lego(transcript, tmp_path, newer_directory_url, acmehub, [], http01(acmehub))
    lego.names = [domain_for(request, family, "lego.test")]
    lego.run("run")
    assert_issued(lego.file(".crt"), set(lego.names), acmehub)


def test_certbot_passes_the_newer_types_over(
    tmp_path: Path,
    transcript: Transcript,
    acmehub: AcmehubServer,
    newer_directory_url: str,
    request: pytest.FixtureRequest,
    family: str,
) -> None:
    certbot = Certbot(
        transcript, tmp_path, newer_directory_url, acmehub, "interop@acmehub.example.com"
    )
    transcript.logs.append(certbot.log)
    names = {domain_for(request, family, "certbot.test")}
    certbot.certonly_http01("newdns", names)
    assert_issued(certbot.live("newdns") / "fullchain.pem", names, acmehub)
