"""Loopback fixtures for the VA: pebble-challtestsrv plus tiny local servers for odd cases.

Everything listens on 127.0.0.1 only. pebble-challtestsrv answers DNS (A/AAAA/TXT, SERVFAIL on
demand) and serves http-01 and tls-alpn-01 responses through its management API. It never
answers NXDOMAIN, 404 or a malformed tls-alpn-01 certificate, so small servers here do.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import secrets
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import dns.exception
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.rrset
import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from acmehub.domain.errors import ErrorKind
from acmehub.domain.model import ChallengeType, Identifier, ValidationResult, ValidationTask
from acmehub.validation.tlsalpn01 import ACME_IDENTIFIER_OID

LOOPBACK = "127.0.0.1"
CHALLTESTSRV = "/usr/bin/pebble-challtestsrv"
STARTUP_SECONDS = 15.0


# --------------------------------------------------------------------------- helpers


def free_port(*, udp_too: bool = False) -> int:
    """A loopback port free for TCP (and UDP when asked) at the time of the call."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind((LOOPBACK, 0))
            port = int(tcp.getsockname()[1])
            if not udp_too:
                return port
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind((LOOPBACK, port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no free loopback port")


def unique_name() -> str:
    return f"h{secrets.token_hex(6)}.acmehub.test"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def key_authorization(token: str) -> str:
    thumbprint = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
    return f"{token}.{thumbprint}"


def make_task(
    kind: ChallengeType,
    name: str,
    *,
    dns_port: int | None,
    token: str | None = None,
    key_auth: str | None = None,
    dns_ip: str | None = LOOPBACK,
) -> ValidationTask:
    token = token or new_token()
    return ValidationTask(
        challenge_id=f"chall-{secrets.token_hex(4)}",
        type=kind,
        identifier=Identifier("dns", name),
        token=token,
        key_authorization=key_auth or key_authorization(token),
        dns_resolver_ip=dns_ip if dns_port is not None else None,
        dns_resolver_port=dns_port,
    )


def assert_problem(result: ValidationResult, kind: ErrorKind, *fragments: str) -> str:
    """The result failed with ``kind``, names its identifier, and its detail has ``fragments``."""
    assert result.problem is not None, f"expected {kind}, validation passed: {result.attempts}"
    problem = result.problem
    assert problem.kind is kind, f"{problem.kind}: {problem.detail}"
    assert problem.identifier is not None
    assert problem.identifier[0] == "dns"
    for fragment in fragments:
        assert fragment in problem.detail, problem.detail
    return problem.detail


def wait_for_tcp(port: int, proc: subprocess.Popen[bytes] | None, deadline: float) -> None:
    """Poll until something accepts on 127.0.0.1:port (waiting on the process between tries)."""
    while True:
        try:
            with socket.create_connection((LOOPBACK, port), timeout=0.5):
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"nothing listens on {LOOPBACK}:{port}")
        if proc is not None:
            try:
                code = proc.wait(timeout=0.05)
            except subprocess.TimeoutExpired:
                continue
            raise RuntimeError(f"pebble-challtestsrv exited with {code}")


# --------------------------------------------------------------------------- challtestsrv


@dataclass
class ChallTestSrv:
    """A pebble-challtestsrv process and its management API."""

    dns_port: int
    http_port: int
    https_port: int
    tlsalpn_port: int
    management_port: int
    proc: subprocess.Popen[bytes] | None = None
    client: httpx.Client | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                CHALLTESTSRV,
                "-dns01",
                f"{LOOPBACK}:{self.dns_port}",
                "-http01",
                f"{LOOPBACK}:{self.http_port}",
                "-https01",
                f"{LOOPBACK}:{self.https_port}",
                "-tlsalpn01",
                f"{LOOPBACK}:{self.tlsalpn_port}",
                "-management",
                f"{LOOPBACK}:{self.management_port}",
                "-defaultIPv4",
                LOOPBACK,
                "-defaultIPv6",
                "",  # no AAAA answers: all traffic stays on 127.0.0.1
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + STARTUP_SECONDS
        for port in (
            self.management_port,
            self.dns_port,
            self.http_port,
            self.https_port,
            self.tlsalpn_port,
        ):
            wait_for_tcp(port, self.proc, deadline)
        self._wait_for_udp_dns(deadline)
        self.client = httpx.Client(
            base_url=f"http://{LOOPBACK}:{self.management_port}", trust_env=False, timeout=5
        )

    def _wait_for_udp_dns(self, deadline: float) -> None:
        query = dns.message.make_query("ready.acmehub.test.", "A")
        while True:
            try:
                dns.query.udp(query, LOOPBACK, port=self.dns_port, timeout=0.2)
                return
            except (dns.exception.Timeout, OSError):
                if time.monotonic() > deadline:
                    raise

    def stop(self) -> None:
        if self.client is not None:
            self.client.close()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()  # by its own PID
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)

    def _post(self, path: str, body: dict[str, Any]) -> None:
        assert self.client is not None
        response = self.client.post(path, json=body)
        response.raise_for_status()

    # Management API of pebble-challtestsrv.
    def add_http01(self, token: str, content: str) -> None:
        self._post("/add-http01", {"token": token, "content": content})

    def add_redirect(self, path: str, target_url: str) -> None:
        self._post("/add-redirect", {"path": path, "targetURL": target_url})

    def set_txt(self, host: str, value: str) -> None:
        self._post("/set-txt", {"host": host.rstrip(".") + ".", "value": value})

    def add_a(self, host: str, addresses: list[str]) -> None:
        self._post("/add-a", {"host": host.rstrip(".") + ".", "addresses": addresses})

    def set_servfail(self, host: str) -> None:
        self._post("/set-servfail", {"host": host.rstrip(".") + "."})

    def add_tlsalpn01(self, host: str, content: str) -> None:
        self._post("/add-tlsalpn01", {"host": host, "content": content})


