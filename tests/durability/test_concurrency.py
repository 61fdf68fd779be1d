"""Several processes on one database, racing each other (SQLite and PostgreSQL).

Two `acmehub serve` processes (A and B, different ports) and one `acmehub worker` share a database
and a state directory. Both servers advertise A's URL as their external base URL, as servers
behind a load balancer advertise the balancer's; the tests route each request to A or B
themselves (signing the advertised URL), so any request may land on either process.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from acmehub.storage import tables as t
from tests.durability.conftest import DATABASES, database_url, print_log_tail, server_overrides
from tests.durability.driver import (
    ResilientClient,
    Stats,
    WorkerProcess,
    at_once,
    drive_order,
    http01_challenge,
    problem_type,
    unique_name,
)
from tests.jws_signer import AccountKey
from tests.support.acme_client import AcmeClient, b64url, make_csr
from tests.support.challtestsrv import ChallTestSrv
from tests.support.http01 import Http01Responder
from tests.support.procs import poll
from tests.support.server import AcmehubServer

#: Long enough that no validation outlives its lease here: a second fetch would be a failure.
LEASE_SECONDS = "120"
ORDER_SECONDS = 60.0
SIGNED = re.compile(r"signed certificate (\w+) for order (\S+)")


@dataclass
class Cluster:
    a: AcmehubServer
    b: AcmehubServer
    worker: WorkerProcess
    responder: Http01Responder
    stats: Stats = field(default_factory=Stats)
    https: list[httpx.Client] = field(default_factory=list)
    _directory: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def external(self) -> str:
        return self.a.base_url

    def route(self, server: AcmehubServer) -> Callable[[str], str]:
        def to(url: str) -> str:
            return server.local_base_url + url.removeprefix(self.external)

        return to

    def http(self) -> httpx.Client:
        """One HTTP client (connection pool) for every thread of the tests."""
        if not self.https:
            self.https.append(self.a.client())
        return self.https[0]

    def client(
        self, server: AcmehubServer, key: AccountKey | None = None, kid: str | None = None
    ) -> ResilientClient:
        """A client whose every request goes to ``server``; registers a new account unless
        ``kid`` names one."""
        raw = AcmeClient(self.http(), self.a.directory_url())
        raw.key = key or AccountKey.generate("ES256")
        raw._directory = self.directory()
        rc = ResilientClient(raw, self.stats, route=self.route(server), reach_seconds=10)
        if kid is None:
            rc.register()
        else:
            raw.kid = kid
        return rc

    def directory(self) -> dict[str, Any]:
        if self._directory is None:
            response = self.http().get(self.a.directory_url())
            assert response.status_code == 200, response.text
            self._directory = response.json()
        return self._directory

    def nonce(self, server: AcmehubServer) -> str:
        response = self.http().head(self.route(server)(self.directory()["newNonce"]))
        return response.headers["Replay-Nonce"]

    def log_paths(self) -> list[Path]:
        return [self.a.log_path, self.b.log_path, self.worker.log_path]

    def signings(self) -> Counter[str]:
        """How many times a certificate was signed for each order, from every process's log."""
        counts: Counter[str] = Counter()
        for path in self.log_paths():
            if path.exists():
                for match in SIGNED.finditer(path.read_text(errors="replace")):
                    counts[match.group(2)] += 1
        return counts

    def validations(self, path: Path, challenge_ids: set[str]) -> int:
        text = path.read_text(errors="replace") if path.exists() else ""
        found = re.findall(r"acmehub\.validation: validated challenge (\S+)", text)
        return sum(1 for c in found if c in challenge_ids)


