"""RA Profiles: issuance configuration on one Authority, and their ACME activation.

An RA profile carries the certificate validity (default and maximum, seconds) and the issuance
policy that new-order and finalize enforce (domain/policy.py). At most one ACME profile is
activated on it, with its own issue and revoke attributes; that opens the RA-profile URL family
``/acme/raProfile/{name}/...`` (platform-reference.md).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from acmehub.domain.model import AcmeProfile, Authority, IssuancePolicy, RaProfile, Role
from acmehub.domain.policy import normalized, policy_errors
from acmehub.domain.ports import AccountFilter, UnitOfWork
from acmehub.services.admin import Actor, Family, record, require
from acmehub.services.authorities import AuthorityService
from acmehub.services.deps import ServiceDeps
from acmehub.services.profile_rules import (
    api_name,
    check_bool,
    check_description,
    check_int,
    check_json_object,
    check_url_name,
    conflict,
    invalid,
    not_found,
)

#: Certificate validity bounds, seconds (ten years keeps every date arithmetic in range).
MAX_VALIDITY = 3650 * 86400
#: What create and update may set; the ACME activation has its own use cases.
SETTABLE = frozenset(
    {"enabled", "description", "validity_default", "validity_max", "policy"}
    | {"acme_profile_uuid", "acme_issue_attributes", "acme_revoke_attributes"}
)
_POLICY_FIELDS = {f.name for f in fields(IssuancePolicy)}
#: RaProfile's own default certificate validity, seconds.
DEFAULT_VALIDITY: int = RaProfile(
    uuid="", name="", authority_uuid="", enabled=True
).validity_default


@dataclass(frozen=True)
class RaProfileView:
    profile: RaProfile
    authority: Authority
    #: The ACME profile activated on this RA profile, if any.
    acme_profile: AcmeProfile | None


def _policy_from(current: IssuancePolicy, value: Any) -> IssuancePolicy:
    """A whole IssuancePolicy, or a mapping of the fields to change in ``current``."""
    if isinstance(value, IssuancePolicy):
        return value
    if not isinstance(value, Mapping):
        raise invalid("issuancePolicy must be an object")
    unknown = sorted(set(value) - _POLICY_FIELDS)
    if unknown:
        raise invalid(f"issuancePolicy: unknown fields {', '.join(unknown)}")
    changes: dict[str, Any] = {}
    for name, raw in value.items():
        if isinstance(raw, list | tuple):
            if not all(isinstance(item, str) for item in raw):
                raise invalid(f"issuancePolicy.{name} must be a list of strings")
            changes[name] = tuple(raw)
        else:
            changes[name] = raw
    return replace(current, **changes)


def _check(profile: RaProfile) -> RaProfile:
    """Validate what an administrator set; returns the profile with its policy normalized."""
    check_bool(profile.enabled, "enabled")
    check_description(profile.description)
    check_int(profile.validity_default, "validityDefault", 1, MAX_VALIDITY)
    check_int(profile.validity_max, "validityMax", 1, MAX_VALIDITY)
    if profile.validity_default > profile.validity_max:
        raise invalid("validityDefault must not exceed validityMax")
    policy = profile.policy
    check_bool(policy.allow_wildcards, "issuancePolicy.allowWildcards")
    check_int(policy.max_names, "issuancePolicy.maxNames", 1, 2**31)
    check_int(policy.min_rsa_bits, "issuancePolicy.minRsaBits", 1, 2**31)
    errors = policy_errors(policy)
    if errors:
        raise invalid("; ".join(errors))
    check_json_object(profile.acme_issue_attributes, "issueCertificateAttributes")
    check_json_object(profile.acme_revoke_attributes, "revokeCertificateAttributes")
    return replace(profile, policy=normalized(policy))


class RaProfileService:
    def __init__(self, deps: ServiceDeps) -> None:
        self._d = deps

    # ------------------------------------------------------------------ reads

    def list_all(self, actor: Actor, authority_uuid: str | None = None) -> list[RaProfileView]:
        """RA profiles of one Authority (404 when it does not exist), or of all."""
        require(actor, Role.AUDITOR, Family.RA_PROFILES)
        with self._d.uow() as tx:
            if authority_uuid is not None:
                AuthorityService.find(tx, authority_uuid)
            return [self._view(tx, p) for p in tx.profiles.list_ra_profiles(authority_uuid)]

    def get(self, actor: Actor, ra_uuid: str, authority_uuid: str | None = None) -> RaProfileView:
        require(actor, Role.AUDITOR, Family.RA_PROFILES)
        with self._d.uow() as tx:
            return self._view(tx, self.find(tx, ra_uuid, authority_uuid))

    @staticmethod
    def find(tx: UnitOfWork, ra_uuid: str, authority_uuid: str | None = None) -> RaProfile:
        """The RA profile; 404 when missing or (given ``authority_uuid``) on another Authority."""
        if authority_uuid is not None:
            AuthorityService.find(tx, authority_uuid)
        profile = tx.profiles.ra_profile(ra_uuid)
        if profile is None or (
            authority_uuid is not None and profile.authority_uuid != authority_uuid
        ):
            raise not_found("RA Profile")
        return profile

    # ------------------------------------------------------------------ configuration

    def create(self, actor: Actor, authority_uuid: str, name: str, **values: Any) -> RaProfile:
        """A new RA profile (enabled unless ``enabled=False``) on the Authority."""
        require(actor, Role.ADMIN, Family.RA_PROFILES)
        check_url_name(name, "RA Profile")
        unknown = sorted(set(values) - SETTABLE)
        if unknown:
            raise invalid(f"unknown RA Profile fields: {', '.join(unknown)}")
        values.setdefault("enabled", True)
        maximum = values.get("validity_max")
        if "validity_default" not in values and isinstance(maximum, int):
            # Without a default of its own, a profile issues for its maximum at most.
            values["validity_default"] = min(DEFAULT_VALIDITY, maximum)
        policy = values.pop("policy", None)
        profile = RaProfile(
            uuid=str(uuid.uuid4()), name=name, authority_uuid=authority_uuid, **values
        )
        if policy is not None:
            profile = replace(profile, policy=_policy_from(profile.policy, policy))
        profile = _check(profile)
        with self._d.uow(write=True) as tx:
            AuthorityService.find(tx, authority_uuid)
            if tx.profiles.ra_profile_by_name(name) is not None:
                raise conflict(f"RA Profile {name} already exists")
            if profile.acme_profile_uuid and not tx.profiles.acme_profile(
                profile.acme_profile_uuid
            ):
                raise not_found("ACME Profile")
            tx.profiles.add_ra_profile(profile)
            record(
                tx,
                self._d.clock,
                actor.name,
                "raProfile.create",
                "raProfile",
                profile.uuid,
                name=name,
                authority=authority_uuid,
            )
        return profile

    def update(
        self,
        actor: Actor,
        ra_uuid: str,
        *,
        authority_uuid: str | None = None,
        **changes: Any,
    ) -> RaProfile:
        """Change the given fields only. ``policy`` may be a whole IssuancePolicy or a mapping
        of the policy fields to change. The name is immutable (it is in ACME URLs)."""
        require(actor, Role.ADMIN, Family.RA_PROFILES)
        with self._d.uow(write=True) as tx:
            current = self.find(tx, ra_uuid, authority_uuid)
            if "name" in changes and changes.pop("name") != current.name:
                raise invalid("name: an RA Profile's name cannot be changed")
            unknown = sorted(set(changes) - SETTABLE)
            if unknown:
                raise invalid(f"unknown RA Profile fields: {', '.join(unknown)}")
            if "policy" in changes:
                changes["policy"] = _policy_from(current.policy, changes["policy"])
            updated = _check(replace(current, **changes))
            if updated.acme_profile_uuid and not tx.profiles.acme_profile(
                updated.acme_profile_uuid
            ):
                raise not_found("ACME Profile")
            if updated == current:
                return current
            tx.profiles.update_ra_profile(updated)
            changed = sorted(
                api_name(f.name)
                for f in fields(RaProfile)
                if getattr(current, f.name) != getattr(updated, f.name)
            )
            record(
                tx,
                self._d.clock,
                actor.name,
                "raProfile.update",
                "raProfile",
                ra_uuid,
                changed=changed,
            )
            return updated

    def enable(self, actor: Actor, ra_uuid: str, authority_uuid: str | None = None) -> RaProfile:
        return self._switch(actor, ra_uuid, authority_uuid, True)

    def disable(self, actor: Actor, ra_uuid: str, authority_uuid: str | None = None) -> RaProfile:
        """Every ACME request through a disabled RA profile is refused ("RA Profile is not
        enabled"), in both URL families."""
        return self._switch(actor, ra_uuid, authority_uuid, False)

    def _switch(
        self, actor: Actor, ra_uuid: str, authority_uuid: str | None, enabled: bool
    ) -> RaProfile:
        require(actor, Role.OPERATOR, Family.RA_PROFILES)
        word = "enabled" if enabled else "disabled"
        with self._d.uow(write=True) as tx:
            profile = self.find(tx, ra_uuid, authority_uuid)
            if profile.enabled is enabled:
                raise invalid(f"RA Profile {profile.name} is already {word}")
            changed = replace(profile, enabled=enabled)
            tx.profiles.update_ra_profile(changed)
            action = "raProfile.enable" if enabled else "raProfile.disable"
            record(tx, self._d.clock, actor.name, action, "raProfile", ra_uuid)
            return changed

    def delete(self, actor: Actor, ra_uuid: str, authority_uuid: str | None = None) -> None:
        """Refused while an ACME profile has it as default or accounts are bound to it."""
        require(actor, Role.ADMIN, Family.RA_PROFILES)
        with self._d.uow(write=True) as tx:
            profile = self.find(tx, ra_uuid, authority_uuid)
            defaults = [
                p.name
                for p in tx.profiles.list_acme_profiles()
                if p.default_ra_profile_uuid == ra_uuid
            ]
            if defaults:
                raise invalid(
                    f"RA Profile {profile.name} is the default RA Profile of ACME Profile(s) "
                    f"{', '.join(defaults[:20])}; choose another default first"
                )
            accounts = tx.accounts.count(AccountFilter(ra_profile_uuid=ra_uuid))
            if accounts:
                raise invalid(
                    f"RA Profile {profile.name} has {accounts} ACME account(s) bound to it"
                )
            tx.profiles.delete_ra_profile(ra_uuid)
            record(
                tx,
                self._d.clock,
                actor.name,
                "raProfile.delete",
                "raProfile",
                ra_uuid,
                name=profile.name,
            )

    # ------------------------------------------------------------------ ACME activation

    def acme_activation(
        self, actor: Actor, ra_uuid: str, authority_uuid: str | None = None
    ) -> RaProfileView:
        return self.get(actor, ra_uuid, authority_uuid)

    def activate_acme(
        self,
        actor: Actor,
        ra_uuid: str,
        acme_profile_uuid: str,
        issue_attributes: Mapping[str, Any] | None = None,
        revoke_attributes: Mapping[str, Any] | None = None,
        *,
        authority_uuid: str | None = None,
    ) -> RaProfileView:
        """Activate an ACME profile on the RA profile (replacing any other one)."""
        require(actor, Role.ADMIN, Family.RA_PROFILES)
        with self._d.uow(write=True) as tx:
            profile = self.find(tx, ra_uuid, authority_uuid)
            acme = tx.profiles.acme_profile(acme_profile_uuid)
            if acme is None:
                raise not_found("ACME Profile")
            updated = _check(
                replace(
                    profile,
                    acme_profile_uuid=acme.uuid,
                    acme_issue_attributes=dict(issue_attributes or {}),
                    acme_revoke_attributes=dict(revoke_attributes or {}),
                )
            )
            tx.profiles.update_ra_profile(updated)
            record(
                tx,
                self._d.clock,
                actor.name,
                "raProfile.activateAcme",
                "raProfile",
                ra_uuid,
                acmeProfile=acme.uuid,
                acmeProfileName=acme.name,
                replaced=profile.acme_profile_uuid,
            )
            return self._view(tx, updated)

    def deactivate_acme(
        self, actor: Actor, ra_uuid: str, authority_uuid: str | None = None
    ) -> RaProfile:
        require(actor, Role.ADMIN, Family.RA_PROFILES)
        with self._d.uow(write=True) as tx:
            profile = self.find(tx, ra_uuid, authority_uuid)
            if profile.acme_profile_uuid is None:
                raise invalid(f"no ACME Profile is activated on RA Profile {profile.name}")
            updated = detach_acme(profile)
            tx.profiles.update_ra_profile(updated)
            record(
                tx,
                self._d.clock,
                actor.name,
                "raProfile.deactivateAcme",
                "raProfile",
                ra_uuid,
                acmeProfile=profile.acme_profile_uuid,
            )
            return updated

    # ------------------------------------------------------------------ views

    @staticmethod
    def _view(tx: UnitOfWork, profile: RaProfile) -> RaProfileView:
        authority = AuthorityService.find(tx, profile.authority_uuid)
        acme = (
            tx.profiles.acme_profile(profile.acme_profile_uuid)
            if profile.acme_profile_uuid
            else None
        )
        return RaProfileView(profile, authority, acme)


def detach_acme(profile: RaProfile) -> RaProfile:
    """The RA profile without its ACME activation."""
    return replace(
        profile, acme_profile_uuid=None, acme_issue_attributes={}, acme_revoke_attributes={}
    )
