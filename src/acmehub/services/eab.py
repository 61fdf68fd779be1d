"""External account binding keys (RFC 8555 §7.3.4): created, listed and revoked by
administrators per ACME profile, and checked when new-account presents a binding.

The protocol edge parses the binding and hands over an :class:`ExternalBinding` whose
``verify_mac`` checks the MAC against a key's secret, so these services never import protocol
code. :func:`admit_binding` runs inside the new-account transaction: the key's use is counted
in the same commit as the account row, and a refusal leaves both untouched.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from acmehub.domain.admin_model import Role
from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.model import AcmeProfile, EabKey
from acmehub.domain.ports import Page, UnitOfWork
from acmehub.services.admin import Actor, Family, record, require
from acmehub.services.commands.base import Paged, PageQuery
from acmehub.services.commands.eab import MAX_DESCRIPTION as MAX_DESCRIPTION
from acmehub.services.commands.eab import CreatedEabKey, EabKeyCreated, EabKeyInfo, EabKeyRequest
from acmehub.services.commands.eab import EabKeyState as EabKeyState
from acmehub.services.commands.eab import key_state as key_state
from acmehub.services.deps import ServiceDeps, new_id

#: MAC algorithms and the size of the secret we generate for each: the hash output size, the
#: minimum RFC 7518 §3.2 allows.
EAB_KEY_OCTETS = {"HS256": 32, "HS384": 48, "HS512": 64}


@dataclass(frozen=True)
class ExternalBinding:
    """A structurally valid externalAccountBinding, as the protocol edge parsed it.

    ``verify_mac(secret)`` raises an unauthorized DomainError unless the binding's MAC
    verifies with ``secret`` (RFC 8555 §7.3.4 step 4).
    """

    key_id: str
    algorithm: str
    verify_mac: Callable[[bytes], None]


def _unauthorized(detail: str) -> DomainError:
    # RFC 8555 §7.3.4: a binding the server does not accept is "unauthorized".
    return DomainError(ErrorKind.UNAUTHORIZED, detail, status=401)


def admit_binding(
    tx: UnitOfWork, now: datetime, profile: AcmeProfile, binding: ExternalBinding
) -> EabKey:
    """Check a binding against its key and count the use, in the caller's write transaction.

    The MAC is checked right after the lookup, so only holders of the secret learn why a
    known key is refused (other profile, algorithm, revoked, expired, used).
    """
    name = f"EAB key {binding.key_id!r}"
    key = tx.eab_keys.get(binding.key_id)
    if key is None:
        raise _unauthorized(f"{name} is not known to this server")
    binding.verify_mac(key.hmac_key)
    if key.acme_profile_uuid != profile.uuid:
        raise _unauthorized(f"{name} belongs to another ACME profile")
    if binding.algorithm != key.algorithm:
        raise _unauthorized(
            f"{name} is an {key.algorithm} key; the binding is signed with {binding.algorithm}"
        )
    state = key_state(key, now)
    if state is EabKeyState.REVOKED:
        raise _unauthorized(f"{name} has been revoked")
    if state is EabKeyState.EXPIRED:
        raise _unauthorized(f"{name} has expired")
    if state is EabKeyState.USED:
        raise _unauthorized(f"{name} is single-use and has already been used")
    if not tx.eab_keys.record_use(key.key_id, single_use=not key.reusable):
        # Another request used or revoked it since we read it.
        raise _unauthorized(f"{name} has already been used or was revoked")
    return replace(key, used_count=key.used_count + 1)


@dataclass(frozen=True)
class NewEabKey:
    """What an administrator asks for: an expiry as a time or as a lifetime (or none)."""

    algorithm: str = "HS256"
    reusable: bool = False
    expires_at: datetime | None = None
    valid_for: timedelta | None = None
    description: str = ""

    @classmethod
    def of(cls, command: EabKeyRequest) -> NewEabKey:
        seconds = command.validity_seconds
        return cls(
            algorithm=command.algorithm,
            reusable=command.reusable,
            expires_at=command.expires_at,
            valid_for=timedelta(seconds=seconds) if seconds is not None else None,
            description=command.description,
        )


class EabService:
    def __init__(self, deps: ServiceDeps) -> None:
        self._d = deps

    def create(self, actor: Actor, acme_profile_uuid: str, spec: NewEabKey) -> CreatedEabKey:
        """A new key and its secret. The secret is returned this once; only the key row keeps
        it (the server needs it to verify MACs), and no read ever shows it again."""
        require(actor, Role.ADMIN, Family.EAB_KEYS)
        if spec.algorithm not in EAB_KEY_OCTETS:
            raise DomainError(
                ErrorKind.INVALID_INPUT,
                f"algorithm must be one of {', '.join(EAB_KEY_OCTETS)}",
                status=422,
            )
        if len(spec.description) > MAX_DESCRIPTION:
            raise DomainError(
                ErrorKind.INVALID_INPUT,
                f"description must be at most {MAX_DESCRIPTION} characters",
                status=422,
            )
        now = self._d.clock.now()
        expires_at = spec.expires_at
        if spec.valid_for is not None:
            if expires_at is not None:
                raise DomainError(
                    ErrorKind.INVALID_INPUT,
                    "give expiresAt or validitySeconds, not both",
                    status=422,
                )
            expires_at = now + spec.valid_for
        if expires_at is not None and expires_at <= now:
            raise DomainError(
                ErrorKind.INVALID_INPUT, "expiresAt must be in the future", status=422
            )
        secret = secrets.token_bytes(EAB_KEY_OCTETS[spec.algorithm])
        key = EabKey(
            # RFC 8555 §7.3.4: the key identifier is an ASCII string; 128 random bits.
            key_id=new_id(),
            acme_profile_uuid=acme_profile_uuid,
            hmac_key=secret,
            algorithm=spec.algorithm,
            created_at=now,
            reusable=spec.reusable,
            expires_at=expires_at,
            description=spec.description,
        )
        with self._d.uow(write=True) as tx:
            profile = self._profile(tx, acme_profile_uuid)
            tx.eab_keys.add(key)
            record(
                tx,
                self._d.clock,
                actor.name,
                "eabKey.create",
                "eabKey",
                key.key_id,
                acmeProfileUuid=acme_profile_uuid,
                algorithm=key.algorithm,
                reusable=key.reusable,
                expiresAt=key.expires_at.isoformat() if key.expires_at else None,
            )
        return CreatedEabKey(key, secret, profile)

    def create_detail(
        self, actor: Actor, acme_profile_uuid: str, command: EabKeyRequest | None
    ) -> EabKeyCreated:
        """Create a key from the command; the view carries its secret and the client flags
        for the profile's directory (the configured base URL)."""
        created = self.create(actor, acme_profile_uuid, NewEabKey.of(command or EabKeyRequest()))
        return EabKeyCreated.made(created, self._d.urls)

    def page(self, actor: Actor, acme_profile_uuid: str, query: PageQuery) -> Paged[EabKeyInfo]:
        """One page of the profile's keys, oldest first (404 for an unknown profile)."""
        require(actor, Role.AUDITOR, Family.EAB_KEYS)
        now = self._d.clock.now()
        with self._d.uow() as tx:
            self._profile(tx, acme_profile_uuid)
            keys = tx.eab_keys.list(acme_profile_uuid, Page(query.offset, query.limit))
            total = tx.eab_keys.count(acme_profile_uuid)
        return Paged.of([EabKeyInfo.of(k, now) for k in keys], query, total)

    def detail(self, actor: Actor, acme_profile_uuid: str, key_id: str) -> EabKeyInfo:
        return EabKeyInfo.of(self.get(actor, acme_profile_uuid, key_id), self._d.clock.now())

    def list(self, actor: Actor, acme_profile_uuid: str, page: Page) -> list[EabKey]:
        """The profile's keys, oldest first (404 for an unknown profile)."""
        require(actor, Role.AUDITOR, Family.EAB_KEYS)
        with self._d.uow() as tx:
            self._profile(tx, acme_profile_uuid)
            return tx.eab_keys.list(acme_profile_uuid, page)

    def get(self, actor: Actor, acme_profile_uuid: str, key_id: str) -> EabKey:
        require(actor, Role.AUDITOR, Family.EAB_KEYS)
        with self._d.uow() as tx:
            return self._key(tx, acme_profile_uuid, key_id)

    def revoke(self, actor: Actor, acme_profile_uuid: str, key_id: str) -> EabKey:
        """Revoke a key: it admits no more accounts. Idempotent; accounts it admitted stay."""
        require(actor, Role.OPERATOR, Family.EAB_KEYS)
        with self._d.uow(write=True) as tx:
            key = self._key(tx, acme_profile_uuid, key_id)
            if key.revoked_at is not None:
                return key
            key = replace(key, revoked_at=self._d.clock.now())
            tx.eab_keys.update(key)
            record(
                tx,
                self._d.clock,
                actor.name,
                "eabKey.revoke",
                "eabKey",
                key.key_id,
                acmeProfileUuid=acme_profile_uuid,
            )
            return key

    def now(self) -> datetime:
        return self._d.clock.now()

    @staticmethod
    def _profile(tx: UnitOfWork, acme_profile_uuid: str) -> AcmeProfile:
        profile = tx.profiles.acme_profile(acme_profile_uuid)
        if profile is None:
            raise DomainError(ErrorKind.NOT_FOUND, "ACME Profile not found", status=404)
        return profile

    @classmethod
    def _key(cls, tx: UnitOfWork, acme_profile_uuid: str, key_id: str) -> EabKey:
        cls._profile(tx, acme_profile_uuid)
        key = tx.eab_keys.get(key_id)
        if key is None or key.acme_profile_uuid != acme_profile_uuid:
            raise DomainError(ErrorKind.NOT_FOUND, "EAB key not found", status=404)
        return key
