"""certbot's ACME Renewal Information (RFC 9773) against a live acmehub, under both URL families:
``certbot renew`` asks renewalInfo and renews only once an administrator moved the window."""

from __future__ import annotations

from pathlib import Path

import pytest

from acmehub.services.admin import CLI_ACTOR
from acmehub.services.commands.renewal import RenewalScopeKind, RenewEarlyRequest
from tests.integration.conftest import Profiles
from tests.interop.test_certbot import Certbot
from tests.support.interop import Transcript, assert_issued, domain_for
from tests.support.server import AcmehubServer

pytestmark = pytest.mark.interop

RENEW = ("renew", "--cert-name", "ari", "--no-random-sleep-on-renew")


@pytest.fixture
def ari_certbot(
    tmp_path: Path, transcript: Transcript, acmehub: AcmehubServer, family: str
) -> Certbot:
    """certbot on a profile whose renewalInfo says "ask again at once" (Retry-After: 0), so
    that each ``certbot renew`` asks (certbot otherwise waits for Retry-After to pass)."""
    profiles = Profiles(acmehub)
    acme = profiles.acme_profile(renewal_info_retry_after=0)
    name = acme.name
    if family == "raProfile":
        name = profiles.ra_profile(acme).name
    server = acmehub.directory_url(name, family)
    bot = Certbot(transcript, tmp_path, server, acmehub, "ari@acmehub.example.com")
    transcript.logs.append(bot.log)
    return bot


def test_renew_follows_the_renewal_window(
    ari_certbot: Certbot, acmehub: AcmehubServer, request: pytest.FixtureRequest, family: str
) -> None:
    certbot = ari_certbot
    names = {domain_for(request, family, "ari.test")}
    certbot.certonly_http01("ari", names)
    fullchain = certbot.live("ari") / "fullchain.pem"
    first = assert_issued(fullchain, names, acmehub)

    # The default window lies in the last third of the lifetime: not yet.
    run = certbot.run(*RENEW)
    assert "not yet due for renewal" in run.stdout + run.stderr
    assert "/renewal-info/" in certbot.log.read_text()  # certbot asked renewalInfo
    assert assert_issued(fullchain, names, acmehub).serial_number == first.serial_number

    # An incident: the administrator moves this certificate's window into the past.
    moved = acmehub.container().services.renewal_info.renew_early(
        CLI_ACTOR,
        RenewEarlyRequest(
            scope=RenewalScopeKind.CERTIFICATE, target=format(first.serial_number, "x")
        ),
    )
    assert moved.moved == 1

    certbot.run(*RENEW)
    second = assert_issued(fullchain, names, acmehub)
    assert second.serial_number != first.serial_number
    archived = sorted((certbot.config_dir / "archive" / "ari").glob("cert*.pem"))
    assert [p.name for p in archived] == ["cert1.pem", "cert2.pem"]
