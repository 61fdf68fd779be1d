"""The processes a benchmark run starts: the DNS server, acmehub (SQLite, PostgreSQL), Pebble.

Everything listens on 127.0.0.1 on free ports; every process is started through ``Procs`` and
stopped by its PID (SIGTERM, then SIGKILL) when the run ends, whatever happened.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import json
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

LOOPBACK = "127.0.0.1"
#: Variables that would send loopback traffic through a proxy.
_PROXY_VARS = {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


def port_open(port: int) -> bool:
    try:
        with socket.create_connection((LOOPBACK, port), timeout=0.2):
            return True
    except OSError:
        return False


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.05)


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k.lower() not in _PROXY_VARS}
    env.update(extra)
    return env


class Procs:
    """Every process the run started, stopped by PID in reverse order."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self._procs: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = self.log_dir / f"{name}.log"
        with log.open("ab") as out:
            proc = subprocess.Popen(
                argv, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        self._procs.append((name, proc))
        return proc

    def check_alive(self, proc: subprocess.Popen[bytes], name: str) -> None:
        if proc.poll() is not None:
            tail = (self.log_dir / f"{name}.log").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{name} exited with {proc.returncode}:\n{tail}")

    @staticmethod
    def stop(proc: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
        if proc.poll() is not None:
            return
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout)

    def stop_pid(self, pid: int) -> None:
        """Stop the process this run started with ``pid`` (and forget it)."""
        for i, (_, proc) in enumerate(self._procs):
            if proc.pid == pid:
                del self._procs[i]
                self.stop(proc)
                return

    def stop_all(self) -> None:
        while self._procs:
            _, proc = self._procs.pop()
            with contextlib.suppress(OSError):
                self.stop(proc)


@dataclass
class Target:
    """A server under test."""

    name: str
    kind: str  # "acmehub" | "pebble"
    directory_url: str
    ca_bundle: Path
    pids: list[int]
    notes: list[str] = field(default_factory=list)


def _ready(url: str, ca_bundle: Path) -> bool:
    if not ca_bundle.exists():
        return False
    try:
        context = ssl.create_default_context(cafile=str(ca_bundle))
        response = httpx.get(url, verify=context, timeout=1, trust_env=False)
    except (httpx.HTTPError, ssl.SSLError, OSError):
        return False
    return response.status_code == 200


def _wait_ready(procs: Procs, proc: subprocess.Popen[bytes], name: str, url: str, ca: Path) -> None:
    def ready() -> bool:
        procs.check_alive(proc, name)
        return _ready(url, ca)

    wait_until(ready, 90, f"{name} at {url}")


# --- the DNS server -----------------------------------------------------------------------------


def start_dns(procs: Procs) -> int:
    """pebble-challtestsrv answering every name with 127.0.0.1 and no AAAA; returns its port."""
    dns_port, management_port = free_port(), free_port()
    binary = shutil.which("pebble-challtestsrv") or "/usr/bin/pebble-challtestsrv"
    argv = [
        binary,
        "-dns01", f"{LOOPBACK}:{dns_port}",
        "-management", f"{LOOPBACK}:{management_port}",
        "-http01", "", "-https01", "", "-tlsalpn01", "",
        "-defaultIPv4", LOOPBACK, "-defaultIPv6", "",
    ]  # fmt: skip
    proc = procs.start("challtestsrv", argv, clean_env())

    def ready() -> bool:
        procs.check_alive(proc, "challtestsrv")
        return port_open(management_port)

    wait_until(ready, 15, "pebble-challtestsrv")
    return dns_port


# --- acmehub ------------------------------------------------------------------------------------


def serve_supports_processes() -> bool:
    """Whether this acmehub's `serve` has a --processes option (several server processes)."""
    done = subprocess.run(
        [sys.executable, "-m", "acmehub.cli", "serve", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return "--processes" in done.stdout


def start_acmehub(
    procs: Procs,
    name: str,
    state_dir: Path,
    *,
    http01_port: int,
    dns_port: int,
    database_url: str = "",
    processes: int = 1,
    separate_worker: bool | None = None,
) -> Target:
    """`acmehub serve` on a fresh state directory (initialized by serve on first start).

    With ``separate_worker``, validation moves to one separate `acmehub worker` process;
    otherwise every serve process validates the challenges it is answered (the default).
    """
    if separate_worker is None:
        separate_worker = False
    port = free_port()
    env = clean_env(
        ACMEHUB_STATE_DIR=str(state_dir),
        ACMEHUB_LISTEN_HOST=LOOPBACK,
        ACMEHUB_LISTEN_PORT=str(port),
        ACMEHUB_HTTP01_PORT=str(http01_port),
        ACMEHUB_TLSALPN01_PORT=str(free_port()),
        ACMEHUB_DNS_RESOLVER_IP=LOOPBACK,
        ACMEHUB_DNS_RESOLVER_PORT=str(dns_port),
        ACMEHUB_LOG_LEVEL="WARNING",
        # The responder and the DNS server are on loopback, which validation refuses unless
        # allowed (issue 15).
        ACMEHUB_VALIDATION_ALLOWED_NETWORKS="127.0.0.0/8",
    )
    env.pop("ACMEHUB_CONFIG", None)
    notes: list[str] = []
    if database_url:
        env["ACMEHUB_DATABASE_URL"] = database_url
    argv = [sys.executable, "-m", "acmehub.cli", "serve"]
    if processes > 1:
        argv += ["--processes", str(processes)]
    if processes > 1 and database_url:
        # One machine: its processes share nonces through the state directory's file (the
        # default on PostgreSQL is the database, for web nodes on several machines).
        env["ACMEHUB_NONCE_STORE"] = "machine"
        notes.append("nonce_store = machine")
    if separate_worker:
        env["ACMEHUB_VALIDATION_WORKERS"] = "0"
        notes.append(f"{processes} serve processes + 1 acmehub worker")
    elif processes > 1:
        notes.append(f"{processes} serve processes, each validating in its event loop")
    else:
        notes.append("1 serve process, validating in its event loop")
    proc = procs.start(name, argv, env)
    ca = state_dir / "ca" / "root.pem"
    url = f"https://{LOOPBACK}:{port}/acme/default/directory"
    _wait_ready(procs, proc, name, url, ca)
    pids = [proc.pid]
    if separate_worker:
        worker_argv = [sys.executable, "-m", "acmehub.cli", "worker", "--concurrency", "64"]
        worker = procs.start(f"{name}-worker", worker_argv, env)
        time.sleep(1.0)
        procs.check_alive(worker, f"{name}-worker")
        pids.append(worker.pid)
    return Target(name, "acmehub", url, ca, pids, notes)


class PostgresDatabase:
    """A fresh database for one run, created and dropped through the admin URL."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.name = f"acmehub_bench_{secrets.token_hex(4)}"
        self.created = False

    def available(self) -> bool:
        try:
            import psycopg

            with psycopg.connect(self.admin_url, connect_timeout=3) as conn:
                conn.execute("SELECT 1")
        except Exception:
            return False
        return True

    def create(self) -> str:
        """Create it; returns acmehub's SQLAlchemy URL for it."""
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        self.created = True
        info = psycopg.conninfo.conninfo_to_dict(self.admin_url)
        user = info.get("user", "postgres")
        host = info.get("host", LOOPBACK)
        port = info.get("port", 5432)
        password = f":{info['password']}" if info.get("password") else ""
        return f"postgresql+psycopg://{user}{password}@{host}:{port}/{self.name}"

    def drop(self) -> None:
        if not self.created:
            return
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self.created = False


# --- Pebble -------------------------------------------------------------------------------------


def make_tls_files(directory: Path, hosts: tuple[str, ...] = ("localhost", LOOPBACK)) -> Path:
    """A throw-away CA and a listener certificate it signs (cert.pem, key.pem); returns the
    CA's root.pem (what clients of that listener must trust)."""
    directory.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "acmehub bench test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    sans: list[x509.GeneralName] = []
    for host in hosts:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            sans.append(x509.DNSName(host))
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    (directory / "root.pem").write_bytes(ca_cert.public_bytes(pem))
    (directory / "cert.pem").write_bytes(cert.public_bytes(pem))
    key_file = directory / "key.pem"
    key_file.write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_file.chmod(0o600)
    return directory / "root.pem"


def start_pebble(procs: Procs, work: Path, *, http01_port: int, dns_port: int) -> Target:
    """Pebble 2.x with no artificial sleeps, no nonce rejection and no authorization reuse."""
    work.mkdir(parents=True, exist_ok=True)
    root = make_tls_files(work / "tls")
    port = free_port()
    config = {
        "pebble": {
            "listenAddress": f"{LOOPBACK}:{port}",
            "managementListenAddress": f"{LOOPBACK}:{free_port()}",
            "certificate": str(work / "tls" / "cert.pem"),
            "privateKey": str(work / "tls" / "key.pem"),
            "httpPort": http01_port,
            "tlsPort": free_port(),
            "ocspResponderURL": "",
            "externalAccountBindingRequired": False,
        }
    }
    config_file = work / "pebble-config.json"
    config_file.write_text(json.dumps(config, indent=2))
    env = clean_env(PEBBLE_VA_NOSLEEP="1", PEBBLE_WFE_NONCEREJECT="0", PEBBLE_AUTHZREUSE="0")
    binary = shutil.which("pebble") or "/usr/bin/pebble"
    argv = [binary, "-config", str(config_file), "-dnsserver", f"{LOOPBACK}:{dns_port}"]
    proc = procs.start("pebble", argv, env)
    url = f"https://{LOOPBACK}:{port}/dir"
    _wait_ready(procs, proc, "pebble", url, root)
    notes = ["PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0, in memory"]
    return Target("pebble", "pebble", url, root, [proc.pid], notes)


def answers(target: Target) -> bool:
    """Whether the server's directory answers 200 within a second."""
    return _ready(target.directory_url, target.ca_bundle)


def restart_pebble(
    procs: Procs, target: Target, work: Path, *, http01_port: int, dns_port: int
) -> None:
    """Pebble 2.4.0 sometimes stops answering for good (its whole state is in memory): stop it
    and start a fresh one in its place, noting it on ``target``."""
    for pid in target.pids:
        procs.stop_pid(pid)
    fresh = start_pebble(procs, work, http01_port=http01_port, dns_port=dns_port)
    target.directory_url, target.ca_bundle, target.pids = (
        fresh.directory_url,
        fresh.ca_bundle,
        fresh.pids,
    )
