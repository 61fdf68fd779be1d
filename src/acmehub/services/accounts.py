"""Account use cases: new-account, lookup by kid, update, deactivation, key change.

RFC 8555 §7.3.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from typing import Any

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.key_policy import (
    blocked_key_detail,
    check_account_key,
    public_key_from_jwk,
    spki_sha256_hex,
)
from acmehub.domain.model import Account, AccountStatus
from acmehub.domain.ports import UnitOfWork
from acmehub.services.admin import record
from acmehub.services.contacts import parse_contacts
from acmehub.services.context import AcmeContext, ProfileMode
from acmehub.services.deps import ServiceDeps, new_id
from acmehub.services.eab import ExternalBinding, admit_binding


@dataclass(frozen=True)
class NewAccountRequest:
    jwk: dict[str, Any]
    thumbprint: str
    payload: dict[str, Any]
    #: The parsed externalAccountBinding, when the payload has one (RFC 8555 §7.3.4).
    eab: ExternalBinding | None = None


def acme_actor(account_id: str) -> str:
    """The audit actor of a request signed by an ACME account."""
    return f"acme:{account_id}"


def _unauthorized(detail: str) -> DomainError:
    return DomainError(ErrorKind.UNAUTHORIZED, detail, status=401)


def check_account_usable(account: Account, ctx: AcmeContext) -> None:
    """RFC 8555 §7.3.6: a deactivated (or revoked) account is refused with unauthorized."""
    if account.status is AccountStatus.DEACTIVATED:
        raise _unauthorized("Account is deactivated")
    if account.status is AccountStatus.REVOKED:
        raise _unauthorized("Account is revoked")
    # Bound to one ACME profile and one RA profile. Accounts bound through the profile's default
    # RA profile follow the default when it changes (platform-reference.md), so for them the RA
    # profile is derived from the ACME profile, not read from the stored copy.
    ra_profile_uuid = (
        ctx.acme_profile.default_ra_profile_uuid
        if account.via_default_ra_profile
        else account.ra_profile_uuid
    )
    if account.acme_profile_uuid != ctx.acme_profile.uuid or ra_profile_uuid != ctx.ra_profile.uuid:
        raise _unauthorized("Account does not belong to this profile")


def admit_account_key(tx: UnitOfWork, jwk: dict[str, Any]) -> None:
    """The key policy for a key that is to become an account key (new-account, key-change):
    badPublicKey for a key the policy refuses or a blocked one (domain.key_policy)."""
    public_key = public_key_from_jwk(jwk)
    check_account_key(public_key)
    spki = spki_sha256_hex(public_key)
    if tx.blocked_keys.get(spki) is not None:
        raise DomainError(
            ErrorKind.BAD_PUBLIC_KEY, f"account key refused: {blocked_key_detail(spki)}"
        )


def check_account_enabled(account: Account) -> None:
    """The administrator's switch: a disabled account may not create, finalize or answer."""
    if not account.enabled:
        raise _unauthorized("Account is disabled by the administrator")


