"""Real clients with IP address identifiers (RFC 8738), under both URL families of a profile
whose RA profile allows 127.0.0.0/8.

* certbot 5.8.0 (``--ip-address``, since certbot 5.x) sends an ``ip`` identifier and a CSR with
  an iPAddress SAN; proven here by http-01 (certbot's standalone plugin).
* lego 4.9.1 (Debian's) sends ``--domains 127.0.0.1`` as a *dns* identifier: IP identifiers
  came with lego 4.11.0 (go-acme/lego#1838). acmehub refuses that order with a detail that says
  what to send instead; with lego 4.11 or later the same command gets an IP certificate.
"""

from __future__ import annotations

import ipaddress
import secrets
import subprocess
from pathlib import Path

import pytest
from cryptography import x509

from tests.interop.test_certbot import Certbot
from tests.interop.test_lego import Lego, http01, tlsalpn01
from tests.support.interop import Transcript, load_chain
from tests.support.server import AcmehubServer

pytestmark = pytest.mark.interop

LOOPBACK = ipaddress.ip_address("127.0.0.1")


@pytest.fixture
def ip_directory(acmehub: AcmehubServer, family: str) -> str:
    """The directory of a fresh ACME profile whose RA profile allows 127.0.0.0/8."""
    platform = acmehub.container().services.platform
    with acmehub.container().services.deps.uow() as tx:
        default = tx.profiles.ra_profile_by_name("default")
    assert default is not None
    suffix = secrets.token_hex(4)
    ra = platform.create_ra_profile(
        default.authority_uuid, f"ra-ip-{suffix}", policy={"allowed_ip_networks": ["127.0.0.0/8"]}
    )
    acme = platform.create_acme_profile(
        f"acme-ip-{suffix}", enabled=True, retry_interval=1, default_ra_profile_uuid=ra.uuid
    )
    if family == "raProfile":
        platform.activate_acme(ra.uuid, acme.uuid)
        return acmehub.directory_url(ra.name, "raProfile")
    return acmehub.directory_url(acme.name, "acme")


def ip_sans(path: Path) -> tuple[list[object], list[str]]:
    leaf = load_chain(path)[0]
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return san.get_values_for_type(x509.IPAddress), san.get_values_for_type(x509.DNSName)


def test_certbot_gets_an_ip_certificate(
    tmp_path: Path, transcript: Transcript, acmehub: AcmehubServer, ip_directory: str
) -> None:
    certbot = Certbot(transcript, tmp_path, ip_directory, acmehub, "interop@acmehub.example.com")
    transcript.logs.append(certbot.log)
    certbot.run(
        "certonly",
        *certbot.registration(),
        "--cert-name", "loopback",
        "--ip-address", "127.0.0.1",
        "--standalone",
        "--preferred-challenges", "http",
        "--http-01-address", "127.0.0.1",
        "--http-01-port", str(acmehub.http01_port),
    )  # fmt: skip
    assert ip_sans(certbot.live("loopback") / "cert.pem") == ([LOOPBACK], [])


def _lego_speaks_ip() -> bool:
    """Debian's lego reports its version as "dev"; the package says which it is."""
    try:
        version = subprocess.run(
            ["dpkg-query", "-W", "-f", "${Version}", "lego"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return False
    major, minor = (int(part) for part in version.split("-")[0].split(".")[:2])
    return (major, minor) >= (4, 11)


@pytest.mark.parametrize("challenge", ["http-01", "tls-alpn-01"])
def test_lego_with_an_ip_address(
    tmp_path: Path,
    transcript: Transcript,
    acmehub: AcmehubServer,
    ip_directory: str,
    challenge: str,
) -> None:
    lego = Lego(transcript, tmp_path, ip_directory, acmehub, ["127.0.0.1"], [])
    lego.challenge = http01(acmehub) if challenge == "http-01" else tlsalpn01(acmehub)
    if _lego_speaks_ip():
        lego.run("run")
        assert ip_sans(lego.file(".crt")) == ([LOOPBACK], [])
        return
    refused = lego.run("run", check=False)
    assert refused.returncode != 0
    assert "rejectedIdentifier" in refused.output, refused.describe()
    assert "is an IP address: use an identifier of type ip" in refused.output
