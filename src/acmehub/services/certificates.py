"""Certificate download, revocation (RFC 8555 §7.4.2, §7.6) and CRLs (RFC 5280 §5)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from cryptography import x509

from acmehub.domain.csr import serial_to_hex
from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.key_policy import spki_sha256_hex
from acmehub.domain.model import AcmeProfile, BlockedKey, Certificate
from acmehub.domain.ports import (
    AlternateChainsCapability,
    CaBackends,
    Clock,
    CrlCapability,
    RevokedEntry,
    RevokeRequest,
    UnitOfWork,
)
from acmehub.domain.revocation import (
    KEY_COMPROMISE,
    REASON_NAMES,
    UNSPECIFIED,
    check_key_compromise_claim,
    may_revoke_again,
    subscriber_reason,
)
from acmehub.services.accounts import AccountService, acme_actor, check_account_enabled
from acmehub.services.admin import record
from acmehub.services.context import AcmeContext
from acmehub.services.deps import ServiceDeps

log = logging.getLogger(__name__)

CRL_LIFETIME = timedelta(days=7)


@dataclass(frozen=True)
class RevocationSigner:
    """Who signed a revoke-cert request: an account (kid) or the certificate's key (jwk)."""

    account_id: str | None = None
    key_spki_sha256: str | None = None

    @property
    def actor(self) -> str:
        """The audit actor: the account, or the certificate key that signed."""
        if self.account_id is not None:
            return acme_actor(self.account_id)
        return f"acme:certkey:{self.key_spki_sha256}"


def check_revocation_reason(reason: object) -> int:
    """An RFC 5280 §5.3.1 reason code (absent = 0, unspecified); else badRevocationReason."""
    if reason is None:
        return UNSPECIFIED
    if not isinstance(reason, int) or isinstance(reason, bool) or reason not in REASON_NAMES:
        raise DomainError(
            ErrorKind.BAD_REVOCATION_REASON,
            f"reason must be one of {', '.join(map(str, REASON_NAMES))} (RFC 5280 §5.3.1)",
        )
    return reason


def revoke_stored(
    tx: UnitOfWork,
    ca: CaBackends,
    clock: Clock,
    cert: Certificate,
    reason: int,
    *,
    actor: str,
    proven: bool,
    fallback_profile: AcmeProfile | None = None,
) -> Certificate:
    """The one revocation rule, shared by revoke-cert (RFC 8555 §7.6) and the management API.

    In the caller's write transaction: asks the CA to revoke with the issuing profiles' revoke
    attributes, marks the certificate and writes the audit event. The CA revokes first, so
    nobody is told "revoked" before it took effect; the CRL is built from storage on every
    fetch, so it lists the certificate (and a changed reason) at once.

    ``proven``: the key's compromise is shown (the request was signed with the certificate's
    key) or decided by an administrator. Only then does keyCompromise block the certificate's
    key (domain.key_policy: refused afterwards as an account key and in CSRs), and only then
    may a revoked certificate move to keyCompromise (domain.revocation.may_revoke_again: its
    reason changes, its revocation time stays); otherwise a revoked one is alreadyRevoked.
    """
    previous = cert.revocation_reason
    again = cert.revoked_at is not None
    block = proven and reason == KEY_COMPROMISE
    if again and not may_revoke_again(previous, reason, proven=proven):
        # Revoked for keyCompromise already, without proof (a revocation recorded before the
        # proof was required): the proof that comes now blocks the key; nothing else moves.
        if block and tx.blocked_keys.get(cert.key_thumbprint) is None:
            _block_key(tx, clock, cert, actor, {"serial": cert.serial_hex, "reason": reason})
            return cert
        raise DomainError(ErrorKind.ALREADY_REVOKED, "the certificate is already revoked")
    now = clock.now()
    revoked_at = cert.revoked_at or now
    authority = tx.profiles.authority(cert.authority_uuid)
    if authority is None:
        raise DomainError(ErrorKind.SERVER_INTERNAL, "the certificate's authority is gone")
    ra = tx.profiles.ra_profile(cert.ra_profile_uuid)
    acme = tx.profiles.acme_profile(cert.acme_profile_uuid) or fallback_profile
    attributes = {
        **(acme.revoke_certificate_attributes if acme else {}),
        **(ra.acme_revoke_attributes if ra else {}),
    }
    ca.for_authority(authority).revoke(
        RevokeRequest(cert.serial_hex, reason, revoked_at, attributes)
    )
    marked = (
        tx.certificates.change_revocation_reason(cert.id, reason)
        if again
        else tx.certificates.mark_revoked(cert.id, now, reason)
    )
    if not marked:
        raise DomainError(ErrorKind.ALREADY_REVOKED, "the certificate is already revoked")
    details: dict[str, Any] = {"serial": cert.serial_hex, "reason": reason}
    if again:
        details["previousReason"] = previous
    if block:
        _block_key(tx, clock, cert, actor, details)
    else:
        record(tx, clock, actor, "certificate.revoke", "certificate", cert.id, **details)
    return replace(cert, revoked_at=revoked_at, revocation_reason=reason)


