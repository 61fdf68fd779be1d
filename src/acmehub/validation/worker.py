"""The validation worker: claims processing challenges, runs the VA, hands results to services.

It runs as asyncio tasks in the event loop it is started in: inside `acmehub serve` the
server's own loop (started from the application's lifespan), in `acmehub worker` a loop of its
own. At most ``concurrency`` validations run at once; database calls (claim, task, result) run
in the loop's thread through :func:`acmehub.concurrency.run_sync`.

Any number of workers share one database: a claim is a lease, so a challenge runs on one worker
at a time and is retried if its worker dies. Leases are short and renewed every third of their
length while the validation runs; a worker restarted under the same name (the same process
slot, see ``bootstrap.worker_name``) first takes back the challenges it held.

Work arrives three ways: a challenge answered in this process is handed over at once
(:meth:`ValidationWorker.start_handed`, from any thread); on PostgreSQL a NOTIFY from another
process wakes the claim loop; and the loop polls every ``poll_seconds`` anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from acmehub.concurrency import run_sync
from acmehub.domain.errors import ErrorKind, Problem
from acmehub.domain.model import ValidationResult
from acmehub.domain.ports import Clock, Validator
from acmehub.services.authorizations import AuthorizationService

log = logging.getLogger("acmehub.validation")


@dataclass(frozen=True)
class WorkerSettings:
    name: str
    concurrency: int = 8
    lease_seconds: int = 10
    poll_seconds: float = 0.5

    def __post_init__(self) -> None:
        if self.concurrency < 1 or self.lease_seconds < 1 or self.poll_seconds <= 0:
            raise ValueError("WorkerSettings: concurrency, lease and poll must be positive")

    @property
    def renew_seconds(self) -> float:
        """How often running validations' leases are renewed: three times per lease."""
        return self.lease_seconds / 3


class QueueLike(Protocol):
    """What the worker needs from the queue adapter (storage.validation_queue)."""

    def claim(
        self, worker: str, now: datetime, lease_seconds: int, limit: int, *, resume: bool = False
    ) -> list[str]: ...
    def renew(self, worker: str, ids: Sequence[str], until: datetime) -> set[str]: ...
    def attach(self, worker: ValidationWorker | None) -> None: ...
    def listen(self, woken: Callable[[], None]) -> None: ...


@dataclass
class _Job:
    task: asyncio.Task[None] | None = None
    validating: bool = False  # in the VA (not in a database call): safe to cancel
    #: Done when the job ends (its result recorded, or given up): what a held poll awaits.
    done: asyncio.Future[None] | None = None


class _Durations:
    """An exponentially weighted moving average of recent validation durations."""

    WEIGHT = 0.2

    def __init__(self) -> None:
        self.average: float | None = None

    def add(self, seconds: float) -> None:
        previous = self.average
        self.average = (
            seconds if previous is None else previous + self.WEIGHT * (seconds - previous)
        )


