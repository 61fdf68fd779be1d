"""ACME data for the accounts and orders pages' tests, made through the services the way the
protocol makes it (an ACME profile, accounts, orders), plus a failed challenge written to the
store as the validation worker would record it."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace

from acmehub.domain.errors import ErrorKind, Problem
from acmehub.domain.model import (
    Account,
    AcmeProfile,
    AuthzStatus,
    ChallengeStatus,
    ChallengeType,
    Order,
    OrderStatus,
)
from acmehub.services.accounts import NewAccountRequest
from acmehub.services.admin import CLI_ACTOR
from acmehub.services.context import ProfileMode, ProfileRef
from tests.fakes import AccountKey
from tests.support.server import AcmehubServer


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


@dataclass(frozen=True)
class Seeded:
    profile: AcmeProfile
    accounts: list[Account]


def profile_with_accounts(acmehub: AcmehubServer, count: int) -> Seeded:
    """A new enabled ACME profile (own RA profile) with ``count`` accounts."""
    services = acmehub.container().services
    authority = services.authorities.list_all(CLI_ACTOR)[0].authority
    ra = services.platform.create_ra_profile(authority.uuid, unique("ra"))
    profile = services.platform.create_acme_profile(
        unique("acme"), enabled=True, default_ra_profile_uuid=ra.uuid
    )
    ctx = services.context(ProfileRef(ProfileMode.ACME_PROFILE, profile.name))
    accounts = []
    for n in range(count):
        key = AccountKey.generate()
        account, _ = services.accounts.new_account(
            ctx,
            NewAccountRequest(
                jwk=key.jwk,
                thumbprint=key.thumbprint,
                payload={"contact": [f"mailto:owner{n}@example.com"], "termsOfServiceAgreed": True},
            ),
        )
        accounts.append(account)
    return Seeded(profile, accounts)


def order_for(acmehub: AcmehubServer, seeded: Seeded, account: Account, *names: str) -> Order:
    services = acmehub.container().services
    ctx = services.context(ProfileRef(ProfileMode.ACME_PROFILE, seeded.profile.name))
    identifiers = [{"type": "dns", "value": n} for n in names]
    return services.orders.new_order(ctx, account.id, {"identifiers": identifiers})


def fail_http01(acmehub: AcmehubServer, order: Order, detail: str) -> None:
    """Record a failed http-01 attempt on the order's first authorization."""
    with acmehub.container().services.deps.uow(write=True) as tx:
        authz = tx.authorizations.get(order.authorization_ids[0])
        assert authz is not None
        challenge = next(c for c in authz.challenges if c.type is ChallengeType.HTTP_01)
        tx.authorizations.update_challenge(
            replace(
                challenge,
                status=ChallengeStatus.INVALID,
                error=Problem(ErrorKind.CONNECTION, detail),
            )
        )
        tx.authorizations.set_status(authz.id, AuthzStatus.INVALID.value)
        stored = tx.orders.get(order.id)
        assert stored is not None
        tx.orders.update(replace(stored, status=OrderStatus.INVALID))
