"""Deleting ACME profiles, plain and forced (services/acme_profiles.py has the rules' summary).

Plain delete is refused (422) while RA profiles have the profile activated or ACME accounts are
bound to it. Force delete never deletes accounts or their orders (the platform's defect): it
deactivates the accounts (status ``deactivated``, one audit event each), deactivates ACME on
the RA profiles, and then deletes the profile if no account row refers to it any more;
otherwise the profile is *retired*: disabled, detached from its default RA profile, its EAB keys
revoked, and renamed ``{name}~deleted~{uuid prefix}`` so that the name is free again.
"""

from __future__ import annotations

from dataclasses import replace

from acmehub.domain.model import AccountStatus, AcmeProfile
from acmehub.domain.ports import AccountFilter, Clock, Page, UnitOfWork
from acmehub.services.admin import Actor, record
from acmehub.services.profile_rules import invalid
from acmehub.services.ra_profiles import detach_acme

#: Infix of a retired (force-deleted while accounts still refer to it) profile's name.
RETIRED_INFIX = "~deleted~"
_ACCOUNT_BATCH = 500


def retired_name(profile: AcmeProfile) -> str:
    if RETIRED_INFIX in profile.name:
        return profile.name
    suffix = f"{RETIRED_INFIX}{profile.uuid[:8]}"
    return profile.name[: 200 - len(suffix)] + suffix


def delete_in(tx: UnitOfWork, clock: Clock, actor: Actor, profile: AcmeProfile) -> None:
    """Refused (422) while RA profiles have it activated or accounts are bound to it."""
    activated = [
        r.name for r in tx.profiles.list_ra_profiles() if r.acme_profile_uuid == profile.uuid
    ]
    if activated:
        raise invalid(
            f"ACME Profile {profile.name} is activated on RA Profile(s) "
            f"{', '.join(activated[:20])}; deactivate it there first (or force delete)"
        )
    accounts = tx.accounts.count(AccountFilter(acme_profile_uuid=profile.uuid))
    if accounts:
        raise invalid(
            f"ACME Profile {profile.name} has {accounts} ACME account(s); "
            "force delete deactivates them"
        )
    _remove(tx, clock, actor, profile, "acmeProfile.delete")


def _remove(tx: UnitOfWork, clock: Clock, actor: Actor, profile: AcmeProfile, action: str) -> None:
    # EAB keys belong to the profile's configuration; with no account left, none is in use.
    keys = tx.eab_keys.delete_for_profile(profile.uuid)
    tx.profiles.delete_acme_profile(profile.uuid)
    record(
        tx,
        clock,
        actor.name,
        action,
        "acmeProfile",
        profile.uuid,
        name=profile.name,
        eabKeysDeleted=keys,
    )


def force_delete_in(tx: UnitOfWork, clock: Clock, actor: Actor, profile: AcmeProfile) -> None:
    """Deactivate what depends on the profile, then delete it or retire it (module docstring)."""
    now = clock.now()
    deactivated = 0
    where = AccountFilter(acme_profile_uuid=profile.uuid, status=AccountStatus.VALID)
    while batch := tx.accounts.list(where, Page(0, _ACCOUNT_BATCH)):
        for account in batch:
            tx.accounts.update(replace(account, status=AccountStatus.DEACTIVATED))
            record(
                tx,
                clock,
                actor.name,
                "acmeAccount.deactivate",
                "acmeAccount",
                account.uuid,
                accountId=account.id,
                reason=f"ACME Profile {profile.name} was force-deleted",
            )
        deactivated += len(batch)
    for ra in tx.profiles.list_ra_profiles():
        if ra.acme_profile_uuid == profile.uuid:
            tx.profiles.update_ra_profile(detach_acme(ra))
            record(
                tx,
                clock,
                actor.name,
                "raProfile.deactivateAcme",
                "raProfile",
                ra.uuid,
                acmeProfile=profile.uuid,
                reason=f"ACME Profile {profile.name} was force-deleted",
            )
    if tx.accounts.count(AccountFilter(acme_profile_uuid=profile.uuid)) == 0:
        _remove(tx, clock, actor, profile, "acmeProfile.forceDelete")
        return
    # Account rows still refer to the profile: keep it, retired (module docstring).
    for key in tx.eab_keys.list(profile.uuid, Page(0, 2**31 - 1)):
        if key.revoked_at is None:
            tx.eab_keys.update(replace(key, revoked_at=now))
    retired = replace(
        profile,
        name=retired_name(profile),
        enabled=False,
        default_ra_profile_uuid=None,
    )
    tx.profiles.update_acme_profile(retired)
    record(
        tx,
        clock,
        actor.name,
        "acmeProfile.forceDelete",
        "acmeProfile",
        profile.uuid,
        name=profile.name,
        retiredAs=retired.name,
        accountsDeactivated=deactivated,
    )
