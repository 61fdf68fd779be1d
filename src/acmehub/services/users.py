"""Users of the web interface: created by administrators (`acmehub user create`), passwords
hashed with argon2id, one role each (the API's roles), switched off with ``disabled``.

Checking a password (:meth:`UserService.check_password`) costs the same whether the user
exists or not: an unknown name is checked against a throw-away hash, so the time a refusal
takes does not tell which names exist.

The argon2 work is bounded. New hashes use argon2id with m=19 MiB, t=2, p=1: OWASP's
Password Storage Cheat Sheet's first recommended minimum for argon2id, which it rates as
strong as its other options (46 MiB/t=1, 12 MiB/t=3, ...) and which costs a third of the
library's default 64 MiB (RFC 9106's second option), the figure that bounds memory under
parallel sign-ins. At most ``concurrent_hashes`` hashes or verifications run at once in a
process (a semaphore; the rest wait, and give up after ``hash_wait`` seconds with 503), so parallel
attempts need at most about ``concurrent_hashes`` x 19 MiB, not 64 MiB each. Hashes made with
other parameters (the old default) still verify: argon2 reads them from the hash, and the next
successful sign-in stores a new one (:meth:`UserService.rehash_if_needed`).
"""

from __future__ import annotations

import re
import secrets
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from acmehub.domain.admin_model import Role, User
from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.services.admin import Actor, record, require
from acmehub.services.deps import ServiceDeps
from acmehub.services.sign_in_throttle import user_key

#: argon2id: OWASP's first minimum (m=19 MiB, t=2, p=1); see the module's docstring.
HASH_MEMORY_KIB = 19 * 1024
HASH_TIME_COST = 2
HASH_PARALLELISM = 1
#: Hashes or verifications at once per process, and how long one waits for its turn (seconds).
CONCURRENT_HASHES = 4
HASH_WAIT = 30.0

#: Letters, digits and . _ @ - (an e-mail address works as a username).
_USERNAME = re.compile(r"^[A-Za-z0-9._@-]{1,100}$")
MIN_PASSWORD = 10
MAX_PASSWORD = 1000


def _invalid(detail: str) -> DomainError:
    return DomainError(ErrorKind.INVALID_INPUT, detail, status=422)


def check_username(username: str) -> None:
    if not isinstance(username, str) or not _USERNAME.match(username):
        raise _invalid("username must be 1-100 of the characters A-Z a-z 0-9 . _ @ -")


def check_password(password: str) -> None:
    if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise _invalid(f"password must be {MIN_PASSWORD}-{MAX_PASSWORD} characters long")