def _block_key(
    tx: UnitOfWork, clock: Clock, cert: Certificate, actor: str, details: dict[str, Any]
) -> None:
    """Put the certificate's key on the blocklist and write the revocation's audit event."""
    tx.blocked_keys.add(BlockedKey(cert.key_thumbprint, clock.now(), actor, cert.id))
    details = {**details, "blockedKey": cert.key_thumbprint}
    record(tx, clock, actor, "certificate.revoke", "certificate", cert.id, **details)


class CertificateService:
    def __init__(self, deps: ServiceDeps, accounts: AccountService) -> None:
        self._d = deps
        self._accounts = accounts

    def download_chains(
        self, ctx: AcmeContext, account_id: str, certificate_id: str
    ) -> tuple[Certificate, tuple[str, ...]]:
        """The certificate and its alternate chains (RFC 8555 §7.4.2: the same leaf under
        other issuers, e.g. a cross-signed twin of the issuing CA), leaf excluded."""
        cert = self.download(ctx, account_id, certificate_id)
        with self._d.uow() as tx:
            authority = tx.profiles.authority(cert.authority_uuid)
        if authority is None:
            return cert, ()
        try:
            backend = self._d.ca.for_authority(authority)
        except DomainError:
            log.warning("no alternate chains for certificate %s", cert.id, exc_info=True)
            return cert, ()  # the default chain is stored with the certificate
        if not isinstance(backend, AlternateChainsCapability):
            return cert, ()
        return cert, backend.alternate_chains_pem(cert.chain_pem)

    def download(self, ctx: AcmeContext, account_id: str, certificate_id: str) -> Certificate:
        with self._d.uow() as tx:
            account = self._accounts.for_request(tx, ctx, account_id)
            cert = tx.certificates.get(certificate_id)
            if cert is None:
                raise DomainError(ErrorKind.NOT_FOUND, "no such certificate", status=404)
            if cert.account_id != account.id:
                raise DomainError(
                    ErrorKind.UNAUTHORIZED, "the certificate belongs to another account"
                )
            return cert

    def revoke(
        self, ctx: AcmeContext, signer: RevocationSigner, cert_der: bytes, reason: object
    ) -> Certificate:
        code = subscriber_reason(reason)
        try:
            parsed = x509.load_der_x509_certificate(cert_der)
        except ValueError:
            raise DomainError(ErrorKind.MALFORMED, "certificate is not valid DER") from None
        with self._d.uow(write=True) as tx:
            cert = tx.certificates.by_serial(serial_to_hex(parsed.serial_number))
            if cert is None or x509.load_pem_x509_certificate(cert.pem.encode()) != parsed:
                raise DomainError(
                    ErrorKind.NOT_FOUND, "the certificate was not issued by this server", status=404
                )
            self._authorize(tx, ctx, signer, cert, parsed)
            proven = signer.account_id is None  # signed with the certificate's key
            check_key_compromise_claim(code, proven=proven)
            # revoke-cert never answers 200 before the CA revoked (see revoke_stored).
            return revoke_stored(
                tx,
                self._d.ca,
                self._d.clock,
                cert,
                code,
                actor=signer.actor,
                proven=proven,
                fallback_profile=ctx.acme_profile,
            )

    def _authorize(
        self,
        tx: UnitOfWork,
        ctx: AcmeContext,
        signer: RevocationSigner,
        cert: Certificate,
        parsed: x509.Certificate,
    ) -> None:
        """RFC 8555 §7.6: the owner, the certificate's key, or an account holding all names."""
        if signer.key_spki_sha256 is not None:
            if signer.key_spki_sha256 != spki_sha256_hex(parsed.public_key()):
                raise DomainError(
                    ErrorKind.UNAUTHORIZED,
                    "the request is signed by neither the certificate's key nor an account",
                )
            if cert.acme_profile_uuid != ctx.acme_profile.uuid:
                raise DomainError(
                    ErrorKind.UNAUTHORIZED,
                    "the certificate was issued through another ACME profile; revoke it there",
                )
            return
        assert signer.account_id is not None
        account = self._accounts.for_request(tx, ctx, signer.account_id)
        check_account_enabled(account)
        if cert.account_id == account.id:
            return
        base = {n[2:] if n.startswith("*.") else n for n in cert.names}
        held = tx.authorizations.valid_for_account(account.id, sorted(base), self._d.clock.now())
        if not base <= held:
            raise DomainError(
                ErrorKind.UNAUTHORIZED,
                "the account neither owns the certificate nor holds valid authorizations "
                "for all of its names",
            )

    def crl(self, authority_uuid: str) -> bytes:
        """A fresh CRL, built from storage, so it reflects every revocation at once."""
        now = self._d.clock.now()
        with self._d.uow() as tx:
            authority = tx.profiles.authority(authority_uuid)
            if authority is None:
                raise DomainError(ErrorKind.NOT_FOUND, "no such authority", status=404)
            revoked = tx.certificates.revoked_for_authority(authority_uuid)
        backend = self._d.ca.for_authority(authority)
        if not isinstance(backend, CrlCapability):
            raise DomainError(ErrorKind.NOT_FOUND, "this authority publishes no CRL", status=404)
        entries = [
            RevokedEntry(c.serial_hex, c.revoked_at, c.revocation_reason or 0)
            for c in revoked
            if c.revoked_at is not None
        ]
        number = int(now.timestamp() * 1000)
        return backend.sign_crl(entries, now, now + CRL_LIFETIME, number)
