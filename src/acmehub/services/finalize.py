"""Finalize (RFC 8555 §7.4): check the CSR, issue exactly once, store the certificate.

Crash safety: the order moves ready -> processing in one transaction (the order's row is locked,
so only one of two concurrent finalize requests wins); the CA signs outside any transaction; the
certificate row (unique per order and per serial) and the order's move to valid commit together.
An order left in processing by a crash is picked up again by :meth:`resume_stuck`.

Signing is leased: whoever signs claims the order in the database first (the order's
last-touched time). The move to processing is the finalize request's claim, and it signs right
after that commit; :meth:`resume_stuck` claims (renews the time of) only orders untouched for its
``older_than``, so it cannot sign next to a live finalize that is still within that time.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from acmehub.domain.certificate_profiles import (
    CertificateProfile,
    check_profile_names,
    profile_usages,
    profile_validity,
)
from acmehub.domain.csr import check_finalize_csr, parse_csr
from acmehub.domain.errors import (
    DomainError,
    ErrorKind,
    Problem,
    hidden_internal,
    internal_reference,
)
from acmehub.domain.key_policy import blocked_key_detail
from acmehub.domain.model import (
    AcmeProfile,
    Authority,
    Certificate,
    Order,
    OrderStatus,
    RaProfile,
)
from acmehub.domain.policy import check_identifiers, check_key
from acmehub.domain.ports import IssueRequest, UnitOfWork
from acmehub.services.accounts import AccountService, acme_actor, check_account_enabled
from acmehub.services.admin import record
from acmehub.services.caa import caa_refusal, failed_order, stale_caa_tasks
from acmehub.services.context import AcmeContext
from acmehub.services.deps import ServiceDeps, new_id
from acmehub.services.orders import OrderService, OrderView, refresh_order

log = logging.getLogger(__name__)

#: What a CA may refuse as the request's fault, quoted to the client under that type; any
#: other refusal is the CA's own trouble and answered serverInternal with a reference.
_REQUEST_FAULTS = frozenset(
    {ErrorKind.BAD_CSR, ErrorKind.BAD_PUBLIC_KEY, ErrorKind.REJECTED_IDENTIFIER, ErrorKind.CAA}
)


@dataclass(frozen=True)
class _IssuanceSources:
    """What signing an order needs, read in the transaction that claimed it."""

    ra: RaProfile | None
    acme: AcmeProfile | None
    authority: Authority | None
    #: The certificate profile the order chose (None: it chose none, or it is gone).
    profile: CertificateProfile | None = None

    @classmethod
    def read(cls, tx: UnitOfWork, order: Order) -> _IssuanceSources:
        ra = tx.profiles.ra_profile(order.ra_profile_uuid)
        acme = tx.profiles.acme_profile(order.acme_profile_uuid)
        authority = tx.profiles.authority(ra.authority_uuid) if ra else None
        return cls(ra, acme, authority, order_profile(tx, order))


def order_profile(tx: UnitOfWork, order: Order) -> CertificateProfile | None:
    """The certificate profile ``order`` was made under, if the RA profile still offers it."""
    if order.profile is None:
        return None
    offered = tx.certificate_profiles.for_ra_profile(order.ra_profile_uuid)
    return next((p for p in offered if p.name == order.profile), None)


class FinalizeService:
    def __init__(self, deps: ServiceDeps, accounts: AccountService) -> None:
        self._d = deps
        self._accounts = accounts

    def finalize(
        self,
        ctx: AcmeContext,
        account_id: str,
        order_id: str,
        csr_der: bytes,
        account_key_spki_sha256: str,
    ) -> OrderView:
        now = self._d.clock.now()
        # Decoding the CSR and checking its signature is the costliest step of finalize: done
        # here, outside the write transaction (SQLite has one writer at a time), it is
        # remembered by parse_csr. A refused CSR is refused again below, after the order's
        # own checks, so the order of the errors does not change.
        with contextlib.suppress(DomainError):
            parse_csr(csr_der)
        self._recheck_caa(ctx, account_id, order_id, now)
        with self._d.uow(write=True) as tx:
            account = self._accounts.for_request(tx, ctx, account_id)
            check_account_enabled(account)
            order = OrderService.owned(tx, account, order_id)
            view = refresh_order(tx, order, now)
            if view.order is not order:
                tx.orders.update(view.order)
            if view.status is not OrderStatus.READY:
                raise DomainError(
                    ErrorKind.ORDER_NOT_READY,
                    f"order is {view.status.value}, not ready: it cannot be finalized",
                    status=403,
                )
            csr = check_finalize_csr(
                csr_der,
                order_names=[i.value for i in order.identifiers if i.type == "dns"],
                order_ips=[i.value for i in order.identifiers if i.type == "ip"],
                account_spki_sha256_hex=account_key_spki_sha256,
            )
            # The issuance policy of the RA profile the order was made under (it may have been
            # tightened since new-order, so the names are judged again).
            ra = (
                ctx.ra_profile
                if ctx.ra_profile.uuid == order.ra_profile_uuid
                else tx.profiles.ra_profile(order.ra_profile_uuid)
            )
            if ra is not None:
                check_identifiers(ra.policy, order.identifiers)
                check_key(ra.policy, csr.public_key)
            if order.profile is not None:
                # The profile may have been removed or tightened since new-order.
                chosen = order_profile(tx, order)
                if chosen is None:
                    raise DomainError(
                        ErrorKind.INVALID_PROFILE,
                        f"certificate profile {order.profile} is no longer offered: place a "
                        "new order",
                    )
                check_profile_names(chosen, order.identifiers)
            if tx.blocked_keys.get(csr.spki_sha256_hex) is not None:
                detail = blocked_key_detail(csr.spki_sha256_hex)
                raise DomainError(ErrorKind.BAD_CSR, f"CSR public key refused: {detail}")
            order = replace(view.order, status=OrderStatus.PROCESSING, csr_der=csr_der)
            tx.orders.update(order)
            sources = _IssuanceSources.read(tx, order)
        # The move to processing committed just now (it touched the order) is this request's
        # claim on the issuance: no second claim is needed before signing.
        order = self._sign_and_store(order, sources)
        return OrderView(order, order.status)

    def _recheck_caa(self, ctx: AcmeContext, account_id: str, order_id: str, now: datetime) -> None:
        """Baseline Requirements 3.2.2.8: CAA again for names validated too long ago, with no
        transaction open while DNS answers; a refusal fails the order (as Boulder does)."""
        if self._d.caa is None:
            return
        with self._d.uow() as tx:
            account = self._accounts.for_request(tx, ctx, account_id)
            order = OrderService.owned(tx, account, order_id)
            if refresh_order(tx, order, now).status is not OrderStatus.READY:
                return  # the write transaction below says why it cannot be finalized
            tasks = stale_caa_tasks(
                tx, self._d.urls, order, account, now - self._d.caa_recheck_after
            )
        if not tasks:
            return
        problems = self._d.caa.recheck_caa(tasks)
        if not problems:
            return
        error = caa_refusal(problems)
        with self._d.uow(write=True) as tx:
            current = tx.orders.get(order_id)
            failed = failed_order(current, error) if current is not None else None
            if failed is not None:
                tx.orders.update(failed)
        log.info("finalize of order %s refused by CAA: %s", order_id, error.detail)
        raise error

    def _issue(self, order: Order, touched_by: datetime) -> Order:
        """Sign and store, if the claim on the order (last touched at or before ``touched_by``)
        still holds; else someone else is issuing (or has issued) and the order is returned."""
        with self._d.uow(write=True) as tx:
            if not tx.orders.claim_issuance(order.id, touched_by):
                return tx.orders.get(order.id) or order
            sources = _IssuanceSources.read(tx, order)
        return self._sign_and_store(order, sources)

    def _sign_and_store(self, order: Order, sources: _IssuanceSources) -> Order:
        now = self._d.clock.now()
        ra, acme, authority = sources.ra, sources.acme, sources.authority
        if ra is None or acme is None or authority is None:
            return self._fail(
                order, Problem(ErrorKind.SERVER_INTERNAL, "the order's RA profile is gone")
            )
        if order.profile is not None and sources.profile is None:
            detail = f"certificate profile {order.profile} is no longer offered"
            return self._fail(order, Problem(ErrorKind.INVALID_PROFILE, detail))
        profile = sources.profile
        if not authority.enabled:
            # The administrators' objects are theirs to read, not the client's: a reference
            # (RFC 8555 §6.7 serverInternal), the names in the log.
            reference = internal_reference()
            log.warning(
                "issuance refused for order %s (reference %s): Authority %r of RA Profile %r "
                "is disabled",
                order.id,
                reference,
                authority.name,
                ra.name,
            )
            return self._fail(order, hidden_internal(reference))
        try:
            not_before, not_after = issuance_validity(
                order, profile_validity(profile, ra), now, self._d.backdate
            )
            names = tuple(i.value for i in order.identifiers if i.type == "dns")
            assert order.csr_der is not None
            issued = self._d.ca.for_authority(authority).issue(
                IssueRequest(
                    csr_der=order.csr_der,
                    dns_names=names,
                    ip_addresses=tuple(i.value for i in order.identifiers if i.type == "ip"),
                    not_before=not_before,
                    not_after=not_after,
                    attributes={**acme.issue_certificate_attributes, **ra.acme_issue_attributes},
                    extended_key_usages=profile_usages(profile, ra),
                    crl_distribution_point=profile.crl_distribution_point if profile else True,
                    common_name=profile.common_name if profile else True,
                    profile=order.profile,
                )
            )
        except DomainError as exc:
            if exc.kind in _REQUEST_FAULTS:
                # The CA refused what the client sent (RFC 8555 §7.4: its CSR): the client
                # reads the CA's reason under its own type.
                log.warning("issuance refused for order %s: %s", order.id, exc)
                return self._fail(order, Problem(exc.kind, f"issuance refused: {exc.detail}"))
            # The CA's own trouble (a key that does not open, a file, a remote CA's text): the
            # client gets a reference, the log the cause (RFC 8555 §6.7 serverInternal).
            reference = internal_reference()
            log.error("issuance failed for order %s (reference %s): %s", order.id, reference, exc)
            return self._fail(order, hidden_internal(reference))
        except Exception:
            reference = internal_reference()
            log.exception("issuance failed for order %s (reference %s)", order.id, reference)
            return self._fail(order, hidden_internal(reference))
        log.info("signed certificate %s for order %s", issued.serial_hex, order.id)
        cert = Certificate(
            id=new_id(),
            serial_hex=issued.serial_hex,
            order_id=order.id,
            account_id=order.account_id,
            pem=issued.cert_pem,
            chain_pem=issued.chain_pem,
            names=names,
            not_before=issued.not_before,
            not_after=issued.not_after,
            ra_profile_uuid=order.ra_profile_uuid,
            acme_profile_uuid=order.acme_profile_uuid,
            authority_uuid=authority.uuid,
            # The certificate's key is the CSR's (decoded before, remembered by parse_csr).
            key_thumbprint=parse_csr(order.csr_der).spki_sha256_hex,
            issued_at=now,
            associations=dict(acme.certificate_associations),
        )
        with self._d.uow(write=True) as tx:
            current = tx.orders.get(order.id)
            if current is None or current.status is not OrderStatus.PROCESSING:
                return current or order  # someone else completed it
            tx.certificates.add(cert)
            done = replace(current, status=OrderStatus.VALID, certificate_id=cert.id)
            tx.orders.update(done)
            record(
                tx,
                self._d.clock,
                acme_actor(order.account_id),
                "certificate.issue",
                "certificate",
                cert.id,
                orderId=order.id,
                serial=cert.serial_hex,
                names=list(names),
            )
            return done

    def _fail(self, order: Order, problem: Problem) -> Order:
        with self._d.uow(write=True) as tx:
            current = tx.orders.get(order.id)
            if current is None or current.status is not OrderStatus.PROCESSING:
                return current or order
            failed = replace(current, status=OrderStatus.INVALID, error=problem)
            tx.orders.update(failed)
            return failed

    def resume_stuck(self, older_than: timedelta, limit: int = 50) -> int:
        """Issue for orders a crash left in processing (their CSR was already accepted)."""
        cutoff = self._d.clock.now() - older_than
        with self._d.uow() as tx:
            stuck = tx.orders.stuck_processing(cutoff, limit)
        for order in stuck:
            self._issue(order, touched_by=cutoff)
        return len(stuck)


def issuance_validity(
    order: Order, default_seconds: int, now: datetime, backdate: timedelta
) -> tuple[datetime, datetime]:
    """The certificate's notBefore and notAfter (RFC 8555 §7.4 notBefore/notAfter requests).

    notBefore is backdated by ``backdate`` (clients' clock skew, as Let's Encrypt does) and
    never lies further back than that, even when the client asked for an earlier notBefore
    or finalized long after new-order: a CA must not backdate (CA/B BR §7.1.2.7 limits it).
    """
    earliest = now - backdate
    not_before = max(order.not_before, earliest) if order.not_before else earliest
    not_after = order.not_after or (not_before + timedelta(seconds=default_seconds))
    return not_before, not_after
