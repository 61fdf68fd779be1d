"""ACME accounts (platform-reference.md, "ACME accounts"): the list's filters and the view the
API, the web interface and the CLI show. Accounts are made by ACME clients, never by an
administrator, so there is no create command; enable, disable and revoke take only UUIDs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Protocol

from pydantic import Field

from acmehub.domain.model import Account, AccountStatus
from acmehub.domain.ports import AccountFilter
from acmehub.services.commands.base import (
    ApiModel,
    BulkMessage,
    Column,
    NameAndUuid,
    PageQuery,
    ui,
)

ShortId = Annotated[str, Field(max_length=36)]


@dataclass(frozen=True)
class NamedRef:
    """A {uuid, name} summary of a profile."""

    uuid: str
    name: str


@dataclass(frozen=True)
class AccountView:
    """An account with what the list and detail pages show next to it."""

    account: Account
    acme_profile: NamedRef
    ra_profile: NamedRef
    #: Orders by stored status plus "total" (see AccountRepository.order_counts).
    order_counts: dict[str, int]


class AccountQuery(PageQuery):
    """``GET /acmeAccounts``: one page of accounts (oldest first) matching every filter given."""

    acme_profile_uuid: ShortId | None = Field(
        default=None,
        description="Accounts of this ACME profile",
        json_schema_extra=ui(cli="acme-profile", options="acme_profiles"),
    )
    ra_profile_uuid: ShortId | None = Field(
        default=None,
        description="Accounts issuing through this RA profile",
        json_schema_extra=ui(cli="ra-profile", options="ra_profiles"),
    )
    status: AccountStatus | None = Field(
        default=None, json_schema_extra=ui(choices=[s.value for s in AccountStatus])
    )
    enabled: bool | None = Field(default=None, description="The administrator's switch")

    def where(self) -> AccountFilter:
        return AccountFilter(
            self.acme_profile_uuid, self.ra_profile_uuid, self.status, self.enabled
        )


class AcmeAccount(ApiModel):
    """An account with its profiles and its orders counted by status."""

    uuid: str = Field(description="Management id")
    account_id: str = Field(description="Protocol id: the last segment of /acct/{accountId}")
    status: AccountStatus = Field(
        description="valid; deactivated (by the client, RFC 8555 §7.3.6); revoked (by an "
        "administrator, final)"
    )
    enabled: bool = Field(
        description="The administrator's switch; disabled accounts cannot "
        "order, finalize, answer challenges or revoke"
    )
    contact: list[str]
    terms_of_service_agreed: bool
    eab_key_id: str | None = Field(description="The EAB key that admitted the account, if any")
    created_at: datetime
    acme_profile: NameAndUuid
    ra_profile: NameAndUuid
    total_orders: int
    pending_orders: int
    ready_orders: int
    processing_orders: int
    valid_orders: int
    failed_orders: int = Field(description="Orders that became invalid")

    @classmethod
    def of(cls, view: AccountView) -> AcmeAccount:
        a, counts = view.account, view.order_counts
        return cls(
            uuid=a.uuid,
            account_id=a.id,
            status=a.status,
            enabled=a.enabled,
            contact=list(a.contact),
            terms_of_service_agreed=a.terms_of_service_agreed,
            eab_key_id=a.eab_key_id,
            created_at=a.created_at,
            acme_profile=NameAndUuid(uuid=view.acme_profile.uuid, name=view.acme_profile.name),
            ra_profile=NameAndUuid(uuid=view.ra_profile.uuid, name=view.ra_profile.name),
            total_orders=counts.get("total", 0),
            pending_orders=counts.get("pending", 0),
            ready_orders=counts.get("ready", 0),
            processing_orders=counts.get("processing", 0),
            valid_orders=counts.get("valid", 0),
            failed_orders=counts.get("invalid", 0),
        )


class _Failure(Protocol):
    @property
    def uuid(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def message(self) -> str: ...


def messages(failures: Iterable[_Failure]) -> list[BulkMessage]:
    """A bulk action's failures as the API reports them (``name``: the account id)."""
    return [BulkMessage(uuid=f.uuid, name=f.name, message=f.message) for f in failures]


#: The list's columns (the CLI's table), declared once.
COLUMNS: tuple[Column[AcmeAccount], ...] = (
    Column("UUID", lambda a: a.uuid),
    Column("ACCOUNT ID", lambda a: a.account_id),
    Column("ACME PROFILE", lambda a: a.acme_profile.name),
    Column("RA PROFILE", lambda a: a.ra_profile.name),
    Column("STATUS", lambda a: a.status.value),
    Column("ENABLED", lambda a: a.enabled),
    Column("ORDERS", lambda a: a.total_orders),
    Column("CONTACT", lambda a: ", ".join(a.contact)),
)
