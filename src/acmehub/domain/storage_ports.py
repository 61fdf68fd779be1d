"""Ports that storage implements: anti-replay nonces, the repositories (with their filters and
report rows), and the unit of work that binds them to one transaction."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from acmehub.domain.admin_model import ApiToken, AuditEvent, User, WebSession
from acmehub.domain.certificate_profiles import CertificateProfileRepository
from acmehub.domain.model import (
    Account,
    AccountStatus,
    AcmeProfile,
    Authority,
    Authorization,
    AuthzStatus,
    BlockedKey,
    Certificate,
    Challenge,
    EabKey,
    Order,
    RaProfile,
)
from acmehub.domain.renewal_info import RenewalScope
from acmehub.domain.report_ports import ReportsRepository
from acmehub.domain.sign_in_ports import SignInFailureRepository


class NonceStore(Protocol):
    """Anti-replay nonces (RFC 8555 §6.5): single use, expiring, shared by all processes."""

    def issue(self) -> str: ...

    def consume(self, nonce: str) -> bool:
        """True once for a nonce that was issued and has not expired; False otherwise."""
        ...

    def purge_expired(self, limit: int) -> int:
        """Delete at most ``limit`` expired nonces; returns how many."""
        ...


@dataclass(frozen=True)
class Page:
    offset: int = 0
    limit: int = 100


@dataclass(frozen=True)
class AccountFilter:
    acme_profile_uuid: str | None = None
    ra_profile_uuid: str | None = None
    status: AccountStatus | None = None
    enabled: bool | None = None


@dataclass(frozen=True)
class CertificateFilter:
    acme_profile_uuid: str | None = None
    ra_profile_uuid: str | None = None
    account_id: str | None = None
    #: "valid" (not revoked, not expired at ``now``), "revoked" or "expired".
    status: str | None = None
    #: Substring of any name on the certificate.
    name: str | None = None
    expires_after: datetime | None = None
    expires_before: datetime | None = None
    now: datetime | None = None


@dataclass(frozen=True)
class OrderFilter:
    """The order browser's search; every field set must match."""

    account_id: str | None = None
    #: Substring of any identifier value (case-insensitive).
    name: str | None = None
    #: Stored status ("pending", "ready", "processing", "valid", "invalid").
    status: str | None = None
    acme_profile_uuid: str | None = None


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    outcome: str | None = None
    since: datetime | None = None
    until: datetime | None = None


class ProfileRepository(Protocol):
    def acme_profile_by_name(self, name: str) -> AcmeProfile | None: ...
    def acme_profile(self, uuid: str) -> AcmeProfile | None: ...
    def ra_profile_by_name(self, name: str) -> RaProfile | None: ...
    def ra_profile(self, uuid: str) -> RaProfile | None: ...
    def authority(self, uuid: str) -> Authority | None: ...
    def add_authority(self, authority: Authority) -> None: ...
    def add_ra_profile(self, profile: RaProfile) -> None: ...
    def update_ra_profile(self, profile: RaProfile) -> None: ...
    def add_acme_profile(self, profile: AcmeProfile) -> None: ...
    def update_acme_profile(self, profile: AcmeProfile) -> None: ...
    def list_authorities(self) -> list[Authority]: ...
    def update_authority(self, authority: Authority) -> None: ...
    def delete_authority(self, uuid: str) -> None: ...
    def list_ra_profiles(self, authority_uuid: str | None = None) -> list[RaProfile]: ...
    def delete_ra_profile(self, uuid: str) -> None: ...
    def list_acme_profiles(self) -> list[AcmeProfile]: ...
    def delete_acme_profile(self, uuid: str) -> None: ...


class AccountRepository(Protocol):
    def get(self, account_id: str) -> Account | None: ...
    def by_uuid(self, uuid: str) -> Account | None:
        """The account with this management id."""
        ...

    def by_thumbprint(self, thumbprint: str) -> Account | None: ...
    def lock_key(self, thumbprint: str) -> None:
        """Serialize, until this transaction ends, every writer that registers this key."""
        ...

    def add(self, account: Account) -> None: ...
    def update(self, account: Account) -> None: ...
    def list(self, where: AccountFilter, page: Page) -> list[Account]: ...
    def count(self, where: AccountFilter) -> int: ...
    def order_counts(self, account_id: str) -> dict[str, int]:
        """Orders of the account by stored status, plus "total"."""
        ...

    def rebind_default(self, acme_profile_uuid: str, ra_profile_uuid: str) -> int:
        """Move accounts bound through the profile's default RA profile; returns how many."""
        ...


