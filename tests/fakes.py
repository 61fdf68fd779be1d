"""In-memory implementations of the domain ports, so the services run without a database.

Each fake keeps the observable contract of its real counterpart (tests/contract checks both
against the same tests):

* :class:`MemoryUnitOfWorkFactory` copies the committed state when a transaction opens and
  swaps the copy in when a write transaction ends normally; an exception discards it. Unique and
  foreign-key violations raise ``sqlalchemy.exc.IntegrityError``, as the SQL storage does.
  It is stricter than SQLite in two ways that point at real mistakes: writing through a
  read-only transaction and opening a write transaction inside another one (SQLite would wait
  on its own lock) both raise ``RuntimeError``.
* :class:`MemoryNonceStore` and :class:`MemoryValidationQueue` mirror storage.nonces and
  storage.validation_queue.
* :class:`FakeCaBackends` is no stand-in CA: it serves the embedded CA (our real code, keys in
  a temporary directory) through ``CaRegistry`` and only records what it was asked, with a
  switch to simulate a CA outage or a crash in the middle of issuance.

:class:`MemoryWorld` wires all of them into ``Services`` and offers the few steps most service
tests need (profiles, account keys, validated orders, CSRs).
"""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from jwcrypto.jwk import JWK
from sqlalchemy.exc import IntegrityError

from acmehub.ca.embedded import create_embedded_authority
from acmehub.ca.registry import CaRegistry
from acmehub.domain.admin_model import ApiToken, AuditEvent, SignInFailures, User, WebSession
from acmehub.domain.certificate_profiles import CertificateProfile
from acmehub.domain.csr import spki_sha256_hex
from acmehub.domain.errors import ErrorKind, Problem
from acmehub.domain.model import (
    Account,
    AcmeProfile,
    Authority,
    Authorization,
    AuthzStatus,
    BlockedKey,
    Certificate,
    Challenge,
    ChallengeStatus,
    ChallengeType,
    EabKey,
    Order,
    OrderStatus,
    RaProfile,
    ValidationResult,
)
from acmehub.domain.ports import (
    AccountCount,
    AccountFilter,
    AuditFilter,
    CaBackend,
    CertificateFilter,
    FailedValidationCount,
    IssuedCertificate,
    IssueRequest,
    OrderFilter,
    Page,
    RevokedEntry,
    RevokeRequest,
)
from acmehub.domain.renewal_info import RenewalScope
from acmehub.services.accounts import NewAccountRequest
from acmehub.services.container import Services
from acmehub.services.context import AcmeContext, ProfileMode, ProfileRef
from acmehub.services.deps import ServiceDeps
from acmehub.services.sessions import SessionService
from acmehub.services.users import UserService

DEFAULT_NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


# --------------------------------------------------------------------------- clock


class FixedClock:
    """A clock that moves only when told to."""

    def __init__(self, now: datetime = DEFAULT_NOW) -> None:
        self._now = _aware(now)

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        self._now = _aware(when)

    def advance(self, delta: timedelta | None = None, **units: float) -> datetime:
        """Move forward by ``delta`` or by ``timedelta(**units)``; returns the new now."""
        self._now += (delta or timedelta()) + timedelta(**units)
        return self._now


def _aware(when: datetime) -> datetime:
    if when.tzinfo is None:
        raise ValueError("FixedClock needs a timezone-aware datetime")
    return when.astimezone(UTC)


# --------------------------------------------------------------------------- storage


def integrity_error(message: str) -> IntegrityError:
    """What the SQL storage raises for a unique or foreign-key violation."""
    return IntegrityError(f"memory store: {message}", None, Exception(message))


@dataclass
class MemoryState:
    """Every table, as dicts keyed by primary key. Entities are frozen, so copies are shallow."""

    authorities: dict[str, Authority] = field(default_factory=dict)
    ra_profiles: dict[str, RaProfile] = field(default_factory=dict)
    acme_profiles: dict[str, AcmeProfile] = field(default_factory=dict)
    accounts: dict[str, Account] = field(default_factory=dict)
    orders: dict[str, Order] = field(default_factory=dict)
    order_updated_at: dict[str, datetime] = field(default_factory=dict)
    #: Authorizations without their challenges (those live in ``challenges``).
    authorizations: dict[str, Authorization] = field(default_factory=dict)
    authorization_order: dict[str, str] = field(default_factory=dict)
    challenges: dict[str, Challenge] = field(default_factory=dict)
    #: challenge id -> (worker, lease end), for challenges claimed by the validation queue.
    leases: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    certificates: dict[str, Certificate] = field(default_factory=dict)
    blocked_keys: dict[str, BlockedKey] = field(default_factory=dict)
    certificate_profiles: dict[str, CertificateProfile] = field(default_factory=dict)
    tokens: dict[str, ApiToken] = field(default_factory=dict)
    eab_keys: dict[str, EabKey] = field(default_factory=dict)
    #: Audit events by id (ids grow like an autoincrement key).
    audit_events: dict[int, AuditEvent] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    web_sessions: dict[str, WebSession] = field(default_factory=dict)
    sign_in_failures: dict[str, SignInFailures] = field(default_factory=dict)

    def copy(self) -> MemoryState:
        return MemoryState(
            **{name: dict(value) for name, value in vars(self).items()}  # one level deep
        )


class _Tx:
    """One transaction's working state."""

    def __init__(self, state: MemoryState, writable: bool, now: datetime) -> None:
        self.state = state
        self.writable = writable
        self.now = now

    def write(self) -> MemoryState:
        if not self.writable:
            raise RuntimeError(
                "write through a read-only unit of work: open it with uow(write=True)"
            )
        return self.state


def _require(present: bool, message: str) -> None:
    if not present:
        raise integrity_error(f"FOREIGN KEY constraint failed: {message}")


def _unique(taken: bool, message: str) -> None:
    if taken:
        raise integrity_error(f"UNIQUE constraint failed: {message}")


