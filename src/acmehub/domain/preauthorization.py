"""Pre-authorization (RFC 8555 §7.4.1), subdomain authorizations (RFC 9444) and the reuse of
valid authorizations for new orders: the pure rules, no storage.

An authorization a new order may take instead of a fresh one is *reusable*: valid, of the same
account and RA profile, not about to expire, and either

- a pre-authorization (made through newAuthz, no order of its own): a later order for that name
  takes it for as long as it is valid (RFC 8555 §7.4.1), or
- validated less than the ACME profile's ``authorization_reuse`` seconds ago (Let's Encrypt
  reuses for up to 30 days), never longer than the Baseline Requirements let a CA reuse a
  domain validation (:func:`br_reuse_limit`).

An authorization with ``subdomain_auth_allowed`` (RFC 9444 §4.1) also covers every name below
its identifier, when the profile offers subdomain authorizations.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from acmehub.domain.model import AcmeProfile, Authorization, ChallengeStatus, Identifier

#: Baseline Requirements §4.2.1 / §3.2.2.4 as amended by ballot SC-081v3: how long a domain
#: validation may be reused for issuance, from each date on.
BR_REUSE_SCHEDULE: tuple[tuple[datetime, timedelta], ...] = (
    (datetime(2029, 3, 15, tzinfo=UTC), timedelta(days=10)),
    (datetime(2027, 3, 15, tzinfo=UTC), timedelta(days=100)),
    (datetime(2026, 3, 15, tzinfo=UTC), timedelta(days=200)),
)
BR_REUSE_BEFORE_SCHEDULE = timedelta(days=398)
#: The highest value an administrator may set (seconds): the Baseline Requirements' limit
#: before SC-081v3; the limit of the day applies on top of it (:func:`reuse_window`).
MAX_AUTHORIZATION_REUSE = int(BR_REUSE_BEFORE_SCHEDULE.total_seconds())
#: A reused authorization must stay valid at least this long (or the order's lifetime when
#: shorter), so that an order does not expire moments after it was created: the order then
#: lives as long as its shortest-lived authorization (Boulder keeps such a margin too).
REUSE_MARGIN = timedelta(minutes=5)


def br_reuse_limit(now: datetime) -> timedelta:
    """The longest the Baseline Requirements let a domain validation be reused at ``now``."""
    for since, limit in BR_REUSE_SCHEDULE:
        if now >= since:
            return limit
    return BR_REUSE_BEFORE_SCHEDULE


def reuse_window(profile: AcmeProfile, now: datetime) -> timedelta:
    """How long after its validation an authorization is reused for new orders (0: never)."""
    if profile.authorization_reuse <= 0:
        return timedelta(0)
    return min(timedelta(seconds=profile.authorization_reuse), br_reuse_limit(now))


def validated_at(authz: Authorization) -> datetime | None:
    """When the challenge that made ``authz`` valid was validated."""
    for challenge in authz.challenges:
        if challenge.status is ChallengeStatus.VALID:
            return challenge.validated
    return None


def ancestors(name: str) -> list[str]:
    """The names above ``name``, nearest first: a.b.example.com -> b.example.com, example.com,
    com (RFC 9444 §3: an "ancestor domain")."""
    labels = name.split(".")
    return [".".join(labels[i:]) for i in range(1, len(labels))]


def covers(authz: Authorization, ident: Identifier, *, subdomains: bool) -> bool:
    """Whether ``authz`` authorizes ``ident``: the same name (and wildcard flag), or, for a
    subdomain authorization (RFC 9444 §4.1) when ``subdomains`` is on, a name below it."""
    if authz.identifier.type != ident.type:
        return False
    if authz.identifier.value == ident.base_name and authz.wildcard == ident.is_wildcard:
        return True
    return (
        subdomains
        and authz.subdomain_auth_allowed
        and not ident.is_wildcard
        and authz.identifier.value in ancestors(ident.base_name)
    )


def reusable(
    authz: Authorization,
    profile: AcmeProfile,
    ra_profile_uuid: str,
    now: datetime,
    order_expires: datetime,
) -> bool:
    """Whether a valid, unexpired authorization of the account may serve a new order."""
    if authz.ra_profile_uuid and authz.ra_profile_uuid != ra_profile_uuid:
        return False  # CAA and the issuance policy were checked for another RA profile
    margin = min(REUSE_MARGIN, order_expires - now)
    if authz.expires <= now + margin:
        return False
    validated = validated_at(authz)
    if validated is None:
        return False
    # A pre-authorization exists to be taken by a later order; any other is reused only within
    # the profile's window, and no authorization beyond what the Baseline Requirements allow.
    if now - validated > br_reuse_limit(now):
        return False
    if authz.pre_authorization:
        return True
    window = reuse_window(profile, now)
    return window > timedelta(0) and now - validated <= window


def pick(
    candidates: Iterable[Authorization], ident: Identifier, *, subdomains: bool
) -> Authorization | None:
    """The authorization for ``ident`` among reusable ``candidates``: an exact one first, then
    the nearest ancestor's; among equals the one that lives longest."""
    exact: list[Authorization] = []
    above: list[Authorization] = []
    for authz in candidates:
        if not covers(authz, ident, subdomains=subdomains):
            continue
        (exact if authz.identifier.value == ident.base_name else above).append(authz)
    if exact:
        return max(exact, key=lambda a: a.expires)
    if above:
        return max(above, key=lambda a: (len(a.identifier.value), a.expires))
    return None


def names_to_look_up(identifiers: Iterable[Identifier], *, subdomains: bool) -> list[str]:
    """The identifier values whose authorizations may serve an order for ``identifiers``."""
    found: dict[str, None] = {}
    for ident in identifiers:
        found[ident.base_name] = None
        if subdomains and ident.type == "dns" and not ident.is_wildcard:
            for name in ancestors(ident.base_name):
                found[name] = None
    return list(found)
