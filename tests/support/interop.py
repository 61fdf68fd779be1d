"""Helpers for the interop tests: bounded client runs, transcripts and certificate checks.

Every client run is a bounded subprocess whose command and output are kept in a per-test
``transcript``; when a test fails, the transcript, the clients' own log files and the tail of
acmehub's log are attached to the report, so a red test says what the client and server saw.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.verification import PolicyBuilder, Store

from tests.support.server import AcmehubServer

#: Upper bound on any one client run (registration, validation, issuance).
CLIENT_TIMEOUT = 120.0
LOG_TAIL_CHARS = 6000
FAMILIES = ("acme", "raProfile")
HOOKS = Path(__file__).parent.parent / "interop" / "hooks"
#: Variables that would send the clients' loopback traffic elsewhere.
_PROXY_VARS = {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}


def _tail(path: Path, chars: int = LOG_TAIL_CHARS) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError as exc:
        return f"(cannot read {path}: {exc})"


def client_env(**extra: str) -> dict[str, str]:
    """The test process's environment without proxy settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k.lower() not in _PROXY_VARS}
    env.update(extra)
    return env


@dataclass(frozen=True)
class ClientRun:
    args: tuple[str, ...]
    returncode: int | None  # None: killed on timeout
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def describe(self) -> str:
        rc = "timed out" if self.returncode is None else f"exit {self.returncode}"
        return (
            f"$ {' '.join(self.args)}\n({rc})\n"
            f"--- stdout ---\n{self.stdout}\n--- stderr ---\n{self.stderr}"
        )


@dataclass
class Transcript:
    """What the clients of one test ran and printed, and which logs to show on failure."""

    acmehub: AcmehubServer
    runs: list[ClientRun] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    def run(
        self, args: Sequence[str], env: dict[str, str], *, cwd: Path, check: bool = True
    ) -> ClientRun:
        """Run a client to completion (bounded by CLIENT_TIMEOUT); fail the test if ``check``
        and it did not exit 0."""
        argv = tuple(str(a) for a in args)
        try:
            done = subprocess.run(
                argv,
                env=env,
                cwd=cwd,
                capture_output=True,
                text=True,
                timeout=CLIENT_TIMEOUT,
                check=False,
                stdin=subprocess.DEVNULL,
            )
            result = ClientRun(argv, done.returncode, done.stdout, done.stderr)
        except subprocess.TimeoutExpired as exc:
            result = ClientRun(argv, None, _text(exc.stdout), _text(exc.stderr))
        self.runs.append(result)
        if result.returncode is None:
            pytest.fail(f"client timed out after {CLIENT_TIMEOUT}s: {argv[0]} {argv[1]}")
        if check and result.returncode != 0:
            pytest.fail(f"client failed: {' '.join(argv[:2])} (exit {result.returncode})")
        return result

    def sections(self) -> list[tuple[str, str]]:
        out = [(f"client run {i + 1}", run.describe()) for i, run in enumerate(self.runs)]
        out += [(f"log tail: {path}", _tail(path)) for path in self.logs if path.exists()]
        out.append((f"acmehub log tail: {self.acmehub.log_path}", _tail(self.acmehub.log_path)))
        return out


def _text(data: str | bytes | None) -> str:
    if data is None:
        return ""
    return data.decode(errors="replace") if isinstance(data, bytes) else data


def domain_for(request: pytest.FixtureRequest, family: str, zone: str) -> str:
    """A DNS name unique to this test and family, so tests never share authorizations."""
    test = request.node.originalname.removeprefix("test_").replace("_", "-")
    return f"{test}.{family.lower()}.{zone}"


# --- assertions on what the clients wrote -------------------------------------------------------


def load_chain(path: Path) -> list[x509.Certificate]:
    chain = x509.load_pem_x509_certificates(path.read_bytes())
    assert chain, f"{path} holds no certificate"
    return chain


def sans(cert: x509.Certificate) -> set[str]:
    ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert not ext.value.get_values_for_type(x509.IPAddress)
    return set(ext.value.get_values_for_type(x509.DNSName))


def assert_issued(chain_path: Path, names: set[str], acmehub: AcmehubServer) -> x509.Certificate:
    """The leaf names exactly ``names``, is for serverAuth and chains to acmehub's root."""
    leaf, *intermediates = load_chain(chain_path)
    assert sans(leaf) == names
    eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.SERVER_AUTH in eku
    roots = x509.load_pem_x509_certificates(acmehub.ca_bundle.read_bytes())
    builder = PolicyBuilder().store(Store(roots)).time(datetime.now(UTC))
    for name in sorted(names):
        # A wildcard SAN covers any one label in its place.
        subject = x509.DNSName("host" + name[1:] if name.startswith("*.") else name)
        verified = builder.build_server_verifier(subject).verify(leaf, intermediates)
        assert verified[0] == leaf
        assert verified[-1] in roots
    return leaf


def crl_for(
    leaf: x509.Certificate, issuer: x509.Certificate, acmehub: AcmehubServer
) -> x509.CertificateRevocationList:
    """The CRL at the leaf's CRL distribution point, fetched over HTTPS and signature-checked."""
    points = leaf.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    urls = [
        name.value
        for point in points
        for name in point.full_name or ()
        if isinstance(name, x509.UniformResourceIdentifier)
    ]
    assert urls, "the certificate names no CRL distribution point URL"
    with acmehub.client() as http:
        response = http.get(urls[0])
    assert response.status_code == 200, response.text
    body = response.content
    crl = (
        x509.load_pem_x509_crl(body)
        if body.startswith(b"-----BEGIN")
        else x509.load_der_x509_crl(body)
    )
    assert crl.issuer == leaf.issuer
    assert crl.is_signature_valid(issuer.public_key())
    return crl


def assert_revoked(
    chain_path: Path, acmehub: AcmehubServer, reason: x509.ReasonFlags
) -> x509.CertificateRevocationList:
    """The CRL the leaf points to lists its serial with ``reason``; returns that CRL."""
    leaf, issuer, *_ = load_chain(chain_path)
    crl = crl_for(leaf, issuer, acmehub)
    entry = crl.get_revoked_certificate_by_serial_number(leaf.serial_number)
    assert entry is not None, f"serial {leaf.serial_number:x} is not on the CRL"
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason == reason
    return crl
