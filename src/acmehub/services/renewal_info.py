"""ACME Renewal Information (RFC 9773): the renewalInfo answer, new-order's ``replaces`` (§5)
and the administrator's mass-renewal (the windows of a certificate, an account, an RA profile
or an authority moved into the past after an incident)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from acmehub.domain.admin_model import Role
from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.model import Account, Certificate, Identifier, OrderStatus, serial_lookup
from acmehub.domain.ports import UnitOfWork
from acmehub.domain.renewal_info import (
    RenewalScope,
    RenewalWindow,
    cert_id_of,
    parse_cert_id,
    suggested_window,
)
from acmehub.domain.status import order_status
from acmehub.services.admin import Actor, Family, record, require
from acmehub.services.commands.renewal import (
    Renewal,
    RenewalInfo,
    RenewalScopeKind,
    RenewEarlyRequest,
    RenewEarlyResult,
    SuggestedWindow,
)
from acmehub.services.context import AcmeContext
from acmehub.services.deps import ServiceDeps
from acmehub.services.profile_rules import check_http_url


@dataclass(frozen=True)
class RenewalAnswer:
    """What GET renewalInfo/{certID} answers: the window and the Retry-After in seconds."""

    window: RenewalWindow
    retry_after: int


def find_by_cert_id(tx: UnitOfWork, text: str) -> Certificate | None:
    """The stored certificate a certID names (malformed when it is not one): its serial, and
    the AKI keyIdentifier of its issuer, must both match."""
    wanted = parse_cert_id(text)
    cert = tx.certificates.by_serial(wanted.serial_hex)
    if cert is None or cert_id_of(cert) != wanted.encode():
        return None
    return cert


def check_replaces(
    tx: UnitOfWork,
    ctx: AcmeContext,
    account: Account,
    identifiers: Sequence[Identifier],
    raw: object,
    now: datetime,
) -> str | None:
    """RFC 9773 §5: the certID an order replaces, once checked; None without one (or where the
    profile does not offer renewal information: the field is then unknown and ignored)."""
    if raw is None or not ctx.acme_profile.renewal_info:
        return None
    if not isinstance(raw, str):
        raise DomainError(ErrorKind.MALFORMED, "replaces must be a certID string (RFC 9773 §5)")
    cert = find_by_cert_id(tx, raw)
    if cert is None or cert.acme_profile_uuid != ctx.acme_profile.uuid:
        raise DomainError(
            ErrorKind.MALFORMED, f"replaces names no certificate of this profile: {raw[:100]}"
        )
    if cert.account_id != account.id:
        raise DomainError(
            ErrorKind.UNAUTHORIZED,
            "the certificate named in replaces was issued to another account (RFC 9773 §5)",
        )
    names = {i.value.lower() for i in identifiers}
    if not names & {n.lower() for n in cert.names}:
        raise DomainError(
            ErrorKind.MALFORMED,
            "the order shares no identifier with the certificate it replaces (RFC 9773 §5)",
        )
    cert_id = cert_id_of(cert)
    # Replaced: by another order that is not invalid (an expired one reads as invalid).
    for order in tx.orders.replacing(cert_id):
        status, _ = order_status(order, tx.authorizations.get_many(order.authorization_ids), now)
        if status is not OrderStatus.INVALID:
            raise DomainError(
                ErrorKind.ALREADY_REPLACED,
                f"certificate {cert.serial_display} is already replaced by order {order.id}",
                status=409,
            )
    return cert_id


def renewal_chain(tx: UnitOfWork, cert: Certificate, now: datetime) -> RenewalInfo:
    """A certificate's certID, window, the certificate it replaced and the orders replacing it."""
    cert_id = cert_id_of(cert)
    replaced = None
    order = tx.orders.get(cert.order_id)
    if order is not None and order.replaces:
        found = find_by_cert_id(tx, order.replaces)
        replaced = found.id if found else None
    renewals = []
    for o in tx.orders.replacing(cert_id):
        status, _ = order_status(o, tx.authorizations.get_many(o.authorization_ids), now)
        renewals.append(
            Renewal(order_id=o.id, status=status.value, certificate_id=o.certificate_id)
        )
    return RenewalInfo(
        cert_id=cert_id,
        suggested_window=SuggestedWindow.of(suggested_window(cert)),
        replaces=replaced,
        replaced_by=renewals,
    )


