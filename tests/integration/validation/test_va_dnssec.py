"""DNSSEC-validated CAA and dns-01 answers against a real validating resolver: BIND serves two
zones signed by dnssec-signzone on loopback, unbound validates them from trust anchors (the
DS sets). ``acmehubsigned.`` is signed correctly; in ``acmehubbogus.`` a signed record was
changed after signing, so the validator answers SERVFAIL. Each zone is a TLD of its own so
that tree climbing never leaves the loopback servers."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dns.exception
import dns.flags
import dns.message
import dns.query
import pytest

from acmehub.domain.errors import ErrorKind
from acmehub.domain.model import ChallengeType, Identifier, ValidationTask
from acmehub.validation import ValidationAuthority, VaSettings, expected_txt
from tests.support.va import blocking

pytestmark = pytest.mark.timeout(60)

TOOLS = ("named", "unbound", "dnssec-keygen", "dnssec-signzone")
US = "ca.acmehub.example"
KEY_AUTHORIZATION = "token.thumbprint"
LOOPBACK = "127.0.0.1"


def zone_text(origin: str) -> str:
    return f"""$ORIGIN {origin}.
$TTL 60
@ IN SOA ns.{origin}. hostmaster.{origin}. 1 60 60 600 60
@ IN NS ns.{origin}.
ns IN A {LOOPBACK}
@ IN CAA 0 issue "{US}"
www IN A {LOOPBACK}
_acme-challenge.www IN TXT "{expected_txt(KEY_AUTHORIZATION)}"
"""


def sign(directory: Path, origin: str) -> Path:
    """The zone signed with a new KSK and ZSK; the DS set is written beside it."""
    source = directory / f"{origin}.db"
    source.write_text(zone_text(origin))
    for extra in (["-f", "KSK"], []):
        subprocess.run(
            [
                "dnssec-keygen",
                "-q",
                "-K",
                str(directory),
                "-a",
                "ECDSAP256SHA256",
                *extra,
                "-n",
                "ZONE",
                origin,
            ],
            check=True,
            capture_output=True,
            cwd=directory,
        )
    signed = directory / f"{origin}.signed"
    subprocess.run(
        [
            "dnssec-signzone",
            "-q",
            "-K",
            str(directory),
            "-S",
            "-o",
            origin,
            "-f",
            str(signed),
            str(source),
        ],
        check=True,
        capture_output=True,
        cwd=directory,
    )
    return signed


def free_udp_tcp_port() -> int:
    """A loopback port free for both UDP and TCP when asked (DNS listens on both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind((LOOPBACK, 0))
            port = int(tcp.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind((LOOPBACK, port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no free loopback port")


@dataclass
class Resolvers:
    port: int  # unbound, validating


def _wait_for_dns(port: int, proc: subprocess.Popen[bytes], deadline: float) -> None:
    query = dns.message.make_query("acmehubsigned.", "SOA")
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"DNS server on port {port} exited with {proc.returncode}")
        try:
            dns.query.udp(query, LOOPBACK, port=port, timeout=0.2)
            return
        except (dns.exception.Timeout, OSError):
            if time.monotonic() > deadline:
                raise


@pytest.fixture(scope="module")
def validating_resolver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Resolvers]:
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        pytest.skip(f"not installed: {', '.join(missing)} (Debian: bind9, unbound)")
    directory = tmp_path_factory.mktemp("dnssec")
    signed = sign(directory, "acmehubsigned")
    bogus = sign(directory, "acmehubbogus")
    # A record changed after signing: its RRSIG no longer verifies.
    bogus.write_text(bogus.read_text().replace(f'"{US}"', '"tampered.example"'))
    named_port, unbound_port = free_udp_tcp_port(), free_udp_tcp_port()
    (directory / "named.conf").write_text(
        f"""options {{
  directory "{directory}";
  pid-file "{directory}/named.pid";
  session-keyfile "{directory}/session.key";
  managed-keys-directory "{directory}";
  listen-on port {named_port} {{ {LOOPBACK}; }};
  listen-on-v6 {{ none; }};
  recursion no;
  dnssec-validation no;
}};
zone "acmehubsigned" {{ type primary; file "{signed}"; }};
zone "acmehubbogus" {{ type primary; file "{bogus}"; }};
"""
    )
    (directory / "unbound.conf").write_text(
        f"""server:
  interface: {LOOPBACK}
  port: {unbound_port}
  do-ip6: no
  do-not-query-localhost: no
  do-daemonize: no
  username: ""
  chroot: ""
  directory: "{directory}"
  pidfile: "{directory}/unbound.pid"
  use-syslog: no
  logfile: ""
  module-config: "validator iterator"
  trust-anchor-file: "{directory}/dsset-acmehubsigned."
  trust-anchor-file: "{directory}/dsset-acmehubbogus."
  cache-max-ttl: 0
stub-zone:
  name: "acmehubsigned"
  stub-addr: {LOOPBACK}@{named_port}
stub-zone:
  name: "acmehubbogus"
  stub-addr: {LOOPBACK}@{named_port}
"""
    )
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for command, port in (
            (["named", "-g", "-c", str(directory / "named.conf")], named_port),
            (["unbound", "-d", "-c", str(directory / "unbound.conf")], unbound_port),
        ):
            with (directory / f"{command[0]}.log").open("wb") as log:
                procs.append(subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT))
            _wait_for_dns(port, procs[-1], time.monotonic() + 15)
        yield Resolvers(unbound_port)
    finally:
        for proc in reversed(procs):  # by their own PIDs
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


def task(resolver: Resolvers, name: str, **changes: object) -> ValidationTask:
    values: dict[str, object] = {
        "challenge_id": "chall-dnssec",
        "type": ChallengeType.DNS_01,
        "identifier": Identifier("dns", name),
        "token": "token",
        "key_authorization": KEY_AUTHORIZATION,
        "dns_resolver_ip": LOOPBACK,
        "dns_resolver_port": resolver.port,
        "caa_checking": True,
        "caa_issuer_domains": (US,),
        "dnssec_required": True,
    }
    values.update(changes)
    return ValidationTask(**values)  # type: ignore[arg-type]


def validate(t: ValidationTask):
    return blocking(ValidationAuthority(VaSettings(timeout=5.0))).validate(t)


def test_the_resolver_validates(validating_resolver: Resolvers) -> None:
    query = dns.message.make_query("acmehubsigned.", "CAA", want_dnssec=True)
    answer = dns.query.udp(query, LOOPBACK, port=validating_resolver.port, timeout=5)
    assert answer.flags & dns.flags.AD


def test_validated_answers_permit(validating_resolver: Resolvers) -> None:
    # www has no CAA (authenticated denial), its parent names us; the TXT matches.
    result = validate(task(validating_resolver, "www.acmehubsigned"))
    assert result.ok, (result.problem, result.attempts)
    assert f'CAA acmehubsigned: 0 issue "{US}"' in result.attempts


def test_a_bogus_zone_refuses_with_type_dns(validating_resolver: Resolvers, expect_problem) -> None:
    expect_problem(
        validate(task(validating_resolver, "www.acmehubbogus")),
        ErrorKind.DNS,
        "SERVFAIL",
    )


def test_validated_caa_still_refuses_another_ca(
    validating_resolver: Resolvers, expect_problem
) -> None:
    expect_problem(
        validate(task(validating_resolver, "www.acmehubsigned", caa_issuer_domains=("other",))),
        ErrorKind.CAA,
        f'CAA record for acmehubsigned prevents issuance: 0 issue "{US}"',
    )
