"""ACME Profiles: the configuration of one ACME endpoint (platform-reference.md, "ACME Profile
fields"), with enable/disable, delete, force delete and the default RA profile.

Every setting is read by the protocol on each request (services/context.py), so a change takes
effect at once in every server process.

Deleting: refused (422) while RA profiles have the profile activated or ACME accounts are bound
to it. Force delete never deletes accounts or their orders (the platform's defect): it
deactivates the accounts (status ``deactivated``, one audit event each), deactivates ACME on the
RA profiles, and then deletes the profile if no account row refers to it any more; otherwise the
profile is *retired*: disabled, detached from its default RA profile, its EAB keys revoked, and
renamed ``{name}~deleted~{uuid prefix}`` so that the name is free again (docs/management.md).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import fields, replace

from acmehub.domain.admin_model import Role
from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.model import AcmeProfile
from acmehub.domain.ports import UnitOfWork
from acmehub.domain.preauthorization import MAX_AUTHORIZATION_REUSE
from acmehub.services.acme_profile_removal import RETIRED_INFIX, delete_in, force_delete_in
from acmehub.services.admin import Actor, Family, record, require
from acmehub.services.commands.acme_profile_views import AcmeProfileDetail
from acmehub.services.commands.acme_profiles import (
    MAX_ORDER_VALIDITY,
    MAX_RETRY_INTERVAL,
    AcmeProfileRequest,
    AcmeProfileUpdate,
    AcmeProfileView,
)
from acmehub.services.commands.base import Paged, PageQuery
from acmehub.services.deps import ServiceDeps
from acmehub.services.profile_rules import (
    RESERVED_ACME_PROFILE_NAMES,
    BulkFailure,
    api_name,
    check_bool,
    check_description,
    check_http_url,
    check_int,
    check_ip,
    check_json_object,
    check_url_name,
    conflict,
    invalid,
    not_found,
)
from acmehub.services.ra_profiles import RaProfileService

#: Infix of a retired (force-deleted while accounts still refer to it) profile's name.
#: What create and update may set (uuid and name are fixed; the ToS-change time is derived).
SETTABLE = frozenset(f.name for f in fields(AcmeProfile) if f.name not in ("uuid", "name")) - {
    "terms_of_service_changed_at"
}


def _check(profile: AcmeProfile) -> None:
    """Validate the values an administrator set; each refusal names the API field."""
    check_bool(profile.enabled, "enabled")
    check_description(profile.description)
    check_http_url(profile.terms_of_service_url, "termsOfServiceUrl")
    check_http_url(profile.website_url, "websiteUrl")
    check_http_url(profile.terms_of_service_change_url, "termsOfServiceChangeUrl")
    check_ip(profile.dns_resolver_ip, "dnsResolverIp")
    if profile.dns_resolver_port is not None:
        check_int(profile.dns_resolver_port, "dnsResolverPort", 1, 65535)
    check_int(profile.retry_interval, "retryInterval", 1, MAX_RETRY_INTERVAL)
    check_int(profile.validity, "validity", 1, MAX_ORDER_VALIDITY)
    check_int(profile.renewal_info_retry_after, "renewalInfoRetryAfter", 0, MAX_RETRY_INTERVAL)
    for name in (
        "terms_of_service_change_disable",
        "require_contact",
        "require_terms_of_service",
        "require_external_account_binding",
        "caa_checking",
        "dnssec_required",
        "offer_dns_account_01",
        "offer_dns_persist_01",
        "new_authz_enabled",
        "subdomain_auth_allowed",
        "renewal_info",
    ):
        check_bool(getattr(profile, name), api_name(name))
    check_int(profile.authorization_reuse, "authorizationReuse", 0, MAX_AUTHORIZATION_REUSE)
    if profile.subdomain_auth_allowed and not profile.new_authz_enabled:
        # RFC 9444 §4.2: a subdomain authorization is asked for through newAuthz.
        raise invalid(
            "subdomainAuthAllowed needs newAuthzEnabled: it is asked for through newAuthz"
        )
    for name in (
        "issue_certificate_attributes",
        "revoke_certificate_attributes",
        "custom_attributes",
        "certificate_associations",
    ):
        check_json_object(getattr(profile, name), api_name(name))
    if not all(isinstance(c, str) and c for c in profile.caa_identities):
        raise invalid("caaIdentities must be a list of domain names")


class AcmeProfileService:
    def __init__(self, deps: ServiceDeps) -> None:
        self._d = deps

    # ------------------------------------------------------------------ reads

    def list_all(self, actor: Actor) -> list[AcmeProfileView]:
        require(actor, Role.AUDITOR, Family.ACME_PROFILES)
        with self._d.uow() as tx:
            profiles = tx.profiles.list_acme_profiles()
            ra_profiles = {r.uuid: r for r in tx.profiles.list_ra_profiles()}
        return [
            AcmeProfileView(
                p,
                ra_profiles.get(p.default_ra_profile_uuid or ""),
                tuple(r for r in ra_profiles.values() if r.acme_profile_uuid == p.uuid),
            )
            for p in profiles
        ]

    def get(self, actor: Actor, profile_uuid: str) -> AcmeProfileView:
        require(actor, Role.AUDITOR, Family.ACME_PROFILES)
        with self._d.uow() as tx:
            return self._view(tx, self.find(tx, profile_uuid))

    def detail(self, actor: Actor, profile_uuid: str) -> AcmeProfileDetail:
        return AcmeProfileDetail.of(self.get(actor, profile_uuid), self._d.urls)

    def page(self, actor: Actor, query: PageQuery) -> Paged[AcmeProfileDetail]:
        views = [AcmeProfileDetail.of(v, self._d.urls) for v in self.list_all(actor)]
        return Paged.slice(views, query)

    @staticmethod
    def find(tx: UnitOfWork, profile_uuid: str) -> AcmeProfile:
        profile = tx.profiles.acme_profile(profile_uuid)
        if profile is None:
            raise not_found("ACME Profile")
        return profile

    # ------------------------------------------------------------------ configuration

    def create(self, actor: Actor, command: AcmeProfileRequest) -> AcmeProfile:
        """A new profile; disabled unless ``enabled`` (platform-reference.md)."""
        require(actor, Role.ADMIN, Family.ACME_PROFILES)
        name = command.name
        values = command.values(only_set=False)
        check_url_name(name, "ACME Profile")
        if name in RESERVED_ACME_PROFILE_NAMES or RETIRED_INFIX in name:
            raise invalid(f"name: {name!r} cannot be an ACME Profile name")
        unknown = sorted(set(values) - SETTABLE)
        if unknown:
            raise invalid(f"unknown ACME Profile fields: {', '.join(unknown)}")
        if values.get("terms_of_service_change_disable"):
            # Accounts must agree to the terms again from now on (services/orders.py).
            values["terms_of_service_changed_at"] = self._d.clock.now()
        values.setdefault("enabled", False)
        profile = AcmeProfile(uuid=str(uuid.uuid4()), name=name, **values)
        _check(profile)
        with self._d.uow(write=True) as tx:
            if tx.profiles.acme_profile_by_name(name) is not None:
                raise conflict(f"ACME Profile {name} already exists")
            if profile.default_ra_profile_uuid is not None:
                RaProfileService.find(tx, profile.default_ra_profile_uuid)
            tx.profiles.add_acme_profile(profile)
            record(
                tx,
                self._d.clock,
                actor.name,
                "acmeProfile.create",
                "acmeProfile",
                profile.uuid,
                name=name,
            )
        return profile

    def update(self, actor: Actor, profile_uuid: str, command: AcmeProfileUpdate) -> AcmeProfile:
        """Change only the given fields (a PUT that leaves a field out keeps it).

        Switching ``terms_of_service_change_disable`` on makes every account agree again
        before its next order; changing the default RA profile moves the accounts bound
        through the default (as :meth:`set_default_ra_profile` does).
        """
        require(actor, Role.ADMIN, Family.ACME_PROFILES)
        changes = command.values(only_set=True)
        with self._d.uow(write=True) as tx:
            current = self.find(tx, profile_uuid)
            if "name" in changes and changes.pop("name") != current.name:
                raise invalid("name: an ACME Profile's name cannot be changed")
            unknown = sorted(set(changes) - SETTABLE)
            if unknown:
                raise invalid(f"unknown ACME Profile fields: {', '.join(unknown)}")
            if changes.get("terms_of_service_change_disable") and not (
                current.terms_of_service_change_disable
            ):
                changes["terms_of_service_changed_at"] = self._d.clock.now()
            updated = replace(current, **changes)
            _check(updated)
            if updated.enabled and not current.enabled and RETIRED_INFIX in current.name:
                raise invalid(f"ACME Profile {current.name} was force-deleted; it stays disabled")
            if updated == current:
                return current
            moved = self._apply_default(tx, current, updated)
            tx.profiles.update_acme_profile(updated)
            changed = sorted(
                api_name(f.name)
                for f in fields(AcmeProfile)
                if getattr(current, f.name) != getattr(updated, f.name)
            )
            record(
                tx,
                self._d.clock,
                actor.name,
                "acmeProfile.update",
                "acmeProfile",
                profile_uuid,
                changed=changed,
                accountsMoved=moved,
            )
            return updated

    def set_default_ra_profile(
        self, actor: Actor, profile_uuid: str, ra_profile_uuid: str
    ) -> AcmeProfileView:
        """PATCH /acmeProfiles/{uuid}/raprofile/{raProfileUuid}: accounts bound through the
        default RA profile follow it (AccountRepository.rebind_default)."""
        require(actor, Role.ADMIN, Family.ACME_PROFILES)
        with self._d.uow(write=True) as tx:
            current = self.find(tx, profile_uuid)
            ra = RaProfileService.find(tx, ra_profile_uuid)
            updated = replace(current, default_ra_profile_uuid=ra.uuid)
            moved = self._apply_default(tx, current, updated) or 0
            tx.profiles.update_acme_profile(updated)
            record(
                tx,
                self._d.clock,
                actor.name,
                "acmeProfile.setDefaultRaProfile",
                "acmeProfile",
                profile_uuid,
                raProfile=ra.uuid,
                previous=current.default_ra_profile_uuid,
                accountsMoved=moved,
            )
            return self._view(tx, updated)

    def set_default_ra_profile_detail(
        self, actor: Actor, profile_uuid: str, ra_profile_uuid: str
    ) -> AcmeProfileDetail:
        view = self.set_default_ra_profile(actor, profile_uuid, ra_profile_uuid)
        return AcmeProfileDetail.of(view, self._d.urls)

    @staticmethod
    def _apply_default(tx: UnitOfWork, current: AcmeProfile, updated: AcmeProfile) -> int | None:
        """Check a new default RA profile and move the accounts that follow it."""
        new = updated.default_ra_profile_uuid
        if new == current.default_ra_profile_uuid:
            return None
        if new is None:
            # Accounts keep their last RA profile (the column is required); the protocol
            # refuses them with "RA Profile is not found" until a default is set again.
            return 0
        RaProfileService.find(tx, new)
        return tx.accounts.rebind_default(current.uuid, new)

    # ------------------------------------------------------------------ enable / disable

    def enable(self, actor: Actor, profile_uuid: str) -> AcmeProfile:
        return self._switch(actor, profile_uuid, True)

    def disable(self, actor: Actor, profile_uuid: str) -> AcmeProfile:
        """Every following ACME request through the profile gets 400 "ACME Profile is not
        enabled", in both URL families."""
        return self._switch(actor, profile_uuid, False)

    def _switch(self, actor: Actor, profile_uuid: str, enabled: bool) -> AcmeProfile:
        require(actor, Role.OPERATOR, Family.ACME_PROFILES)
        with self._d.uow(write=True) as tx:
            return self._switch_in(tx, actor, self.find(tx, profile_uuid), enabled)

    def _switch_in(
        self, tx: UnitOfWork, actor: Actor, profile: AcmeProfile, enabled: bool
    ) -> AcmeProfile:
        if profile.enabled is enabled:
            word = "enabled" if enabled else "disabled"
            raise invalid(f"ACME Profile {profile.name} is already {word}")
        if enabled and RETIRED_INFIX in profile.name:
            raise invalid(
                f"ACME Profile {profile.name} was force-deleted; it is kept only because "
                "deactivated accounts refer to it"
            )
        changed = replace(profile, enabled=enabled)
        tx.profiles.update_acme_profile(changed)
        action = "acmeProfile.enable" if enabled else "acmeProfile.disable"
        record(tx, self._d.clock, actor.name, action, "acmeProfile", profile.uuid)
        return changed

    def bulk_enable(self, actor: Actor, uuids: Sequence[str]) -> list[BulkFailure]:
        require(actor, Role.OPERATOR, Family.ACME_PROFILES)
        return self._bulk(uuids, lambda tx, p: self._switch_in(tx, actor, p, True))

    def bulk_disable(self, actor: Actor, uuids: Sequence[str]) -> list[BulkFailure]:
        require(actor, Role.OPERATOR, Family.ACME_PROFILES)
        return self._bulk(uuids, lambda tx, p: self._switch_in(tx, actor, p, False))

    # ------------------------------------------------------------------ delete

    def delete(self, actor: Actor, profile_uuid: str) -> None:
        """Refused (422) while RA profiles have it activated or accounts are bound to it."""
        require(actor, Role.ADMIN, Family.ACME_PROFILES)
        with self._d.uow(write=True) as tx:
            self._delete_in(tx, actor, self.find(tx, profile_uuid))

    def bulk_delete(self, actor: Actor, uuids: Sequence[str]) -> list[BulkFailure]:
        require(actor, Role.ADMIN, Family.ACME_PROFILES)
        return self._bulk(uuids, lambda tx, p: self._delete_in(tx, actor, p))

    def force_delete(self, actor: Actor, uuids: Sequence[str]) -> list[BulkFailure]:
        """Delete whatever depends on them: see the module docstring."""
        require(actor, Role.ADMIN, Family.ACME_PROFILES)
        return self._bulk(uuids, lambda tx, p: self._force_delete_in(tx, actor, p))

    def _delete_in(self, tx: UnitOfWork, actor: Actor, profile: AcmeProfile) -> None:
        delete_in(tx, self._d.clock, actor, profile)

    def _force_delete_in(self, tx: UnitOfWork, actor: Actor, profile: AcmeProfile) -> None:
        force_delete_in(tx, self._d.clock, actor, profile)

    def _bulk(
        self, uuids: Sequence[str], act: Callable[[UnitOfWork, AcmeProfile], object]
    ) -> list[BulkFailure]:
        """Act on each profile in its own transaction; report the ones that failed."""
        failures: list[BulkFailure] = []
        for profile_uuid in dict.fromkeys(uuids):
            name = ""
            try:
                with self._d.uow(write=True) as tx:
                    profile = self.find(tx, profile_uuid)
                    name = profile.name
                    act(tx, profile)
            except DomainError as exc:
                if exc.kind not in (ErrorKind.NOT_FOUND, ErrorKind.INVALID_INPUT):
                    raise
                failures.append(BulkFailure(profile_uuid, name, exc.detail))
        return failures

    # ------------------------------------------------------------------ views

    @staticmethod
    def _view(tx: UnitOfWork, profile: AcmeProfile) -> AcmeProfileView:
        default = (
            tx.profiles.ra_profile(profile.default_ra_profile_uuid)
            if profile.default_ra_profile_uuid
            else None
        )
        activated = tuple(
            r for r in tx.profiles.list_ra_profiles() if r.acme_profile_uuid == profile.uuid
        )
        return AcmeProfileView(profile, default, activated)
