"""lego (Debian's Go client, /usr/bin/lego) against a live acmehub, under both URL families."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from tests.support.interop import (
    ClientRun,
    Transcript,
    assert_issued,
    assert_revoked,
    client_env,
    domain_for,
    load_chain,
)
from tests.support.server import AcmehubServer

pytestmark = pytest.mark.interop

LEGO = shutil.which("lego") or "/usr/bin/lego"


@dataclass
class Lego:
    """One lego data directory (--path) talking to one directory URL for one set of names."""

    transcript: Transcript
    home: Path
    server: str
    acmehub: AcmehubServer
    names: list[str]  # the first one names lego's certificate files
    challenge: list[str]  # --http/--tls and their listen address

    def run(self, *command: str, check: bool = True) -> ClientRun:
        argv = [
            LEGO,
            "--server", self.server,
            "--accept-tos",
            "--email", "interop@acmehub.example.com",
            "--path", str(self.home / "lego"),
            *[arg for name in self.names for arg in ("--domains", name)],
            *self.challenge,
            *command,
        ]  # fmt: skip
        env = client_env(LEGO_CA_CERTIFICATES=str(self.acmehub.ca_bundle))
        return self.transcript.run(argv, env, cwd=self.home, check=check)

    def file(self, suffix: str) -> Path:
        # lego names the files after the first domain, a wildcard's "*" spelled "_".
        return self.home / "lego" / "certificates" / f"{self.names[0].replace('*', '_')}{suffix}"


@pytest.fixture
def lego(
    tmp_path: Path, transcript: Transcript, acmehub: AcmehubServer, directory_url: str
) -> Lego:
    return Lego(transcript, tmp_path, directory_url, acmehub, [], [])


def http01(acmehub: AcmehubServer) -> list[str]:
    return ["--http", "--http.port", f"127.0.0.1:{acmehub.http01_port}"]


def tlsalpn01(acmehub: AcmehubServer) -> list[str]:
    return ["--tls", "--tls.port", f"127.0.0.1:{acmehub.tlsalpn01_port}"]


def assert_key_matches(lego: Lego, leaf: x509.Certificate) -> None:
    key = serialization.load_pem_private_key(lego.file(".key").read_bytes(), None)
    assert key.public_key() == leaf.public_key()


def test_http01_run_renew_revoke(
    lego: Lego, acmehub: AcmehubServer, request: pytest.FixtureRequest, family: str
) -> None:
    base = domain_for(request, family, "lego.test")
    lego.names = [base, f"www.{base}"]
    lego.challenge = http01(acmehub)

    lego.run("run")

    bundle = lego.file(".crt")
    first = assert_issued(bundle, set(lego.names), acmehub)
    assert_key_matches(lego, first)
    assert load_chain(lego.file(".issuer.crt")) == load_chain(bundle)[1:]

    # --days 999 is longer than any certificate we issue, so the renewal always happens.
    lego.run("renew", "--days", "999", "--no-random-sleep")

    second = assert_issued(bundle, set(lego.names), acmehub)
    assert second.serial_number != first.serial_number
    assert_key_matches(lego, second)

    # lego signs revocations with the account key: keyCompromise (1) needs proof of the
    # certificate's key (issue 15 §6), so it is refused, and nothing is revoked.
    refused = lego.run("revoke", "--reason", "1", "--keep", check=False)
    assert refused.returncode != 0
    assert "badRevocationReason" in refused.output, refused.describe()
    lego.run("revoke", "--reason", "4", "--keep")  # 4: superseded (RFC 5280 §5.3.1)

    crl = assert_revoked(bundle, acmehub, x509.ReasonFlags.superseded)
    # Only the renewed certificate was revoked, not the one it replaced.
    assert crl.get_revoked_certificate_by_serial_number(first.serial_number) is None


def test_tlsalpn01(
    lego: Lego, acmehub: AcmehubServer, request: pytest.FixtureRequest, family: str
) -> None:
    lego.names = [domain_for(request, family, "lego.test")]
    lego.challenge = tlsalpn01(acmehub)

    lego.run("run")

    leaf = assert_issued(lego.file(".crt"), set(lego.names), acmehub)
    assert_key_matches(lego, leaf)
