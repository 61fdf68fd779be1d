"""Alternate chains for an embedded Authority (RFC 8555 §7.4.2): a cross-signed twin of the
issuing CA certificate.

A cross-sign is what a CA makes for a root rollover: a new root signs the *same* issuing CA
(same subject, same public key), so every leaf it issued verifies under either root. Clients
that trust only the old root take the first chain; clients that trust the new one (or that pin
it, like certbot's ``--preferred-chain``) take the alternate.

:func:`cross_sign_stored` generates a new self-signed root ("<name> Alternate Root CA <n>"), signs
the issuing CA's subject and key with it, and records the chain (the twin, then the new root)
in the Authority's config under ``alternate_chains_pem``; the new root's key is sealed under the
KEK beside the others (``alternate-root-<n>``), so the root can take over later.
:func:`alternate_chains` reads them back for the backend.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from acmehub.ca.embedded.authority import (
    BACKDATE,
    ROOT_VALIDITY,
    _ca_certificate,
    _ca_name,
)
from acmehub.ca.embedded.keys import generate_key, parse_certificates
from acmehub.ca.embedded.sealing import Kek, open_key, seal_key
from acmehub.ca.embedded.stored import ISSUER, StoredCa, is_stored
from acmehub.domain.errors import DomainError, ErrorKind

ALTERNATES = "alternate_chains_pem"
#: An Authority keeps at most this many alternate chains (a rollover needs one or two).
MAX_ALTERNATES = 4

_PEM = serialization.Encoding.PEM


def alternate_chains(config: Mapping[str, Any]) -> tuple[tuple[x509.Certificate, ...], ...]:
    """The Authority's alternate chains, each the twin of the issuing CA then its issuers."""
    raw = config.get(ALTERNATES) or []
    if not isinstance(raw, list):
        raise DomainError(ErrorKind.SERVER_INTERNAL, f"embedded CA config: {ALTERNATES} is no list")
    return tuple(
        tuple(
            parse_certificates(
                pem.encode("ascii"), source=ALTERNATES, kind=ErrorKind.SERVER_INTERNAL
            )
        )
        for pem in raw
    )


def cross_sign_stored(
    authority_uuid: str,
    config: Mapping[str, Any],
    key_material: Mapping[str, Any],
    *,
    kek: Kek,
    now: datetime,
) -> StoredCa:
    """The Authority with one more alternate chain: a new root and the issuing CA's twin
    signed by it (see the module docstring)."""
    if not is_stored(config):
        raise DomainError(
            ErrorKind.INVALID_INPUT,
            "only an Authority whose keys are in the database can be cross-signed",
            status=422,
        )
    existing = list(config.get(ALTERNATES) or [])
    if len(existing) >= MAX_ALTERNATES:
        raise DomainError(
            ErrorKind.INVALID_INPUT,
            f"the Authority has {len(existing)} alternate chains already (at most "
            f"{MAX_ALTERNATES})",
            status=422,
        )
    (issuing,) = parse_certificates(
        str(config["issuer_cert_pem"]).encode("ascii"), source="issuer_cert_pem"
    )
    issuer_key = open_key(kek, key_material[ISSUER], authority_uuid, ISSUER)
    key_type = str(config.get("key_type") or "ec-p256")
    number = len(existing) + 1
    organizations = issuing.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    name = str(organizations[0].value) if organizations else str(issuing.subject.rfc4514_string())
    root_key = generate_key(key_type)
    root_name = _ca_name(name, f"Alternate Root CA {number}")
    start = now - BACKDATE
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
    # RFC 5280 §6.1: the twin keeps the issuing CA's subject and key, so a leaf's issuer name
    # and authority key identifier lead to either certificate.
    twin = _ca_certificate(
        subject=issuing.subject,
        issuer=root_name,
        public_key_of=issuer_key,
        signer=root_key,
        issuer_certificate=root,
        not_before=start,
        not_after=min(issuing.not_valid_after_utc, start + ROOT_VALIDITY),
        path_length=0,
    )
    chain_pem = "".join(c.public_bytes(_PEM).decode("ascii") for c in (twin, root))
    role = f"alternate-root-{number}"
    return StoredCa(
        {**config, ALTERNATES: [*existing, chain_pem]},
        {**key_material, role: seal_key(kek, root_key, authority_uuid, role)},
    )
