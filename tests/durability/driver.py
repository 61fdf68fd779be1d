"""ACME clients that survive a server crash, and the flow that resumes an order where it stands.

A client talks to acmehub with the raw :class:`AcmeClient`; when a connection breaks (the server
was killed) it waits for the server to come back and sends the request again with a fresh nonce,
and a badNonce answer is retried as RFC 8555 §6.5 allows. Every other answer is returned; answers
no correct server gives (5xx, or a status the flow does not expect) are recorded in ``Stats``.

``drive_order`` resumes an order from whatever state it is in, as a client that lost its answers
would: it re-polls the order, answers a pending challenge again, finalizes again when the order is
ready (an orderNotReady answer means an earlier finalize got through), and downloads the
certificate once the order is valid.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from tests.support.acme_client import AcmeClient, b64url, make_csr
from tests.support.http01 import Http01Responder
from tests.support.procs import poll, stop_process
from tests.support.server import AcmehubServer

ACME_ERROR = "urn:ietf:params:acme:error:"
#: How long one request may keep failing to reach a server before the client gives up.
REACH_SECONDS = 60.0


class GaveUp(Exception):
    """A request or an order did not get anywhere within its time bound."""


@dataclass
class Stats:
    """What clients saw, shared by every client thread of a test."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    #: Requests in flight by kind, right now.
    in_flight: Counter[str] = field(default_factory=Counter)
    #: Answers no correct server gives: 5xx, and statuses the flow does not expect.
    bad_answers: list[str] = field(default_factory=list)
    transport_errors: int = 0
    bad_nonces: int = 0
    requests: int = 0
    #: Set when the test is over (or failed): every client stops at its next step.
    abort: threading.Event = field(default_factory=threading.Event)

    def bad(self, what: str) -> None:
        with self.lock:
            self.bad_answers.append(what)

    @contextmanager
    def flying(self, kind: str) -> Iterator[None]:
        with self.lock:
            self.in_flight[kind] += 1
            self.requests += 1
        try:
            yield
        finally:
            with self.lock:
                self.in_flight[kind] -= 1

    def snapshot(self) -> dict[str, int]:
        with self.lock:
            return {k: v for k, v in self.in_flight.items() if v}


def problem_type(response: httpx.Response) -> str:
    if not response.headers.get("Content-Type", "").startswith("application/problem+json"):
        return ""
    try:
        kind = response.json().get("type", "")
    except ValueError:
        return ""
    return str(kind).removeprefix(ACME_ERROR)


def describe(kind: str, response: httpx.Response) -> str:
    return f"{kind}: HTTP {response.status_code} {response.text[:400]}"


class ResilientClient:
    """An AcmeClient that rides out server crashes (see the module docstring).

    ``route`` maps a URL the server hands out to the URL to send the request to (as a load
    balancer would); the JWS always signs the URL as handed out.
    """

    def __init__(
        self,
        client: AcmeClient,
        stats: Stats,
        *,
        route: Callable[[str], str] | None = None,
        reach_seconds: float = REACH_SECONDS,
    ) -> None:
        self.client = client
        self.stats = stats
        self.route: Callable[[str], str] = route or (lambda url: url)
        self.reach_seconds = reach_seconds

    def _nonce(self) -> str:
        cached, self.client._nonce = self.client._nonce, None
        if cached is not None:
            return cached
        with self.stats.flying("new-nonce"):
            response = self.client.http.head(self.route(self.client.directory["newNonce"]))
        if response.status_code >= 500 or "Replay-Nonce" not in response.headers:
            self.stats.bad(describe("new-nonce", response))
            raise httpx.RemoteProtocolError("no nonce")
        return response.headers["Replay-Nonce"]

    def post(
        self, kind: str, url: str, payload: dict[str, Any] | bytes, *, use_jwk: bool = False
    ) -> httpx.Response:
        deadline = time.monotonic() + self.reach_seconds
        pause = 0.02
        while True:
            if self.stats.abort.is_set():
                raise GaveUp(f"{kind} {url}: the test stopped its clients")
            try:
                nonce = self._nonce()
                with self.stats.flying(kind):
                    body = self.client.key.sign(
                        url, nonce, payload, kid=None if use_jwk else self.client.kid
                    )
                    response = self.client.post_body(self.route(url), body)
            except httpx.TransportError:
                with self.stats.lock:
                    self.stats.transport_errors += 1
                self.client._nonce = None
                if time.monotonic() > deadline:
                    raise GaveUp(f"{kind} {url}: no server for {self.reach_seconds}s") from None
                # Back off a little: a restarting server needs the CPU more than we do.
                time.sleep(pause)
                pause = min(pause * 2, 0.25)
                continue
            if response.status_code >= 500:
                self.stats.bad(describe(kind, response))
            elif problem_type(response) == "badNonce":
                with self.stats.lock:
                    self.stats.bad_nonces += 1
                if time.monotonic() < deadline:
                    continue
            return response

    def get(self, kind: str, url: str) -> httpx.Response:
        return self.post(kind, url, b"")

    def register(self) -> None:
        response = self.post(
            "new-account",
            self.client.directory["newAccount"],
            {"termsOfServiceAgreed": True},
            use_jwk=True,
        )
        # 200: an earlier attempt created it and its answer was lost (RFC 8555 §7.3.1).
        assert response.status_code in (200, 201), describe("new-account", response)
        self.client.kid = response.headers["Location"]

    def new_order(self, names: list[str]) -> httpx.Response:
        payload = {"identifiers": [{"type": "dns", "value": n} for n in names]}
        return self.post("new-order", self.client.directory["newOrder"], payload)