class RenewalInfoService:
    def __init__(self, deps: ServiceDeps) -> None:
        self._d = deps

    def renewal_info(self, ctx: AcmeContext, cert_id: str) -> RenewalAnswer:
        """GET renewalInfo/{certID} (RFC 9773 §4.2): unauthenticated; 404 for a certificate
        this profile did not issue, malformed for what is not a certID."""
        profile = ctx.acme_profile
        if not profile.renewal_info:
            raise DomainError(ErrorKind.NOT_FOUND, "this directory offers no renewal information")
        with self._d.uow() as tx:
            cert = find_by_cert_id(tx, cert_id)
        if cert is None or cert.acme_profile_uuid != profile.uuid:
            raise DomainError(ErrorKind.NOT_FOUND, "no certificate with this certID", status=404)
        return RenewalAnswer(suggested_window(cert), profile.renewal_info_retry_after)

    def renew_early(self, actor: Actor, command: RenewEarlyRequest) -> RenewEarlyResult:
        """Move the windows of the scope's valid certificates into the past, audited."""
        require(actor, Role.OPERATOR, Family.CERTIFICATES)
        check_http_url(command.explanation_url, "explanationUrl")
        now = self._d.clock.now()
        with self._d.uow(write=True) as tx:
            scope, uuid, name = _resolve(tx, command.scope, command.target.strip())
            moved = tx.certificates.move_renewal(scope, now, command.explanation_url)
            record(
                tx,
                self._d.clock,
                actor.name,
                "certificate.renew_early",
                command.scope.value,
                uuid,
                name=name,
                moved=moved,
                explanationUrl=command.explanation_url,
            )
        return RenewEarlyResult(
            scope=command.scope,
            target_uuid=uuid,
            target_name=name,
            moved=moved,
            moved_at=now,
            explanation_url=command.explanation_url,
        )


def _not_found(what: str, target: str) -> DomainError:
    return DomainError(ErrorKind.NOT_FOUND, f"{what} not found: {target[:100]}", status=404)


def _resolve(tx: UnitOfWork, kind: RenewalScopeKind, target: str) -> tuple[RenewalScope, str, str]:
    """The scope, the target's id and its name, from an id, a UUID, a name or a serial."""
    if kind is RenewalScopeKind.CERTIFICATE:
        cert = tx.certificates.get(target)
        serial = serial_lookup(target) if cert is None else None
        if serial is not None:
            cert = tx.certificates.by_serial(serial)
        if cert is None:
            raise _not_found("Certificate", target)
        return RenewalScope(certificate_id=cert.id), cert.id, cert.serial_display
    if kind is RenewalScopeKind.ACCOUNT:
        account = tx.accounts.by_uuid(target) or tx.accounts.get(target)
        if account is None:
            raise _not_found("ACME Account", target)
        return RenewalScope(account_id=account.id), account.uuid, account.id
    if kind is RenewalScopeKind.RA_PROFILE:
        ra = tx.profiles.ra_profile(target) or tx.profiles.ra_profile_by_name(target)
        if ra is None:
            raise _not_found("RA Profile", target)
        return RenewalScope(ra_profile_uuid=ra.uuid), ra.uuid, ra.name
    authority = tx.profiles.authority(target) or next(
        (a for a in tx.profiles.list_authorities() if a.name == target), None
    )
    if authority is None:
        raise _not_found("Authority", target)
    return RenewalScope(authority_uuid=authority.uuid), authority.uuid, authority.name
