"""Embedded Authorities held in the database: certificates in the config (plain PEM), keys in
``Authority.key_material`` sealed under the deployment's key-encryption key (sealing.py).

Config keys of a stored Authority:

``key_type``          "ec-p256" | "ec-p384" | "rsa-<bits>" (informational)
``issuer_cert_pem``   the certificate that signs leaves and CRLs
``chain_pem``         its issuers, nearest first ("" when it is a root)
``root_cert_pem``     the root relying parties trust (absent when unknown)

``key_material``: ``{"issuer": <sealed>, "root": <sealed>}`` (the root's key only for created
Authorities; it never issues, so an operator may delete it from the row).

Any machine with the database and the KEK loads the Authority: nothing is read from disk.
Authorities made before (config with file paths, authority.py) keep loading from their files
until set-up moves them in (:func:`stored_from_files`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from acmehub.ca.embedded.authority import generate_ca, load_issuer, validate_import
from acmehub.ca.embedded.issuer import Issuer
from acmehub.ca.embedded.keys import PassphraseLookup, key_type_of, parse_certificates
from acmehub.ca.embedded.sealing import Kek, open_key, seal_key
from acmehub.domain.errors import DomainError, ErrorKind

_PEM = serialization.Encoding.PEM
ISSUER = "issuer"
ROOT = "root"


@dataclass(frozen=True)
class StoredCa:
    """What the database keeps of an embedded Authority."""

    config: dict[str, Any]
    key_material: dict[str, Any] = field(repr=False)


def _pem(*certificates: x509.Certificate) -> str:
    return "".join(c.public_bytes(_PEM).decode("ascii") for c in certificates)


def create_stored_authority(
    authority_uuid: str, *, name: str, key_type: str, kek: Kek, now: datetime
) -> StoredCa:
    made = generate_ca(name, key_type, now)
    config = {
        "key_type": key_type,
        "issuer_cert_pem": _pem(made.issuer),
        "chain_pem": _pem(made.root),
        "root_cert_pem": _pem(made.root),
    }
    keys = {
        ISSUER: seal_key(kek, made.issuer_key, authority_uuid, ISSUER),
        ROOT: seal_key(kek, made.root_key, authority_uuid, ROOT),
    }
    return StoredCa(config, keys)


def import_stored_authority(
    authority_uuid: str,
    cert_pem: bytes | str,
    key_pem: bytes | str,
    chain_pem: bytes | str,
    passphrase: bytes | None,
    *,
    kek: Kek,
    now: datetime | None = None,
) -> StoredCa:
    """Adopt an existing issuing CA (the checks of ``import_embedded_authority``)."""
    certificate, key, chain = validate_import(cert_pem, key_pem, chain_pem, passphrase, now)
    top = chain[-1] if chain else certificate
    config: dict[str, Any] = {
        "key_type": key_type_of(key),
        "issuer_cert_pem": _pem(certificate),
        "chain_pem": _pem(*chain),
    }
    if top.issuer == top.subject:
        config["root_cert_pem"] = _pem(top)
    return StoredCa(config, {ISSUER: seal_key(kek, key, authority_uuid, ISSUER)})


def is_stored(config: Mapping[str, Any]) -> bool:
    return "issuer_cert_pem" in config


def load_stored_issuer(
    authority_uuid: str,
    config: Mapping[str, Any],
    key_material: Mapping[str, Any],
    kek: Kek | None,
) -> Issuer:
    certificates = _certificates(config, "issuer_cert_pem")
    if len(certificates) != 1:
        raise DomainError(
            ErrorKind.SERVER_INTERNAL,
            f"authority {authority_uuid}: issuer_cert_pem must hold exactly one certificate",
        )
    sealed = key_material.get(ISSUER)
    if not isinstance(sealed, Mapping):
        raise DomainError(
            ErrorKind.SERVER_INTERNAL, f"authority {authority_uuid} has no issuing key stored"
        )
    key = open_key(kek, sealed, authority_uuid, ISSUER)
    chain = _certificates(config, "chain_pem")
    return Issuer(certificate=certificates[0], key=key, chain=tuple(chain))


def root_certificate_pem(config: Mapping[str, Any]) -> str | None:
    value = config.get("root_cert_pem")
    return value if isinstance(value, str) and value else None


def stored_from_files(
    authority_uuid: str,
    config: Mapping[str, Any],
    passphrase_lookup: PassphraseLookup,
    kek: Kek,
) -> StoredCa:
    """An Authority whose keys are in files (config with paths) as a stored one: reads the
    files (with the passphrase they were written with) and seals the keys under ``kek``.
    The files stay where they are."""
    issuer = load_issuer(config, passphrase_lookup)
    keys: dict[str, Any] = {ISSUER: seal_key(kek, issuer.key, authority_uuid, ISSUER)}
    stored: dict[str, Any] = {
        "key_type": key_type_of(issuer.key),
        "issuer_cert_pem": _pem(issuer.certificate),
        "chain_pem": _pem(*issuer.chain),
    }
    top = issuer.chain[-1] if issuer.chain else issuer.certificate
    if top.issuer == top.subject:
        stored["root_cert_pem"] = _pem(top)
    root_key = config.get("root_key")
    if isinstance(root_key, str) and root_key:
        root_files = {**config, "issuer_cert": config.get("root_cert"), "issuer_key": root_key}
        try:
            root = load_issuer({**root_files, "chain": ""}, passphrase_lookup)
        except DomainError:
            pass  # the root's key was moved offline: only the issuing key is needed
        else:
            keys[ROOT] = seal_key(kek, root.key, authority_uuid, ROOT)
    return StoredCa(stored, keys)


def _certificates(config: Mapping[str, Any], name: str) -> list[x509.Certificate]:
    value = config.get(name)
    if not isinstance(value, str):
        raise DomainError(ErrorKind.SERVER_INTERNAL, f"embedded CA config lacks {name!r}")
    return parse_certificates(value.encode("ascii"), source=name, kind=ErrorKind.SERVER_INTERNAL)