def make_client(
    server: AcmehubServer, http: httpx.Client, stats: Stats, **kw: Any
) -> ResilientClient:
    client = ResilientClient(AcmeClient(http, server.directory_url()), stats, **kw)
    deadline = time.monotonic() + REACH_SECONDS
    while True:  # the directory, before the first crash-resistant request
        try:
            client.client.directory  # noqa: B018 (fetches and caches it)
            return client
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def unique_name() -> str:
    return f"d{secrets.token_hex(5)}.acmehub-test.com"


def http01_challenge(authz: dict[str, Any]) -> dict[str, Any]:
    for challenge in authz["challenges"]:
        if challenge["type"] == "http-01":
            return dict(challenge)
    raise AssertionError(f"no http-01 challenge in {authz}")


@dataclass
class OrderOutcome:
    url: str
    document: dict[str, Any]
    chain_pem: str | None = None

    @property
    def id(self) -> str:
        return self.url.rsplit("/", 1)[-1]

    @property
    def leaf(self) -> x509.Certificate | None:
        if self.chain_pem is None:
            return None
        return x509.load_pem_x509_certificates(self.chain_pem.encode())[0]


def drive_order(
    rc: ResilientClient,
    order_url: str,
    responder: Http01Responder,
    timeout: float,
    cert_key: ec.EllipticCurvePrivateKey | None = None,
    *,
    stop_at: str | None = None,
) -> OrderOutcome:
    """Resume the order from where it stands until it is valid (certificate downloaded) or invalid,
    or until its status is ``stop_at``."""
    stats = rc.stats
    key = cert_key or ec.generate_private_key(ec.SECP256R1())
    deadline = time.monotonic() + timeout
    last = "never fetched"
    while time.monotonic() < deadline and not stats.abort.is_set():
        response = rc.get("order", order_url)
        if response.status_code != 200:
            stats.bad(describe("order", response))
            time.sleep(0.2)
            continue
        order = response.json()
        status = order["status"]
        last = status
        if status == stop_at:
            return OrderOutcome(order_url, order)
        if status == "pending":
            for authz_url in order["authorizations"]:
                answered = rc.get("authz", authz_url)
                if answered.status_code != 200:
                    stats.bad(describe("authz", answered))
                    continue
                authz = answered.json()
                if authz["status"] != "pending":
                    continue
                challenge = http01_challenge(authz)
                token = challenge["token"]
                responder.answers[token] = rc.client.key_authorization(token)
                if challenge["status"] == "pending":
                    reply = rc.post("challenge", challenge["url"], {})
                    if reply.status_code != 200:
                        stats.bad(describe("challenge", reply))
            time.sleep(0.1)
        elif status == "ready":
            names = [i["value"] for i in order["identifiers"]]
            csr, _ = make_csr(names, key)
            reply = rc.post("finalize", order["finalize"], {"csr": b64url(csr)})
            # orderNotReady: an earlier finalize whose answer was lost got through (§7.4).
            if reply.status_code != 200 and problem_type(reply) != "orderNotReady":
                stats.bad(describe("finalize", reply))
        elif status == "processing":
            time.sleep(0.1)
        elif status == "valid":
            download = rc.get("certificate", order["certificate"])
            if download.status_code != 200:
                stats.bad(describe("certificate", download))
                time.sleep(0.2)
                continue
            return OrderOutcome(order_url, order, download.text)
        else:  # invalid (an expired order is invalid too)
            return OrderOutcome(order_url, order)
    raise GaveUp(f"order {order_url} still {last} after {timeout}s")


def at_once(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls in threads released together; their results in order."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], Any]) -> Any:
        barrier.wait(10)
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


class WorkerProcess:
    """An `acmehub worker` process with a server's settings (same database and VA ports)."""

    def __init__(self, server: AcmehubServer, log_path: Path, **overrides: str) -> None:
        self.env = {**os.environ, **server.env, **overrides}
        self.log_path = log_path
        self._proc: subprocess.Popen[bytes] | None = None
        self._log_from = 0

    def start(self, *, wait: bool = True) -> WorkerProcess:
        self._log_from = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "acmehub.cli", "worker"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        if wait:
            poll(self._running, 60, f"acmehub worker (log: {self.log_path})", interval=0.05)
        return self

    def _running(self) -> bool:
        assert self._proc is not None
        if self._proc.poll() is not None:
            raise RuntimeError(f"acmehub worker exited early:\n{self.log()[-3000:]}")
        return "validation worker running" in self.log()[self._log_from :]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL, by PID, as a crash would."""
        if self._proc is not None:
            if self._proc.poll() is None:
                os.kill(self._proc.pid, signal.SIGKILL)
            self._proc.wait(10)
            self._proc = None

    def stop(self) -> None:
        if self._proc is not None:
            stop_process(self._proc)
            self._proc = None