class OrderRepository(Protocol):
    def get(self, order_id: str) -> Order | None: ...
    def add(self, order: Order) -> None: ...
    def update(self, order: Order) -> None: ...
    def ids_for_account(self, account_id: str, offset: int, limit: int) -> list[str]:
        """The account's orders that are not invalid (nor expired), oldest first."""
        ...

    def ids_for_authorization(self, authorization_id: str) -> list[str]: ...
    def stuck_processing(self, older_than: datetime, limit: int) -> list[Order]: ...
    def claim_issuance(self, order_id: str, touched_by: datetime) -> bool:
        """Take or renew the right to sign for a processing order (the issuance lease): only if
        it is processing and was last touched at or before ``touched_by``; it is then touched
        now. A conditional update, so of two claims on one order only one wins."""
        ...

    def purge_expired(self, expired_before: datetime, limit: int) -> int:
        """Delete at most ``limit`` orders that expired before ``expired_before`` without a
        certificate, with their authorizations and challenges; returns how many orders. An
        order with an authorization expiring later (kept for reuse) stays; pre-authorizations
        (no order) that expired before ``expired_before`` go too."""
        ...

    def search(self, where: OrderFilter, page: Page) -> list[Order]:
        """One page of the matching orders, newest first (the order browser)."""
        ...

    def count(self, where: OrderFilter) -> int: ...
    def replacing(self, cert_id: str) -> list[Order]:
        """Orders whose ``replaces`` is this certID (RFC 9773 §5), oldest first."""
        ...


class AuthorizationRepository(Protocol):
    def get(self, authorization_id: str) -> Authorization | None:
        """The authorization with its challenges."""
        ...

    def get_many(self, ids: Sequence[str]) -> list[Authorization]: ...
    def add(self, authorization: Authorization, order_id: str | None) -> None:
        """Insert the authorization (for ``order_id``; None: a pre-authorization, RFC 8555
        §7.4.1) and its challenges."""
        ...

    def valid_of_account(
        self, account_id: str, names: Sequence[str], now: datetime
    ) -> list[Authorization]:
        """The account's valid, unexpired authorizations for any of ``names`` (identifier
        values), with their challenges: what a new order may reuse."""
        ...

    def set_expires(self, authorization_id: str, expires: datetime) -> None:
        """Move a valid authorization's expiry (kept for reuse, domain/preauthorization.py)."""
        ...

    def set_status(self, authorization_id: str, status: str) -> None: ...
    def change_status(
        self,
        authorization_id: str,
        expected: Collection[AuthzStatus],
        status: AuthzStatus,
        now: datetime,
    ) -> bool:
        """Compare and set: ``status`` only while the stored status is one of ``expected`` (one
        or two) and the authorization has not expired at ``now``; False (nothing written)
        when it changed or expired in the meantime."""
        ...

    def cap_expiry(self, authorization_id: str, expires: datetime) -> None:
        """Bring the authorization's expiry forward to ``expires`` if it is later
        (draft-ietf-acme-dns-persist §4.1: not later than the record's persistUntil)."""
        ...

    def settle_challenge(self, challenge: Challenge) -> bool:
        """Store a validation's outcome (valid or invalid, ending its lease) only while the
        stored challenge is still processing; False (nothing written) otherwise."""
        ...

    def challenge(self, challenge_id: str) -> Challenge | None: ...
    def update_challenge(
        self, challenge: Challenge, lease: tuple[str, datetime] | None = None
    ) -> None:
        """Store ``challenge``; ``lease`` (owner, until) records who validates it, for a
        challenge handed straight to a validation thread (ValidationQueue.local_lease)."""
        ...

    def valid_for_account(self, account_id: str, names: Sequence[str], now: datetime) -> set[str]:
        """Which of ``names`` the account holds a valid, unexpired authorization for."""
        ...


class CertificateRepository(Protocol):
    def get(self, certificate_id: str) -> Certificate | None: ...
    def by_serial(self, serial_hex: str) -> Certificate | None: ...
    def add(self, certificate: Certificate) -> None: ...
    def mark_revoked(self, certificate_id: str, revoked_at: datetime, reason: int) -> bool:
        """False when it was already revoked (the caller answers alreadyRevoked)."""
        ...

    def change_revocation_reason(self, certificate_id: str, reason: int) -> bool:
        """Give a revoked certificate another reason (its revocation time stays); False when it
        is not revoked or has that reason already (a conditional update)."""
        ...

    def revoked_for_authority(self, authority_uuid: str) -> list[Certificate]: ...
    def list(self, where: CertificateFilter, page: Page) -> list[Certificate]: ...
    def count(self, where: CertificateFilter) -> int: ...
    def move_renewal(
        self, scope: RenewalScope, moved_at: datetime, explanation_url: str | None
    ) -> int:
        """RFC 9773: end the window of the scope's valid certificates now; how many."""
        ...


