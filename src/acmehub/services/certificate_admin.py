"""The certificate inventory: list with filters, detail, and revocation by an administrator.

Revocation goes through :func:`acmehub.services.certificates.revoke_stored`, the same rule
revoke-cert (RFC 8555 §7.6) uses: the CA revokes first, the certificate is marked in the same
transaction, and the CRL (built from storage on every fetch, RFC 5280 §5) lists it at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from acmehub.domain.admin_model import Role
from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.model import (
    Account,
    AcmeProfile,
    Authority,
    Certificate,
    RaProfile,
    serial_lookup,
)
from acmehub.domain.ports import CertificateFilter, Page, UnitOfWork
from acmehub.domain.revocation import administrator_reason_problem
from acmehub.services.admin import Actor, Family, require
from acmehub.services.certificates import check_revocation_reason, revoke_stored
from acmehub.services.commands.base import Paged
from acmehub.services.commands.certificates import (
    REASON_CODES,
    REASON_NAMES,
    CertificateDetail,
    CertificateListQuery,
    CertificateStatus,
    CertificateSummary,
    CertificateView,
    RevokeRequest,
)
from acmehub.services.deps import ServiceDeps
from acmehub.services.renewal_info import renewal_chain

__all__ = ["REASON_CODES", "REASON_NAMES", "CertificateStatus"]


def certificate_status(cert: Certificate, now: datetime) -> CertificateStatus:
    if cert.revoked_at is not None:
        return CertificateStatus.REVOKED
    if cert.not_after <= now:
        return CertificateStatus.EXPIRED
    return CertificateStatus.VALID


def reason_code(reason: int | str | None) -> int:
    """A reason given as an RFC 5280 code or name (absent: unspecified), one an administrator
    may give (domain.revocation.ADMINISTRATOR_REASONS: Baseline Requirements §7.2.2)."""
    if isinstance(reason, str):
        if reason not in REASON_CODES:
            raise DomainError(
                ErrorKind.INVALID_INPUT,
                f"reason must be one of {', '.join(REASON_CODES)} (RFC 5280 §5.3.1)",
                status=422,
            )
        code = REASON_CODES[reason]
    else:
        try:
            code = check_revocation_reason(reason)
        except DomainError as exc:
            raise DomainError(ErrorKind.INVALID_INPUT, exc.detail, status=422) from None
    problem = administrator_reason_problem(code)
    if problem is not None:
        raise DomainError(ErrorKind.INVALID_INPUT, problem, status=422)
    return code


@dataclass(frozen=True)
class CertificateQuery:
    """The inventory filters; ``account_uuid`` and ``account_id`` name the same thing."""

    acme_profile_uuid: str | None = None
    ra_profile_uuid: str | None = None
    account_uuid: str | None = None
    account_id: str | None = None
    status: CertificateStatus | None = None
    name: str | None = None
    expires_after: datetime | None = None
    expires_before: datetime | None = None


class CertificateAdminService:
    def __init__(self, deps: ServiceDeps) -> None:
        self._d = deps

    def search(
        self, actor: Actor, query: CertificateQuery, page: Page
    ) -> tuple[list[CertificateView], int]:
        """One page, newest first, and how many match in all."""
        require(actor, Role.AUDITOR, Family.CERTIFICATES)
        now = self._d.clock.now()
        with self._d.uow() as tx:
            account_id = query.account_id
            if query.account_uuid is not None:
                account = tx.accounts.by_uuid(query.account_uuid)
                if account is None or (account_id is not None and account_id != account.id):
                    return [], 0  # no certificate can match
                account_id = account.id
            where = CertificateFilter(
                acme_profile_uuid=query.acme_profile_uuid,
                ra_profile_uuid=query.ra_profile_uuid,
                account_id=account_id,
                status=query.status.value if query.status else None,
                name=query.name or None,
                expires_after=query.expires_after,
                expires_before=query.expires_before,
                now=now,
            )
            certs = tx.certificates.list(where, page)
            total = tx.certificates.count(where)
            views = _Viewer(tx, now)
            return [views(c) for c in certs], total

    def page(self, actor: Actor, query: CertificateListQuery) -> Paged[CertificateSummary]:
        """The inventory's page as the API, the CLI and the web interface show it."""
        filters = query.model_dump(exclude={"offset", "limit", "expiring_within"})
        search = CertificateQuery(**filters)
        if query.expiring_within is not None:
            now = self._d.clock.now()
            until = now + timedelta(days=query.expiring_within)
            search = replace(
                search,
                expires_after=max(search.expires_after or now, now),
                expires_before=min(search.expires_before or until, until),
            )
        views, total = self.search(actor, search, Page(query.offset, query.limit))
        return Paged.of([CertificateSummary.of(v) for v in views], query, total)

    def detail(self, actor: Actor, certificate_id: str) -> CertificateDetail:
        return CertificateDetail.of(self.get(actor, certificate_id))

    def revoke_certificate(
        self, actor: Actor, certificate_id: str, command: RevokeRequest
    ) -> CertificateDetail:
        return CertificateDetail.of(self.revoke(actor, certificate_id, command.reason))

    def get(self, actor: Actor, certificate_id: str) -> CertificateView:
        require(actor, Role.AUDITOR, Family.CERTIFICATES)
        now = self._d.clock.now()
        with self._d.uow() as tx:
            cert = self._find(tx, certificate_id)
            return replace(_Viewer(tx, now)(cert), renewal=renewal_chain(tx, cert, now))

    def revoke(
        self, actor: Actor, certificate_id: str, reason: int | str | None
    ) -> CertificateView:
        """Revoke with an RFC 5280 reason; 422 when it is already revoked (unless it moves to
        keyCompromise, which also blocks its key: services.certificates.revoke_stored)."""
        require(actor, Role.OPERATOR, Family.CERTIFICATES)
        code = reason_code(reason)
        with self._d.uow(write=True) as tx:
            cert = self._find(tx, certificate_id)
            try:
                # An administrator's keyCompromise is the CA's decision: it blocks the key.
                revoked = revoke_stored(
                    tx, self._d.ca, self._d.clock, cert, code, actor=actor.name, proven=True
                )
            except DomainError as exc:
                if exc.kind is ErrorKind.ALREADY_REVOKED:
                    raise DomainError(ErrorKind.INVALID_INPUT, exc.detail, status=422) from None
                raise
            return _Viewer(tx, self._d.clock.now())(revoked)

    @staticmethod
    def _find(tx: UnitOfWork, certificate_id: str) -> Certificate:
        """By id, or by serial number (with or without its leading zero, as openssl shows it)."""
        cert = tx.certificates.get(certificate_id)
        serial = serial_lookup(certificate_id) if cert is None else None
        if serial is not None:
            cert = tx.certificates.by_serial(serial)
        if cert is None:
            raise DomainError(ErrorKind.NOT_FOUND, "Certificate not found", status=404)
        return cert


class _Viewer:
    """Certificates as views, each account and profile read once per transaction."""

    def __init__(self, tx: UnitOfWork, now: datetime) -> None:
        self._tx = tx
        self._now = now
        self._accounts: dict[str, Account | None] = {}
        self._names: dict[str, str] = {}

    def __call__(self, cert: Certificate) -> CertificateView:
        if cert.account_id not in self._accounts:
            self._accounts[cert.account_id] = self._tx.accounts.get(cert.account_id)
        return CertificateView(
            cert,
            certificate_status(cert, self._now),
            self._accounts[cert.account_id],
            self._name(cert.acme_profile_uuid, self._tx.profiles.acme_profile),
            self._name(cert.ra_profile_uuid, self._tx.profiles.ra_profile),
            self._name(cert.authority_uuid, self._tx.profiles.authority),
        )

    def _name(
        self, uuid: str, find: Callable[[str], AcmeProfile | RaProfile | Authority | None]
    ) -> str:
        if uuid not in self._names:
            found = find(uuid)
            self._names[uuid] = found.name if found else ""
        return self._names[uuid]
