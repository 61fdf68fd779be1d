"""``--preferred-chain`` of certbot 5.8.0 and lego 4.9.1 against an Authority whose issuing CA
is cross-signed (RFC 8555 §7.4.2): each client follows Link rel="alternate" and keeps the chain
whose topmost certificate was issued by the named root, under both URL families; without the
option they keep the default chain."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from acmehub.services.admin import CLI_ACTOR
from tests.interop.test_certbot import Certbot
from tests.interop.test_lego import Lego, http01
from tests.support.interop import Transcript, domain_for, load_chain
from tests.support.server import AcmehubServer

pytestmark = pytest.mark.interop


def issuer_cn(certificate: x509.Certificate) -> str:
    return str(certificate.issuer.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)


@pytest.fixture
def crossed(acmehub: AcmehubServer, family: str) -> tuple[str, str]:
    """(directory URL, the alternate root's common name) of a fresh cross-signed Authority."""
    services = acmehub.container().services
    name = f"Crossed {secrets.token_hex(3)}"
    authority = services.authorities.create_embedded(CLI_ACTOR, name).authority
    services.authorities.cross_sign(CLI_ACTOR, authority.uuid)
    platform = services.platform
    ra = platform.create_ra_profile(authority.uuid, f"ra-chain-{secrets.token_hex(4)}")
    acme = platform.create_acme_profile(
        f"acme-chain-{secrets.token_hex(4)}",
        enabled=True,
        retry_interval=1,
        default_ra_profile_uuid=ra.uuid,
    )
    if family == "raProfile":
        platform.activate_acme(ra.uuid, acme.uuid)
        return acmehub.directory_url(ra.name, "raProfile"), f"{name} Alternate Root CA 1"
    return acmehub.directory_url(acme.name, "acme"), f"{name} Alternate Root CA 1"


@pytest.mark.parametrize("preferred", [True, False])
def test_preferred_chain_picks_the_cross_signed_chain(
    tmp_path: Path,
    transcript: Transcript,
    acmehub: AcmehubServer,
    crossed: tuple[str, str],
    request: pytest.FixtureRequest,
    family: str,
    preferred: bool,
) -> None:
    directory, alternate_root = crossed
    certbot = Certbot(transcript, tmp_path, directory, acmehub, "interop@acmehub.example.com")
    transcript.logs.append(certbot.log)
    name = domain_for(request, family, "chains.test")
    choice = ["--preferred-chain", alternate_root] if preferred else []
    certbot.run(
        "certonly",
        *certbot.registration(),
        "--cert-name", "chains",
        "-d", name,
        *choice,
        "--standalone",
        "--preferred-challenges", "http",
        "--http-01-address", "127.0.0.1",
        "--http-01-port", str(acmehub.http01_port),
    )  # fmt: skip
    chain = load_chain(certbot.live("chains") / "chain.pem")
    topmost = issuer_cn(chain[-1])
    if preferred:
        assert topmost == alternate_root
    else:
        assert topmost.endswith(" Root CA")
        assert "Alternate" not in topmost


@pytest.mark.parametrize("preferred", [True, False])
def test_lego_preferred_chain(
    tmp_path: Path,
    transcript: Transcript,
    acmehub: AcmehubServer,
    crossed: tuple[str, str],
    request: pytest.FixtureRequest,
    family: str,
    preferred: bool,
) -> None:
    directory, alternate_root = crossed
    name = domain_for(request, family, "lego-chains.test")
    lego = Lego(transcript, tmp_path, directory, acmehub, [name], http01(acmehub))
    lego.run("run", *(["--preferred-chain", alternate_root] if preferred else []))
    topmost = issuer_cn(load_chain(lego.file(".crt"))[-1])
    if preferred:
        assert topmost == alternate_root
    else:
        assert "Alternate" not in topmost
