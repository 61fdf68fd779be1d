"""The authorizations of a new order or a newAuthz: fresh ones with their challenges, or valid
ones of the account taken over (reuse, pre-authorizations, RFC 9444 subdomain authorizations:
domain/preauthorization.py)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime

from acmehub.domain.dns_challenges import offered_challenge_types
from acmehub.domain.errors import ErrorKind, Problem
from acmehub.domain.identifiers import raise_compound
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
from acmehub.services.deps import ServiceDeps, new_id


def check_addresses(deps: ServiceDeps, ctx: AcmeContext, identifiers: Sequence[Identifier]) -> None:
    """An IP identifier (RFC 8738) whose address the validation address policy would never
    connect to cannot be proven: refused now (``rejectedIdentifier``) rather than left to fail
    validation. For new-order and newAuthz alike."""
    screen = deps.addresses
    if screen is None:
        return
    network = ctx.acme_profile.validation_network
    problems = []
    for ident in identifiers:
        if ident.type != "ip":
            continue
        why = screen.ip_identifier_refusal(ident.value, network)
        if why is not None:
            problems.append(
                Problem(
                    ErrorKind.REJECTED_IDENTIFIER,
                    f"{ident.value} is {why}: validation could never connect to it",
                    (ident.type, ident.value),
                )
            )
    raise_compound(problems)


def challenge_types_for(
    identifier: Identifier, ctx: AcmeContext | None = None, *, subdomains: bool = False
) -> tuple[ChallengeType, ...]:
    """The challenge types a new authorization offers (domain/dns_challenges.py: a wildcard
    through DNS only, RFC 8555 §7.1.3; the newer DNS types where the ACME profile offers them).
    A subdomain authorization is proven by dns-01 only (RFC 9444 §4.2: control of the whole
    domain, not of one host)."""
    if subdomains:
        return (ChallengeType.DNS_01,)
    if ctx is None:
        return offered_challenge_types(identifier, None, None)
    return offered_challenge_types(identifier, ctx.acme_profile, ctx.ra_profile)


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
        for ctype in challenge_types_for(ident, ctx, subdomains=subdomains)
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
    if not profile.new_authz_enabled and profile.authorization_reuse <= 0:
        # Nothing can serve (no pre-authorizations taken, no reuse window): new-order's hot
        # path skips the query.
        return {}
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
