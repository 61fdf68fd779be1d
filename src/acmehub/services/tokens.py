"""API tokens: created and revoked by administrators (CLI), stored hashed, one role each."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import replace

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.model import ApiToken, Role
from acmehub.services.admin import Actor, record, require
from acmehub.services.deps import ServiceDeps

TOKEN_PREFIX = "acmehub_"  # noqa: S105 (a prefix, not a secret)


def hash_secret(secret: str) -> str:
    # The secret has 256 bits of entropy, so a plain SHA-256 is enough (no password stretching).
    return hashlib.sha256(secret.encode()).hexdigest()


class TokenService:
    def __init__(self, deps: ServiceDeps) -> None:
        self._d = deps

    def create(self, actor: Actor, name: str, role: Role) -> tuple[ApiToken, str]:
        """The token and its secret; the secret is shown once and never stored."""
        require(actor, Role.ADMIN)
        if not name or len(name) > 200:
            raise DomainError(
                ErrorKind.INVALID_INPUT, "token name must be 1-200 characters", status=422
            )
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = ApiToken(str(uuid.uuid4()), name, hash_secret(secret), role, self._d.clock.now())
        with self._d.uow(write=True) as tx:
            if tx.tokens.by_name(name) is not None:
                raise DomainError(ErrorKind.CONFLICT, f"token {name} already exists", status=409)
            tx.tokens.add(token)
            record(tx, self._d.clock, actor.name, "token.create", "token", name, role=role.value)
        return token, secret

    def revoke(self, actor: Actor, name: str) -> ApiToken:
        require(actor, Role.ADMIN)
        with self._d.uow(write=True) as tx:
            token = tx.tokens.by_name(name)
            if token is None:
                raise DomainError(ErrorKind.NOT_FOUND, f"no token named {name}", status=404)
            if token.revoked_at is None:
                token = replace(token, revoked_at=self._d.clock.now())
                tx.tokens.update(token)
                record(tx, self._d.clock, actor.name, "token.revoke", "token", name)
            return token

    def list(self, actor: Actor) -> list[ApiToken]:
        require(actor, Role.AUDITOR)
        with self._d.uow() as tx:
            return tx.tokens.list()

    def authenticate(self, secret: str, *, source: str = "") -> Actor | None:
        """The actor a bearer secret stands for, or None (unknown or revoked).

        A refused secret is audited (``token.use``, failure, with the client address
        ``source`` and whether it was unknown or revoked; never the secret). A good one is
        not: a script makes many calls, and what it changes is audited under its name.
        """
        token = None
        if secret.startswith(TOKEN_PREFIX) and len(secret) <= 200:
            with self._d.uow() as tx:
                token = tx.tokens.by_hash(hash_secret(secret))
        if token is not None and token.revoked_at is None:
            return Actor(f"token:{token.name}", token.role)
        with self._d.uow(write=True) as tx:
            record(
                tx,
                self._d.clock,
                "anonymous",
                "token.use",
                "token",
                token.name if token else "-",
                outcome="failure",
                reason="revoked" if token else "unknown",
                source=source,
            )
        return None
