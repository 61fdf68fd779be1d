"""ACME accounts as administrators see them: list, detail with order counts, enable, disable,
revoke (single and bulk).

The protocol honours both switches (services/accounts.py): a disabled account cannot create
orders, finalize, answer challenges or revoke (unauthorized, "disabled by the administrator");
a revoked account is refused everything (RFC 8555 §7.3.6 treats it like a deactivated one).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from acmehub.domain.admin_model import Role
from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.model import Account, AccountStatus
from acmehub.domain.ports import AccountFilter, Page, UnitOfWork
from acmehub.services.admin import Actor, Family, record, require
from acmehub.services.commands.accounts import AccountQuery, AccountView, AcmeAccount, NamedRef
from acmehub.services.commands.base import Paged
from acmehub.services.deps import ServiceDeps
from acmehub.services.dns_persist import PersistGuide, persist_guide


@dataclass(frozen=True)
class BulkFailure:
    uuid: str
    name: str
    message: str


def _invalid(detail: str) -> DomainError:
    return DomainError(ErrorKind.INVALID_INPUT, detail, status=422)


def _not_found() -> DomainError:
    return DomainError(ErrorKind.NOT_FOUND, "ACME Account not found", status=404)


class AccountAdminService:
    def __init__(self, deps: ServiceDeps) -> None:
        self._d = deps

    # ------------------------------------------------------------------ reads

    def search(
        self, actor: Actor, where: AccountFilter, page: Page
    ) -> tuple[list[AccountView], int]:
        """One page of accounts (oldest first) and how many match in all."""
        require(actor, Role.AUDITOR, Family.ACME_ACCOUNTS)
        with self._d.uow() as tx:
            accounts = tx.accounts.list(where, page)
            total = tx.accounts.count(where)
            return [self._view(tx, a) for a in accounts], total

    def get(self, actor: Actor, acme_profile_uuid: str, account_uuid: str) -> AccountView:
        require(actor, Role.AUDITOR, Family.ACME_ACCOUNTS)
        with self._d.uow() as tx:
            return self._view(tx, self._find(tx, account_uuid, acme_profile_uuid))

    def dns_persist_guide(
        self, actor: Actor, acme_profile_uuid: str, account_uuid: str
    ) -> PersistGuide | None:
        """The dns-persist-01 record the account may publish, if its profile offers it."""
        require(actor, Role.AUDITOR, Family.ACME_ACCOUNTS)
        with self._d.uow() as tx:
            account = self._find(tx, account_uuid, acme_profile_uuid)
            return persist_guide(tx, self._d.urls, account)

    def page(self, actor: Actor, query: AccountQuery) -> Paged[AcmeAccount]:
        views, total = self.search(actor, query.where(), Page(query.offset, query.limit))
        return Paged.of([AcmeAccount.of(v) for v in views], query, total)

    def detail(self, actor: Actor, acme_profile_uuid: str, account_uuid: str) -> AcmeAccount:
        return AcmeAccount.of(self.get(actor, acme_profile_uuid, account_uuid))

    def found(self, actor: Actor, account_uuids: Sequence[str]) -> list[AccountView]:
        """The accounts of these UUIDs that exist (of any profile), once each, in order."""
        require(actor, Role.AUDITOR, Family.ACME_ACCOUNTS)
        with self._d.uow() as tx:
            accounts = [tx.accounts.by_uuid(u) for u in dict.fromkeys(account_uuids)]
            return [self._view(tx, a) for a in accounts if a is not None]

    # ------------------------------------------------------------------ changes

    def enable(self, actor: Actor, acme_profile_uuid: str, account_uuid: str) -> Account:
        return self._change(actor, account_uuid, acme_profile_uuid, self._enabled(True))

    def disable(self, actor: Actor, acme_profile_uuid: str, account_uuid: str) -> Account:
        return self._change(actor, account_uuid, acme_profile_uuid, self._enabled(False))

    def revoke(self, actor: Actor, acme_profile_uuid: str, account_uuid: str) -> Account:
        return self._change(actor, account_uuid, acme_profile_uuid, self._revoked)

    def bulk_enable(self, actor: Actor, account_uuids: Sequence[str]) -> list[BulkFailure]:
        return self._bulk(actor, account_uuids, self._enabled(True))

    def bulk_disable(self, actor: Actor, account_uuids: Sequence[str]) -> list[BulkFailure]:
        return self._bulk(actor, account_uuids, self._enabled(False))

    def bulk_revoke(self, actor: Actor, account_uuids: Sequence[str]) -> list[BulkFailure]:
        return self._bulk(actor, account_uuids, self._revoked)

    # ------------------------------------------------------------------ rules

    @staticmethod
    def _enabled(value: bool) -> Callable[[Account], tuple[Account, str]]:
        def apply(account: Account) -> tuple[Account, str]:
            # Only a valid account can be switched: deactivated and revoked are final.
            if account.status is not AccountStatus.VALID:
                raise _invalid(f"ACME Account is {account.status.value}, not valid")
            if account.enabled is value:
                raise _invalid(f"ACME Account is already {'enabled' if value else 'disabled'}")
            return replace(account, enabled=value), "account.enable" if value else "account.disable"

        return apply

    @staticmethod
    def _revoked(account: Account) -> tuple[Account, str]:
        if account.status is AccountStatus.REVOKED:
            raise _invalid("ACME Account is already revoked")
        if account.status is not AccountStatus.VALID:
            raise _invalid(f"ACME Account is {account.status.value}, not valid")
        return replace(account, status=AccountStatus.REVOKED), "account.revoke"

    def _change(
        self,
        actor: Actor,
        account_uuid: str,
        acme_profile_uuid: str | None,
        rule: Callable[[Account], tuple[Account, str]],
    ) -> Account:
        """Apply ``rule`` and audit it in one transaction."""
        require(actor, Role.OPERATOR, Family.ACME_ACCOUNTS)
        with self._d.uow(write=True) as tx:
            account = self._find(tx, account_uuid, acme_profile_uuid)
            changed, action = rule(account)
            tx.accounts.update(changed)
            record(
                tx,
                self._d.clock,
                actor.name,
                action,
                "account",
                account.uuid,
                accountId=account.id,
                acmeProfileUuid=account.acme_profile_uuid,
            )
            return changed

    def _bulk(
        self,
        actor: Actor,
        account_uuids: Sequence[str],
        rule: Callable[[Account], tuple[Account, str]],
    ) -> list[BulkFailure]:
        """Each account in its own transaction: one refusal does not undo the others."""
        require(actor, Role.OPERATOR, Family.ACME_ACCOUNTS)
        failures: list[BulkFailure] = []
        for account_uuid in dict.fromkeys(account_uuids):  # once each, in the given order
            try:
                self._change(actor, account_uuid, None, rule)
            except DomainError as exc:
                failures.append(BulkFailure(account_uuid, self._name(account_uuid), exc.detail))
        return failures

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _find(tx: UnitOfWork, account_uuid: str, acme_profile_uuid: str | None) -> Account:
        account = tx.accounts.by_uuid(account_uuid)
        if account is None:
            raise _not_found()
        if acme_profile_uuid is not None and account.acme_profile_uuid != acme_profile_uuid:
            if tx.profiles.acme_profile(acme_profile_uuid) is None:
                raise DomainError(ErrorKind.NOT_FOUND, "ACME Profile not found", status=404)
            raise _not_found()
        return account

    def _name(self, account_uuid: str) -> str:
        """What bulk failures call an account: its protocol id (accounts have no name)."""
        with self._d.uow() as tx:
            account = tx.accounts.by_uuid(account_uuid)
        return account.id if account else ""

    @staticmethod
    def _view(tx: UnitOfWork, account: Account) -> AccountView:
        acme = tx.profiles.acme_profile(account.acme_profile_uuid)
        # Accounts bound through the default RA profile follow it (platform-reference.md).
        ra_uuid = account.ra_profile_uuid
        if account.via_default_ra_profile and acme and acme.default_ra_profile_uuid:
            ra_uuid = acme.default_ra_profile_uuid
        ra = tx.profiles.ra_profile(ra_uuid)
        return AccountView(
            account=account,
            acme_profile=NamedRef(account.acme_profile_uuid, acme.name if acme else ""),
            ra_profile=NamedRef(ra_uuid, ra.name if ra else ""),
            order_counts=tx.accounts.order_counts(account.id),
        )