class MemoryProfiles:
    def __init__(self, tx: _Tx) -> None:
        self._tx = tx

    def acme_profile_by_name(self, name: str) -> AcmeProfile | None:
        return next((p for p in self._tx.state.acme_profiles.values() if p.name == name), None)

    def acme_profile(self, uuid: str) -> AcmeProfile | None:
        return self._tx.state.acme_profiles.get(uuid)

    def ra_profile_by_name(self, name: str) -> RaProfile | None:
        return next((p for p in self._tx.state.ra_profiles.values() if p.name == name), None)

    def ra_profile(self, uuid: str) -> RaProfile | None:
        return self._tx.state.ra_profiles.get(uuid)

    def authority(self, uuid: str) -> Authority | None:
        return self._tx.state.authorities.get(uuid)

    def add_authority(self, authority: Authority) -> None:
        st = self._tx.write()
        _unique(authority.uuid in st.authorities, "authorities.uuid")
        _unique(any(a.name == authority.name for a in st.authorities.values()), "authorities.name")
        st.authorities[authority.uuid] = authority

    def add_ra_profile(self, profile: RaProfile) -> None:
        st = self._tx.write()
        _unique(profile.uuid in st.ra_profiles, "ra_profiles.uuid")
        self._check_ra(st, profile)
        st.ra_profiles[profile.uuid] = profile

    def update_ra_profile(self, profile: RaProfile) -> None:
        st = self._tx.write()
        if profile.uuid in st.ra_profiles:
            self._check_ra(st, profile)
            st.ra_profiles[profile.uuid] = profile

    def add_acme_profile(self, profile: AcmeProfile) -> None:
        st = self._tx.write()
        _unique(profile.uuid in st.acme_profiles, "acme_profiles.uuid")
        self._check_acme(st, profile)
        st.acme_profiles[profile.uuid] = profile

    def update_acme_profile(self, profile: AcmeProfile) -> None:
        st = self._tx.write()
        if profile.uuid in st.acme_profiles:
            self._check_acme(st, profile)
            st.acme_profiles[profile.uuid] = profile

    def list_authorities(self) -> list[Authority]:
        return sorted(self._tx.state.authorities.values(), key=lambda a: a.name)

    def update_authority(self, authority: Authority) -> None:
        st = self._tx.write()
        if authority.uuid in st.authorities:
            _unique(
                any(
                    a.name == authority.name and a.uuid != authority.uuid
                    for a in st.authorities.values()
                ),
                "authorities.name",
            )
            st.authorities[authority.uuid] = authority

    def delete_authority(self, uuid: str) -> None:
        st = self._tx.write()
        _require(
            not any(p.authority_uuid == uuid for p in st.ra_profiles.values()),
            "ra_profiles.authority_uuid",
        )
        st.authorities.pop(uuid, None)

    def list_ra_profiles(self, authority_uuid: str | None = None) -> list[RaProfile]:
        return sorted(
            (
                p
                for p in self._tx.state.ra_profiles.values()
                if authority_uuid is None or p.authority_uuid == authority_uuid
            ),
            key=lambda p: p.name,
        )

    def delete_ra_profile(self, uuid: str) -> None:
        st = self._tx.write()
        _require(
            not any(p.default_ra_profile_uuid == uuid for p in st.acme_profiles.values()),
            "acme_profiles.default_ra_profile_uuid",
        )
        _require(
            not any(a.ra_profile_uuid == uuid for a in st.accounts.values()),
            "accounts.ra_profile_uuid",
        )
        st.ra_profiles.pop(uuid, None)

    def list_acme_profiles(self) -> list[AcmeProfile]:
        return sorted(self._tx.state.acme_profiles.values(), key=lambda p: p.name)

    def delete_acme_profile(self, uuid: str) -> None:
        st = self._tx.write()
        _require(
            not any(p.acme_profile_uuid == uuid for p in st.ra_profiles.values()),
            "ra_profiles.acme_profile_uuid",
        )
        _require(
            not any(a.acme_profile_uuid == uuid for a in st.accounts.values()),
            "accounts.acme_profile_uuid",
        )
        _require(
            not any(k.acme_profile_uuid == uuid for k in st.eab_keys.values()),
            "eab_keys.acme_profile_uuid",
        )
        st.acme_profiles.pop(uuid, None)

    @staticmethod
    def _check_ra(st: MemoryState, profile: RaProfile) -> None:
        _unique(
            any(p.name == profile.name and p.uuid != profile.uuid for p in st.ra_profiles.values()),
            "ra_profiles.name",
        )
        _require(profile.authority_uuid in st.authorities, "ra_profiles.authority_uuid")
        _require(
            profile.acme_profile_uuid is None or profile.acme_profile_uuid in st.acme_profiles,
            "ra_profiles.acme_profile_uuid",
        )

    @staticmethod
    def _check_acme(st: MemoryState, profile: AcmeProfile) -> None:
        _unique(
            any(
                p.name == profile.name and p.uuid != profile.uuid for p in st.acme_profiles.values()
            ),
            "acme_profiles.name",
        )
        _require(
            profile.default_ra_profile_uuid is None
            or profile.default_ra_profile_uuid in st.ra_profiles,
            "acme_profiles.default_ra_profile_uuid",
        )


class MemoryAccounts:
    def __init__(self, tx: _Tx) -> None:
        self._tx = tx

    def get(self, account_id: str) -> Account | None:
        return self._tx.state.accounts.get(account_id)

    def by_uuid(self, uuid: str) -> Account | None:
        return next((a for a in self._tx.state.accounts.values() if a.uuid == uuid), None)

    def lock_key(self, thumbprint: str) -> None:
        """Write transactions of the fake are serialized already."""

    def by_thumbprint(self, thumbprint: str) -> Account | None:
        return next(
            (a for a in self._tx.state.accounts.values() if a.key_thumbprint == thumbprint), None
        )

    def _matching(self, where: AccountFilter) -> list[Account]:
        found = [
            a
            for a in self._tx.state.accounts.values()
            if (where.acme_profile_uuid is None or a.acme_profile_uuid == where.acme_profile_uuid)
            and (where.ra_profile_uuid is None or a.ra_profile_uuid == where.ra_profile_uuid)
            and (where.status is None or a.status is where.status)
            and (where.enabled is None or a.enabled is where.enabled)
        ]
        return sorted(found, key=lambda a: (a.created_at, a.id))

    def list(self, where: AccountFilter, page: Page) -> list[Account]:
        return self._matching(where)[page.offset : page.offset + page.limit]

    def count(self, where: AccountFilter) -> int:
        return len(self._matching(where))

    def order_counts(self, account_id: str) -> dict[str, int]:
        counts = {s.value: 0 for s in OrderStatus}
        for o in self._tx.state.orders.values():
            if o.account_id == account_id:
                counts[o.status.value] += 1
        counts["total"] = sum(counts.values())
        return counts

    def rebind_default(self, acme_profile_uuid: str, ra_profile_uuid: str) -> int:
        st = self._tx.write()
        moved = [
            a
            for a in st.accounts.values()
            if a.acme_profile_uuid == acme_profile_uuid and a.via_default_ra_profile
        ]
        for account in moved:
            updated = replace(account, ra_profile_uuid=ra_profile_uuid)
            self._check(st, updated)
            st.accounts[account.id] = updated
        return len(moved)

    def add(self, account: Account) -> None:
        st = self._tx.write()
        _unique(account.id in st.accounts, "accounts.id")
        self._check(st, account)
        st.accounts[account.id] = account

    def update(self, account: Account) -> None:
        st = self._tx.write()
        if account.id in st.accounts:
            self._check(st, account)
            st.accounts[account.id] = account

    @staticmethod
    def _check(st: MemoryState, account: Account) -> None:
        others = [a for a in st.accounts.values() if a.id != account.id]
        _unique(any(a.uuid == account.uuid for a in others), "accounts.uuid")
        _unique(
            any(a.key_thumbprint == account.key_thumbprint for a in others),
            "accounts.key_thumbprint",
        )
        _require(account.acme_profile_uuid in st.acme_profiles, "accounts.acme_profile_uuid")
        _require(account.ra_profile_uuid in st.ra_profiles, "accounts.ra_profile_uuid")