class UserService:
    def __init__(
        self,
        deps: ServiceDeps,
        hasher: PasswordHasher | None = None,
        *,
        concurrent_hashes: int = CONCURRENT_HASHES,
        hash_wait: float = HASH_WAIT,
    ) -> None:
        self._d = deps
        self._hasher = hasher or PasswordHasher(
            time_cost=HASH_TIME_COST, memory_cost=HASH_MEMORY_KIB, parallelism=HASH_PARALLELISM
        )
        self._hash_slots = threading.BoundedSemaphore(concurrent_hashes)
        self._hash_wait = hash_wait
        self._dummy_hash: str | None = None
        self._dummy_lock = threading.Lock()

    # ------------------------------------------------------------------ administration

    def create(self, actor: Actor, username: str, password: str, role: Role) -> User:
        require(actor, Role.ADMIN)
        check_username(username)
        check_password(password)
        user = User(
            uuid=str(uuid.uuid4()),
            username=username,
            password_hash=self._hash(password),
            role=Role(role),
            created_at=self._d.clock.now(),
        )
        with self._d.uow(write=True) as tx:
            if tx.users.by_username(username) is not None:
                raise DomainError(ErrorKind.CONFLICT, f"user {username} already exists", status=409)
            tx.users.add(user)
            record(
                tx,
                self._d.clock,
                actor.name,
                "user.create",
                "user",
                user.uuid,
                username=username,
                role=user.role.value,
            )
        return user

    def list(self, actor: Actor) -> list[User]:
        require(actor, Role.ADMIN)
        with self._d.uow() as tx:
            return tx.users.list()

    def get(self, actor: Actor, username: str) -> User:
        require(actor, Role.ADMIN)
        with self._d.uow() as tx:
            return self._find(tx.users.by_username(username), username)

    def disable(self, actor: Actor, username: str) -> User:
        """The user can no longer sign in, and every session they have ends now."""
        return self._set_disabled(actor, username, True)

    def enable(self, actor: Actor, username: str) -> User:
        return self._set_disabled(actor, username, False)

    def unlock(self, actor: Actor, username: str) -> bool:
        """Lift a lock-out after failed sign-ins and forget the failures; True if the user
        was locked."""
        require(actor, Role.ADMIN)
        with self._d.uow(write=True) as tx:
            user = self._find(tx.users.by_username(username), username)
            cleared = tx.sign_in_failures.clear(user_key(username))
            locked = cleared is not None and cleared.locked_at is not None
            record(
                tx,
                self._d.clock,
                actor.name,
                "user.unlock",
                "user",
                user.uuid,
                username=username,
                wasLocked=locked,
                failures=cleared.failures if cleared else 0,
            )
            return locked

    def set_password(self, actor: Actor, username: str, password: str) -> User:
        """A new password; every session of the user ends."""
        require(actor, Role.ADMIN)
        check_password(password)
        password_hash = self._hash(password)
        with self._d.uow(write=True) as tx:
            user = replace(
                self._find(tx.users.by_username(username), username), password_hash=password_hash
            )
            tx.users.update(user)
            ended = tx.web_sessions.delete_for_user(user.uuid)
            record(
                tx,
                self._d.clock,
                actor.name,
                "user.setPassword",
                "user",
                user.uuid,
                username=username,
                sessionsEnded=ended,
            )
            return user

    def _set_disabled(self, actor: Actor, username: str, disabled: bool) -> User:
        require(actor, Role.ADMIN)
        with self._d.uow(write=True) as tx:
            user = self._find(tx.users.by_username(username), username)
            if user.disabled is disabled:
                word = "disabled" if disabled else "enabled"
                raise _invalid(f"user {username} is already {word}")
            user = replace(user, disabled=disabled)
            tx.users.update(user)
            ended = tx.web_sessions.delete_for_user(user.uuid) if disabled else 0
            action = "user.disable" if disabled else "user.enable"
            record(
                tx,
                self._d.clock,
                actor.name,
                action,
                "user",
                user.uuid,
                username=username,
                sessionsEnded=ended,
            )
            return user

    @staticmethod
    def _find(user: User | None, username: str) -> User:
        if user is None:
            raise DomainError(ErrorKind.NOT_FOUND, f"no user named {username}", status=404)
        return user

    # ------------------------------------------------------------------ passwords

    def check_password(self, username: str, password: str) -> tuple[User | None, str]:
        """The user if ``password`` is theirs and they may sign in, with the reason otherwise
        ("unknown user", "bad password", "disabled"), for the audit trail only."""
        user = None
        if isinstance(username, str) and len(username) <= 200:
            with self._d.uow() as tx:
                user = tx.users.by_username(username)
        if user is None:
            self._verify(self._dummy(), password)  # the same work as for a real user
            return None, "unknown user"
        if not self._verify(user.password_hash, password):
            return None, "bad password"
        if user.disabled:
            return None, "disabled"
        return user, ""

    def rehash_if_needed(self, user: User, password: str) -> None:
        """Store a fresh hash when the hashing parameters changed since it was made."""
        if not self._hasher.check_needs_rehash(user.password_hash):
            return
        with self._d.uow(write=True) as tx:
            current = tx.users.get(user.uuid)
            if current is not None and current.password_hash == user.password_hash:
                tx.users.update(replace(current, password_hash=self._hash(password)))

    def _verify(self, password_hash: str, password: str) -> bool:
        if not isinstance(password, str) or len(password) > MAX_PASSWORD:
            password = ""
        with self._hash_slot():
            try:
                return bool(self._hasher.verify(password_hash, password))
            except (VerificationError, InvalidHashError):
                return False

    def _hash(self, password: str) -> str:
        with self._hash_slot():
            return self._hasher.hash(password)

    @contextmanager
    def _hash_slot(self) -> Iterator[None]:
        """One of the few argon2 computations allowed at once (see the module's docstring)."""
        if not self._hash_slots.acquire(timeout=self._hash_wait):
            raise DomainError(
                ErrorKind.RATE_LIMITED,
                "Too many sign-ins at once: try again in a moment.",
                status=503,
                headers={"Retry-After": "5"},
            )
        try:
            yield
        finally:
            self._hash_slots.release()

    def _dummy(self) -> str:
        with self._dummy_lock:
            if self._dummy_hash is None:
                self._dummy_hash = self._hash(secrets.token_urlsafe(16))
            return self._dummy_hash