@pytest.fixture(scope="session")
def challtestsrv() -> Iterator[ChallTestSrv]:
    if shutil.which(CHALLTESTSRV) is None:
        pytest.skip("pebble-challtestsrv is not installed")
    server = ChallTestSrv(
        dns_port=free_port(udp_too=True),
        http_port=free_port(),
        https_port=free_port(),
        tlsalpn_port=free_port(),
        management_port=free_port(),
    )
    try:
        server.start()
        yield server
    finally:
        server.stop()


# --------------------------------------------------------------------------- tiny DNS


class FakeDns:
    """A UDP DNS server: answers the records it is given, else one rcode and no records."""

    def __init__(
        self, rcode: dns.rcode.Rcode, records: dict[tuple[str, str], list[str]] | None = None
    ) -> None:
        self.rcode = rcode
        self.records = records or {}
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((LOOPBACK, 0))
        self.sock.settimeout(0.1)
        self.port = int(self.sock.getsockname()[1])
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self.sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                query = dns.message.from_wire(data)
            except dns.exception.DNSException:
                continue
            response = dns.message.make_response(query)
            question = query.question[0]
            qname = question.name.to_text(omit_final_dot=True).lower()
            values = self.records.get((qname, dns.rdatatype.to_text(question.rdtype)))
            if values:
                response.answer.append(
                    dns.rrset.from_text(question.name, 60, "IN", question.rdtype, *values)
                )
            elif not any(name == qname for name, _ in self.records):
                response.set_rcode(self.rcode)
            self.sock.sendto(response.to_wire(), peer)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


@pytest.fixture
def nxdomain_dns() -> Iterator[FakeDns]:
    server = FakeDns(dns.rcode.NXDOMAIN)
    yield server
    server.close()


@pytest.fixture
def empty_dns() -> Iterator[FakeDns]:
    """NOERROR without records, for every name and type."""
    server = FakeDns(dns.rcode.NOERROR)
    yield server
    server.close()


@pytest.fixture
def fake_dns() -> Iterator[Callable[..., FakeDns]]:
    """FakeDns servers with records: fake_dns({("name", "AAAA"): ["::ffff:127.0.0.1"]})."""
    servers: list[FakeDns] = []

    def factory(records: dict[tuple[str, str], list[str]]) -> FakeDns:
        servers.append(FakeDns(dns.rcode.NXDOMAIN, records))
        return servers[-1]

    yield factory
    for server in servers:
        server.close()


@pytest.fixture
def silent_dns() -> Iterator[int]:
    """A UDP port where DNS questions are received and never answered."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((LOOPBACK, 0))
        yield int(sock.getsockname()[1])


# --------------------------------------------------------------------------- tiny TCP / HTTP


@pytest.fixture
def blackhole_port() -> Iterator[int]:
    """A TCP port that completes connections (kernel backlog) and never answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        sock.listen(16)
        yield int(sock.getsockname()[1])


@pytest.fixture
def refused_port() -> int:
    """A TCP port where nothing listens."""
    return free_port()


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class TinyHttp:
    """A threaded HTTP server with a route table; records the Host header of each request."""

    routes: dict[str, Route] = field(default_factory=dict)
    hosts: list[str] = field(default_factory=list)
    port: int = 0

    def add(
        self, path: str, status: int, body: bytes, headers: dict[str, str] | None = None
    ) -> None:
        self.routes[path] = Route(status, body, headers or {})