class MemoryOrders:
    def __init__(self, tx: _Tx) -> None:
        self._tx = tx

    def replacing(self, cert_id: str) -> list[Order]:
        found = [o for o in self._tx.state.orders.values() if o.replaces == cert_id]
        return sorted(found, key=lambda o: (o.created_at, o.id))

    def get(self, order_id: str) -> Order | None:
        return self._tx.state.orders.get(order_id)

    def add(self, order: Order) -> None:
        st = self._tx.write()
        _unique(order.id in st.orders, "orders.id")
        _require(order.account_id in st.accounts, "orders.account_id")
        st.orders[order.id] = order
        st.order_updated_at[order.id] = self._tx.now

    def update(self, order: Order) -> None:
        st = self._tx.write()
        if order.id in st.orders:
            _require(order.account_id in st.accounts, "orders.account_id")
            st.orders[order.id] = order
            st.order_updated_at[order.id] = self._tx.now

    def ids_for_account(self, account_id: str, offset: int, limit: int) -> list[str]:
        mine = sorted(
            (o.created_at, o.id)
            for o in self._tx.state.orders.values()
            if o.account_id == account_id
            # RFC 8555 §7.1.2.1: invalid orders (expired ones included) are not listed.
            and o.status is not OrderStatus.INVALID
            and (
                o.status in (OrderStatus.VALID, OrderStatus.PROCESSING) or o.expires > self._tx.now
            )
        )
        return [order_id for _, order_id in mine[offset : offset + limit]]

    def ids_for_authorization(self, authorization_id: str) -> list[str]:
        order_id = self._tx.state.authorization_order.get(authorization_id)
        return [order_id] if order_id is not None else []

    def _matching(self, where: OrderFilter) -> list[Order]:
        name = where.name.lower() if where.name else None
        found = [
            o
            for o in self._tx.state.orders.values()
            if (where.account_id is None or o.account_id == where.account_id)
            and (where.status is None or o.status.value == where.status)
            and (where.acme_profile_uuid is None or o.acme_profile_uuid == where.acme_profile_uuid)
            and (name is None or any(name in i.value.lower() for i in o.identifiers))
        ]
        found.sort(key=lambda o: o.id)
        found.sort(key=lambda o: o.created_at, reverse=True)
        return found

    def search(self, where: OrderFilter, page: Page) -> list[Order]:
        return self._matching(where)[page.offset : page.offset + page.limit]

    def count(self, where: OrderFilter) -> int:
        return len(self._matching(where))

    def purge_expired(self, expired_before: datetime, limit: int) -> int:
        st = self._tx.write()
        ids = [
            o.id
            for o in st.orders.values()
            if o.expires < expired_before
            and o.certificate_id is None
            and o.status is not OrderStatus.PROCESSING
            and not any(
                st.authorizations[a].expires >= expired_before
                for a, owner in st.authorization_order.items()
                if owner == o.id
            )
        ][:limit]
        orphans = [
            a.id
            for a in st.authorizations.values()
            if a.id not in st.authorization_order and a.expires < expired_before
        ][:limit]
        for authz_id in orphans:
            del st.authorizations[authz_id]
            for challenge_id in [
                c.id for c in st.challenges.values() if c.authorization_id == authz_id
            ]:
                del st.challenges[challenge_id]
        for order_id in ids:
            authz_ids = [a for a, o in st.authorization_order.items() if o == order_id]
            for authz_id in authz_ids:
                del st.authorizations[authz_id]
                del st.authorization_order[authz_id]
            for challenge_id in [
                c.id for c in st.challenges.values() if c.authorization_id in authz_ids
            ]:
                del st.challenges[challenge_id]
                st.leases.pop(challenge_id, None)
            del st.orders[order_id]
            st.order_updated_at.pop(order_id, None)
        return len(ids)

    def stuck_processing(self, older_than: datetime, limit: int) -> list[Order]:
        st = self._tx.state
        stuck = [
            o
            for o in st.orders.values()
            if o.status is OrderStatus.PROCESSING and st.order_updated_at[o.id] < older_than
        ]
        return stuck[:limit]

    def claim_issuance(self, order_id: str, touched_by: datetime) -> bool:
        order = self._tx.state.orders.get(order_id)
        if order is None or order.status is not OrderStatus.PROCESSING:
            return False
        if self._tx.state.order_updated_at[order_id] > touched_by:
            return False
        self._tx.write().order_updated_at[order_id] = self._tx.now
        return True