@pytest.fixture(scope="module", params=DATABASES)
def cluster(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    dns_server: ChallTestSrv,
) -> Iterator[Cluster]:
    root = tmp_path_factory.mktemp(f"cluster-{request.param}")
    url = database_url(request, str(request.param), "cluster")
    # Two `serve` commands on one database share nonces (docs/operations.md): on SQLite through
    # the file of their common state directory, on PostgreSQL through the database, as
    # processes on several machines would.
    settings = server_overrides(
        url,
        ACMEHUB_VALIDATION_LEASE_SECONDS=LEASE_SECONDS,
        ACMEHUB_VALIDATION_WORKERS="4",
        ACMEHUB_NONCE_STORE="machine" if request.param == "sqlite" else "database",
    )
    a = AcmehubServer(root / "state", dns_port=dns_server.dns_port, **settings)
    external = f"https://127.0.0.1:{a.port}"
    a.env["ACMEHUB_EXTERNAL_BASE_URL"] = external
    b = AcmehubServer(
        root / "state",
        dns_port=dns_server.dns_port,
        **settings,
        ACMEHUB_EXTERNAL_BASE_URL=external,
        ACMEHUB_HTTP01_PORT=str(a.http01_port),
        ACMEHUB_TLSALPN01_PORT=str(a.tlsalpn01_port),
    )
    b.log_path = root / "state-b.log"
    worker = WorkerProcess(a, root / "worker.log")
    responder = Http01Responder(a.http01_port)
    made = Cluster(a, b, worker, responder)
    try:
        responder.start()
        a.start()  # initializes the state directory and the database
        with ThreadPoolExecutor(2) as pool:
            for started in [pool.submit(b.start), pool.submit(worker.start)]:
                started.result()
        yield made
    except BaseException:
        for path in made.log_paths():
            print_log_tail(path)
        raise
    finally:
        for http in made.https:  # first: open connections would hold up a graceful shutdown
            http.close()
        worker.stop()
        b.stop()
        a.stop()
        responder.stop()


def send(cluster: Cluster, server: AcmehubServer, body: bytes, url: str) -> httpx.Response:
    return cluster.http().post(
        cluster.route(server)(url),
        content=body,
        headers={"Content-Type": "application/jose+json"},
    )


def assert_no_5xx(*responses: httpx.Response) -> None:
    for r in responses:
        assert r.status_code < 500, (r.status_code, r.text)


# --------------------------------------------------------------------------- finalize


def test_two_finalize_requests_for_one_order_issue_once(cluster: Cluster) -> None:
    a, b = cluster.a, cluster.b
    rc = cluster.client(a)
    orders = []
    for _ in range(6):
        response = rc.new_order([unique_name()])
        assert response.status_code == 201, response.text
        url = response.headers["Location"]
        ready = drive_order(rc, url, cluster.responder, ORDER_SECONDS, stop_at="ready")
        orders.append(ready)
    key = rc.client.key
    # Mostly one request to each process; some pairs to one process (two of its threads).
    pairs = [(a, b), (a, a), (a, b), (b, b), (b, a), (a, b)]
    for ready, servers in zip(orders, pairs, strict=True):
        names = [i["value"] for i in ready.document["identifiers"]]
        csr, _ = make_csr(names)
        finalize_url = ready.document["finalize"]
        payload = {"csr": b64url(csr)}
        bodies = [
            key.sign(finalize_url, cluster.nonce(server), payload, kid=rc.client.kid)
            for server in servers
        ]
        first, second = at_once(
            partial(send, cluster, servers[0], bodies[0], finalize_url),
            partial(send, cluster, servers[1], bodies[1], finalize_url),
        )
        assert_no_5xx(first, second)
        answers = sorted((first, second), key=lambda r: r.status_code)
        winner, other = answers
        assert winner.status_code == 200, winner.text
        if other.status_code == 200:
            # Both saw the order after the winner took it: the other may answer with the order
            # as it stands, but only once it is valid (else it would be finalizing it again).
            assert other.json()["status"] == "valid", other.text
        else:
            assert other.status_code == 403, other.text
            assert problem_type(other) == "orderNotReady", other.text
        done = drive_order(rc, ready.url, cluster.responder, ORDER_SECONDS)
        assert done.document["status"] == "valid", done.document
    services = cluster.a.container()
    with services.engine.connect() as conn:
        for ready in orders:
            count = conn.execute(
                select(func.count())
                .select_from(t.certificates)
                .where(t.certificates.c.order_id == ready.id)
            ).scalar_one()
            assert count == 1, ready.id
    signings = cluster.signings()
    assert {o.id: signings[o.id] for o in orders} == {o.id: 1 for o in orders}


