"""Web interface sessions: sign in, find the signed-in user of a request, sign out.

The browser holds a random 256-bit secret in a cookie; the database holds only its SHA-256, so
a copy of the database lets no one in. A session ends after ``idle`` without a request or
``absolute`` after sign-in, whichever comes first, when its user is disabled or gets a new
password, and at sign-out.

The CSRF token of a session is derived from its secret (a SHA-256 under another label), so it is
never stored and cannot be computed from what the database holds.

Every sign-in is audited (``user.signIn``), the failures too with their reason and the client
address (``source``: the edge's real client address, a proxy's claim only from a trusted
proxy); the person signing in is told only "Wrong username or password", whatever the reason.
Failures slow down and then lock out further attempts (services/sign_in_throttle.py); an
attempt refused by the throttle is not audited one by one (it costs the attacker nothing, so
it would fill the log), the lock-out is (``user.lockOut``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, replace
from datetime import timedelta

from acmehub.domain.admin_model import User, WebSession
from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.services.admin import Actor, record
from acmehub.services.deps import ServiceDeps
from acmehub.services.sign_in_throttle import SignInThrottle, ThrottlePolicy
from acmehub.services.users import UserService

IDLE_TIMEOUT = timedelta(hours=8)
ABSOLUTE_TIMEOUT = timedelta(hours=24)
#: last_seen_at is written at most this often (not on every request).
TOUCH_EVERY = timedelta(minutes=1)
SIGN_IN_REFUSED = "Wrong username or password."
_PURGE_BATCH = 200


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def csrf_token_for(secret: str) -> str:
    """The session's CSRF token: derived from the cookie's secret, never stored."""
    digest = hashlib.sha256(b"acmehub-csrf\x00" + secret.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def same_token(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def actor_for(user: User) -> Actor:
    return Actor(f"user:{user.username}", user.role)


@dataclass(frozen=True)
class SignedIn:
    """The user behind a request, as the services see them (``actor``)."""

    user: User
    session: WebSession
    csrf_token: str

    @property
    def actor(self) -> Actor:
        return actor_for(self.user)


class SessionService:
    def __init__(
        self,
        deps: ServiceDeps,
        users: UserService,
        *,
        idle: timedelta = IDLE_TIMEOUT,
        absolute: timedelta = ABSOLUTE_TIMEOUT,
        throttle: ThrottlePolicy | None = None,
    ) -> None:
        self._d = deps
        self._users = users
        self.throttle = SignInThrottle(deps.clock, throttle)
        self.idle = idle
        self.absolute = absolute

    def sign_in(self, username: str, password: str, *, source: str = "") -> tuple[str, SignedIn]:
        """A new session: its secret (for the cookie) and who signed in.

        Refused with 401 and the same message for an unknown user, a wrong password and a
        disabled user; the audit event says which. Refused with 429 before any password is
        checked while the throttle holds the name or the address (``source``) back.
        """
        name = str(username)[:100]
        with self._d.uow() as tx:
            self.throttle.check(tx, name, source)
        user, reason = self._users.check_password(username, password)
        now = self._d.clock.now()
        if user is None:
            with self._d.uow(write=True) as tx:
                record(
                    tx,
                    self._d.clock,
                    f"user:{name}",
                    "user.signIn",
                    "user",
                    name,
                    outcome="failure",
                    reason=reason,
                    source=source,
                )
                self.throttle.failed(tx, name, source)
            raise DomainError(ErrorKind.UNAUTHORIZED, SIGN_IN_REFUSED, status=401)
        self._users.rehash_if_needed(user, password)
        secret = secrets.token_urlsafe(32)  # 256 bits
        session = WebSession(
            id_hash=_hash(secret),
            user_uuid=user.uuid,
            created_at=now,
            last_seen_at=now,
            expires_at=now + self.absolute,
        )
        with self._d.uow(write=True) as tx:
            tx.web_sessions.purge_expired(now, now - self.idle, _PURGE_BATCH)
            tx.web_sessions.add(session)
            self.throttle.succeeded(tx, name)
            # Read again: rehash_if_needed may just have stored a new hash.
            user = replace(tx.users.get(user.uuid) or user, last_sign_in_at=now)
            tx.users.update(user)
            record(
                tx,
                self._d.clock,
                actor_for(user).name,
                "user.signIn",
                "user",
                user.uuid,
                source=source,
            )
        return secret, SignedIn(user, session, csrf_token_for(secret))

    def resolve(self, secret: str) -> SignedIn | None:
        """Who holds this session secret, or None (unknown, expired, user disabled)."""
        if not secret or len(secret) > 100:
            return None
        id_hash = _hash(secret)
        now = self._d.clock.now()
        with self._d.uow() as tx:
            session = tx.web_sessions.get(id_hash)
            user = tx.users.get(session.user_uuid) if session else None
        if session is None:
            return None
        if (
            user is None
            or user.disabled
            or session.expires_at <= now
            or session.last_seen_at + self.idle <= now
        ):
            with self._d.uow(write=True) as tx:
                tx.web_sessions.delete(id_hash)
            return None
        if now - session.last_seen_at >= TOUCH_EVERY:
            with self._d.uow(write=True) as tx:
                tx.web_sessions.touch(id_hash, now)
            session = replace(session, last_seen_at=now)
        return SignedIn(user, session, csrf_token_for(secret))

    def sign_out(self, secret: str) -> None:
        signed_in = self.resolve(secret)
        if signed_in is None:
            return
        with self._d.uow(write=True) as tx:
            tx.web_sessions.delete(signed_in.session.id_hash)
            record(
                tx,
                self._d.clock,
                signed_in.actor.name,
                "user.signOut",
                "user",
                signed_in.user.uuid,
            )