class AccountService:
    def __init__(self, deps: ServiceDeps) -> None:
        self._d = deps

    def for_request(self, tx: UnitOfWork, ctx: AcmeContext, account_id: str) -> Account:
        """The account a ``kid`` names, checked for use under this profile (RFC 8555 §6.2).
        The request's authentication read it already (``ctx.account``): not read twice."""
        known = ctx.account
        if known is not None and known.id == account_id:
            return known
        account = tx.accounts.get(account_id)
        if account is None:
            raise DomainError(
                ErrorKind.ACCOUNT_DOES_NOT_EXIST, "no account exists for the kid in the request"
            )
        check_account_usable(account, ctx)
        return account

    def find_by_key(self, ctx: AcmeContext, thumbprint: str) -> Account | None:
        with self._d.uow() as tx:
            return tx.accounts.by_thumbprint(thumbprint)

    def new_account(self, ctx: AcmeContext, req: NewAccountRequest) -> tuple[Account, bool]:
        """Returns (account, created). An existing key answers with its account (§7.3.1)."""
        payload = req.payload
        only_existing = payload.get("onlyReturnExisting") is True
        with self._d.uow(write=True) as tx:
            # Before the lookup, as Boulder does: a refused key answers badPublicKey even when
            # an account holds it (its certificates' key may be compromised since).
            admit_account_key(tx, req.jwk)
            tx.accounts.lock_key(req.thumbprint)
            existing = tx.accounts.by_thumbprint(req.thumbprint)
            if existing is not None:
                check_account_usable(existing, ctx)
                return existing, False
            if only_existing:
                raise DomainError(
                    ErrorKind.ACCOUNT_DOES_NOT_EXIST, "no account exists with the provided key"
                )
            profile = ctx.acme_profile
            contacts = parse_contacts(payload.get("contact"))
            if profile.require_contact and not contacts:
                raise DomainError(
                    ErrorKind.INVALID_CONTACT, "this profile requires at least one contact"
                )
            agreed = payload.get("termsOfServiceAgreed") is True
            if profile.require_terms_of_service and not agreed:
                headers = {}
                if profile.terms_of_service_url:
                    headers["Link"] = f'<{profile.terms_of_service_url}>;rel="terms-of-service"'
                raise DomainError(
                    ErrorKind.USER_ACTION_REQUIRED,
                    "this profile requires agreement to the terms of service "
                    "(termsOfServiceAgreed: true)",
                    headers=headers,
                    instance=profile.terms_of_service_url,
                    status=403,
                )
            now = self._d.clock.now()
            eab_key_id: str | None = None
            if req.eab is not None:
                # RFC 8555 §7.3.4: checked, and its use counted, in this transaction, so a
                # refusal (or a failed insert below) creates no account and spends no use.
                # A binding sent to a profile that does not require one is checked all the same.
                eab_key_id = admit_binding(tx, now, profile, req.eab).key_id
            elif profile.require_external_account_binding:
                raise DomainError(
                    ErrorKind.EXTERNAL_ACCOUNT_REQUIRED,
                    "this profile requires an external account binding",
                )
            account = Account(
                id=new_id(),
                uuid=str(uuid.uuid4()),
                key_thumbprint=req.thumbprint,
                jwk=req.jwk,
                status=AccountStatus.VALID,
                enabled=True,
                contact=contacts,
                terms_of_service_agreed=agreed,
                tos_agreed_at=now if agreed else None,
                acme_profile_uuid=profile.uuid,
                ra_profile_uuid=ctx.ra_profile.uuid,
                via_default_ra_profile=ctx.ref.mode is ProfileMode.ACME_PROFILE,
                created_at=now,
                eab_key_id=eab_key_id,
            )
            tx.accounts.add(account)
            record(
                tx,
                self._d.clock,
                acme_actor(account.id),
                "account.create",
                "account",
                account.uuid,
                accountId=account.id,
                acmeProfileUuid=account.acme_profile_uuid,
                raProfileUuid=account.ra_profile_uuid,
                eabKeyId=eab_key_id,
            )
            return account, True

    def update(self, ctx: AcmeContext, account_id: str, payload: dict[str, Any]) -> Account:
        """RFC 8555 §7.3.2 (update) and §7.3.6 (deactivation); unknown fields are ignored.
        A POST-as-GET, or an update that changes nothing, only reads."""
        with self._d.uow() as tx:
            account = self.for_request(tx, ctx, account_id)
        if self._changed(account, payload) == account:
            return account
        with self._d.uow(write=True) as tx:
            account = self.for_request(tx, ctx, account_id)
            changed = self._changed(account, payload)
            if changed != account:
                tx.accounts.update(changed)
                deactivated = changed.status is not account.status
                record(
                    tx,
                    self._d.clock,
                    acme_actor(account.id),
                    "account.deactivate" if deactivated else "account.update",
                    "account",
                    account.uuid,
                    accountId=account.id,
                )
            return changed

    def _changed(self, account: Account, payload: dict[str, Any]) -> Account:
        """The account as ``payload`` would leave it (refusing what may not change)."""
        changed = account
        if "contact" in payload:
            changed = replace(changed, contact=parse_contacts(payload["contact"]))
        if payload.get("termsOfServiceAgreed") is True:
            changed = replace(
                changed, terms_of_service_agreed=True, tos_agreed_at=self._d.clock.now()
            )
        # Clients may echo the current status back (the acme library's update does).
        if "status" in payload and payload["status"] != account.status.value:
            if payload["status"] != AccountStatus.DEACTIVATED.value:
                raise DomainError(
                    ErrorKind.MALFORMED, "an account's status can only be set to deactivated"
                )
            changed = replace(changed, status=AccountStatus.DEACTIVATED)
        return changed

    def change_key(
        self,
        ctx: AcmeContext,
        account_id: str,
        old_thumbprint: str,
        new_jwk: dict[str, Any],
        new_thumbprint: str,
    ) -> Account:
        """RFC 8555 §7.3.5, after the protocol layer verified both signatures."""
        with self._d.uow(write=True) as tx:
            account = self.for_request(tx, ctx, account_id)
            if account.key_thumbprint != old_thumbprint:
                raise DomainError(
                    ErrorKind.UNAUTHORIZED, "oldKey does not match the account's current key"
                )
            admit_account_key(tx, new_jwk)
            tx.accounts.lock_key(new_thumbprint)
            holder = tx.accounts.by_thumbprint(new_thumbprint)
            if holder is not None:
                raise DomainError(
                    ErrorKind.CONFLICT,
                    "the new key is already in use by another account",
                    status=409,
                    headers={"Location": holder.id},
                )
            changed = replace(account, jwk=new_jwk, key_thumbprint=new_thumbprint)
            tx.accounts.update(changed)
            record(
                tx,
                self._d.clock,
                acme_actor(account.id),
                "account.keyChange",
                "account",
                account.uuid,
                accountId=account.id,
                oldKeyThumbprint=old_thumbprint,
                newKeyThumbprint=new_thumbprint,
            )
            return changed