# --------------------------------------------------------------------------- validation


def test_two_workers_never_validate_one_challenge_at_once(cluster: Cluster) -> None:
    """A, B (4 threads each) and the worker process (4 threads) share one queue; every fetch is
    slow, so a challenge claimed twice would be fetched twice, and at the same time."""
    responder = cluster.responder
    clients = [cluster.client(server) for server in (cluster.a, cluster.b, cluster.a)]
    pending: list[tuple[ResilientClient, str, dict[str, Any]]] = []
    for n in range(30):
        rc = clients[n % len(clients)]
        response = rc.new_order([unique_name()])
        assert response.status_code == 201, response.text
        authz_url = response.json()["authorizations"][0]
        authz = rc.get("authz", authz_url).json()
        challenge = http01_challenge(authz)
        responder.answers[challenge["token"]] = rc.client.key_authorization(challenge["token"])
        pending.append((rc, response.headers["Location"], challenge))
    responder.delay = 0.2
    try:
        by_client: dict[int, list[dict[str, Any]]] = {}
        for rc, _, challenge in pending:
            by_client.setdefault(id(rc), []).append(challenge)

        def answer_all(rc: ResilientClient, challenges: list[dict[str, Any]]) -> None:
            for challenge in challenges:
                reply = rc.post("challenge", challenge["url"], {})
                assert reply.status_code == 200, reply.text

        at_once(
            *(
                (lambda rc=rc: answer_all(rc, by_client[id(rc)]))
                for rc in {id(c): c for c, _, _ in pending}.values()
            )
        )
        for rc, url, _ in pending:
            ready = drive_order(rc, url, responder, ORDER_SECONDS, stop_at="ready")
            assert ready.document["status"] == "ready", ready.document
    finally:
        responder.delay = 0.0
    tokens = [challenge["token"] for _, _, challenge in pending]
    assert not [tok for tok in tokens if tok in responder.overlaps], "fetched twice at once"
    assert {tok: responder.fetches[tok] for tok in tokens} == dict.fromkeys(tokens, 1)
    ids = {challenge["url"].rsplit("/", 1)[-1] for _, _, challenge in pending}
    spread = {
        name: cluster.validations(path, ids)
        for name, path in (
            ("A", cluster.a.log_path),
            ("B", cluster.b.log_path),
            ("worker", cluster.worker.log_path),
        )
    }
    print(f"\nvalidations by process: {spread}")
    assert sum(spread.values()) == len(ids), spread
    assert sum(1 for n in spread.values() if n) >= 2, spread


# --------------------------------------------------------------------------- orders


def test_one_accounts_orders_created_in_parallel_through_two_processes(cluster: Cluster) -> None:
    owner = cluster.client(cluster.a)
    kid, key = owner.client.kid, owner.client.key
    assert kid is not None
    per_thread, threads = 5, 8
    clients = [
        cluster.client(cluster.a if n % 2 == 0 else cluster.b, key=key, kid=kid)
        for n in range(threads)
    ]

    def make_orders(rc: ResilientClient) -> list[httpx.Response]:
        return [rc.new_order([unique_name()]) for _ in range(per_thread)]

    results = at_once(*((lambda rc=rc: make_orders(rc)) for rc in clients))
    responses = [r for batch in results for r in batch]
    assert_no_5xx(*responses)
    assert [r.status_code for r in responses] == [201] * len(responses), [
        r.text for r in responses if r.status_code != 201
    ]
    ids = {r.headers["Location"] for r in responses}
    assert len(ids) == per_thread * threads
    account_id = kid.rsplit("/", 1)[-1]
    with cluster.a.container().engine.connect() as conn:
        stored = conn.execute(
            select(func.count()).select_from(t.orders).where(t.orders.c.account_id == account_id)
        ).scalar_one()
    assert stored == per_thread * threads


# --------------------------------------------------------------------------- key change


def key_change_body(rc: ResilientClient, new_key: AccountKey, url: str, nonce: str) -> bytes:
    """RFC 8555 §7.3.5: the inner JWS by the new key inside the outer one by the old key."""
    inner = new_key.sign_raw(
        {"alg": new_key.alg, "jwk": new_key.jwk_public(), "url": url},
        {"account": rc.client.kid, "oldKey": rc.client.key.jwk_public()},
    )
    return rc.client.key.sign(url, nonce, inner, kid=rc.client.kid)