class ValidationWorker:
    def __init__(
        self,
        authorizations: AuthorizationService,
        validator: Validator,
        queue: QueueLike,
        clock: Clock,
        settings: WorkerSettings,
    ) -> None:
        self._authz = authorizations
        self._validator = validator
        self._queue = queue
        self._clock = clock
        self._settings = settings
        self._loop: asyncio.AbstractEventLoop | None = None
        self._woken: asyncio.Event | None = None
        self._jobs: dict[str, _Job] = {}  # started or waiting for room; all leased to us
        self._waiting: deque[str] = deque()  # handed over while every slot was busy
        self._loops: list[asyncio.Task[None]] = []
        self._durations = _Durations()
        self._stopping = False

    # ------------------------------------------------------------------ what others see

    @property
    def name(self) -> str:
        return self._settings.name

    @property
    def lease_seconds(self) -> int:
        return self._settings.lease_seconds

    @property
    def settings(self) -> WorkerSettings:
        return self._settings

    def has_room(self) -> bool:
        """Whether a challenge answered now would start at once (any thread)."""
        return (
            not self._stopping
            and self._loop is not None
            and len(self._jobs) < (self._settings.concurrency)
        )

    def expected_seconds(self) -> float | None:
        """About how long a validation takes here: the moving average of recent durations
        (from the start of the validation to its recorded result), or None before the first
        one. Read from any thread."""
        return self._durations.average

    def settled(self, challenge_id: str) -> asyncio.Future[None] | None:
        """In the worker's loop: a future done when this worker's validation of
        ``challenge_id`` has ended (result recorded or given up); None when it holds none."""
        job = self._jobs.get(challenge_id)
        if job is None or self._loop is None:
            return None
        if job.done is None:
            job.done = self._loop.create_future()
        return job.done

    def start_handed(self, challenge_id: str) -> None:
        """Validate a challenge already leased to this worker (by the transaction that answered
        it), at once. Safe from any thread, the loop's own included."""
        loop = self._loop
        if loop is None or self._stopping:
            return  # its lease runs out and a claim takes it
        with contextlib.suppress(RuntimeError):  # the loop closed: same as stopped
            loop.call_soon_threadsafe(self._accept, challenge_id)

    def wake(self) -> None:
        """Look for work now instead of at the next poll (any thread)."""
        loop, woken = self._loop, self._woken
        if loop is not None and woken is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(woken.set)

    # ------------------------------------------------------------------ life cycle

    async def start(self) -> None:
        """Start in the running event loop; returns at once."""
        self._loop = asyncio.get_running_loop()
        self._woken = asyncio.Event()
        self._stopping = False
        self._queue.attach(self)
        self._queue.listen(self.wake)
        self._loops = [
            self._loop.create_task(self._claim_loop(), name="acmehub-va-claims"),
            self._loop.create_task(self._renew_loop(), name="acmehub-va-leases"),
        ]

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop claiming; cancel the validations still talking to their targets (their leases
        run out, or this worker's successor resumes them) and let those writing their result
        finish, for at most ``timeout`` seconds."""
        self._stopping = True
        self._queue.attach(None)  # challenges answered from now on wait for a claim
        for task in self._loops:
            task.cancel()
        await asyncio.gather(*self._loops, return_exceptions=True)
        self._loops = []
        self._waiting.clear()
        for job in self._jobs.values():
            if job.validating and job.task is not None:
                job.task.cancel()
        tasks = [job.task for job in self._jobs.values() if job.task is not None]
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=timeout)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late, timeout=1.0)
        self._loop = None

    # ------------------------------------------------------------------ the loops

    async def _claim_loop(self) -> None:
        resuming = True  # first take back what this worker's name held before a restart
        woken = self._woken
        assert woken is not None
        while True:
            free = self._settings.concurrency - len(self._jobs)
            if free > 0:
                try:
                    ids = await run_sync(
                        self._queue.claim,
                        self._settings.name,
                        self._clock.now(),
                        self._settings.lease_seconds,
                        free,
                        resume=resuming,
                    )
                except Exception:
                    log.exception("validation queue claim failed")
                    ids = None
                for challenge_id in ids or ():
                    self._accept(challenge_id)
                if ids is None:
                    pass  # try again at the next poll
                elif resuming:
                    if ids:
                        log.info("resuming the validation of %d challenge(s)", len(ids))
                    if len(ids) < free:
                        resuming = False
                        continue  # and now whatever is queued
                elif ids and len(ids) == free:
                    continue  # maybe more: claim again once there is room
            woken.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._settings.poll_seconds):
                    await woken.wait()

    async def _renew_loop(self) -> None:
        while True:
            await asyncio.sleep(self._settings.renew_seconds)
            ids = list(self._jobs)
            if not ids:
                continue
            until = self._clock.now() + timedelta(seconds=self._settings.lease_seconds)
            try:
                kept = await run_sync(self._queue.renew, self._settings.name, ids, until)
            except Exception:
                # The lease may run out: another worker may then validate too; whichever
                # records first wins (record_result ignores a challenge no longer processing).
                log.warning("renewing validation leases failed", exc_info=True)
                continue
            for challenge_id in ids:
                job = self._jobs.get(challenge_id)
                if challenge_id not in kept and job is not None and job.validating:
                    # Settled elsewhere, or another worker took it after the lease ran out.
                    log.warning("lost the lease on challenge %s; stopping", challenge_id)
                    if job.task is not None:
                        job.task.cancel()

    # ------------------------------------------------------------------ one validation

    def _accept(self, challenge_id: str) -> None:
        """In the loop: start ``challenge_id`` now, or as soon as there is room."""
        if self._stopping or challenge_id in self._jobs:
            return
        self._jobs[challenge_id] = _Job()
        started = sum(1 for job in self._jobs.values() if job.task is not None)
        if started < self._settings.concurrency:
            self._launch(challenge_id)
        else:
            self._waiting.append(challenge_id)

    def _launch(self, challenge_id: str) -> None:
        loop = self._loop
        assert loop is not None
        job = self._jobs[challenge_id]
        job.task = loop.create_task(self._validate_one(challenge_id, job), name=challenge_id)

    async def _validate_one(self, challenge_id: str, job: _Job) -> None:
        started = time.monotonic()
        try:
            task = await run_sync(self._authz.validation_task, challenge_id)
            if task is None:
                return
            job.validating = True
            try:
                result = await self._validator.validate(task)
            except Exception:
                log.exception("validator crashed on challenge %s", challenge_id)
                result = ValidationResult(
                    challenge_id, Problem(ErrorKind.SERVER_INTERNAL, "validation failed internally")
                )
            job.validating = False
            await run_sync(self._authz.record_result, result)
            self._durations.add(time.monotonic() - started)
            log.info(
                "validated challenge %s (%s %s): %s",
                challenge_id,
                task.type.value,
                task.identifier.value,
                "valid" if result.ok else result.problem,
            )
        except asyncio.CancelledError:
            log.info("validation of challenge %s stopped; its lease runs out", challenge_id)
            raise
        except Exception:
            # The lease runs out and another claim retries it.
            log.exception("recording validation of challenge %s failed", challenge_id)
        finally:
            self._finished(challenge_id)

    def _finished(self, challenge_id: str) -> None:
        job = self._jobs.pop(challenge_id, None)
        if job is not None and job.done is not None and not job.done.done():
            job.done.set_result(None)
        while self._waiting and not self._stopping:
            waiting = self._waiting.popleft()
            if waiting in self._jobs:
                self._launch(waiting)
                return
        if self._woken is not None:
            self._woken.set()  # room for a claim
