"""Set-up shortcuts for `acmehub init` and tests: the system actor's calls to the Authority,
RA Profile and ACME Profile services (which own every rule and record the audit events).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from acmehub.domain.model import AcmeProfile, Authority, RaProfile
from acmehub.domain.ports import ProvisionedCa
from acmehub.services.acme_profiles import AcmeProfileService
from acmehub.services.admin import SYSTEM_ACTOR, Actor
from acmehub.services.authorities import AuthorityService
from acmehub.services.commands.acme_profiles import (
    AcmeProfileRequest,
    AcmeProfileUpdate,
    command_names,
)
from acmehub.services.commands.base import parse
from acmehub.services.commands.ra_profiles import RaProfileRequest, RaProfileUpdate
from acmehub.services.ra_profiles import RaProfileService


class PlatformService:
    def __init__(
        self,
        authorities: AuthorityService,
        ra_profiles: RaProfileService,
        acme_profiles: AcmeProfileService,
        actor: Actor = SYSTEM_ACTOR,
    ) -> None:
        self._authorities = authorities
        self._ra = ra_profiles
        self._acme = acme_profiles
        self._actor = actor

    def create_authority(self, name: str, kind: str, config: dict[str, Any]) -> Authority:
        return self._authorities.register(self._actor, name, kind, config)

    def create_embedded_authority(self, name: str, key_type: str, ca_name: str) -> Authority:
        return self._authorities.create_embedded(self._actor, name, key_type, ca_name).authority

    def move_authority_keys_in(self, authority_uuid: str, made: ProvisionedCa) -> Authority:
        return self._authorities.move_keys_in(self._actor, authority_uuid, made)

    def create_ra_profile(self, authority_uuid: str, name: str, **fields: Any) -> RaProfile:
        """``fields`` by their RaProfile names (``policy``: the issuance policy's fields)."""
        command = parse(RaProfileRequest, {"name": name, **_ra_command_names(fields)})
        return self._ra.create(self._actor, authority_uuid, command)

    def create_acme_profile(self, name: str, **fields: Any) -> AcmeProfile:
        """``fields`` by their AcmeProfile names."""
        command = parse(AcmeProfileRequest, {"name": name, **command_names(fields)})
        return self._acme.create(self._actor, command)

    def update_acme_profile(self, uuid_: str, **changes: Any) -> AcmeProfile:
        """``changes`` by their AcmeProfile names; ``enabled`` switches the profile."""
        enabled = changes.pop("enabled", None)
        profile = self._acme.update(
            self._actor, uuid_, parse(AcmeProfileUpdate, command_names(changes))
        )
        if enabled is not None and enabled != profile.enabled:
            switch = self._acme.enable if enabled else self._acme.disable
            profile = switch(self._actor, uuid_)
        return profile

    def update_ra_profile(self, uuid_: str, **changes: Any) -> RaProfile:
        """``changes`` by their RaProfile names; ``enabled`` switches the profile."""
        enabled = changes.pop("enabled", None)
        command = parse(RaProfileUpdate, _ra_command_names(changes))
        profile = self._ra.update(self._actor, uuid_, command)
        if enabled is not None and enabled != profile.enabled:
            switch = self._ra.enable if enabled else self._ra.disable
            profile = switch(self._actor, uuid_)
        return profile

    def activate_acme(
        self,
        ra_profile_uuid: str,
        acme_profile_uuid: str,
        issue_attributes: dict[str, Any] | None = None,
        revoke_attributes: dict[str, Any] | None = None,
    ) -> RaProfile:
        view = self._ra.activate_acme(
            self._actor, ra_profile_uuid, acme_profile_uuid, issue_attributes, revoke_attributes
        )
        return view.profile


def _ra_command_names(values: dict[str, Any]) -> dict[str, Any]:
    """RaProfile field names -> the commands' (the policy's fields as a mapping)."""
    named = dict(values)
    if "policy" in named:
        policy = named.pop("policy")
        named["issuance_policy"] = (
            dataclasses.asdict(policy) if not isinstance(policy, dict) else policy
        )
    return named