def test_key_change_racing_a_new_order(cluster: Cluster) -> None:
    a, b = cluster.a, cluster.b
    directory = cluster.directory()
    outcomes: Counter[str] = Counter()
    # The new-order leaves 0-35 ms after the key change, so that it lands before, during and
    # after the change's transaction in different rounds.
    for lag in (0.0, 0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.035):
        rc = cluster.client(a)
        old_key, new_key = rc.client.key, AccountKey.generate("ES256")
        change = key_change_body(rc, new_key, directory["keyChange"], cluster.nonce(a))
        payload = {"identifiers": [{"type": "dns", "value": unique_name()}]}
        order = old_key.sign(directory["newOrder"], cluster.nonce(b), payload, kid=rc.client.kid)

        def order_after(lag: float = lag, order: bytes = order) -> httpx.Response:
            time.sleep(lag)
            return send(cluster, b, order, directory["newOrder"])

        changed, ordered = at_once(
            partial(send, cluster, a, change, directory["keyChange"]), order_after
        )
        assert_no_5xx(changed, ordered)
        assert changed.status_code == 200, changed.text
        if ordered.status_code == 201:
            outcomes["new-order succeeded with the old key"] += 1
            assert ordered.headers["Location"].startswith(cluster.external)
        else:
            outcomes[f"new-order refused: {problem_type(ordered)}"] += 1
            assert 400 <= ordered.status_code < 500, ordered.text
            assert problem_type(ordered), ordered.text
        # Afterwards only the new key works.
        refused = rc.new_order([unique_name()])
        assert refused.status_code in (400, 401, 403), refused.text
        assert problem_type(refused), refused.text
        rc.client.key = new_key
        accepted = rc.new_order([unique_name()])
        assert accepted.status_code == 201, accepted.text
        rc.client.key = old_key
        gone = rc.post(
            "new-account", directory["newAccount"], {"onlyReturnExisting": True}, use_jwk=True
        )
        assert problem_type(gone) == "accountDoesNotExist", gone.text
    print(f"\nkey change vs new-order: {dict(outcomes)}")


# --------------------------------------------------------------------------- nonces


def test_a_nonce_from_one_process_is_accepted_once_by_the_other(cluster: Cluster) -> None:
    a, b = cluster.a, cluster.b
    rc = cluster.client(a)
    key, kid = rc.client.key, rc.client.kid
    assert kid is not None
    for issuer, user in ((a, b), (b, a)):
        nonce = cluster.nonce(issuer)
        first = send(cluster, user, key.sign(kid, nonce, b"", kid=kid), kid)
        assert first.status_code == 200, first.text
        for again in (user, issuer):
            replay = send(cluster, again, key.sign(kid, nonce, b"", kid=kid), kid)
            assert replay.status_code == 400, replay.text
            assert problem_type(replay) == "badNonce", replay.text
    # The same nonce sent to both processes at the same moment: exactly one accepts it.
    for _ in range(10):
        nonce = cluster.nonce(a)
        body = key.sign(kid, nonce, b"", kid=kid)
        answers = at_once(
            partial(send, cluster, a, body, kid), partial(send, cluster, b, body, kid)
        )
        assert_no_5xx(*answers)
        assert sorted(r.status_code for r in answers) == [200, 400], [r.text for r in answers]
        assert problem_type(max(answers, key=lambda r: r.status_code)) == "badNonce"


def test_nothing_left_behind(cluster: Cluster) -> None:
    """No request of the tests above got a 5xx; nothing is stuck processing."""
    assert not cluster.stats.bad_answers, cluster.stats.bad_answers[:10]

    def settled() -> bool:
        with cluster.a.container().engine.connect() as conn:
            left = conn.execute(
                select(func.count()).select_from(t.orders).where(t.orders.c.status == "processing")
            ).scalar_one()
        return left == 0

    poll(settled, 10, "no order left processing", interval=0.1)