class BlockedKeyRepository(Protocol):
    """Keys of certificates revoked for keyCompromise, by SHA-256 of their SPKI (hex)."""

    def add(self, key: BlockedKey) -> bool:
        """Block a key; False (and the first entry kept) when it is blocked already."""
        ...

    def get(self, spki_sha256: str) -> BlockedKey | None: ...


class EabKeyRepository(Protocol):
    def get(self, key_id: str) -> EabKey | None: ...
    def add(self, key: EabKey) -> None: ...
    def update(self, key: EabKey) -> None: ...
    def list(self, acme_profile_uuid: str | None, page: Page) -> list[EabKey]: ...
    def count(self, acme_profile_uuid: str | None) -> int: ...
    def record_use(self, key_id: str, *, single_use: bool) -> bool:
        """Count one use of a key that is not revoked; for ``single_use``, only if unused.

        A conditional update, so of two concurrent new-account requests with one single-use key
        only one succeeds (RFC 8555 §7.3.4 leaves reuse to the CA). False when refused.
        """
        ...

    def delete_for_profile(self, acme_profile_uuid: str) -> int:
        """Delete the profile's keys (when the profile itself is deleted); returns how many."""
        ...


class TokenRepository(Protocol):
    def by_hash(self, token_hash: str) -> ApiToken | None: ...
    def by_name(self, name: str) -> ApiToken | None: ...
    def add(self, token: ApiToken) -> None: ...
    def update(self, token: ApiToken) -> None: ...
    def list(self) -> list[ApiToken]: ...


class AuditRepository(Protocol):
    def add(self, event: AuditEvent) -> None: ...
    def list(self, where: AuditFilter, page: Page) -> list[AuditEvent]: ...


class UserRepository(Protocol):
    """Web interface users (usernames are unique)."""

    def get(self, uuid: str) -> User | None: ...
    def by_username(self, username: str) -> User | None: ...
    def add(self, user: User) -> None: ...
    def update(self, user: User) -> None: ...
    def list(self) -> list[User]:
        """Every user, by username."""
        ...


class SessionRepository(Protocol):
    """Web interface sessions, keyed by the SHA-256 of the cookie's secret."""

    def get(self, id_hash: str) -> WebSession | None: ...
    def add(self, session: WebSession) -> None: ...
    def touch(self, id_hash: str, last_seen_at: datetime) -> None: ...
    def delete(self, id_hash: str) -> None: ...
    def delete_for_user(self, user_uuid: str) -> int:
        """End every session of the user (disabled, password changed); returns how many."""
        ...

    def purge_expired(self, now: datetime, idle_before: datetime, limit: int) -> int:
        """Delete at most ``limit`` sessions past their absolute end (``expires_at <= now``) or
        idle since before ``idle_before``; returns how many."""
        ...


class UnitOfWork(Protocol):
    """One transaction. Commits when the block exits normally, rolls back otherwise."""

    @property
    def profiles(self) -> ProfileRepository: ...
    @property
    def certificate_profiles(self) -> CertificateProfileRepository: ...
    @property
    def accounts(self) -> AccountRepository: ...
    @property
    def orders(self) -> OrderRepository: ...
    @property
    def authorizations(self) -> AuthorizationRepository: ...
    @property
    def certificates(self) -> CertificateRepository: ...
    @property
    def eab_keys(self) -> EabKeyRepository: ...
    @property
    def blocked_keys(self) -> BlockedKeyRepository: ...
    @property
    def tokens(self) -> TokenRepository: ...
    @property
    def audit(self) -> AuditRepository: ...
    @property
    def users(self) -> UserRepository: ...
    @property
    def web_sessions(self) -> SessionRepository: ...
    @property
    def sign_in_failures(self) -> SignInFailureRepository: ...
    @property
    def reports(self) -> ReportsRepository: ...

    def __enter__(self) -> UnitOfWork: ...
    def __exit__(self, *exc: object) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, *, write: bool = False) -> AbstractContextManager[UnitOfWork]: ...

    def profiles_generation(self) -> int:
        """A number that changes whenever any process commits a change to ACME profiles,
        RA profiles or Authorities (what caches of them compare)."""
        ...
