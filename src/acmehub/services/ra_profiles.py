"""RA Profiles: issuance configuration on one Authority, and their ACME activation.

An RA profile carries the certificate validity (default and maximum, seconds) and the issuance
policy that new-order and finalize enforce (domain/policy.py). At most one ACME profile is
activated on it, with its own issue and revoke attributes; that opens the RA-profile URL family
``/acme/raProfile/{name}/...`` (platform-reference.md).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import fields, replace
from typing import Any

from acmehub.domain.admin_model import Role
from acmehub.domain.model import IssuancePolicy, RaProfile
from acmehub.domain.policy import normalized, policy_errors
from acmehub.domain.ports import AccountFilter, UnitOfWork
from acmehub.services.admin import Actor, Family, record, require
from acmehub.services.authorities import AuthorityService
from acmehub.services.commands.base import Paged
from acmehub.services.commands.ra_profiles import (
    MAX_VALIDITY,
    ActivateAcmeRequest,
    RaProfileAcme,
    RaProfileDetail,
    RaProfileQuery,
    RaProfileRequest,
    RaProfileSearch,
    RaProfileUpdate,
    RaProfileView,
)
from acmehub.services.deps import ServiceDeps
from acmehub.services.profile_rules import (
    api_name,
    check_description,
    check_int,
    check_json_object,
    conflict,
    invalid,
    not_found,
)

__all__ = ["MAX_VALIDITY", "RaProfileService", "detach_acme"]

#: RaProfile's own default certificate validity, seconds.
DEFAULT_VALIDITY: int = RaProfile(
    uuid="", name="", authority_uuid="", enabled=True
).validity_default


def _check(profile: RaProfile) -> RaProfile:
    """The rules that span fields (each field's own are the commands'); returns the profile
    with its policy normalized."""
    check_description(profile.description)
    check_int(profile.validity_default, "validityDefault", 1, MAX_VALIDITY)
    check_int(profile.validity_max, "validityMax", 1, MAX_VALIDITY)
    if profile.validity_default > profile.validity_max:
        raise invalid("validityDefault must not exceed validityMax")
    errors = policy_errors(profile.policy)
    if errors:
        raise invalid("; ".join(errors))
    check_json_object(profile.acme_issue_attributes, "issueCertificateAttributes")
    check_json_object(profile.acme_revoke_attributes, "revokeCertificateAttributes")
    return replace(profile, policy=normalized(profile.policy))


def _matches(view: RaProfileView, query: RaProfileSearch) -> bool:
    p = view.profile
    authority = query.authority_uuid if isinstance(query, RaProfileQuery) else None
    if authority and p.authority_uuid != authority:
        return False
    search = (query.search or "").strip().lower()
    return not search or search in f"{p.name}\n{p.description}".lower()


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

    def detail(
        self, actor: Actor, ra_uuid: str, authority_uuid: str | None = None
    ) -> RaProfileDetail:
        return RaProfileDetail.of(self.get(actor, ra_uuid, authority_uuid))

    def page(
        self, actor: Actor, query: RaProfileSearch, authority_uuid: str | None = None
    ) -> Paged[RaProfileDetail]:
        """A page of the RA profiles (of one Authority) that match the query's filters."""
        views = [v for v in self.list_all(actor, authority_uuid) if _matches(v, query)]
        return Paged.slice([RaProfileDetail.of(v) for v in views], query)

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

    def create(self, actor: Actor, authority_uuid: str, command: RaProfileRequest) -> RaProfile:
        """A new RA profile (enabled unless ``enabled`` is false) on the Authority. Without a
        default validity of its own, a profile issues for its maximum at most."""
        require(actor, Role.ADMIN, Family.RA_PROFILES)
        values = command.changes(only_set=False)
        if "validity_default" not in command.model_fields_set:
            values["validity_default"] = min(DEFAULT_VALIDITY, command.validity_max)
        policy = IssuancePolicy(**command.issuance_policy.changes(only_set=False))
        profile = RaProfile(
            uuid=str(uuid.uuid4()),
            name=command.name,
            authority_uuid=authority_uuid,
            policy=policy,
            **values,
        )
        profile = _check(profile)
        with self._d.uow(write=True) as tx:
            AuthorityService.find(tx, authority_uuid)
            if tx.profiles.ra_profile_by_name(command.name) is not None:
                raise conflict(f"RA Profile {command.name} already exists")
            tx.profiles.add_ra_profile(profile)
            record(
                tx,
                self._d.clock,
                actor.name,
                "raProfile.create",
                "raProfile",
                profile.uuid,
                name=profile.name,
                authority=authority_uuid,
            )
        return profile

    def update(
        self,
        actor: Actor,
        ra_uuid: str,
        command: RaProfileUpdate,
        *,
        authority_uuid: str | None = None,
    ) -> RaProfile:
        """Change the fields the command carries only (a policy change keeps the policy fields
        it leaves out). The name is immutable (it is in ACME URLs)."""
        require(actor, Role.ADMIN, Family.RA_PROFILES)
        changes = command.changes(only_set=True)
        with self._d.uow(write=True) as tx:
            current = self.find(tx, ra_uuid, authority_uuid)
            if command.issuance_policy is not None:
                policy = command.issuance_policy.changes(only_set=True)
                changes["policy"] = replace(current.policy, **policy)
            updated = _check(replace(current, **changes))
            if updated == current:
                return current
            _check_profiles_fit(tx, updated)
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
            tx.certificate_profiles.delete_for_ra_profile(ra_uuid)
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
    ) -> RaProfileAcme:
        """The ACME profile activated on the RA profile (its RA-profile family directory)."""
        return RaProfileAcme.of(self.get(actor, ra_uuid, authority_uuid), self._d.urls)

    def activate(
        self,
        actor: Actor,
        ra_uuid: str,
        acme_profile_uuid: str,
        command: ActivateAcmeRequest | None = None,
        *,
        authority_uuid: str | None = None,
    ) -> RaProfileAcme:
        """:meth:`activate_acme` with the command of the API, the CLI and the web form."""
        command = command or ActivateAcmeRequest()
        view = self.activate_acme(
            actor,
            ra_uuid,
            acme_profile_uuid,
            command.issue_certificate_attributes,
            command.revoke_certificate_attributes,
            authority_uuid=authority_uuid,
        )
        return RaProfileAcme.of(view, self._d.urls)

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


def _check_profiles_fit(tx: UnitOfWork, profile: RaProfile) -> None:
    """The certificate profiles' validities stay within a lowered validityMax."""
    longer = [
        p.name
        for p in tx.certificate_profiles.for_ra_profile(profile.uuid)
        if p.validity is not None and p.validity > profile.validity_max
    ]
    if longer:
        raise invalid(
            f"validityMax must not be below the validity of certificate profile(s) "
            f"{', '.join(longer[:20])}: shorten them first"
        )


def detach_acme(profile: RaProfile) -> RaProfile:
    """The RA profile without its ACME activation."""
    return replace(
        profile, acme_profile_uuid=None, acme_issue_attributes={}, acme_revoke_attributes={}
    )
