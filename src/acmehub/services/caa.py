"""What the CAA check (RFC 8659, RFC 8657) needs to know about an order, and the recheck at
finalize (Baseline Requirements 3.2.2.8: a CA may rely on a CAA check for 8 hours; like Boulder
we recheck names validated more than ``caa_recheck_after`` ago, 7 hours by default).

The issuer domain names are the RA profile's ``caaIssuerDomains``, else the ACME profile's
``caaIdentities`` (:func:`acmehub.domain.model.caa_issuer_domains`): what a directory advertises
is what its CAA check accepts. An RFC 8657 ``accounturi`` may name the account by any of its
URLs (both URL families, both prefixes), as Boulder accepts any of its account URI prefixes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from acmehub.domain.errors import DomainError, ErrorKind, Problem
from acmehub.domain.model import (
    Account,
    AcmeProfile,
    Authorization,
    Challenge,
    ChallengeStatus,
    Identifier,
    Order,
    OrderStatus,
    RaProfile,
    ValidationTask,
    caa_issuer_domains,
)
from acmehub.domain.ports import UnitOfWork
from acmehub.domain.urls import PATHS, PREFIXES, Link, ProfileMode, Urls, family_root


def account_uris(
    urls: Urls, account: Account, acme: AcmeProfile, ra_profiles: Sequence[RaProfile]
) -> tuple[str, ...]:
    """Every URL this account answers at (RFC 8555 §7.3 Location): the ACME-profile family and
    the RA-profile family of each of ``ra_profiles`` that has ``acme`` activated, under each
    prefix."""
    families = [(ProfileMode.ACME_PROFILE, acme.name)]
    families += [
        (ProfileMode.RA_PROFILE, ra.name) for ra in ra_profiles if ra.acme_profile_uuid == acme.uuid
    ]
    path = PATHS[Link.ACCOUNT].replace("{id}", account.id)
    found = [
        urls.base_url + family_root(mode, name, prefix) + path
        for prefix in PREFIXES
        for mode, name in families
    ]
    return tuple(dict.fromkeys(found))


def with_caa(
    task: ValidationTask,
    urls: Urls,
    account: Account,
    acme: AcmeProfile | None,
    ra_profiles: Sequence[RaProfile],
) -> ValidationTask:
    """``task`` with what the VA needs for CAA (nothing is checked without an ACME profile)."""
    if acme is None:
        return task
    ra = ra_profiles[0] if ra_profiles else None
    return replace(
        task,
        caa_checking=acme.caa_checking,
        caa_issuer_domains=caa_issuer_domains(acme, ra) if ra else acme.caa_identities,
        account_uris=account_uris(urls, account, acme, ra_profiles),
        dnssec_required=acme.dnssec_required,
    )


def order_ra_profiles(tx: UnitOfWork, order: Order, account: Account) -> list[RaProfile]:
    """The order's RA profile first, then the account's (for its account URLs)."""
    return ra_profiles_of(tx, order.ra_profile_uuid, account)


def ra_profiles_of(tx: UnitOfWork, ra_profile_uuid: str, account: Account) -> list[RaProfile]:
    """The RA profile ``ra_profile_uuid`` first, then the account's."""
    found: list[RaProfile] = []
    for uuid in dict.fromkeys((ra_profile_uuid, account.ra_profile_uuid)):
        ra = tx.profiles.ra_profile(uuid)
        if ra is not None:
            found.append(ra)
    return found


def _stale_challenge(authz: Authorization, cutoff: datetime) -> Challenge | None:
    """The challenge that validated ``authz`` when that was before ``cutoff``."""
    for challenge in authz.challenges:
        if challenge.status is ChallengeStatus.VALID:
            stale = challenge.validated is None or challenge.validated < cutoff
            return challenge if stale else None
    return None


def stale_caa_tasks(
    tx: UnitOfWork, urls: Urls, order: Order, account: Account, cutoff: datetime
) -> list[ValidationTask]:
    """CAA tasks for the order's names whose check is older than ``cutoff`` (read only)."""
    acme = tx.profiles.acme_profile(order.acme_profile_uuid)
    if acme is None or not acme.caa_checking:
        return []
    ra_profiles = order_ra_profiles(tx, order, account)
    tasks: list[ValidationTask] = []
    for authz in tx.authorizations.get_many(order.authorization_ids):
        for challenge, ident in _names_to_recheck(authz, order, cutoff):
            base = ValidationTask(
                challenge_id=challenge.id,
                type=challenge.type,  # for an RFC 8657 validationmethods parameter
                identifier=ident,
                token="",
                key_authorization="",
                dns_resolver_ip=acme.dns_resolver_ip,
                dns_resolver_port=acme.dns_resolver_port,
                wildcard=authz.wildcard,
            )
            tasks.append(with_caa(base, urls, account, acme, ra_profiles))
    return tasks


def _names_to_recheck(
    authz: Authorization, order: Order, cutoff: datetime
) -> list[tuple[Challenge, Identifier]]:
    """The names of ``order`` whose CAA ``authz`` vouches for and that must be looked at again:
    its own name when its check is older than ``cutoff``; and the names below it an RFC 9444
    subdomain authorization covers, always (CAA was looked up for the ancestor only, and a
    name's own CAA record may forbid what its parent's allows: RFC 8659 §3)."""
    found: list[tuple[Challenge, Identifier]] = []
    stale = _stale_challenge(authz, cutoff)
    if stale is not None:
        found.append((stale, authz.identifier))
    if authz.subdomain_auth_allowed:
        validated = next((c for c in authz.challenges if c.status is ChallengeStatus.VALID), None)
        if validated is not None:
            below = "." + authz.identifier.value
            found += [
                (validated, Identifier(i.type, i.base_name))
                for i in order.identifiers
                if i.type == authz.identifier.type and i.base_name.endswith(below)
            ]
    return found


def caa_refusal(problems: Sequence[Problem]) -> DomainError:
    """The finalize refusal: type caa (or dns when a lookup failed), one subproblem per name
    (RFC 8555 §6.7.1)."""
    kinds = {p.kind for p in problems}
    kind = ErrorKind.CAA if ErrorKind.CAA in kinds or len(kinds) != 1 else next(iter(kinds))
    if len(problems) == 1:
        only = problems[0]
        return DomainError(
            kind, f"CAA recheck at finalize: {only.detail}", identifier=only.identifier
        )
    return DomainError(
        kind,
        f"CAA recheck at finalize refused {len(problems)} names",
        subproblems=tuple(problems),
    )


def failed_order(order: Order, error: DomainError) -> Order | None:
    """The order turned invalid by a CAA refusal at finalize (Boulder fails the order), or None
    when it is no longer ready."""
    if order.status not in (OrderStatus.PENDING, OrderStatus.READY):
        return None
    return replace(order, status=OrderStatus.INVALID, error=error.problem)
