"""Creating, importing and loading an embedded CA: files on disk and the Authority.config dict.

Config keys (all paths absolute):

``key_type``         "ec-p256" | "ec-p384" | "rsa-<bits>" (informational)
``issuer_cert``      PEM certificate that signs leaves and CRLs (the intermediate)
``issuer_key``       its PEM private key (mode 0600, encrypted when a passphrase is used)
``chain``            PEM issuers of ``issuer_cert``, nearest first (absent when it is a root)
``root_cert``        PEM root certificate to distribute to relying parties (when known)
``root_key``         the root's key, for created authorities only; never used to issue, so it
                     can be moved offline
``passphrase_env``   name of the environment variable holding the key passphrase (only when
                     the keys are encrypted); the passphrase itself is never stored
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from acmehub.ca.embedded.issuer import Issuer, require_aware
from acmehub.ca.embedded.keys import (
    CaPrivateKey,
    KeyType,
    PassphraseLookup,
    generate_key,
    key_matches_certificate,
    key_type_of,
    load_certificates,
    load_private_key,
    parse_certificates,
    parse_private_key,
    private_key_pem,
    signature_hash,
    write_private_file,
    write_public_file,
)
from acmehub.domain.errors import DomainError, ErrorKind

DEFAULT_PASSPHRASE_ENV = "ACMEHUB_CA_PASSPHRASE"  # noqa: S105 (a variable name, not a secret)
ROOT_VALIDITY = timedelta(days=3653)  # 10 years
INTERMEDIATE_VALIDITY = timedelta(days=1827)  # 5 years
#: CA certificates start slightly in the past so that relying parties with a lagging clock
#: accept certificates issued right after the CA was created.
BACKDATE = timedelta(hours=1)

_PEM = serialization.Encoding.PEM


def create_embedded_authority(
    directory: Path,
    *,
    name: str,
    key_type: KeyType = "ec-p256",
    passphrase: bytes | None = None,
    now: datetime,
    passphrase_env: str = DEFAULT_PASSPHRASE_ENV,
) -> dict[str, Any]:
    """Generate a root CA (10 years) and an intermediate (5 years, pathLen 0) under ``directory``.

    Writes root.pem, root.key, intermediate.pem, intermediate.key (keys mode 0600 from creation,
    encrypted with ``passphrase`` when given) and returns the Authority.config dict.
    Refuses to overwrite existing files (CONFLICT).
    """
    made = generate_ca(name, key_type, now)
    root_key, root, intermediate_key, intermediate = (
        made.root_key,
        made.root,
        made.issuer_key,
        made.issuer,
    )
    directory = _prepare_directory(directory)
    paths = {
        "root_cert": directory / "root.pem",
        "root_key": directory / "root.key",
        "issuer_cert": directory / "intermediate.pem",
        "issuer_key": directory / "intermediate.key",
    }
    _refuse_existing(paths.values())
    write_private_file(paths["root_key"], private_key_pem(root_key, passphrase))
    write_private_file(paths["issuer_key"], private_key_pem(intermediate_key, passphrase))
    write_public_file(paths["root_cert"], root.public_bytes(_PEM))
    write_public_file(paths["issuer_cert"], intermediate.public_bytes(_PEM))
    config: dict[str, Any] = {
        "key_type": key_type,
        "issuer_cert": str(paths["issuer_cert"]),
        "issuer_key": str(paths["issuer_key"]),
        "chain": str(paths["root_cert"]),
        "root_cert": str(paths["root_cert"]),
        "root_key": str(paths["root_key"]),
    }
    if passphrase:
        config["passphrase_env"] = passphrase_env
    return config


def import_embedded_authority(
    directory: Path,
    cert_pem: bytes | str,
    key_pem: bytes | str,
    chain_pem: bytes | str,
    passphrase: bytes | None,
    *,
    now: datetime | None = None,
    passphrase_env: str = DEFAULT_PASSPHRASE_ENV,
) -> dict[str, Any]:
    """Adopt an existing issuing CA certificate and key; returns the Authority.config dict.

    ``chain_pem`` holds the issuers of ``cert_pem``, nearest first (empty for a root).
    ``passphrase`` decrypts ``key_pem`` when it is encrypted and encrypts the stored copy.
    Validates that the certificate is a CA allowed to sign certificates and CRLs, that the key
    matches it, that each chain certificate issued the previous one and, given ``now``, that
    the certificate is currently valid. Failures are INVALID_INPUT.
    """
    certificate, key, chain = validate_import(cert_pem, key_pem, chain_pem, passphrase, now)
    key_type = key_type_of(key)
    directory = _prepare_directory(directory)
    top = chain[-1] if chain else certificate
    has_root = top.issuer == top.subject
    paths = {
        "issuer_cert": directory / "issuer.pem",
        "issuer_key": directory / "issuer.key",
    }
    if chain:
        paths["chain"] = directory / "chain.pem"
        if has_root:
            paths["root_cert"] = directory / "root.pem"
    _refuse_existing(paths.values())
    write_private_file(paths["issuer_key"], private_key_pem(key, passphrase))
    write_public_file(paths["issuer_cert"], certificate.public_bytes(_PEM))
    if chain:
        write_public_file(paths["chain"], b"".join(c.public_bytes(_PEM) for c in chain))
        if has_root:
            write_public_file(paths["root_cert"], top.public_bytes(_PEM))
    elif has_root:
        paths["root_cert"] = paths["issuer_cert"]  # the issuing CA is itself the root
    config: dict[str, Any] = {"key_type": key_type, **{k: str(v) for k, v in paths.items()}}
    if passphrase:
        config["passphrase_env"] = passphrase_env
    return config


@dataclass(frozen=True)
class GeneratedCa:
    root_key: CaPrivateKey
    root: x509.Certificate
    issuer_key: CaPrivateKey
    issuer: x509.Certificate


def generate_ca(name: str, key_type: str, now: datetime) -> GeneratedCa:
    """A new root CA (10 years) and intermediate (5 years, pathLen 0), in memory."""
    require_aware(now)
    if not name.strip():
        raise DomainError(ErrorKind.INVALID_INPUT, "the CA name must not be empty")
    root_key = generate_key(key_type)
    intermediate_key = generate_key(key_type)
    start = now - BACKDATE
    root_name = _ca_name(name, "Root CA")
    root = _ca_certificate(
        subject=root_name,
        issuer=root_name,
        public_key_of=root_key,
        signer=root_key,
        issuer_certificate=None,
        not_before=start,
        not_after=start + ROOT_VALIDITY,
        path_length=None,
    )
    intermediate = _ca_certificate(
        subject=_ca_name(name, "Intermediate CA"),
        issuer=root_name,
        public_key_of=intermediate_key,
        signer=root_key,
        issuer_certificate=root,
        not_before=start,
        not_after=start + INTERMEDIATE_VALIDITY,
        path_length=0,  # RFC 5280 §4.2.1.9: it issues end-entity certificates only
    )
    return GeneratedCa(root_key, root, intermediate_key, intermediate)


def validate_import(
    cert_pem: bytes | str,
    key_pem: bytes | str,
    chain_pem: bytes | str,
    passphrase: bytes | None,
    now: datetime | None,
) -> tuple[x509.Certificate, CaPrivateKey, list[x509.Certificate]]:
    """The checks of :func:`import_embedded_authority`; returns certificate, key and chain."""
    certificates = parse_certificates(_as_bytes(cert_pem), source="the CA certificate")
    if len(certificates) != 1:
        raise DomainError(ErrorKind.INVALID_INPUT, "give exactly one CA certificate")
    certificate = certificates[0]
    chain = parse_certificates(_as_bytes(chain_pem), source="the CA chain")
    key = parse_private_key(
        _as_bytes(key_pem), passphrase, source="the CA key", kind=ErrorKind.INVALID_INPUT
    )
    key_type_of(key)
    _check_can_issue(certificate, "the CA certificate")
    if not key_matches_certificate(key, certificate):
        raise DomainError(ErrorKind.INVALID_INPUT, "the CA key does not match the CA certificate")
    _check_chain(certificate, chain)
    if now is not None:
        require_aware(now)
        if not certificate.not_valid_before_utc <= now < certificate.not_valid_after_utc:
            raise DomainError(
                ErrorKind.INVALID_INPUT,
                "the CA certificate is not valid now (valid from "
                f"{certificate.not_valid_before_utc} to {certificate.not_valid_after_utc})",
            )
    return certificate, key, chain


def load_issuer(config: Mapping[str, Any], passphrase_lookup: PassphraseLookup) -> Issuer:
    """Read the issuing certificate, its chain and its key (decrypted once) from ``config``."""
    issuer_cert = _config_path(config, "issuer_cert")
    issuer_key = _config_path(config, "issuer_key")
    passphrase: bytes | None = None
    env_name = config.get("passphrase_env")
    if env_name:
        passphrase = passphrase_lookup(str(env_name))
        if not passphrase:
            raise DomainError(
                ErrorKind.SERVER_INTERNAL,
                f"the embedded CA key {issuer_key} is encrypted: set {env_name}",
            )
    certificates = load_certificates(issuer_cert)
    if len(certificates) != 1:
        raise DomainError(
            ErrorKind.SERVER_INTERNAL, f"{issuer_cert} must hold exactly one certificate"
        )
    chain = load_certificates(_config_path(config, "chain")) if config.get("chain") else []
    key = load_private_key(issuer_key, passphrase)
    return Issuer(certificate=certificates[0], key=key, chain=tuple(chain))


def _config_path(config: Mapping[str, Any], key: str) -> Path:
    value = config.get(key)
    if not isinstance(value, str) or not value:
        raise DomainError(ErrorKind.SERVER_INTERNAL, f"embedded CA config lacks the {key!r} path")
    return Path(value)


def _prepare_directory(directory: Path) -> Path:
    directory = directory.resolve()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return directory


def _refuse_existing(paths: Iterable[Path]) -> None:
    """Check every target first, so that a refusal leaves no partial authority behind."""
    for path in paths:
        if path.exists():
            raise DomainError(ErrorKind.CONFLICT, f"{path} already exists; not overwriting it")


def _as_bytes(data: bytes | str) -> bytes:
    # PEM is ASCII (RFC 7468 §3); other characters become "?" and fail as "not PEM", a 422.
    return data.encode("ascii", "replace") if isinstance(data, str) else data


#: ub-common-name and ub-organization-name (RFC 5280 Appendix A.1); pyca/cryptography counts
#: the UTF-8 bytes of a CN, so names are cut to 64 bytes at a character's boundary.
_UB_NAME = 64


def _fit(text: str, limit: int = _UB_NAME) -> str:
    return text.encode("utf-8")[:limit].decode("utf-8", "ignore")


def _ca_name(name: str, role: str) -> x509.Name:
    suffix = f" {role}"
    common_name = _fit(name, _UB_NAME - len(suffix.encode())) + suffix
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, _fit(name)),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _ca_certificate(
    *,
    subject: x509.Name,
    issuer: x509.Name,
    public_key_of: CaPrivateKey,
    signer: CaPrivateKey,
    issuer_certificate: x509.Certificate | None,
    not_before: datetime,
    not_after: datetime,
    path_length: int | None,
) -> x509.Certificate:
    public_key = public_key_of.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        # RFC 5280 §4.2.1.9: critical in CA certificates.
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        # RFC 5280 §4.2.1.3: keyCertSign and cRLSign for a CA that signs certificates and CRLs.
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        # RFC 5280 §4.2.1.2: CA certificates carry an SKI.
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )
    if issuer_certificate is not None:
        # RFC 5280 §4.2.1.1: AKI everywhere but (optionally) self-signed roots.
        ski = issuer_certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski.value),
            critical=False,
        )
    return builder.sign(signer, signature_hash(signer))


def _check_can_issue(certificate: x509.Certificate, what: str) -> None:
    try:
        constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        constraints = None
    if constraints is None or not constraints.ca:
        raise DomainError(ErrorKind.INVALID_INPUT, f"{what} is not a CA certificate")
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return
    if not (usage.key_cert_sign and usage.crl_sign):
        raise DomainError(
            ErrorKind.INVALID_INPUT,
            f"{what} may not sign certificates and CRLs (keyUsage lacks keyCertSign or cRLSign)",
        )


def _check_chain(certificate: x509.Certificate, chain: list[x509.Certificate]) -> None:
    child = certificate
    for index, parent in enumerate(chain, start=1):
        try:
            child.verify_directly_issued_by(parent)
        except (ValueError, TypeError, InvalidSignature) as exc:
            raise DomainError(
                ErrorKind.INVALID_INPUT,
                f"chain certificate {index} ({parent.subject.rfc4514_string()}) did not issue "
                f"{child.subject.rfc4514_string()}",
            ) from exc
        try:
            constraints = parent.extensions.get_extension_for_class(x509.BasicConstraints).value
        except x509.ExtensionNotFound:
            constraints = None
        if constraints is None or not constraints.ca:
            raise DomainError(
                ErrorKind.INVALID_INPUT, f"chain certificate {index} is not a CA certificate"
            )
        child = parent
