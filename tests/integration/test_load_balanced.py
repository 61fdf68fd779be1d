"""Two acmehub machines on one PostgreSQL behind a real load balancer (HAProxy, round-robin).

Two `acmehub serve` processes, each with its own state directory as on two machines, share a
fresh PostgreSQL database; HAProxy (tests/support/haproxy.py: TLS ends there, HTTP mode, one
balancing decision per request) sends consecutive requests of one client to alternate instances.
Both advertise the balancer's URL. Nothing is set for nonces: ``nonce_store = auto`` must
pick the database on PostgreSQL, or nearly every request would be a badNonce.

What the second machine shares with the first (docs/operations.md): the database and the
key-encryption key; node B gets a copy of node A's ``ca/`` directory, which holds the KEK
file set-up generated (``ca/kek``). The CA keys themselves are in the database
(tests/integration/test_two_machines.py shows a node with nothing copied but the KEK).

1. Orders complete through the balancer; the balancer's log shows one client's requests
   alternating between the instances, and no client ever sees badNonce.
2. Instance B is killed (SIGKILL, by PID) while it holds validation leases; clients carry on
   through A, and every order completes within ``AFTER_KILL_SECONDS``, those whose challenge
   B held included (A takes them over once their lease runs out).

Skipped only when PostgreSQL is unreachable; HAProxy is installed by .ci/run.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from acmehub import bootstrap
from acmehub.storage import tables as t
from tests.durability.conftest import print_log_tail
from tests.durability.driver import (
    OrderOutcome,
    ResilientClient,
    Stats,
    drive_order,
    unique_name,
)
from tests.support.acme_client import AcmeClient
from tests.support.challtestsrv import ChallTestSrv
from tests.support.haproxy import Backend, HAProxy
from tests.support.http01 import HOLD_SECONDS, Http01Responder
from tests.support.postgres import PostgresCluster
from tests.support.procs import free_port, poll
from tests.support.server import AcmehubServer

#: Bound for one order in the first test.
ORDER_SECONDS = 60.0
#: Every order of the second test completes within this many seconds of the kill.
AFTER_KILL_SECONDS = 60.0
CHECK_PATH = "/acme/default/directory"


class BalancerErrorsAsTransportErrors(httpx.HTTPTransport):
    """An answer HAProxy made itself (502/503/504 without an ACME problem document: the instance
    died mid-request, or none was up) reaches the client as a broken connection, which the
    :class:`ResilientClient` retries with a fresh nonce, as a real client retries a failed
    request. Each one is recorded in ``errors``."""

    def __init__(self, errors: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.errors = errors

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        content_type = response.headers.get("Content-Type", "")
        if response.status_code in (502, 503, 504) and not content_type.startswith(
            "application/problem+json"
        ):
            response.read()
            response.close()
            self.errors.append(f"{request.method} {request.url.path}: {response.status_code}")
            raise httpx.RemoteProtocolError(
                f"the balancer answered {response.status_code}", request=request
            )
        return response


@dataclass
class Balanced:
    a: AcmehubServer
    b: AcmehubServer
    proxy: HAProxy
    responder: Http01Responder
    http: httpx.Client
    balancer_errors: list[str] = field(default_factory=list)

    def log_paths(self) -> list[Path]:
        return [self.a.log_path, self.b.log_path, self.proxy.log_path]

    def client(self, stats: Stats) -> ResilientClient:
        """A new account, registered through the balancer."""
        rc = ResilientClient(AcmeClient(self.http, self.a.directory_url()), stats)
        rc.client.directory  # noqa: B018 (fetches and caches it)
        rc.register()
        return rc

    def order(self, rc: ResilientClient, timeout: float) -> OrderOutcome:
        """One order for a new name, from new-order to the certificate download."""
        response = rc.new_order([unique_name()])
        assert response.status_code == 201, (response.status_code, response.text)
        return drive_order(rc, response.headers["Location"], self.responder, timeout)


@pytest.fixture(scope="module")
def database_url(postgres: PostgresCluster) -> str:
    """A fresh PostgreSQL database (dropped at the end of the session). Like every PostgreSQL
    suite, this one fails, never skips, when PostgreSQL is not there."""
    return postgres.new_database("balanced")


@pytest.fixture(scope="module")
def balanced(
    tmp_path_factory: pytest.TempPathFactory, dns_server: ChallTestSrv, database_url: str
) -> Iterator[Balanced]:
    root = tmp_path_factory.mktemp("balanced")
    proxy_port = free_port()
    shared = {
        "ACMEHUB_DATABASE_URL": database_url,
        "ACMEHUB_EXTERNAL_BASE_URL": f"https://127.0.0.1:{proxy_port}",
        # The second test holds validations at the responder for a moment (HoldAll).
        "ACMEHUB_VALIDATION_TIMEOUT": "20",
    }
    a = AcmehubServer(root / "node-a", dns_port=dns_server.dns_port, **shared)
    # One responder answers both instances' validators.
    b = AcmehubServer(
        root / "node-b",
        dns_port=dns_server.dns_port,
        **shared,
        ACMEHUB_HTTP01_PORT=str(a.http01_port),
        ACMEHUB_TLSALPN01_PORT=str(a.tlsalpn01_port),
    )
    responder = Http01Responder(a.http01_port)
    proxy: HAProxy | None = None
    http: httpx.Client | None = None
    try:
        responder.start()
        a.start()  # initializes the database and the embedded CA (under node-a/ca)
        # The second machine: its own state directory with a copy of the CA directory (the KEK).
        b.state_dir.mkdir(mode=0o700)
        shutil.copytree(a.settings.ca_dir, b.settings.ca_dir)
        b.start()
        tls = a.state_dir / "tls"
        proxy = HAProxy(
            root,
            [Backend("a", a.port), Backend("b", b.port)],
            frontend_pem=(tls / "server.pem").read_text() + (tls / "server.key").read_text(),
            backend_ca_file=a.ca_bundle,
            check_path=CHECK_PATH,
            port=proxy_port,
        ).start()
        errors: list[str] = []
        http = httpx.Client(
            transport=BalancerErrorsAsTransportErrors(errors, verify=a.ssl_context()), timeout=30
        )
        made = Balanced(a, b, proxy, responder, http, errors)
        poll(lambda: _answers(made), 30, "the directory through haproxy", interval=0.1)
        yield made
    except BaseException:
        for path in [a.log_path, b.log_path] + ([proxy.log_path] if proxy else []):
            print_log_tail(path)
        raise
    finally:
        if http is not None:
            http.close()
        if proxy is not None:
            proxy.stop()
        b.stop()
        a.stop()
        responder.stop()


def _answers(cluster: Balanced) -> bool:
    try:
        return cluster.http.get(cluster.a.directory_url()).status_code == 200
    except httpx.TransportError:
        return False


@contextmanager
def logs_on_failure(cluster: Balanced, stats: Stats) -> Iterator[None]:
    try:
        yield
    except BaseException:
        stats.abort.set()
        print(f"requests {stats.requests}, badNonce {stats.bad_nonces}, bad {stats.bad_answers}")
        print(f"balancer errors: {cluster.balancer_errors}")
        for path in cluster.log_paths():
            print_log_tail(path, 60)
        raise


def assert_valid(outcome: OrderOutcome) -> None:
    assert outcome.document["status"] == "valid", outcome.document
    assert outcome.leaf is not None, outcome.url


# --------------------------------------------------------------------------- 1. alternation


def test_orders_complete_with_requests_alternating_between_instances(
    balanced: Balanced,
) -> None:
    stats = Stats()
    with logs_on_failure(balanced, stats):
        # One client alone: every request of it is the next one the balancer sees.
        before = len(balanced.proxy.requests())
        rc = balanced.client(stats)
        assert_valid(balanced.order(rc, ORDER_SECONDS))
        sequence = [r.server for r in balanced.proxy.requests()[before:]]
        assert len(sequence) >= 10, sequence
        assert set(sequence) == {"a", "b"}, sequence
        repeats = [i for i in range(1, len(sequence)) if sequence[i] == sequence[i - 1]]
        assert not repeats, f"consecutive requests on one instance at {repeats}: {sequence}"

        # Several clients at once, two orders each.
        before = len(balanced.proxy.requests())

        def two_orders() -> list[OrderOutcome]:
            client = balanced.client(stats)
            return [balanced.order(client, ORDER_SECONDS) for _ in range(2)]

        with ThreadPoolExecutor(4) as pool:
            outcomes = [o for f in [pool.submit(two_orders) for _ in range(4)] for o in f.result()]
        for outcome in outcomes:
            assert_valid(outcome)
        served = balanced.proxy.requests()[before:]
        per_instance = Counter(r.server for r in served)
        assert set(per_instance) == {"a", "b"}, per_instance
        assert abs(per_instance["a"] - per_instance["b"]) <= max(2, len(served) // 20), per_instance
        assert all(r.status < 500 for r in served), [r for r in served if r.status >= 500]

        assert stats.bad_nonces == 0, f"{stats.bad_nonces} badNonce in {stats.requests} requests"
        assert stats.bad_answers == []
        assert stats.transport_errors == 0
        assert balanced.balancer_errors == []


# --------------------------------------------------------------------------- 2. one instance dies


class HoldAll(dict[str, threading.Event]):
    """``Http01Responder.hold`` that holds every token while ``event`` is unset."""

    def __init__(self) -> None:
        super().__init__()
        self.event = threading.Event()

    def __contains__(self, token: object) -> bool:
        return not self.event.is_set()

    def __getitem__(self, token: str) -> threading.Event:
        return self.event


def node_mark(server: AcmehubServer) -> str:
    """What the lease owner names of ``server``'s validation workers start with."""
    return bootstrap.worker_name_prefix(server.settings) + ":"


