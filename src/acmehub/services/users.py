"""Users of the web interface: created by administrators (`acmehub user create`), passwords
hashed with argon2id, one role each (the API's roles), switched off with ``disabled``.

Checking a password (:meth:`UserService.check_password`) costs the same whether the user
exists or not: an unknown name is checked against a throw-away hash, so the time a refusal
takes does not tell which names exist.
"""

from __future__ import annotations

import re
import secrets
import threading
import uuid
from dataclasses import replace

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.model import Role, User
from acmehub.services.admin import Actor, record, require
from acmehub.services.deps import ServiceDeps

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
    def __init__(self, deps: ServiceDeps, hasher: PasswordHasher | None = None) -> None:
        self._d = deps
        # argon2id with the library's defaults (RFC 9106's second recommended option).
        self._hasher = hasher or PasswordHasher()
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
            password_hash=self._hasher.hash(password),
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

    def set_password(self, actor: Actor, username: str, password: str) -> User:
        """A new password; every session of the user ends."""
        require(actor, Role.ADMIN)
        check_password(password)
        password_hash = self._hasher.hash(password)
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
                tx.users.update(replace(current, password_hash=self._hasher.hash(password)))

    def _verify(self, password_hash: str, password: str) -> bool:
        if not isinstance(password, str) or len(password) > MAX_PASSWORD:
            password = ""
        try:
            return bool(self._hasher.verify(password_hash, password))
        except (VerificationError, InvalidHashError):
            return False

    def _dummy(self) -> str:
        with self._dummy_lock:
            if self._dummy_hash is None:
                self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))
            return self._dummy_hash
