"""The validation worker in an event loop: real SQLite and PostgreSQL, real http-01 on loopback.

Each test runs the worker in an event loop of its own (asyncio.run) with the injected clock for
every lease; waits are bounded loops on a condition, never fixed sleeps.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from acmehub.concurrency import run_sync
from acmehub.domain.model import (
    Account,
    AccountStatus,
    AcmeProfile,
    Authority,
    Authorization,
    AuthzStatus,
    Challenge,
    ChallengeStatus,
    ChallengeType,
    Identifier,
    Order,
    OrderStatus,
    RaProfile,
)
from acmehub.services.accounts import AccountService
from acmehub.services.authorizations import AuthorizationService
from acmehub.services.context import AcmeContext, ProfileMode, ProfileRef
from acmehub.services.deps import ServiceDeps
from acmehub.storage import tables as t
from acmehub.storage.engine import WriteGate, make_engine
from acmehub.storage.migrate import upgrade
from acmehub.storage.unit_of_work import SqlUnitOfWorkFactory
from acmehub.storage.validation_queue import SqlValidationQueue
from acmehub.validation import ValidationAuthority, VaSettings
from acmehub.validation.worker import ValidationWorker, WorkerSettings
from tests.fakes import FixedClock, MemoryNonceStore
from tests.support.isolated import run_isolated
from tests.support.postgres import PostgresCluster
from tests.support.va import LOOPBACK_ALLOWED

pytestmark = pytest.mark.timeout(60)

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
WELL_KNOWN = "/.well-known/acme-challenge/"
#: Upper bound of every wait (the conditions hold within milliseconds when all is well).
BOUND = 15.0


# --------------------------------------------------------------------------- a responder


class Responder:
    """http-01 answers on loopback; a held path answers only once released."""

    def __init__(self) -> None:
        self.bodies: dict[str, bytes] = {}
        self.release = threading.Event()
        self.release.set()
        self.requests = 0
        state = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                state.requests += 1
                state.release.wait(BOUND * 2)
                body = state.bodies.get(self.path, b"no such token")
                self.send_response(200 if self.path in state.bodies else 404)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

        self._server = Server(("127.0.0.1", 0), Handler)
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}
        )
        self._thread.start()

    def close(self) -> None:
        self.release.set()
        self._server.shutdown()
        self._thread.join(timeout=5)
        self._server.server_close()


@pytest.fixture
def responder() -> Iterator[Responder]:
    made = Responder()
    yield made
    made.close()


# --------------------------------------------------------------------------- the world


@dataclass
class World:
    engine: Engine
    clock: FixedClock
    uow: SqlUnitOfWorkFactory
    queue: SqlValidationQueue
    authorizations: AuthorizationService
    ctx: AcmeContext
    account: Account
    dns_port: int
    gate: WriteGate

    def run(self, scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run ``scenario`` in an event loop of its own; the loop's database connections
        (asyncpg on PostgreSQL) are closed in it at the end."""

        async def closing() -> None:
            try:
                await scenario()
            finally:
                await self.gate.aclose()

        run_isolated(closing())  # a browser test may leave a loop running on this thread

    def worker(self, name: str, http_port: int, **settings: Any) -> ValidationWorker:
        va = ValidationAuthority(
            VaSettings(http01_port=http_port, timeout=BOUND, allowed_networks=LOOPBACK_ALLOWED)
        )
        return ValidationWorker(
            self.authorizations,
            va,
            self.queue,
            self.clock,
            WorkerSettings(name=name, **settings),
        )

    def challenge(
        self, responder: Responder, *, status: ChallengeStatus = ChallengeStatus.PROCESSING
    ) -> Challenge:
        """A new order with one http-01 challenge, answered correctly by ``responder``."""
        n = uuid.uuid4().hex[:10]
        authz_id, order_id = f"authz-{n}", f"order-{n}"
        challenge = Challenge(
            id=f"chall-{n}",
            authorization_id=authz_id,
            type=ChallengeType.HTTP_01,
            token=f"token{n}",
            status=status,
        )
        name = f"h{n}.worker.test"
        authz = Authorization(
            id=authz_id,
            account_id=self.account.id,
            identifier=Identifier("dns", name),
            wildcard=False,
            status=AuthzStatus.PENDING,
            expires=NOW + timedelta(days=1),
            challenges=(challenge,),
        )
        order = Order(
            id=order_id,
            account_id=self.account.id,
            status=OrderStatus.PENDING,
            identifiers=(authz.identifier,),
            authorization_ids=(authz_id,),
            expires=NOW + timedelta(days=1),
            created_at=NOW,
            acme_profile_uuid=self.ctx.acme_profile.uuid,
        )
        with self.uow(write=True) as tx:
            tx.orders.add(order)
            tx.authorizations.add(authz, order_id)
        key_authorization = f"{challenge.token}.{self.account.key_thumbprint}"
        responder.bodies[WELL_KNOWN + challenge.token] = key_authorization.encode()
        return challenge

    def lease_of(self, challenge_id: str) -> tuple[str | None, datetime | None, str]:
        c = t.challenges.c
        with self.engine.connect() as conn:
            row = conn.execute(
                select(c.lease_owner, c.lease_until, c.status).where(c.id == challenge_id)
            ).one()
        until = row[1]
        if until is not None and until.tzinfo is None:
            until = until.replace(tzinfo=UTC)
        return row[0], until, row[2]

    def status(self, challenge_id: str) -> str:
        return self.lease_of(challenge_id)[2]


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, tmp_path: Path, challtestsrv: Any) -> Iterator[World]:
    if request.param == "postgresql":
        postgres: PostgresCluster = request.getfixturevalue("postgres")
        engine = make_engine(postgres.new_database("worker"), pool_size=4)
    else:
        engine = make_engine(f"sqlite:///{tmp_path / 'acmehub.db'}", pool_size=4)
    upgrade(engine)
    clock = FixedClock(NOW)
    gate = WriteGate(engine)
    uow = SqlUnitOfWorkFactory(gate, clock)
    queue = SqlValidationQueue(gate)
    deps = ServiceDeps(
        uow=uow,
        clock=clock,
        nonces=MemoryNonceStore(clock, timedelta(minutes=5)),
        ca=None,  # type: ignore[arg-type]  # validation issues nothing
        queue=queue,
    )
    authority = Authority(str(uuid.uuid4()), "CA", "embedded", True, {})
    ra = RaProfile(str(uuid.uuid4()), "ra", authority.uuid, True)
    acme = AcmeProfile(
        str(uuid.uuid4()),
        "acme",
        True,
        default_ra_profile_uuid=ra.uuid,
        dns_resolver_ip="127.0.0.1",
        dns_resolver_port=challtestsrv.dns_port,
    )
    account = Account(
        id="acct-1",
        uuid=str(uuid.uuid4()),
        key_thumbprint="thumbprint-of-the-account-key",
        jwk={"kty": "EC", "crv": "P-256", "x": "x", "y": "y"},
        status=AccountStatus.VALID,
        enabled=True,
        contact=(),
        terms_of_service_agreed=True,
        acme_profile_uuid=acme.uuid,
        ra_profile_uuid=ra.uuid,
        via_default_ra_profile=True,
        created_at=NOW,
    )
    with uow(write=True) as tx:
        tx.profiles.add_authority(authority)
        tx.profiles.add_ra_profile(ra)
        tx.profiles.add_acme_profile(acme)
        ra = replace(ra, acme_profile_uuid=acme.uuid)
        tx.profiles.update_ra_profile(ra)
        tx.accounts.add(account)
    accounts = AccountService(deps)
    ctx = AcmeContext(ProfileRef(ProfileMode.ACME_PROFILE, acme.name), acme, ra)
    yield World(
        engine,
        clock,
        uow,
        queue,
        AuthorizationService(deps, accounts),
        ctx,
        account,
        challtestsrv.dns_port,
        gate,
    )
    queue.close()
    engine.dispose()


