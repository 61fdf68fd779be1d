"""Authorities (CAs): list, get, create embedded (generate or import), enable, disable, delete.

An embedded Authority's keys are made or imported by the deployment's CaProvisioner; this
service records the Authority and shows its issuing certificate and chain. A disabled Authority
refuses issuance (services/finalize.py fails the order, naming the Authority). Deleting one is
refused while RA profiles use it; key files of an Authority from before keys were kept in the
database stay where they are (the operator removes them).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from typing import Any

from cryptography import x509

from acmehub.domain.admin_model import Role
from acmehub.domain.csr import serial_to_hex
from acmehub.domain.errors import DomainError
from acmehub.domain.model import Authority, RaProfile, serial_display
from acmehub.domain.ports import CaProvisioner, ProvisionedCa, UnitOfWork
from acmehub.services.admin import Actor, Family, record, require
from acmehub.services.commands.authorities import (
    KEY_TYPES,
    AuthorityDetail,
    AuthorityRequest,
    AuthorityView,
    CaCertificateInfo,
)
from acmehub.services.commands.base import Paged, PageQuery
from acmehub.services.deps import ServiceDeps
from acmehub.services.profile_rules import check_display_name, conflict, invalid, not_found

__all__ = ["EMBEDDED", "KEY_TYPES", "AuthorityService", "ImportedCa"]

EMBEDDED = "embedded"


@dataclass(frozen=True)
class ImportedCa:
    cert_pem: str
    key_pem: str
    chain_pem: str = ""
    passphrase: bytes | None = None


class AuthorityService:
    def __init__(self, deps: ServiceDeps) -> None:
        self._d = deps

    # ------------------------------------------------------------------ reads

    def list_all(self, actor: Actor) -> list[AuthorityView]:
        require(actor, Role.AUDITOR, Family.AUTHORITIES)
        with self._d.uow() as tx:
            authorities = tx.profiles.list_authorities()
            ra_profiles = tx.profiles.list_ra_profiles()
        return [
            self._view(a, tuple(r for r in ra_profiles if r.authority_uuid == a.uuid))
            for a in authorities
        ]

    def get(self, actor: Actor, authority_uuid: str) -> AuthorityView:
        require(actor, Role.AUDITOR, Family.AUTHORITIES)
        with self._d.uow() as tx:
            authority = self.find(tx, authority_uuid)
            ra_profiles = tuple(tx.profiles.list_ra_profiles(authority_uuid))
        return self._view(authority, ra_profiles)

    def detail(self, actor: Actor, authority_uuid: str) -> AuthorityDetail:
        return AuthorityDetail.of(self.get(actor, authority_uuid), self._d.urls)

    def page(self, actor: Actor, query: PageQuery) -> Paged[AuthorityDetail]:
        views = [AuthorityDetail.of(v, self._d.urls) for v in self.list_all(actor)]
        return Paged.slice(views, query)

    @staticmethod
    def find(tx: UnitOfWork, authority_uuid: str) -> Authority:
        authority = tx.profiles.authority(authority_uuid)
        if authority is None:
            raise not_found("Authority")
        return authority

    # ------------------------------------------------------------------ creation

    def create(self, actor: Actor, command: AuthorityRequest) -> AuthorityView:
        """POST /authorities: generate a new CA, or import ``command.import_ca``."""
        ca = command.import_ca
        if ca is None:
            return self.create_embedded(actor, command.name, command.key_type)
        imported = ImportedCa(ca.certificate, ca.private_key, ca.chain, ca.passphrase_bytes)
        return self.import_embedded(actor, command.name, imported)

    def create_embedded(
        self, actor: Actor, name: str, key_type: str = "ec-p256", ca_name: str | None = None
    ) -> AuthorityView:
        """Generate a new root and intermediate and record the Authority (``ca_name``: the
        name in the certificates, when not ``name``)."""
        require(actor, Role.ADMIN, Family.AUTHORITIES)
        check_display_name(name, "Authority")
        if key_type not in KEY_TYPES:
            raise invalid(f"keyType must be one of {', '.join(KEY_TYPES)}")
        provisioner = self._provisioner()
        self._check_name_free(name)
        authority_uuid = str(uuid.uuid4())
        made = provisioner.create(authority_uuid, ca_name or name, key_type)
        return self._record_new(actor, name, EMBEDDED, made, "generate", authority_uuid)

    def import_embedded(self, actor: Actor, name: str, ca: ImportedCa) -> AuthorityView:
        """Adopt an existing CA certificate and key (with the chain above it)."""
        require(actor, Role.ADMIN, Family.AUTHORITIES)
        check_display_name(name, "Authority")
        provisioner = self._provisioner()
        self._check_name_free(name)
        authority_uuid = str(uuid.uuid4())
        made = provisioner.import_ca(
            authority_uuid, name, ca.cert_pem, ca.key_pem, ca.chain_pem, ca.passphrase
        )
        return self._record_new(actor, name, EMBEDDED, made, "import", authority_uuid)

    def register(self, actor: Actor, name: str, kind: str, config: dict[str, Any]) -> Authority:
        """Record an Authority whose backend configuration already exists (``acmehub init``)."""
        require(actor, Role.ADMIN, Family.AUTHORITIES)
        check_display_name(name, "Authority")
        made = ProvisionedCa(config)
        return self._record_new(actor, name, kind, made, "register", str(uuid.uuid4())).authority

    def _provisioner(self) -> CaProvisioner:
        if self._d.provisioner is None:
            raise invalid("this deployment cannot create embedded Authorities (no CA provisioner)")
        return self._d.provisioner

    def _check_name_free(self, name: str) -> None:
        # Checked before keys are generated or files written; the insert checks again.
        with self._d.uow() as tx:
            if any(a.name == name for a in tx.profiles.list_authorities()):
                raise conflict(f"Authority {name} already exists")

    def _record_new(
        self, actor: Actor, name: str, kind: str, made: ProvisionedCa, how: str, authority_uuid: str
    ) -> AuthorityView:
        authority = Authority(authority_uuid, name, kind, True, made.config, made.key_material)
        with self._d.uow(write=True) as tx:
            if any(a.name == name for a in tx.profiles.list_authorities()):
                raise conflict(f"Authority {name} already exists")
            tx.profiles.add_authority(authority)
            record(
                tx,
                self._d.clock,
                actor.name,
                "authority.create",
                "authority",
                authority.uuid,
                name=name,
                kind=kind,
                how=how,
            )
        return self._view(authority, ())

    # ------------------------------------------------------------------ changes

    def move_keys_in(self, actor: Actor, authority_uuid: str, made: ProvisionedCa) -> Authority:
        """Replace the backend configuration of an Authority whose keys were in files by the
        same CA held in the database (set-up calls this; the files stay where they are)."""
        require(actor, Role.ADMIN, Family.AUTHORITIES)
        with self._d.uow(write=True) as tx:
            authority = self.find(tx, authority_uuid)
            changed = replace(authority, config=made.config, key_material=made.key_material)
            tx.profiles.update_authority(changed)
            record(
                tx, self._d.clock, actor.name, "authority.keys_stored", "authority", authority.uuid
            )
            return changed

    def cross_sign(self, actor: Actor, authority_uuid: str) -> AuthorityView:
        """Give an embedded Authority an alternate chain (RFC 8555 §7.4.2): a new root
        cross-signs its issuing CA; certificate downloads then offer both chains."""
        require(actor, Role.ADMIN, Family.AUTHORITIES)
        provisioner = self._provisioner()
        with self._d.uow() as tx:
            authority = self.find(tx, authority_uuid)
        if authority.kind != EMBEDDED:
            raise invalid(f"Authority {authority.name} is not embedded: acmehub holds no key")
        made = provisioner.cross_sign(
            authority.uuid, dict(authority.config), dict(authority.key_material)
        )
        with self._d.uow(write=True) as tx:
            current = self.find(tx, authority_uuid)
            if current.config != authority.config:
                raise conflict(f"Authority {authority.name} changed meanwhile: try again")
            changed = replace(current, config=made.config, key_material=made.key_material)
            tx.profiles.update_authority(changed)
            record(
                tx,
                self._d.clock,
                actor.name,
                "authority.cross_sign",
                "authority",
                authority.uuid,
                name=authority.name,
                alternates=len(made.config.get("alternate_chains_pem") or []),
            )
            ra_profiles = tuple(tx.profiles.list_ra_profiles(authority_uuid))
        return self._view(changed, ra_profiles)

    def enable(self, actor: Actor, authority_uuid: str) -> Authority:
        return self._switch(actor, authority_uuid, True)

    def disable(self, actor: Actor, authority_uuid: str) -> Authority:
        """A disabled Authority refuses issuance; revocation and CRLs keep working."""
        return self._switch(actor, authority_uuid, False)

    def _switch(self, actor: Actor, authority_uuid: str, enabled: bool) -> Authority:
        require(actor, Role.OPERATOR, Family.AUTHORITIES)
        word = "enabled" if enabled else "disabled"
        with self._d.uow(write=True) as tx:
            authority = self.find(tx, authority_uuid)
            if authority.enabled is enabled:
                raise invalid(f"Authority {authority.name} is already {word}")
            changed = replace(authority, enabled=enabled)
            tx.profiles.update_authority(changed)
            action = "authority.enable" if enabled else "authority.disable"
            record(tx, self._d.clock, actor.name, action, "authority", authority.uuid)
            return changed

    def delete(self, actor: Actor, authority_uuid: str) -> None:
        require(actor, Role.ADMIN, Family.AUTHORITIES)
        with self._d.uow(write=True) as tx:
            authority = self.find(tx, authority_uuid)
            users = tx.profiles.list_ra_profiles(authority_uuid)
            if users:
                names = ", ".join(r.name for r in users[:20])
                raise invalid(
                    f"Authority {authority.name} is used by {len(users)} RA Profile(s): {names}; "
                    "delete them or move them first"
                )
            tx.profiles.delete_authority(authority_uuid)
            record(
                tx,
                self._d.clock,
                actor.name,
                "authority.delete",
                "authority",
                authority.uuid,
                name=authority.name,
            )

    # ------------------------------------------------------------------ views

    def _view(self, authority: Authority, ra_profiles: tuple[RaProfile, ...]) -> AuthorityView:
        try:
            chain_pem = self._d.ca.for_authority(authority).chain_pem()
            certificates = x509.load_pem_x509_certificates(chain_pem.encode())
        except DomainError as exc:
            return AuthorityView(authority, None, exc.detail, ra_profiles)
        except ValueError:
            return AuthorityView(authority, None, "the CA chain cannot be decoded", ra_profiles)
        issuing = certificates[0]
        info = CaCertificateInfo(
            subject=issuing.subject.rfc4514_string(),
            issuer=issuing.issuer.rfc4514_string(),
            serial_hex=serial_display(serial_to_hex(issuing.serial_number)),
            not_before=issuing.not_valid_before_utc,
            not_after=issuing.not_valid_after_utc,
            chain_pem=chain_pem,
        )
        alternates = authority.config.get("alternate_chains_pem") or []
        return AuthorityView(authority, info, None, ra_profiles, tuple(map(str, alternates)))
