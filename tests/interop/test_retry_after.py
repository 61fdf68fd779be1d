"""Retry-After says when a result is expected, not the profile's retry interval (issue 16 §6,
RFC 8555 §7.5.1 and §8.2): under a profile with retryInterval 30, lego (Debian's 4.9.1, which
sleeps for the Retry-After of a pending authorization) gets its certificate long before 30 s,
through both URL families. The retry interval stays the ceiling (docs/acme-divergences.md)."""

from __future__ import annotations

import secrets
import time
from pathlib import Path

import pytest

from tests.interop.test_lego import Lego, http01
from tests.support.interop import Transcript, assert_issued, domain_for
from tests.support.server import AcmehubServer

pytestmark = pytest.mark.interop

RETRY_INTERVAL = 30


@pytest.fixture
def slow_retry_directory(acmehub: AcmehubServer, family: str) -> str:
    """The directory of a fresh ACME profile with a 30 s retry interval, in ``family``."""
    platform = acmehub.container().services.platform
    with acmehub.container().services.deps.uow() as tx:
        default = tx.profiles.ra_profile_by_name("default")
    assert default is not None
    suffix = secrets.token_hex(4)
    ra = platform.create_ra_profile(default.authority_uuid, f"ra-retry-{suffix}")
    acme = platform.create_acme_profile(
        f"acme-retry-{suffix}",
        enabled=True,
        retry_interval=RETRY_INTERVAL,
        default_ra_profile_uuid=ra.uuid,
    )
    if family == "raProfile":
        platform.activate_acme(ra.uuid, acme.uuid)
        return acmehub.directory_url(ra.name, "raProfile")
    return acmehub.directory_url(acme.name, "acme")


def test_lego_does_not_wait_the_retry_interval(
    tmp_path: Path,
    transcript: Transcript,
    acmehub: AcmehubServer,
    slow_retry_directory: str,
    request: pytest.FixtureRequest,
    family: str,
) -> None:
    name = domain_for(request, family, "retry.test")
    lego = Lego(transcript, tmp_path, slow_retry_directory, acmehub, [name], http01(acmehub))

    started = time.monotonic()
    lego.run("run")
    elapsed = time.monotonic() - started

    assert_issued(lego.file(".crt"), {name}, acmehub)
    # Account, order, one validation of a few milliseconds, finalize: seconds at most. Had
    # Retry-After been the retry interval, lego would have slept 30 s before its first poll.
    assert elapsed < RETRY_INTERVAL / 3, f"lego took {elapsed:.1f} s"