class MemoryAuthorizations:
    def __init__(self, tx: _Tx) -> None:
        self._tx = tx

    def get(self, authorization_id: str) -> Authorization | None:
        found = self.get_many([authorization_id])
        return found[0] if found else None

    def get_many(self, ids: Sequence[str]) -> list[Authorization]:
        st = self._tx.state
        found = []
        for authz_id in ids:
            authz = st.authorizations.get(authz_id)
            if authz is None:
                continue
            # Challenges come back ordered by type, as the SQL repository returns them.
            challenges = sorted(
                (c for c in st.challenges.values() if c.authorization_id == authz_id),
                key=lambda c: c.type.value,
            )
            found.append(replace(authz, challenges=tuple(challenges)))
        return found

    def add(self, authorization: Authorization, order_id: str | None) -> None:
        st = self._tx.write()
        _unique(authorization.id in st.authorizations, "authorizations.id")
        _require(order_id is None or order_id in st.orders, "authorizations.order_id")
        _require(authorization.account_id in st.accounts, "authorizations.account_id")
        for challenge in authorization.challenges:
            _unique(challenge.id in st.challenges, "challenges.id")
            _require(challenge.authorization_id == authorization.id, "challenges.authorization_id")
        st.authorizations[authorization.id] = replace(
            authorization, challenges=(), order_id=order_id
        )
        if order_id is not None:
            st.authorization_order[authorization.id] = order_id
        for challenge in authorization.challenges:
            st.challenges[challenge.id] = challenge

    def valid_of_account(
        self, account_id: str, names: Sequence[str], now: datetime
    ) -> list[Authorization]:
        st = self._tx.state
        ids = [
            a.id
            for a in st.authorizations.values()
            if a.account_id == account_id
            and a.identifier.value in names
            and a.status is AuthzStatus.VALID
            and a.expires > now
        ]
        return self.get_many(ids)

    def set_expires(self, authorization_id: str, expires: datetime) -> None:
        st = self._tx.write()
        authz = st.authorizations.get(authorization_id)
        if authz is not None:
            st.authorizations[authorization_id] = replace(authz, expires=expires)

    def set_status(self, authorization_id: str, status: str) -> None:
        st = self._tx.write()
        authz = st.authorizations.get(authorization_id)
        if authz is not None:
            st.authorizations[authorization_id] = replace(authz, status=AuthzStatus(status))

    def change_status(
        self,
        authorization_id: str,
        expected: Collection[AuthzStatus],
        status: AuthzStatus,
        now: datetime,
    ) -> bool:
        if not 1 <= len(expected) <= 2:
            raise ValueError("expect one or two statuses")
        authz = self._tx.state.authorizations.get(authorization_id)
        if authz is None or authz.status not in expected or authz.expires <= now:
            return False
        self.set_status(authorization_id, status.value)
        return True

    def cap_expiry(self, authorization_id: str, expires: datetime) -> None:
        authz = self._tx.state.authorizations.get(authorization_id)
        if authz is not None and authz.expires > expires:
            self._tx.state.authorizations[authorization_id] = replace(authz, expires=expires)

    def settle_challenge(self, challenge: Challenge) -> bool:
        if challenge.status is ChallengeStatus.PROCESSING:
            raise ValueError("a settled challenge is valid or invalid")
        current = self._tx.state.challenges.get(challenge.id)
        if current is None or current.status is not ChallengeStatus.PROCESSING:
            return False
        self.update_challenge(challenge)
        return True

    def challenge(self, challenge_id: str) -> Challenge | None:
        return self._tx.state.challenges.get(challenge_id)

    def update_challenge(
        self, challenge: Challenge, lease: tuple[str, datetime] | None = None
    ) -> None:
        st = self._tx.write()
        current = st.challenges.get(challenge.id)
        if current is None:
            return
        _require(challenge.authorization_id in st.authorizations, "challenges.authorization_id")
        st.challenges[challenge.id] = challenge
        if challenge.status is not ChallengeStatus.PROCESSING:
            st.leases.pop(challenge.id, None)  # a result ends the lease
        elif lease is not None:
            st.leases[challenge.id] = lease

    def valid_for_account(self, account_id: str, names: Sequence[str], now: datetime) -> set[str]:
        wanted = set(names)
        return {
            a.identifier.value
            for a in self._tx.state.authorizations.values()
            if a.account_id == account_id
            and a.identifier.value in wanted
            and a.status is AuthzStatus.VALID
            and a.expires > now
        }


class MemoryCertificates:
    def __init__(self, tx: _Tx) -> None:
        self._tx = tx

    def get(self, certificate_id: str) -> Certificate | None:
        return self._tx.state.certificates.get(certificate_id)

    def by_serial(self, serial_hex: str) -> Certificate | None:
        return next(
            (c for c in self._tx.state.certificates.values() if c.serial_hex == serial_hex), None
        )

    def add(self, certificate: Certificate) -> None:
        st = self._tx.write()
        existing = st.certificates.values()
        _unique(certificate.id in st.certificates, "certificates.id")
        _unique(
            any(c.serial_hex == certificate.serial_hex for c in existing),
            "certificates.serial_hex",
        )
        _unique(any(c.order_id == certificate.order_id for c in existing), "certificates.order_id")
        _require(certificate.order_id in st.orders, "certificates.order_id")
        _require(certificate.account_id in st.accounts, "certificates.account_id")
        st.certificates[certificate.id] = certificate

    def mark_revoked(self, certificate_id: str, revoked_at: datetime, reason: int) -> bool:
        st = self._tx.write()
        cert = st.certificates.get(certificate_id)
        if cert is None or cert.revoked_at is not None:
            return False
        st.certificates[certificate_id] = replace(
            cert, revoked_at=revoked_at, revocation_reason=reason
        )
        return True

    def change_revocation_reason(self, certificate_id: str, reason: int) -> bool:
        st = self._tx.write()
        cert = st.certificates.get(certificate_id)
        if cert is None or cert.revoked_at is None or cert.revocation_reason == reason:
            return False
        st.certificates[certificate_id] = replace(cert, revocation_reason=reason)
        return True

    def revoked_for_authority(self, authority_uuid: str) -> list[Certificate]:
        return [
            c
            for c in self._tx.state.certificates.values()
            if c.authority_uuid == authority_uuid and c.revoked_at is not None
        ]

    def _matching(self, where: CertificateFilter) -> list[Certificate]:
        if where.status in ("valid", "expired") and where.now is None:
            raise ValueError("a certificate status filter needs now")

        def status_ok(c: Certificate) -> bool:
            if where.status == "revoked":
                return c.revoked_at is not None
            if where.status in ("valid", "expired"):
                assert where.now is not None
                live = c.not_after > where.now
                return c.revoked_at is None and live is (where.status == "valid")
            return True

        name = where.name.lower() if where.name else None
        found = [
            c
            for c in self._tx.state.certificates.values()
            if (where.acme_profile_uuid is None or c.acme_profile_uuid == where.acme_profile_uuid)
            and (where.ra_profile_uuid is None or c.ra_profile_uuid == where.ra_profile_uuid)
            and (where.account_id is None or c.account_id == where.account_id)
            and status_ok(c)
            and (name is None or any(name in n.lower() for n in c.names))
            and (where.expires_after is None or c.not_after >= where.expires_after)
            and (where.expires_before is None or c.not_after < where.expires_before)
        ]
        # Newest first, like SqlCertificates: issued_at descending, then id ascending.
        found.sort(key=lambda c: c.id)
        found.sort(key=lambda c: c.issued_at, reverse=True)
        return found

    def list(self, where: CertificateFilter, page: Page) -> list[Certificate]:
        return self._matching(where)[page.offset : page.offset + page.limit]

    def count(self, where: CertificateFilter) -> int:
        return len(self._matching(where))

    def move_renewal(
        self, scope: RenewalScope, moved_at: datetime, explanation_url: str | None
    ) -> int:
        st = self._tx.write()
        moved = 0
        for cert in list(st.certificates.values()):
            if cert.revoked_at is not None or cert.not_after <= moved_at:
                continue
            if any(
                wanted is not None and wanted != actual
                for wanted, actual in (
                    (scope.certificate_id, cert.id),
                    (scope.account_id, cert.account_id),
                    (scope.ra_profile_uuid, cert.ra_profile_uuid),
                    (scope.authority_uuid, cert.authority_uuid),
                )
            ):
                continue
            st.certificates[cert.id] = replace(
                cert, renewal_moved_at=moved_at, renewal_explanation_url=explanation_url
            )
            moved += 1
        return moved


