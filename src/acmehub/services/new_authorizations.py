"""The authorizations of a new order or a newAuthz: fresh ones with their challenges, or valid
ones of the account taken over (reuse, pre-authorizations, RFC 9444 subdomain authorizations:
domain/preauthorization.py)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime

from acmehub.domain.model import (
    Account,
    Authorization,
    AuthzStatus,
    Challenge,
    ChallengeStatus,
    ChallengeType,
    Identifier,
)
from acmehub.domain.ports import UnitOfWork
from acmehub.domain.preauthorization import names_to_look_up, pick, reusable
from acmehub.services.context import AcmeContext
from acmehub.services.deps import new_id


def challenge_types_for(
    identifier: Identifier, *, subdomains: bool = False
) -> tuple[ChallengeType, ...]:
    # RFC 8555 §7.1.3 / §8.3 / RFC 8737 §3: a wildcard is proven through DNS only; so is a
    # subdomain authorization (RFC 9444 §4.2: control of the whole domain, not of one host).
    if identifier.is_wildcard or subdomains:
        return (ChallengeType.DNS_01,)
    return (ChallengeType.HTTP_01, ChallengeType.DNS_01, ChallengeType.TLS_ALPN_01)


def new_authorization(
    ctx: AcmeContext,
    account: Account,
    ident: Identifier,
    expires: datetime,
    *,
    order_id: str | None,
    subdomains: bool = False,
) -> Authorization:
    authz_id = new_id()
    challenges = tuple(
        Challenge(
            id=new_id(),
            authorization_id=authz_id,
            type=ctype,
            # RFC 8555 §8.1: at least 128 bits of entropy; 256 here.
            token=secrets.token_urlsafe(32),
            status=ChallengeStatus.PENDING,
        )
        for ctype in challenge_types_for(ident, subdomains=subdomains)
    )
    return Authorization(
        id=authz_id,
        account_id=account.id,
        identifier=Identifier(ident.type, ident.base_name),
        wildcard=ident.is_wildcard,
        status=AuthzStatus.PENDING,
        expires=expires,
        challenges=challenges,
        order_id=order_id,
        subdomain_auth_allowed=subdomains,
        acme_profile_uuid=ctx.acme_profile.uuid,
        ra_profile_uuid=ctx.ra_profile.uuid,
    )


def reused_authorizations(
    tx: UnitOfWork,
    ctx: AcmeContext,
    account: Account,
    identifiers: Sequence[Identifier],
    now: datetime,
    order_expires: datetime,
) -> dict[Identifier, Authorization]:
    """The valid authorizations of ``account`` that serve each of ``identifiers`` it can."""
    profile = ctx.acme_profile
    subdomains = profile.subdomain_auth_allowed
    names = names_to_look_up(identifiers, subdomains=subdomains)
    candidates = [
        a
        for a in tx.authorizations.valid_of_account(account.id, names, now)
        if reusable(a, profile, ctx.ra_profile.uuid, now, order_expires)
    ]
    found: dict[Identifier, Authorization] = {}
    for ident in identifiers:
        authz = pick(candidates, ident, subdomains=subdomains)
        if authz is not None:
            found[ident] = authz
    return found