def leased_by(cluster: Balanced, server: AcmehubServer) -> set[str]:
    """Challenges whose validation lease a worker of ``server`` holds, now."""
    query = select(t.challenges.c.id, t.challenges.c.lease_owner).where(
        t.challenges.c.status == "processing"
    )
    mark = node_mark(server)
    with cluster.a.container().engine.connect() as conn:
        return {
            str(row.id) for row in conn.execute(query) if (row.lease_owner or "").startswith(mark)
        }


def challenge_status(cluster: Balanced, ids: set[str]) -> dict[str, str]:
    query = select(t.challenges.c.id, t.challenges.c.status).where(t.challenges.c.id.in_(ids))
    with cluster.a.container().engine.connect() as conn:
        return {str(row.id): str(row.status) for row in conn.execute(query)}


def test_orders_complete_through_the_other_instance_after_one_is_killed(
    balanced: Balanced,
) -> None:
    stats = Stats()
    clients = 6
    orders_each = 3
    hold = HoldAll()
    balanced.responder.hold = hold
    killed_at: list[float] = []
    with logs_on_failure(balanced, stats):
        try:
            accounts = [balanced.client(stats) for _ in range(clients)]

            def orders(rc: ResilientClient) -> list[tuple[OrderOutcome, float]]:
                done = []
                for _ in range(orders_each):
                    outcome = balanced.order(rc, HOLD_SECONDS + AFTER_KILL_SECONDS)
                    done.append((outcome, time.monotonic()))
                return done

            with ThreadPoolExecutor(clients) as pool:
                futures = [pool.submit(orders, rc) for rc in accounts]
                # Every first order's validation is held at the responder: wait until B holds
                # some of them, then kill it (SIGKILL, by its PID) and let validation go on.
                held = poll(lambda: leased_by(balanced, balanced.b), 30, "validations leased by B")
                balanced.b.kill()
                killed_at.append(time.monotonic())
                hold.event.set()
                results = [
                    item
                    for f in futures
                    for item in f.result(timeout=HOLD_SECONDS + AFTER_KILL_SECONDS + 30)
                ]
        finally:
            hold.event.set()
            stats.abort.set()
            balanced.responder.hold = {}

        assert len(results) == clients * orders_each
        for outcome, finished in results:
            assert_valid(outcome)
            assert finished - killed_at[0] <= AFTER_KILL_SECONDS, (
                f"order {outcome.url} completed {finished - killed_at[0]:.1f}s after the kill"
            )
        # The challenges B held when it died were validated (by A, once their lease ran out).
        assert set(challenge_status(balanced, held).values()) == {"valid"}, held

        # The balancer noticed, and from then on only A answered.
        assert "acmehub/b is DOWN" in balanced.proxy.log_text()
        after = balanced.proxy.requests(after="acmehub/b is DOWN")
        assert after, "no request after B went down"
        assert {r.server for r in after} == {"a"}, Counter(r.server for r in after)
        # Nonces are in the database: one issued by B is still good at A.
        assert stats.bad_nonces == 0, f"{stats.bad_nonces} badNonce in {stats.requests} requests"
        assert stats.bad_answers == []