class MemoryCertificateProfiles:
    def __init__(self, tx: _Tx) -> None:
        self._tx = tx

    def for_ra_profile(self, ra_profile_uuid: str) -> list[CertificateProfile]:
        found = self._tx.state.certificate_profiles.values()
        return sorted((p for p in found if p.ra_profile_uuid == ra_profile_uuid), key=_name)

    def get(self, uuid: str) -> CertificateProfile | None:
        return self._tx.state.certificate_profiles.get(uuid)

    def add(self, profile: CertificateProfile) -> None:
        st = self._tx.write()
        if any(
            (p.ra_profile_uuid, p.name) == (profile.ra_profile_uuid, profile.name)
            for p in st.certificate_profiles.values()
        ):
            raise integrity_error("certificate_profiles (ra_profile_uuid, name) is taken")
        st.certificate_profiles[profile.uuid] = profile

    def update(self, profile: CertificateProfile) -> None:
        self._tx.write().certificate_profiles[profile.uuid] = profile

    def delete(self, uuid: str) -> None:
        self._tx.write().certificate_profiles.pop(uuid, None)

    def delete_for_ra_profile(self, ra_profile_uuid: str) -> bool:
        st = self._tx.write()
        gone = [
            u for u, p in st.certificate_profiles.items() if p.ra_profile_uuid == ra_profile_uuid
        ]
        for uuid in gone:
            del st.certificate_profiles[uuid]
        return bool(gone)


def _name(profile: CertificateProfile) -> str:
    return profile.name


class MemoryBlockedKeys:
    def __init__(self, tx: _Tx) -> None:
        self._tx = tx

    def add(self, key: BlockedKey) -> bool:
        st = self._tx.write()
        if key.spki_sha256 in st.blocked_keys:
            return False
        st.blocked_keys[key.spki_sha256] = key
        return True

    def get(self, spki_sha256: str) -> BlockedKey | None:
        return self._tx.state.blocked_keys.get(spki_sha256)


class MemoryEabKeys:
    def __init__(self, tx: _Tx) -> None:
        self._tx = tx

    def get(self, key_id: str) -> EabKey | None:
        return self._tx.state.eab_keys.get(key_id)

    def add(self, key: EabKey) -> None:
        st = self._tx.write()
        _unique(key.key_id in st.eab_keys, "eab_keys.key_id")
        _require(key.acme_profile_uuid in st.acme_profiles, "eab_keys.acme_profile_uuid")
        st.eab_keys[key.key_id] = key

    def update(self, key: EabKey) -> None:
        st = self._tx.write()
        if key.key_id in st.eab_keys:
            _require(key.acme_profile_uuid in st.acme_profiles, "eab_keys.acme_profile_uuid")
            st.eab_keys[key.key_id] = key

    def list(self, acme_profile_uuid: str | None, page: Page) -> list[EabKey]:
        found = sorted(
            (
                k
                for k in self._tx.state.eab_keys.values()
                if acme_profile_uuid is None or k.acme_profile_uuid == acme_profile_uuid
            ),
            key=lambda k: (k.created_at, k.key_id),
        )
        return found[page.offset : page.offset + page.limit]

    def count(self, acme_profile_uuid: str | None) -> int:
        return len(self.list(acme_profile_uuid, Page(0, 2**31 - 1)))

    def record_use(self, key_id: str, *, single_use: bool) -> bool:
        st = self._tx.write()
        key = st.eab_keys.get(key_id)
        if key is None or key.revoked_at is not None or (single_use and key.used_count > 0):
            return False
        st.eab_keys[key_id] = replace(key, used_count=key.used_count + 1)
        return True

    def delete_for_profile(self, acme_profile_uuid: str) -> int:
        st = self._tx.write()
        doomed = [k for k, v in st.eab_keys.items() if v.acme_profile_uuid == acme_profile_uuid]
        for key_id in doomed:
            del st.eab_keys[key_id]
        return len(doomed)


class MemoryTokens:
    def __init__(self, tx: _Tx) -> None:
        self._tx = tx

    def by_hash(self, token_hash: str) -> ApiToken | None:
        return next((t for t in self._tx.state.tokens.values() if t.token_hash == token_hash), None)

    def by_name(self, name: str) -> ApiToken | None:
        return next((t for t in self._tx.state.tokens.values() if t.name == name), None)

    def add(self, token: ApiToken) -> None:
        st = self._tx.write()
        _unique(token.uuid in st.tokens, "api_tokens.uuid")
        self._check(st, token)
        st.tokens[token.uuid] = token

    def update(self, token: ApiToken) -> None:
        st = self._tx.write()
        if token.uuid in st.tokens:
            self._check(st, token)
            st.tokens[token.uuid] = token

    @staticmethod
    def _check(st: MemoryState, token: ApiToken) -> None:
        others = [t for t in st.tokens.values() if t.uuid != token.uuid]
        _unique(any(t.name == token.name for t in others), "api_tokens.name")
        _unique(any(t.token_hash == token.token_hash for t in others), "api_tokens.token_hash")

    def list(self) -> list[ApiToken]:
        return sorted(self._tx.state.tokens.values(), key=lambda t: t.name)


class MemoryAudit:
    def __init__(self, tx: _Tx) -> None:
        self._tx = tx

    def add(self, event: AuditEvent) -> None:
        st = self._tx.write()
        event_id = max(st.audit_events, default=0) + 1
        st.audit_events[event_id] = replace(event, id=event_id, detail=dict(event.detail))

    def list(self, where: AuditFilter, page: Page) -> list[AuditEvent]:
        """Newest first (by id), like SqlAudit; ``since`` inclusive, ``until`` exclusive."""
        found = [
            e
            for e in self._tx.state.audit_events.values()
            if all(
                wanted is None or value == wanted
                for value, wanted in (
                    (e.actor, where.actor),
                    (e.action, where.action),
                    (e.object_type, where.object_type),
                    (e.object_id, where.object_id),
                    (e.outcome, where.outcome),
                )
            )
            and (where.since is None or e.at >= where.since)
            and (where.until is None or e.at < where.until)
        ]
        found.sort(key=lambda e: e.id or 0, reverse=True)
        return found[page.offset : page.offset + page.limit]


