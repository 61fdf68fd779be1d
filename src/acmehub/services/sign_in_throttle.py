"""The sign-in throttle: failed sign-ins slow down, then lock out, whoever repeats them.

Failures are counted per user name and per client address, in the database (so every process
of a deployment counts the same, and a restart forgets nothing):

* **Back-off.** After ``user_free`` failures in a row for a name (``address_free`` for an
  address), the next attempt waits ``first_delay`` after the last failure, doubling with each
  further failure up to ``max_delay``. An attempt inside the wait is refused at once (429,
  ``Retry-After``) without checking the password, so it costs no argon2 work either.
* **Lock-out.** After ``lockout_after`` failures in a row, a user name is locked until an
  administrator unlocks it (`acmehub user unlock NAME`, :meth:`UserService.unlock`); the
  right password does not open it meanwhile. Addresses are never locked: many people can
  share one (a NAT, a proxy), and a lock-out there would let anyone lock them all out; the
  back-off bounds what one address can try (past ``max_delay``, four guesses an hour).

A successful sign-in clears its name's failures (not its address's: else signing in to an
account of one's own between guesses would reset them). Failures older than ``forget_after``
no longer count. Unknown names are counted and locked like real ones, so the answers tell
nothing about which names exist.

Every time rule reads the injected clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from math import ceil

from acmehub.domain.admin_model import SignInFailures
from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.ports import Clock, UnitOfWork
from acmehub.services.admin import SYSTEM_ACTOR, record

_PURGE_BATCH = 200


def user_key(username: str) -> str:
    return f"user:{username[:100]}"


def address_key(address: str) -> str:
    return f"address:{address[:45]}"


@dataclass(frozen=True)
class ThrottlePolicy:
    user_free: int = 3
    address_free: int = 10
    first_delay: timedelta = timedelta(seconds=1)
    max_delay: timedelta = timedelta(minutes=15)
    #: 0: never lock out.
    lockout_after: int = 10
    forget_after: timedelta = timedelta(hours=24)

    def wait_after(self, failures: int, free: int) -> timedelta:
        """How long after the last of ``failures`` failures the next attempt must wait."""
        if failures < free:
            return timedelta(0)
        return min(self.max_delay, self.first_delay * (1 << min(failures - free, 30)))


class SignInThrottle:
    def __init__(self, clock: Clock, policy: ThrottlePolicy | None = None) -> None:
        self._clock = clock
        self.policy = policy or ThrottlePolicy()

    def check(self, tx: UnitOfWork, username: str, address: str) -> None:
        """Refuse (429) a sign-in that comes too soon after failures, or for a locked name."""
        now = self._clock.now()
        user, addr = user_key(username), address_key(address) if address else ""
        found = tx.sign_in_failures.get_many([k for k in (user, addr) if k])
        current = self._current(found.get(user), now)
        if current is not None and current.locked_at is not None:
            raise DomainError(
                ErrorKind.RATE_LIMITED,
                "Too many failed sign-ins: this user is locked. An administrator can unlock it.",
                status=429,
            )
        until = max(
            self._allowed_at(current, self.policy.user_free),
            self._allowed_at(self._current(found.get(addr), now), self.policy.address_free),
        )
        if until > now:
            seconds = ceil((until - now).total_seconds())
            raise DomainError(
                ErrorKind.RATE_LIMITED,
                f"Too many failed sign-ins: wait {seconds} seconds before trying again.",
                status=429,
                headers={"Retry-After": str(seconds)},
            )

    def failed(self, tx: UnitOfWork, username: str, address: str) -> None:
        """Count a failure for the name and the address; lock the name at the threshold."""
        now = self._clock.now()
        forget_before = now - self.policy.forget_after
        repo = tx.sign_in_failures
        repo.purge(forget_before, _PURGE_BATCH)
        if address:
            repo.add_failure(address_key(address), now, forget_before)
        user = repo.add_failure(user_key(username), now, forget_before)
        limit = self.policy.lockout_after
        if limit and user.failures >= limit and user.locked_at is None:
            repo.lock(user.key, now)
            record(
                tx,
                self._clock,
                SYSTEM_ACTOR.name,
                "user.lockOut",
                "user",
                username[:100],
                failures=user.failures,
                source=address,
            )

    def succeeded(self, tx: UnitOfWork, username: str) -> None:
        tx.sign_in_failures.clear(user_key(username))

    def _current(self, state: SignInFailures | None, now: datetime) -> SignInFailures | None:
        """``state`` unless its failures are forgotten (a lock-out is never forgotten)."""
        if state is None or state.locked_at is not None:
            return state
        if state.last_failure_at < now - self.policy.forget_after:
            return None
        return state

    def _allowed_at(self, state: SignInFailures | None, free: int) -> datetime:
        if state is None:
            return datetime.min.replace(tzinfo=self._clock.now().tzinfo)
        return state.last_failure_at + self.policy.wait_after(state.failures, free)
