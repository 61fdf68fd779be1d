"""API tokens: created and revoked by administrators (CLI), stored hashed, one role each.

A token expires (90 days after its creation unless told otherwise; ``expires=None``: never)
and may carry scopes narrower than its role (services/admin.py ``require`` enforces them).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from acmehub.domain.admin_model import ApiToken, Role
from acmehub.domain.errors import DomainError, ErrorKind, FieldError
from acmehub.services.admin import Actor, Family, parse_scopes, record, require
from acmehub.services.commands.base import Paged, PageQuery
from acmehub.services.commands.tokens import (
    DEFAULT_LIFETIME,
    ApiTokenInfo,
    CreatedToken,
    TokenRequest,
)
from acmehub.services.deps import ServiceDeps

__all__ = ["DEFAULT_LIFETIME", "Expiry", "TokenService"]

TOKEN_PREFIX = "acmehub_"  # noqa: S105 (a prefix, not a secret)
#: When a token expires: after a lifetime from now, at a time, or never (None).
Expiry = timedelta | datetime | None


def hash_secret(secret: str) -> str:
    # The secret has 256 bits of entropy, so a plain SHA-256 is enough (no password stretching).
    return hashlib.sha256(secret.encode()).hexdigest()


def _unauthorized(detail: str) -> DomainError:
    return DomainError(ErrorKind.UNAUTHORIZED, detail, status=401)


def _invalid(field: str, message: str) -> DomainError:
    return DomainError(
        ErrorKind.INVALID_INPUT,
        message,
        status=422,
        errors=(FieldError(field, "invalid", message),),
    )


class TokenService:
    def __init__(self, deps: ServiceDeps) -> None:
        self._d = deps

    def create(
        self,
        actor: Actor,
        name: str,
        role: Role,
        *,
        expires: Expiry = DEFAULT_LIFETIME,
        scopes: Iterable[str] = (),
    ) -> tuple[ApiToken, str]:
        """The token and its secret; the secret is shown once and never stored."""
        require(actor, Role.ADMIN, Family.TOKENS)
        if not name or len(name) > 200:
            raise DomainError(
                ErrorKind.INVALID_INPUT, "token name must be 1-200 characters", status=422
            )
        now = self._d.clock.now()
        expires_at = self._expiry(expires, now)
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = ApiToken(
            str(uuid.uuid4()),
            name,
            hash_secret(secret),
            role,
            now,
            expires_at=expires_at,
            scopes=parse_scopes(scopes),
        )
        with self._d.uow(write=True) as tx:
            if tx.tokens.by_name(name) is not None:
                raise DomainError(ErrorKind.CONFLICT, f"token {name} already exists", status=409)
            tx.tokens.add(token)
            detail: dict[str, Any] = {"role": role.value}
            if token.scopes:
                detail["scopes"] = list(token.scopes)
            record(tx, self._d.clock, actor.name, "token.create", "token", name, **detail)
        return token, secret

    def mint(self, actor: Actor, command: TokenRequest) -> CreatedToken:
        """:meth:`create` from the command the CLI builds (on the server's machine only)."""
        expires: Expiry = command.expires_at if command.expires_at else command.expires_in
        token, secret = self.create(
            actor, command.name, command.role, expires=expires, scopes=command.scopes
        )
        return CreatedToken(**ApiTokenInfo.of(token).model_dump(), secret=secret)

    @staticmethod
    def _expiry(expires: Expiry, now: datetime) -> datetime | None:
        if expires is None:
            return None
        if isinstance(expires, timedelta):
            if expires <= timedelta(0):
                raise _invalid("expiresIn", "a token's lifetime must be positive")
            return now + expires
        if expires.utcoffset() is None:
            raise _invalid("expiresAt", "the expiry needs a time zone")
        if expires <= now:
            raise _invalid("expiresAt", f"the expiry {expires.isoformat()} is not in the future")
        return expires

    def revoke(self, actor: Actor, name: str) -> ApiToken:
        require(actor, Role.ADMIN, Family.TOKENS)
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
        require(actor, Role.AUDITOR, Family.TOKENS)
        with self._d.uow() as tx:
            return tx.tokens.list()

    def page(self, actor: Actor, query: PageQuery) -> Paged[ApiTokenInfo]:
        """The tokens by name, as the API and the CLI list them."""
        return Paged.slice([ApiTokenInfo.of(t) for t in self.list(actor)], query)

    def identify(self, secret: str, *, source: str = "") -> Actor:
        """The actor a bearer secret stands for; 401 (saying why) if unknown, revoked or
        expired (by the injected clock).

        A refused secret is audited (``token.use``, failure, with the client address
        ``source`` and the reason; never the secret). A good one is not: a script makes many
        calls, and what it changes is audited under its name.
        """
        token = None
        if secret.startswith(TOKEN_PREFIX) and len(secret) <= 200:
            with self._d.uow() as tx:
                token = tx.tokens.by_hash(hash_secret(secret))
        refusal = None
        if token is None or token.revoked_at is not None:
            refusal = _unauthorized("the API token is unknown or revoked")
        elif token.expires_at is not None and token.expires_at <= self._d.clock.now():
            refusal = _unauthorized(
                f"the API token {token.name} expired at {token.expires_at.isoformat()}; "
                "ask an administrator for a new one"
            )
        if refusal is None and token is not None:
            scopes = frozenset(token.scopes) if token.scopes else None
            return Actor(f"token:{token.name}", token.role, scopes)
        reason = "unknown" if token is None else "revoked" if token.revoked_at else "expired"
        with self._d.uow(write=True) as tx:
            record(
                tx,
                self._d.clock,
                "anonymous",
                "token.use",
                "token",
                token.name if token else "-",
                outcome="failure",
                reason=reason,
                source=source,
            )
        assert refusal is not None
        raise refusal

    def authenticate(self, secret: str, *, source: str = "") -> Actor | None:
        """The actor a bearer secret stands for, or None (unknown, revoked or expired)."""
        try:
            return self.identify(secret, source=source)
        except DomainError:
            return None
