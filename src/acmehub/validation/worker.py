"""The validation worker: claims processing challenges, runs the VA, hands results to services.

Runs inside `acmehub serve` (threads, woken at once when a challenge is answered) or as
`acmehub worker` processes (polling); any number of either share one database: a claim is a
lease, so a challenge runs on one worker at a time and is retried if its worker dies.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from acmehub.domain.errors import ErrorKind, Problem
from acmehub.domain.model import ValidationResult
from acmehub.domain.ports import Clock, Validator
from acmehub.services.authorizations import AuthorizationService

log = logging.getLogger("acmehub.validation")


@dataclass(frozen=True)
class WorkerSettings:
    name: str
    threads: int = 8
    lease_seconds: int = 120
    poll_seconds: float = 0.5


class QueueLike(Protocol):
    """What the worker needs from the queue adapter: claims, an in-process wake-up, and the
    challenges answered in this process that were leased to it straight away."""

    def claim(self, worker: str, now: datetime, lease_seconds: int, limit: int) -> list[str]: ...
    def wait(self, timeout: float) -> bool: ...
    def attach(self, worker: ValidationWorker | None) -> None: ...
    def take_handed(self) -> list[str]: ...


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
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(settings.threads, thread_name_prefix="acmehub-va")
        self._busy = threading.Semaphore(settings.threads)
        self._running = 0  # validations submitted and not finished (a hint, read unlocked)
        self._running_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def name(self) -> str:
        return self._settings.name

    @property
    def lease_seconds(self) -> int:
        return self._settings.lease_seconds

    def idle_threads(self) -> int:
        return self._settings.threads - self._running

    def start(self) -> None:
        self._queue.attach(self)
        self._thread = threading.Thread(target=self.run, name="acmehub-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        self._queue.attach(None)  # challenges answered from now on wait for a claim
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._pool.shutdown(wait=True, cancel_futures=True)

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                claimed = self.run_once()
            except Exception:
                log.exception("validation queue poll failed")
                claimed = 0
            if claimed == 0:
                self._queue.wait(self._settings.poll_seconds)

    def run_once(self) -> int:
        """Start the challenges handed over (already leased to this worker), then claim as
        many as there are free threads; returns how many were started."""
        handed = self._queue.take_handed()
        for challenge_id in handed:
            self._busy.acquire()
            self._submit(challenge_id)
        free = 0
        while self._busy.acquire(blocking=False):
            free += 1
        if free == 0:
            if handed:
                return len(handed)
            self._busy.acquire()
            free = 1
        ids = self._queue.claim(
            self._settings.name, self._clock.now(), self._settings.lease_seconds, free
        )
        for _ in range(free - len(ids)):
            self._busy.release()
        for challenge_id in ids:
            self._submit(challenge_id)
        return len(handed) + len(ids)

    def _submit(self, challenge_id: str) -> None:
        with self._running_lock:
            self._running += 1
        self._pool.submit(self._validate_one, challenge_id)

    def _validate_one(self, challenge_id: str) -> None:
        try:
            task = self._authz.validation_task(challenge_id)
            if task is None:
                return
            try:
                result = asyncio.run(self._validator.validate(task))
            except Exception:
                log.exception("validator crashed on challenge %s", challenge_id)
                result = ValidationResult(
                    challenge_id, Problem(ErrorKind.SERVER_INTERNAL, "validation failed internally")
                )
            self._authz.record_result(result)
            log.info(
                "validated challenge %s (%s %s): %s",
                challenge_id,
                task.type.value,
                task.identifier.value,
                "valid" if result.ok else result.problem,
            )
        except Exception:
            # The lease runs out and another claim retries it.
            log.exception("recording validation of challenge %s failed", challenge_id)
        finally:
            with self._running_lock:
                self._running -= 1
            self._busy.release()