class MemoryUsers:
    def __init__(self, tx: _Tx) -> None:
        self._tx = tx

    def get(self, uuid: str) -> User | None:
        return self._tx.state.users.get(uuid)

    def by_username(self, username: str) -> User | None:
        return next((u for u in self._tx.state.users.values() if u.username == username), None)

    def add(self, user: User) -> None:
        st = self._tx.write()
        _unique(user.uuid in st.users, "users.uuid")
        self._check(st, user)
        st.users[user.uuid] = user

    def update(self, user: User) -> None:
        st = self._tx.write()
        if user.uuid in st.users:
            self._check(st, user)
            st.users[user.uuid] = user

    @staticmethod
    def _check(st: MemoryState, user: User) -> None:
        _unique(
            any(u.username == user.username and u.uuid != user.uuid for u in st.users.values()),
            "users.username",
        )

    def list(self) -> list[User]:
        return sorted(self._tx.state.users.values(), key=lambda u: u.username)


class MemorySessions:
    def __init__(self, tx: _Tx) -> None:
        self._tx = tx

    def get(self, id_hash: str) -> WebSession | None:
        return self._tx.state.web_sessions.get(id_hash)

    def add(self, session: WebSession) -> None:
        st = self._tx.write()
        _unique(session.id_hash in st.web_sessions, "web_sessions.id_hash")
        _require(session.user_uuid in st.users, "web_sessions.user_uuid")
        st.web_sessions[session.id_hash] = session

    def touch(self, id_hash: str, last_seen_at: datetime) -> None:
        st = self._tx.write()
        if id_hash in st.web_sessions:
            st.web_sessions[id_hash] = replace(st.web_sessions[id_hash], last_seen_at=last_seen_at)

    def delete(self, id_hash: str) -> None:
        self._tx.write().web_sessions.pop(id_hash, None)

    def delete_for_user(self, user_uuid: str) -> int:
        st = self._tx.write()
        doomed = [k for k, v in st.web_sessions.items() if v.user_uuid == user_uuid]
        for key in doomed:
            del st.web_sessions[key]
        return len(doomed)

    def purge_expired(self, now: datetime, idle_before: datetime, limit: int) -> int:
        st = self._tx.write()
        doomed = [
            k
            for k, v in st.web_sessions.items()
            if v.expires_at <= now or v.last_seen_at < idle_before
        ][:limit]
        for key in doomed:
            del st.web_sessions[key]
        return len(doomed)


class MemorySignInFailures:
    def __init__(self, tx: _Tx) -> None:
        self._tx = tx

    def get_many(self, keys: Sequence[str]) -> dict[str, SignInFailures]:
        rows = self._tx.state.sign_in_failures
        return {k: rows[k] for k in keys if k in rows}

    def add_failure(self, key: str, now: datetime, forget_before: datetime) -> SignInFailures:
        st = self._tx.write()
        old = st.sign_in_failures.get(key)
        if old is None:
            new = SignInFailures(key, 1, now)
        elif old.locked_at is None and old.last_failure_at < forget_before:
            new = replace(old, failures=1, last_failure_at=now)
        else:
            new = replace(old, failures=old.failures + 1, last_failure_at=now)
        st.sign_in_failures[key] = new
        return new

    def lock(self, key: str, now: datetime) -> None:
        st = self._tx.write()
        old = st.sign_in_failures.get(key)
        if old is not None and old.locked_at is None:
            st.sign_in_failures[key] = replace(old, locked_at=now)

    def clear(self, key: str) -> SignInFailures | None:
        return self._tx.write().sign_in_failures.pop(key, None)

    def purge(self, before: datetime, limit: int) -> int:
        st = self._tx.write()
        doomed = [
            k
            for k, v in st.sign_in_failures.items()
            if v.locked_at is None and v.last_failure_at < before
        ][:limit]
        for key in doomed:
            del st.sign_in_failures[key]
        return len(doomed)


