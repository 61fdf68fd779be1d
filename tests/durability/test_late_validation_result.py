"""A validation result never revives an authorization (RFC 8555 §7.1.6, §7.5.2), with two
processes on one database (SQLite and PostgreSQL): `acmehub serve` answers the client,
`acmehub worker` validates. The worker's http-01 fetch is held while the client deactivates the
authorization through the server; the result the worker then writes leaves it deactivated."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from acmehub.domain.model import ValidationResult
from acmehub.services.authorizations import AuthorizationService
from tests.durability.conftest import DATABASES, database_url, print_log_tail, server_overrides
from tests.durability.driver import WorkerProcess, http01_challenge, unique_name
from tests.jws_signer import AccountKey
from tests.support.acme_client import AcmeClient
from tests.support.challtestsrv import ChallTestSrv
from tests.support.http01 import Http01Responder
from tests.support.procs import poll
from tests.support.server import AcmehubServer

WAIT_SECONDS = 30.0


def last_segment(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


@dataclass
class Pair:
    server: AcmehubServer
    worker: WorkerProcess
    responder: Http01Responder

    def log_paths(self) -> list[Path]:
        return [self.server.log_path, self.worker.log_path]


@pytest.fixture(scope="module", params=DATABASES)
def pair(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    dns_server: ChallTestSrv,
) -> Iterator[Pair]:
    root = tmp_path_factory.mktemp(f"late-result-{request.param}")
    url = database_url(request, str(request.param), "lateresult")
    # The server validates nothing itself: every validation is the worker process's.
    settings = server_overrides(url, ACMEHUB_VALIDATION_WORKERS="0")
    server = AcmehubServer(root / "state", dns_port=dns_server.dns_port, **settings)
    worker = WorkerProcess(server, root / "worker.log")
    responder = Http01Responder(server.http01_port)
    made = Pair(server, worker, responder)
    try:
        responder.start()
        server.start()
        worker.start()
        yield made
    except BaseException:
        for path in made.log_paths():
            print_log_tail(path)
        raise
    finally:
        worker.stop()
        server.stop()
        responder.stop()


@pytest.fixture
def client(pair: Pair) -> Iterator[AcmeClient]:
    with pair.server.client() as http:
        made = AcmeClient(http, pair.server.directory_url())
        made.key = AccountKey.generate()
        assert made.register().status_code == 201
        yield made


def held_challenge(pair: Pair, client: AcmeClient) -> tuple[str, str, dict[str, Any]]:
    """A new order whose http-01 challenge the worker is validating right now, its fetch held:
    (order URL, authorization URL, challenge)."""
    response = client.new_order([unique_name()])
    assert response.status_code == 201, response.text
    order_url = response.headers["Location"]
    authz_url = response.json()["authorizations"][0]
    challenge = http01_challenge(client.get(authz_url).json())
    token = challenge["token"]
    pair.responder.answers[token] = client.key_authorization(token)
    pair.responder.hold[token] = threading.Event()
    answered = client.post(challenge["url"], {})
    assert answered.status_code == 200, answered.text
    poll(lambda: pair.responder.fetches[token] > 0, WAIT_SECONDS, "the worker's fetch")
    return order_url, authz_url, challenge


def settled(client: AcmeClient, url: str) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        doc: dict[str, Any] = client.get(url).json()
        return doc if doc["status"] != "processing" else None

    return poll(check, WAIT_SECONDS, f"{url} settled")


def test_a_result_after_deactivation_leaves_the_authorization_deactivated(
    pair: Pair, client: AcmeClient
) -> None:
    order_url, authz_url, challenge = held_challenge(pair, client)
    assert client.get(challenge["url"]).json()["status"] == "processing"

    # The client gives up while the worker waits for the answer (RFC 8555 §7.5.2).
    deactivated = client.post(authz_url, {"status": "deactivated"})
    assert deactivated.status_code == 200, deactivated.text
    assert deactivated.json()["status"] == "deactivated"

    # The worker gets the right key authorization: its result is "valid" ...
    pair.responder.hold[challenge["token"]].set()
    done = settled(client, challenge["url"])
    # ... and it is not applied: the challenge is closed, the authorization stays deactivated.
    assert done["status"] == "invalid"
    assert "became deactivated before validation finished" in done["error"]["detail"]
    assert client.get(authz_url).json()["status"] == "deactivated"
    assert client.get(order_url).json()["status"] == "invalid"
    assert "validated challenge" in pair.worker.log()


def test_a_result_for_a_live_authorization_is_applied(pair: Pair, client: AcmeClient) -> None:
    """The same two processes without the deactivation: the held result does make it valid."""
    order_url, authz_url, challenge = held_challenge(pair, client)
    pair.responder.hold[challenge["token"]].set()
    assert settled(client, challenge["url"])["status"] == "valid"
    assert client.get(authz_url).json()["status"] == "valid"
    assert client.get(order_url).json()["status"] == "ready"


# --------------------------------------------------------------------------- the interleaving


class DeactivateAfterRead:
    """The storage of the process applying the result, with the client's deactivation (sent to
    the other process over HTTP) landing right after the result's transaction read the
    authorization as pending: the interleaving a compare-and-set must survive."""

    def __init__(self, inner: Any, deactivate: Callable[[], None]) -> None:
        self._inner = inner
        self._deactivate = deactivate
        self.fired = False

    @contextmanager
    def __call__(self, *, write: bool = False) -> Iterator[Any]:
        with self._inner(write=write) as tx:
            yield _Tx(tx, self) if write else tx

    def after_read(self) -> None:
        if not self.fired:
            self.fired = True
            self._deactivate()


class _Tx:
    def __init__(self, tx: Any, hook: DeactivateAfterRead) -> None:
        self._tx = tx
        self.authorizations = _Authorizations(tx.authorizations, hook)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tx, name)


class _Authorizations:
    def __init__(self, inner: Any, hook: DeactivateAfterRead) -> None:
        self._inner = inner
        self._hook = hook

    def get(self, authorization_id: str) -> Any:
        found = self._inner.get(authorization_id)
        self._hook.after_read()
        return found

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@pytest.fixture(scope="module")
def lone_server(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    dns_server: ChallTestSrv,
) -> Iterator[AcmehubServer]:
    """A server on PostgreSQL that validates nothing (no worker either): this test process
    applies the result itself, as a worker process would."""
    root = tmp_path_factory.mktemp("late-result-race")
    settings = server_overrides(
        database_url(request, "postgresql", "lateresultrace"), ACMEHUB_VALIDATION_WORKERS="0"
    )
    server = AcmehubServer(root / "state", dns_port=dns_server.dns_port, **settings)
    server.start()
    try:
        yield server
    except BaseException:
        print_log_tail(server.log_path)
        raise
    finally:
        server.stop()


def test_a_deactivation_committed_inside_the_results_transaction_wins(
    lone_server: AcmehubServer,
) -> None:
    """PostgreSQL only: SQLite has one writer at a time, so there the deactivation waits for
    the result's transaction and then deactivates the decided authorization (allowed)."""
    with lone_server.client() as http:
        client = AcmeClient(http, lone_server.directory_url())
        client.key = AccountKey.generate()
        assert client.register().status_code == 201
        response = client.new_order([unique_name()])
        order_url = response.headers["Location"]
        authz_url = response.json()["authorizations"][0]
        challenge = http01_challenge(client.get(authz_url).json())
        assert client.post(challenge["url"], {}).status_code == 200

        def deactivate() -> None:
            answer = client.post(authz_url, {"status": "deactivated"})
            assert answer.status_code == 200, answer.text

        container = lone_server.container()
        deps = container.services.deps
        hooked = DeactivateAfterRead(deps.uow, deactivate)
        service = AuthorizationService(replace(deps, uow=hooked), container.services.accounts)
        service.record_result(ValidationResult(last_segment(challenge["url"])))

        assert hooked.fired
        assert client.get(authz_url).json()["status"] == "deactivated"
        done = client.get(challenge["url"]).json()
        assert done["status"] == "invalid"
        assert "became deactivated before validation finished" in done["error"]["detail"]
        assert client.get(order_url).json()["status"] == "invalid"
