"""certbot's certificate profile options (draft-ietf-acme-profiles; certbot 4.0+, the pinned
one is 5.8) against a live acmehub, under both URL families: --required-profile issues under
that profile, --preferred-profile falls back to the default when the directory does not list
the name, and a required name the server does not offer fails with invalidProfile."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography import x509

from tests.interop.test_certbot import Certbot, certbot  # noqa: F401 (the fixture)
from tests.support.interop import assert_issued, domain_for
from tests.support.server import AcmehubServer

pytestmark = pytest.mark.interop

INVALID_PROFILE = "urn:ietf:params:acme:error:invalidProfile"


def _lifetime(cert: x509.Certificate) -> timedelta:
    return cert.not_valid_after_utc - cert.not_valid_before_utc


def _crl_dp(cert: x509.Certificate) -> bool:
    try:
        cert.extensions.get_extension_for_class(x509.CRLDistributionPoints)
    except x509.ExtensionNotFound:
        return False
    return True


def test_required_profile_shortlived(
    certbot: Certbot,  # noqa: F811
    acmehub: AcmehubServer,
    request: pytest.FixtureRequest,
    family: str,
) -> None:
    names = {domain_for(request, family, "profiles.test")}
    certbot.certonly_http01("short", names, extra=("--required-profile", "shortlived"))
    leaf = assert_issued(certbot.live("short") / "fullchain.pem", names, acmehub)
    assert _lifetime(leaf) == timedelta(days=7)
    assert not _crl_dp(leaf)
    # certbot keeps the choice for its renewals.
    renewal = (certbot.config_dir / "renewal" / "short.conf").read_text()
    assert "required_profile = shortlived" in renewal


def test_preferred_profile_not_offered_falls_back_to_the_default(
    certbot: Certbot,  # noqa: F811
    acmehub: AcmehubServer,
    request: pytest.FixtureRequest,
    family: str,
) -> None:
    names = {domain_for(request, family, "profiles.test")}
    certbot.certonly_http01("fallback", names, extra=("--preferred-profile", "classic"))
    leaf = assert_issued(certbot.live("fallback") / "fullchain.pem", names, acmehub)
    assert _lifetime(leaf) == timedelta(days=90)  # tlsserver, the default
    assert _crl_dp(leaf)


def test_required_profile_not_offered_fails(
    certbot: Certbot,  # noqa: F811
    request: pytest.FixtureRequest,
    family: str,
) -> None:
    names = {domain_for(request, family, "profiles.test")}
    run = certbot.certonly_http01(
        "refused", names, extra=("--required-profile", "classic"), check=False
    )
    assert run.returncode != 0
    assert certbot.raised_problems() == [INVALID_PROFILE]