class MemoryReports:
    """The dashboard's aggregates computed over the in-memory tables (like SqlReports)."""

    def __init__(self, tx: _Tx) -> None:
        self._tx = tx

    def certificates_issued_per_day(self, since: datetime) -> dict[date, int]:
        days: dict[date, int] = {}
        for c in self._tx.state.certificates.values():
            if c.issued_at >= since:
                day = c.issued_at.astimezone(UTC).date()
                days[day] = days.get(day, 0) + 1
        return days

    def orders_by_status(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for o in self._tx.state.orders.values():
            counts[o.status.value] = counts.get(o.status.value, 0) + 1
        return counts

    def failed_validations(self, since: datetime) -> list[FailedValidationCount]:
        st = self._tx.state
        groups: dict[tuple[str, str], list[str]] = {}
        for ch in st.challenges.values():
            order = st.orders.get(st.authorization_order.get(ch.authorization_id, ""))
            if ch.status is not ChallengeStatus.INVALID or ch.error is None or order is None:
                continue
            if order.created_at < since:
                continue
            key = (ch.type.value, ch.error.kind.value)
            groups.setdefault(key, []).append(ch.error.detail)
        found = [
            FailedValidationCount(kind, problem, len(details), max(details))
            for (kind, problem), details in groups.items()
        ]
        found.sort(key=lambda f: (-f.count, f.challenge_type, f.problem_type))
        return found

    def expiring_certificates(
        self, now: datetime, until: datetime, limit: int
    ) -> list[Certificate]:
        found = [
            c
            for c in self._tx.state.certificates.values()
            if c.revoked_at is None and now <= c.not_after < until
        ]
        found.sort(key=lambda c: (c.not_after, c.id))
        return found[:limit]

    def accounts_by_profile(self) -> list[AccountCount]:
        counts: dict[tuple[str, str], int] = {}
        for a in self._tx.state.accounts.values():
            key = (a.acme_profile_uuid, a.status.value)
            counts[key] = counts.get(key, 0) + 1
        return [AccountCount(p, s, n) for (p, s), n in sorted(counts.items())]


class MemoryUnitOfWork:
    """The repositories of one transaction (``state`` is its working copy)."""

    def __init__(self, tx: _Tx) -> None:
        self.state = tx.state
        self.profiles = MemoryProfiles(tx)
        self.accounts = MemoryAccounts(tx)
        self.orders = MemoryOrders(tx)
        self.authorizations = MemoryAuthorizations(tx)
        self.certificates = MemoryCertificates(tx)
        self.blocked_keys = MemoryBlockedKeys(tx)
        self.certificate_profiles = MemoryCertificateProfiles(tx)
        self.tokens = MemoryTokens(tx)
        self.eab_keys = MemoryEabKeys(tx)
        self.audit = MemoryAudit(tx)
        self.users = MemoryUsers(tx)
        self.web_sessions = MemorySessions(tx)
        self.sign_in_failures = MemorySignInFailures(tx)
        self.reports = MemoryReports(tx)

    def __enter__(self) -> MemoryUnitOfWork:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


class MemoryUnitOfWorkFactory:
    """``with uow(write=True) as tx: ...``: commits on normal exit, discards on an exception.

    Write transactions are serialized (like SQLite's BEGIN IMMEDIATE); a read sees the state
    committed when it opened.
    """

    def __init__(self, clock: FixedClock) -> None:
        self._clock = clock
        self._committed = MemoryState()
        self._state_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._writer: int | None = None
        self._generation = 0
        #: Write units opened so far (what a test of a read-only path counts).
        self.write_units = 0

    def profiles_generation(self) -> int:
        """Any committed write counts as a change (the SQL factory is more precise)."""
        return self._generation

    @property
    def committed(self) -> MemoryState:
        """The committed state (read it, never write it)."""
        return self._committed

    @contextmanager
    def __call__(self, *, write: bool = False) -> Iterator[MemoryUnitOfWork]:
        if write:
            if self._writer == threading.get_ident():
                raise RuntimeError("a write unit of work was opened inside another one")
            self._write_lock.acquire()
            self._writer = threading.get_ident()
            self.write_units += 1
        try:
            with self._state_lock:
                working = self._committed.copy()
            yield MemoryUnitOfWork(_Tx(working, write, self._clock.now()))
            if write:
                with self._state_lock:
                    self._committed = working
                    self._generation += 1
        finally:
            if write:
                self._writer = None
                self._write_lock.release()


class MemoryNonceStore:
    """Single-use, expiring nonces (RFC 8555 §6.5), like storage.nonces.SqlNonceStore: issued
    nonces are remembered only as "genuine" (the SQL store signs them); used ones are recorded
    until they expire, and purging removes those records."""

    def __init__(self, clock: FixedClock, lifetime: timedelta = timedelta(hours=1)) -> None:
        self._clock = clock
        self._lifetime = lifetime
        self._issued: dict[str, datetime] = {}
        self._used: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def issue(self) -> str:
        value = secrets.token_urlsafe(24)
        with self._lock:
            self._issued[value] = self._clock.now() + self._lifetime
        return value

    def consume(self, nonce: str) -> bool:
        with self._lock:
            expires = self._issued.get(nonce)
            if expires is None or expires <= self._clock.now() or nonce in self._used:
                return False
            self._used[nonce] = expires
            return True

    def purge_expired(self, limit: int = 10000) -> int:
        now = self._clock.now()
        with self._lock:
            expired = [v for v, expires in self._used.items() if expires <= now][:limit]
            for value in expired:
                del self._used[value]
                self._issued.pop(value, None)
        return len(expired)


class MemoryValidationQueue:
    """Challenges in ``processing`` are the queue; claims are leases (see SqlValidationQueue)."""

    def __init__(self, uow: MemoryUnitOfWorkFactory) -> None:
        self._uow = uow
        #: How many times the services hinted that work was queued.
        self.wakes = 0

    def claim(
        self, worker: str, now: datetime, lease_seconds: int, limit: int, *, resume: bool = False
    ) -> list[str]:
        with self._uow(write=True) as tx:
            st = tx.state
            ids = [
                c.id
                for c in sorted(st.challenges.values(), key=lambda c: c.id)
                if c.status is ChallengeStatus.PROCESSING
                and (
                    (c.id in st.leases and st.leases[c.id][0] == worker)
                    if resume
                    else (c.id not in st.leases or st.leases[c.id][1] < now)
                )
            ][:limit]
            for challenge_id in ids:
                st.leases[challenge_id] = (worker, now + timedelta(seconds=lease_seconds))
        return ids

    def renew(self, worker: str, ids: Sequence[str], until: datetime) -> set[str]:
        with self._uow(write=True) as tx:
            st = tx.state
            kept = {
                i
                for i in ids
                if i in st.challenges
                and st.challenges[i].status is ChallengeStatus.PROCESSING
                and st.leases.get(i, ("", until))[0] == worker
            }
            for challenge_id in kept:
                st.leases[challenge_id] = (worker, until)
        return kept

    def wake(self) -> None:
        self.wakes += 1

    def local_lease(self, now: datetime) -> tuple[str, datetime] | None:
        return None  # answered challenges always wait for a claim here

    def attach(self, worker: object) -> None:
        pass

    def listen(self, woken: Callable[[], None]) -> None:
        pass

    def hand_over(self, challenge_id: str) -> None:
        raise AssertionError("nothing is handed over without a local lease")

    def expected_validation_seconds(self) -> float | None:
        return self.expected_seconds

    def wait_settled(self, challenge_ids: Sequence[str], timeout: float) -> bool:
        return False  # nothing validates in this process

    #: What :meth:`expected_validation_seconds` answers (a test sets it).
    expected_seconds: float | None = None


# --------------------------------------------------------------------------- CA


class SimulatedCrash(BaseException):
    """Raised by :class:`FakeCaBackends` to stop the process mid-issuance (like a kill -9)."""


class _RecordingBackend:
    """The real backend, with every issue/revoke request written down."""

    def __init__(self, owner: FakeCaBackends, inner: CaBackend) -> None:
        self._owner = owner
        self._inner = inner

    def issue(self, request: IssueRequest) -> IssuedCertificate:
        self._owner.issue_requests.append(request)
        failure = self._owner.fail_issuance
        if failure is not None:
            self._owner.fail_issuance = None
            raise failure
        return self._inner.issue(request)

    def revoke(self, request: RevokeRequest) -> None:
        self._owner.revoke_requests.append(request)
        self._inner.revoke(request)

    def chain_pem(self) -> str:
        return self._inner.chain_pem()

    def sign_crl(
        self,
        revoked: Sequence[RevokedEntry],
        this_update: datetime,
        next_update: datetime,
        number: int,
    ) -> bytes:
        sign = getattr(self._inner, "sign_crl", None)
        if sign is None:
            raise NotImplementedError("the wrapped backend signs no CRL")
        result: bytes = sign(revoked, this_update, next_update, number)
        return result


class FakeCaBackends:
    """CaBackends serving real embedded CAs created under ``directory``.

    ``fail_issuance``: the exception the next issue() raises (then cleared), e.g. a DomainError
    for a CA outage or :class:`SimulatedCrash` for a process killed mid-issuance.
    """

    def __init__(self, directory: Path, clock: FixedClock) -> None:
        self._directory = directory
        self._clock = clock
        self._registry = CaRegistry()
        self.issue_requests: list[IssueRequest] = []
        self.revoke_requests: list[RevokeRequest] = []
        self.fail_issuance: BaseException | None = None

    def embedded_config(self, name: str) -> dict[str, Any]:
        """Create a root and an intermediate for ``name``; the Authority.config to use."""
        slug = re.sub(r"[^A-Za-z0-9_-]", "_", name) or "ca"
        return create_embedded_authority(
            self._directory / f"{slug}-{secrets.token_hex(4)}", name=name, now=self._clock.now()
        )

    def for_authority(self, authority: Authority) -> CaBackend:
        return _RecordingBackend(self, self._registry.for_authority(authority))


# --------------------------------------------------------------------------- harness


@dataclass(frozen=True)
class AccountKey:
    """An ACME account key pair with the values the protocol layer would hand the services."""

    private_key: ec.EllipticCurvePrivateKey
    jwk: dict[str, Any]
    thumbprint: str  # RFC 7638
    spki_sha256: str  # as FinalizeService.finalize and RevocationSigner expect

    @classmethod
    def generate(cls) -> AccountKey:
        key = ec.generate_private_key(ec.SECP256R1())
        public = JWK.from_pyca(key.public_key())
        jwk = {k: v for k, v in public.export_public(as_dict=True).items() if k != "kid"}
        return cls(key, jwk, public.thumbprint(), spki_sha256_hex(key.public_key()))


def make_csr(
    key: CertificateIssuerPrivateKeyTypes, names: Sequence[str], common_name: str | None = None
) -> bytes:
    """A DER CSR for ``names`` (SAN dNSName entries), signed with ``key``."""
    subject = (
        x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, common_name)])
        if common_name
        else x509.Name([])
    )
    builder = x509.CertificateSigningRequestBuilder().subject_name(subject)
    if names:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False
        )
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


