"""The HTTPS listener's certificate and key: the operator's files, or issued by the embedded
CA for ``tls_hosts`` and renewed a week before they expire (``acmehub serve``)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from cryptography import x509

from acmehub.bootstrap import DEFAULT_NAME, Container
from acmehub.ca.embedded import EmbeddedCa
from acmehub.ca.embedded.backend import issue_tls_server_certificate
from acmehub.domain.errors import DomainError, ErrorKind


def ensure_tls_files(container: Container) -> tuple[Path, Path] | None:
    """The listener's certificate and key: the operator's files, or issued by the embedded CA."""
    settings = container.settings
    if settings.tls_mode == "off":
        return None
    if settings.tls_mode == "files":
        if settings.tls_cert_file is None or settings.tls_key_file is None:
            raise DomainError(
                ErrorKind.INVALID_INPUT,
                "tls_mode = files needs tls_cert_file and tls_key_file",
            )
        return settings.tls_cert_file, settings.tls_key_file
    tls_dir = settings.state_dir / "tls"
    cert_path, key_path = tls_dir / "server.pem", tls_dir / "server.key"
    now = container.clock.now()
    if cert_path.exists() and key_path.exists():
        current = x509.load_pem_x509_certificates(cert_path.read_bytes())[0]
        names = _san_strings(current)
        if current.not_valid_after_utc > now + timedelta(days=7) and names == set(
            settings.tls_hosts
        ):
            return cert_path, key_path
    with container.services.deps.uow() as tx:
        acme = tx.profiles.acme_profile_by_name(DEFAULT_NAME)
        ra = tx.profiles.ra_profile(acme.default_ra_profile_uuid or "") if acme else None
        authority = tx.profiles.authority(ra.authority_uuid) if ra else None
    if authority is None:
        raise DomainError(
            ErrorKind.INVALID_INPUT,
            "no embedded authority to issue the TLS certificate; set tls_mode = files",
        )
    backend = container.ca.for_authority(authority)
    assert isinstance(backend, EmbeddedCa)
    cert_pem, key_pem = issue_tls_server_certificate(backend, list(settings.tls_hosts), now, 90)
    tls_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key_pem)
    cert_path.write_text(cert_pem)
    return cert_path, key_path


def _san_strings(cert: x509.Certificate) -> set[str]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set()
    names: set[str] = set(san.get_values_for_type(x509.DNSName))
    names.update(str(ip) for ip in san.get_values_for_type(x509.IPAddress))
    return names
