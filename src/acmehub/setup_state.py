"""Setting up a deployment: `acmehub init`, `acmehub migrate` and `serve`'s first start each
finish whatever is missing, in any order, as often as they run, from any number of machines.

The steps, under one guard per database (storage/setup_marks.py: a PostgreSQL advisory lock,
a ``flock`` beside a SQLite file), each reported with what it did:

- schema: Alembic to head (``serve`` only on an empty database; an old one needs `migrate`);
- key-encryption key: this machine's (``ca_kek_env`` or ``kek_path``), generated 0600 at
  ``kek_path`` only while the database holds no sealed CA key (the first machine);
- Authorities whose keys are in files (before 0007) and readable here: moved into the
  database, sealed under the KEK (the files stay; other machines need them no more);
- embedded authority, RA profile and ACME profile "default": created when the default set-up
  never finished (a mark records that it did, so an operator's deletion is not undone);
- server secrets (the nonce signing key);
- CA key files of Authorities still in files: refused when group or others may read them;
- the embedded authority opens on this machine; its root is written as the CA bundle.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from acmehub import bootstrap
from acmehub.ca.embedded.keys import environ_passphrases
from acmehub.ca.embedded.sealing import Kek, require_private_file, write_kek_file
from acmehub.ca.embedded.stored import root_certificate_pem, stored_from_files
from acmehub.config import Settings
from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.model import Authority, RaProfile
from acmehub.domain.ports import ProvisionedCa
from acmehub.services.admin import SYSTEM_ACTOR
from acmehub.services.commands.certificate_profiles import CertificateProfileRequest
from acmehub.storage import migrate
from acmehub.storage.engine import make_engine
from acmehub.storage.nonces import NONCE_KEY_NAME
from acmehub.storage.setup_marks import (
    ensure_secret,
    is_marked,
    mark,
    sealed_key_count,
    setup_guard,
)

#: The Authority `init` makes, and the name in its certificates.
EMBEDDED_NAME = "embedded"
EMBEDDED_CA_NAME = "acmehub embedded CA"
_DEFAULTS_MARK = "defaults"


@dataclass
class SetupReport:
    steps: list[tuple[str, str]] = field(default_factory=list)

    def add(self, what: str, outcome: str) -> None:
        self.steps.append((what, outcome))

    def lines(self) -> list[str]:
        return [f"{what}: {outcome}" for what, outcome in self.steps]


def finish(
    settings: Settings, clock: bootstrap.SystemClock | None = None, *, upgrade: bool = True
) -> tuple[SetupReport, bootstrap.Container]:
    """Finish whatever set-up is missing; the report and a container on the database.
    ``upgrade=False`` refuses a schema that is not current instead of migrating it."""
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(settings.state_dir, 0o700)
    report = SetupReport()
    engine = make_engine(settings.database, pool_size=2)
    try:
        with setup_guard(engine):
            _schema(engine, report, upgrade)
            kek = _kek(settings, engine, report)
            container = bootstrap.build_container(settings, clock)
            try:
                _finish_objects(container, kek, report)
            except BaseException:
                container.engine.dispose()
                raise
    finally:
        engine.dispose()
    return report, container


def init_state(
    settings: Settings, clock: bootstrap.SystemClock | None = None
) -> bootstrap.Container:
    """The set-up of `acmehub init`, for tests and tools: its container."""
    return finish(settings, clock)[1]


def _schema(engine: Engine, report: SetupReport, upgrade: bool) -> None:
    before = migrate.current_revision(engine)
    head = migrate.head_revision()
    if before == head:
        report.add("schema", f"already at {head}")
        return
    if not upgrade and before is not None:
        raise DomainError(
            ErrorKind.SERVER_INTERNAL,
            f"database schema is at {before}, this acmehub needs {head}: run `acmehub migrate`",
        )
    migrate.upgrade(engine)
    report.add("schema", f"migrated to {head}" + (f" from {before}" if before else ""))


def _kek(settings: Settings, engine: Engine, report: SetupReport) -> Kek:
    kek = bootstrap.load_kek(settings, os.environ)
    if kek is not None:
        report.add("key-encryption key", f"{kek.id} from {kek.source}")
        return kek
    if sealed_key_count(engine):
        raise DomainError(
            ErrorKind.INVALID_INPUT,
            "the database holds CA keys sealed under a key-encryption key this machine lacks: "
            f"copy the KEK file of the machine that set it up to {settings.kek_path} "
            f"(chmod 600 {settings.kek_path}), or set {settings.ca_kek_env}",
        )
    kek = write_kek_file(settings.kek_path)
    report.add(
        "key-encryption key",
        f"{kek.id} generated in {kek.source} (give every other machine of this deployment a "
        f"copy, mode 0600, or set {settings.ca_kek_env})",
    )
    return kek


def _finish_objects(container: bootstrap.Container, kek: Kek, report: SetupReport) -> None:
    engine = container.engine
    check_key_files(container)
    _move_keys_in(container, kek, report)
    authority = _defaults(container, report)
    created = ensure_secret(engine, NONCE_KEY_NAME)
    report.add("server secrets", "created" if created else "already present")
    if authority is not None:
        try:
            container.ca.for_authority(authority)
        except DomainError as exc:
            raise DomainError(
                ErrorKind.SERVER_INTERNAL,
                f"the embedded authority does not open on this machine: {exc.detail}",
            ) from exc
        _write_bundle(container.settings, authority, report)


def _move_keys_in(container: bootstrap.Container, kek: Kek, report: SetupReport) -> None:
    with container.services.deps.uow() as tx:
        in_files = [
            a
            for a in tx.profiles.list_authorities()
            if a.kind == "embedded" and not a.key_material and "issuer_key" in a.config
        ]
    lookup = environ_passphrases(os.environ)
    for authority in in_files:
        try:
            stored = stored_from_files(authority.uuid, authority.config, lookup, kek)
        except DomainError as exc:
            report.add(f"authority {authority.name}", f"keys stay in files ({exc.detail})")
            continue
        container.services.platform.move_authority_keys_in(
            authority.uuid, ProvisionedCa(stored.config, stored.key_material)
        )
        report.add(f"authority {authority.name}", "keys moved from files into the database")


def _defaults(container: bootstrap.Container, report: SetupReport) -> Authority | None:
    """The embedded authority and the "default" profiles, unless set up before."""
    settings, engine = container.settings, container.engine
    platform = container.services.platform
    name = bootstrap.DEFAULT_NAME
    with container.services.deps.uow() as tx:
        acme = tx.profiles.acme_profile_by_name(name)
        ra = tx.profiles.ra_profile_by_name(name)
        authorities = {a.name: a for a in tx.profiles.list_authorities()}
        authority = tx.profiles.authority(ra.authority_uuid) if ra else None
    if is_marked(engine, _DEFAULTS_MARK):
        report.add("embedded authority and default profiles", "set up before")
        return authority
    authority = authority or authorities.get(EMBEDDED_NAME)
    if authority is None:
        authority = platform.create_embedded_authority(
            EMBEDDED_NAME, settings.ca_key_type, EMBEDDED_CA_NAME
        )
        report.add("embedded authority", "created")
    else:
        report.add("embedded authority", f"already present ({authority.name})")
    if ra is None:
        ra = platform.create_ra_profile(authority.uuid, name, description="Embedded default")
        report.add("default RA profile", "created")
        _certificate_profiles(container, ra)
        report.add("certificate profiles", ", ".join(p.name for p in DEFAULT_CERTIFICATE_PROFILES))
    else:
        report.add("default RA profile", "already present")
    if acme is None:
        acme = platform.create_acme_profile(
            name,
            enabled=True,
            description="Embedded default ACME profile",
            default_ra_profile_uuid=ra.uuid,
            retry_interval=1,
            dns_resolver_ip=settings.dns_resolver_ip or None,
            dns_resolver_port=settings.dns_resolver_port if settings.dns_resolver_ip else None,
        )
        report.add("default ACME profile", "created")
    else:
        report.add("default ACME profile", "already present")
    if _needs_activation(ra, acme.uuid):
        platform.activate_acme(ra.uuid, acme.uuid)
    mark(engine, _DEFAULTS_MARK)
    return authority


#: What the embedded default RA profile offers from the first start (draft-ietf-acme-profiles):
#: Let's Encrypt's pair, a 90-day default and a short-lived one without CRL distribution point
#: (a certificate that expires within 7 days need not be revocable, CA/B BR §4.9.7).
DEFAULT_CERTIFICATE_PROFILES = (
    CertificateProfileRequest(
        name="tlsserver",
        description="TLS server certificates valid for 90 days",
        is_default=True,
        validity=90 * 86400,
    ),
    CertificateProfileRequest(
        name="shortlived",
        description="TLS server certificates valid for 7 days, without CRL distribution point",
        validity=7 * 86400,
        crl_distribution_point=False,
    ),
)


def _certificate_profiles(container: bootstrap.Container, ra: RaProfile) -> None:
    for command in DEFAULT_CERTIFICATE_PROFILES:
        container.services.certificate_profiles.create(SYSTEM_ACTOR, ra.uuid, command)


def _needs_activation(ra: RaProfile, acme_uuid: str) -> bool:
    return ra.acme_profile_uuid != acme_uuid


def check_key_files(container: bootstrap.Container) -> None:
    """Refuse CA key files (of Authorities still in files) that group or others may read."""
    with container.services.deps.uow() as tx:
        authorities = tx.profiles.list_authorities()
    for authority in authorities:
        for name in ("issuer_key", "root_key"):
            value = authority.config.get(name)
            if isinstance(value, str) and value and Path(value).exists():
                require_private_file(Path(value))


def _write_bundle(settings: Settings, authority: Authority, report: SetupReport) -> None:
    """The root clients trust, at ``ca_bundle`` (public; written when missing)."""
    bundle = settings.ca_bundle
    if bundle.exists():
        return
    pem = root_certificate_pem(authority.config)
    if pem is None:
        return
    bundle.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    bundle.write_text(pem)
    report.add("CA bundle", f"written to {bundle}")