@dataclass
class MemoryWorld:
    """Services on the fakes, plus the steps service tests repeat."""

    clock: FixedClock
    uow: MemoryUnitOfWorkFactory
    nonces: MemoryNonceStore
    queue: MemoryValidationQueue
    ca: FakeCaBackends
    services: Services

    @classmethod
    def build(cls, directory: Path, now: datetime = DEFAULT_NOW, **deps_fields: Any) -> MemoryWorld:
        """``deps_fields``: further ServiceDeps (e.g. ``caa``, the real VA)."""
        clock = FixedClock(now)
        uow = MemoryUnitOfWorkFactory(clock)
        nonces = MemoryNonceStore(clock)
        queue = MemoryValidationQueue(uow)
        ca = FakeCaBackends(directory, clock)
        deps = ServiceDeps(uow=uow, clock=clock, nonces=nonces, ca=ca, queue=queue, **deps_fields)
        services = Services.build(deps)
        # Cheap password hashing: argon2id still, with test-sized cost.
        users = UserService(deps, PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        services = replace(services, users=users, sessions=SessionService(deps, users))
        return cls(clock, uow, nonces, queue, ca, services)

    # ------------------------------------------------------------------ platform

    def authority(self, name: str = "Test CA") -> Authority:
        return self.services.platform.create_authority(
            name, "embedded", self.ca.embedded_config(name)
        )

    def profiles(
        self,
        acme_name: str = "default",
        ra_name: str = "ra-default",
        *,
        authority: Authority | None = None,
        ra_fields: dict[str, Any] | None = None,
        **acme_fields: Any,
    ) -> tuple[AcmeProfile, RaProfile]:
        """An enabled ACME profile whose default RA profile is ``ra_name``, activated on it."""
        authority = authority or self.authority(f"CA for {ra_name}")
        platform = self.services.platform
        ra = platform.create_ra_profile(authority.uuid, ra_name, **(ra_fields or {}))
        acme_fields.setdefault("enabled", True)
        acme = platform.create_acme_profile(
            acme_name, default_ra_profile_uuid=ra.uuid, **acme_fields
        )
        ra = platform.activate_acme(ra.uuid, acme.uuid)
        return acme, ra

    def context(
        self, name: str = "default", mode: ProfileMode = ProfileMode.ACME_PROFILE
    ) -> AcmeContext:
        return self.services.context(ProfileRef(mode, name))

    # ------------------------------------------------------------------ ACME steps

    def new_account(
        self, ctx: AcmeContext, key: AccountKey | None = None, **payload: Any
    ) -> tuple[Account, AccountKey]:
        key = key or AccountKey.generate()
        payload.setdefault("termsOfServiceAgreed", True)
        account, _ = self.services.accounts.new_account(
            ctx, NewAccountRequest(jwk=key.jwk, thumbprint=key.thumbprint, payload=payload)
        )
        return account, key

    def new_order(self, ctx: AcmeContext, account: Account, *names: str, **payload: Any) -> Order:
        payload["identifiers"] = [{"type": "dns", "value": n} for n in names]
        return self.services.orders.new_order(ctx, account.id, payload)

    def answer(
        self, ctx: AcmeContext, account: Account, authz_id: str, ok: bool = True
    ) -> Challenge:
        """Answer the authorization's dns-01 challenge and record the VA's result."""
        view = self.services.authorizations.get(ctx, account.id, authz_id)
        challenge = next(c for c in view.authorization.challenges if c.type is ChallengeType.DNS_01)
        self.services.authorizations.respond(ctx, account.id, challenge.id)
        problem = None if ok else Problem(ErrorKind.DNS, "no TXT record found")
        self.services.authorizations.record_result(ValidationResult(challenge.id, problem))
        return self.services.authorizations.get_challenge(ctx, account.id, challenge.id).challenge

    def ready_order(self, ctx: AcmeContext, account: Account, *names: str) -> Order:
        """A new order whose every authorization was validated."""
        order = self.new_order(ctx, account, *names)
        for authz_id in order.authorization_ids:
            self.answer(ctx, account, authz_id)
        return order

    def issue(
        self, ctx: AcmeContext, account: Account, key: AccountKey, *names: str
    ) -> tuple[Certificate, ec.EllipticCurvePrivateKey]:
        """Order, validate, finalize; the certificate and its private key."""
        order = self.ready_order(ctx, account, *names)
        cert_key = ec.generate_private_key(ec.SECP256R1())
        view = self.services.finalize.finalize(
            ctx, account.id, order.id, make_csr(cert_key, names), key.spki_sha256
        )
        assert view.order.certificate_id is not None, view
        cert = self.services.certificates.download(ctx, account.id, view.order.certificate_id)
        return cert, cert_key