@pytest.fixture
def tiny_http() -> Iterator[TinyHttp]:
    state = TinyHttp()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            state.hosts.append(self.headers.get("Host", ""))
            route = state.routes.get(self.path, Route(404, b"not found here\n"))
            self.send_response(route.status)
            for name, value in route.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(route.body)))
            self.send_header("Connection", "close")
            self.end_headers()
            with contextlib.suppress(OSError):  # the VA stops reading past its cap
                self.wfile.write(route.body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request: Any, client_address: Any) -> None:
            pass

    server = Server((LOOPBACK, 0), Handler)
    state.port = int(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield state
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


# --------------------------------------------------------------------------- tiny TLS


#: A private-use OID of the same DER length as id-pe-acmeIdentifier, patched into it afterwards
#: (the certificate builder refuses an extension twice; the VA does not check the signature).
_PLACEHOLDER_OID = x509.ObjectIdentifier("1.3.6.1.5.5.7.1.32")


def challenge_certificate(
    sans: list[str],
    acme_value: bytes | None,
    *,
    critical: bool = True,
    other_names: tuple[x509.GeneralName, ...] = (),
    acme_twice: bool = False,
) -> tuple[bytes, bytes]:
    """A self-signed certificate and key (PEM) shaped like RFC 8737 §3, or deliberately not:
    ``other_names`` join the dNSNames in the subjectAltName; ``acme_twice`` repeats the
    acmeIdentifier extension."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "acmehub test")])
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(dt.datetime(2000, 1, 1, tzinfo=dt.UTC))  # the VA ignores validity
        .not_valid_after(dt.datetime(2099, 1, 1, tzinfo=dt.UTC))
    )
    if sans or other_names:
        names: list[x509.GeneralName] = [x509.DNSName(n) for n in sans]
        builder = builder.add_extension(
            x509.SubjectAlternativeName([*names, *other_names]), critical=False
        )
    if acme_value is not None:
        builder = builder.add_extension(
            x509.UnrecognizedExtension(ACME_IDENTIFIER_OID, acme_value), critical=critical
        )
        if acme_twice:
            builder = builder.add_extension(
                x509.UnrecognizedExtension(_PLACEHOLDER_OID, acme_value), critical=critical
            )
    cert = builder.sign(key, hashes.SHA256())
    if acme_twice:
        der = cert.public_bytes(serialization.Encoding.DER)
        placeholder = b"\x06\x08\x2b\x06\x01\x05\x05\x07\x01\x20"
        assert der.count(placeholder) == 1
        der = der.replace(placeholder, placeholder[:-1] + b"\x1f")
        body = base64.encodebytes(der).replace(b"\n", b"")
        lines = [body[i : i + 64] for i in range(0, len(body), 64)]
        pem = b"-----BEGIN CERTIFICATE-----\n" + b"\n".join(lines)
        pem += b"\n-----END CERTIFICATE-----\n"
        return pem, key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


class TinyTls:
    """A TLS server presenting one certificate, with the ALPN protocols it is given."""

    def __init__(self, directory: Path, cert_pem: bytes, key_pem: bytes, alpn: list[str]) -> None:
        cert_file, key_file = directory / "cert.pem", directory / "key.pem"
        cert_file.write_bytes(cert_pem)
        key_file.write_bytes(key_pem)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert_file, key_file)
        if alpn:
            self.context.set_alpn_protocols(alpn)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind((LOOPBACK, 0))
        self.sock.listen(8)
        self.sock.settimeout(0.1)
        self.port = int(self.sock.getsockname()[1])
        self.server_names: list[str | None] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(2)
            self.context.sni_callback = self._record_sni
            try:
                with self.context.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(1)  # until the VA closes
            except OSError:
                pass
            finally:
                conn.close()

    def _record_sni(self, sock: ssl.SSLObject | ssl.SSLSocket, name: str | None, _: Any) -> None:
        self.server_names.append(name)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


@dataclass
class TlsFactory:
    directory: Path
    servers: list[TinyTls] = field(default_factory=list)

    def __call__(
        self,
        sans: list[str],
        acme_value: bytes | None,
        *,
        critical: bool = True,
        alpn: tuple[str, ...] = ("acme-tls/1",),
        other_names: tuple[x509.GeneralName, ...] = (),
        acme_twice: bool = False,
    ) -> TinyTls:
        cert, key = challenge_certificate(
            sans, acme_value, critical=critical, other_names=other_names, acme_twice=acme_twice
        )
        directory = self.directory / str(len(self.servers))
        directory.mkdir()
        server = TinyTls(directory, cert, key, list(alpn))
        self.servers.append(server)
        return server


@pytest.fixture
def tiny_tls(tmp_path: Path) -> Iterator[TlsFactory]:
    factory = TlsFactory(tmp_path)
    yield factory
    for server in factory.servers:
        server.close()


# --------------------------------------------------------------------------- helper fixtures
# Helpers are handed out as fixtures so that test modules never import this conftest (which
# works the same under every pytest import mode).

TaskFactory = Callable[..., ValidationTask]
ProblemCheck = Callable[..., str]


@pytest.fixture
def name() -> str:
    """A fresh DNS name; challtestsrv answers its A query with 127.0.0.1."""
    return unique_name()


@pytest.fixture
def task_for(challtestsrv: ChallTestSrv) -> TaskFactory:
    """make_task() whose resolver defaults to challtestsrv's DNS server."""

    def factory(kind: ChallengeType, name: str, **kwargs: Any) -> ValidationTask:
        kwargs.setdefault("dns_port", challtestsrv.dns_port)
        return make_task(kind, name, **kwargs)

    return factory


@pytest.fixture
def expect_problem() -> ProblemCheck:
    return assert_problem