async def eventually(condition: Callable[[], bool], what: str, bound: float = BOUND) -> float:
    """Wait (bounded) until ``condition()`` holds; returns the seconds it took."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > bound:
            raise AssertionError(f"not within {bound} s: {what}")
        await asyncio.sleep(0.01)
    return time.monotonic() - started


# --------------------------------------------------------------------------- the tests


def test_a_queued_challenge_is_claimed_and_validated(world: World, responder: Responder) -> None:
    challenge = world.challenge(responder)

    async def scenario() -> None:
        worker = world.worker("w-1", responder.port)
        await worker.start()
        try:
            await eventually(lambda: world.status(challenge.id) == "valid", "validated")
        finally:
            await worker.stop()
        assert worker.expected_seconds() is not None
        assert world.queue.expected_validation_seconds() is None  # detached once stopped

    world.run(scenario)
    owner, until, _ = world.lease_of(challenge.id)
    assert (owner, until) == (None, None)  # a settled challenge has no lease


def test_a_restarted_worker_resumes_its_leased_challenge_at_once(
    world: World, responder: Responder
) -> None:
    """The previous process of this slot leased the challenge for an hour and died: the
    restarted worker (same name) takes it back at start, not when the lease ends, while a
    worker of another name cannot have it."""
    challenge = world.challenge(responder)
    with world.uow(write=True) as tx:
        tx.authorizations.update_challenge(challenge, ("slot-0", NOW + timedelta(hours=1)))
    assert world.queue.claim("someone-else", NOW, 10, 10) == []

    async def scenario() -> None:
        # Polls once an hour: only the resume at start can explain a quick validation.
        worker = world.worker("slot-0", responder.port, poll_seconds=3600)
        await worker.start()
        try:
            await eventually(lambda: world.status(challenge.id) == "valid", "resumed")
        finally:
            await worker.stop()

    world.run(scenario)
    assert world.clock.now() == NOW  # no time had to pass


def test_lease_renewal_keeps_a_slow_validation_leased(world: World, responder: Responder) -> None:
    challenge = world.challenge(responder)
    responder.release.clear()  # the target answers only when the test says so

    async def scenario() -> None:
        worker = world.worker("w-slow", responder.port, lease_seconds=3, concurrency=1)
        await worker.start()
        try:
            await eventually(lambda: responder.requests == 1, "the GET reached the target")
            owner, until, _ = world.lease_of(challenge.id)
            assert (owner, until) == ("w-slow", NOW + timedelta(seconds=3))
            # Much later by the clock than the first lease allows: renewals move it on.
            later = world.clock.advance(seconds=30)
            await eventually(
                lambda: world.lease_of(challenge.id)[1] == later + timedelta(seconds=3),
                "the lease renewed from the clock's now",
                bound=worker.settings.renew_seconds * 4,
            )
            claimed = await run_sync(
                world.queue.claim, "w-other", later + timedelta(seconds=2), 3, 10
            )
            assert claimed == []
            assert world.status(challenge.id) == "processing"
            responder.release.set()
            await eventually(lambda: world.status(challenge.id) == "valid", "validated")
        finally:
            await worker.stop()
        assert responder.requests == 1  # validated once, by the lease holder

    world.run(scenario)


def test_a_hand_over_from_another_thread_starts_at_once(world: World, responder: Responder) -> None:
    """The real answering path (AuthorizationService.respond) in a thread of its own: the
    challenge is leased to this process's worker in the answering transaction and handed
    over; the worker polls once an hour, so only the hand-over can start it."""
    challenge = world.challenge(responder, status=ChallengeStatus.PENDING)

    async def scenario() -> None:
        worker = world.worker("w-here", responder.port, poll_seconds=3600, concurrency=2)
        await worker.start()
        try:
            await asyncio.sleep(0)  # its first claim finds nothing to do
            answered = threading.Thread(
                target=world.authorizations.respond,
                args=(world.ctx, world.account.id, challenge.id),
            )
            started = time.monotonic()
            answered.start()
            await eventually(lambda: world.status(challenge.id) == "valid", "handed over")
            assert time.monotonic() - started < 5
            answered.join(BOUND)
        finally:
            await worker.stop()
        assert world.queue.local_lease(NOW) is None  # stopped: no more hand-overs

    world.run(scenario)
    owner, _, status = world.lease_of(challenge.id)
    assert (owner, status) == (None, "valid")


def test_at_most_concurrency_validations_at_once(world: World, responder: Responder) -> None:
    challenges = [world.challenge(responder) for _ in range(3)]
    responder.release.clear()

    async def scenario() -> None:
        worker = world.worker("w-two", responder.port, concurrency=2, poll_seconds=0.05)
        await worker.start()
        try:
            await eventually(lambda: responder.requests == 2, "two GETs at once")
            await asyncio.sleep(0.2)  # a third would have arrived by now
            assert responder.requests == 2
            assert not worker.has_room()
            responder.release.set()
            for challenge in challenges:
                await eventually(lambda c=challenge: world.status(c.id) == "valid", "all three")
        finally:
            await worker.stop()

    world.run(scenario)
