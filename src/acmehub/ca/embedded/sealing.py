"""CA keys sealed under a key-encryption key (KEK), so that the database can hold them.

Why AES-256-GCM (``AESGCM``) under a random 256-bit KEK rather than PKCS#8
``BestAvailableEncryption``: the KEK is a random key, not a password, so it needs no slow
password stretching (scrypt/PBKDF2 cost at every start for nothing); GCM authenticates the
ciphertext *and* the associated data, which is the Authority's uuid and the key's role, so a
sealed key copied onto another Authority's row (or the root key into the issuer's place) does
not open; and each sealed value names the KEK's id, so a machine with another KEK says so
instead of reporting a "damaged file". Each seal draws a fresh 96-bit nonce (NIST SP 800-38D
§8.2.2: random nonces are fine far below 2^32 seals per key).

A sealed key is a JSON object ``{"alg", "kek", "nonce", "data"}`` (base64url without padding);
the plaintext is the key's unencrypted PKCS#8 DER.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from acmehub.ca.embedded.keys import CaPrivateKey
from acmehub.domain.errors import DomainError, ErrorKind

ALGORITHM = "A256GCM"
KEK_BYTES = 32


@dataclass(frozen=True)
class Kek:
    """A key-encryption key and where it came from (for messages; the key is never printed)."""

    key: bytes = field(repr=False)
    source: str

    @property
    def id(self) -> str:
        """A short public name of the key: the same KEK on every machine has the same id."""
        return hashlib.sha256(b"acmehub-kek\x00" + self.key).hexdigest()[:16]


def parse_kek(text: str, source: str) -> Kek:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEK_BYTES:
        raise DomainError(
            ErrorKind.INVALID_INPUT,
            f"the key-encryption key in {source} must be base64 of {KEK_BYTES} bytes",
        )
    return Kek(key, source)


def new_kek_text() -> str:
    return base64.b64encode(secrets.token_bytes(KEK_BYTES)).decode("ascii")


def require_private_file(path: Path) -> None:
    """Refuse a secret file that its group or others may read or write."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise DomainError(
            ErrorKind.INVALID_INPUT,
            f"{path} holds a secret but is readable by group or others (mode {mode:04o}); "
            f"fix it with: chmod 600 {path}",
        )


def read_kek_file(path: Path) -> Kek:
    require_private_file(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise DomainError(
            ErrorKind.INVALID_INPUT, f"cannot read the key-encryption key {path}: {exc.strerror}"
        ) from exc
    return parse_kek(text, str(path))


def write_kek_file(path: Path) -> Kek:
    """A new random KEK in ``path`` (mode 0600 from creation; never overwrites)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    text = new_kek_text()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text + "\n")
    return parse_kek(text, str(path))


def _aad(authority_uuid: str, role: str) -> bytes:
    return f"acmehub-ca-key\x00{authority_uuid}\x00{role}".encode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: object) -> bytes:
    if not isinstance(text, str):
        raise ValueError("not a string")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def seal_key(kek: Kek, key: CaPrivateKey, authority_uuid: str, role: str) -> dict[str, str]:
    plain = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    nonce = secrets.token_bytes(12)
    data = AESGCM(kek.key).encrypt(nonce, plain, _aad(authority_uuid, role))
    return {"alg": ALGORITHM, "kek": kek.id, "nonce": _b64(nonce), "data": _b64(data)}


def open_key(
    kek: Kek | None, sealed: Mapping[str, Any], authority_uuid: str, role: str
) -> CaPrivateKey:
    """The key sealed by :func:`seal_key`; SERVER_INTERNAL naming the KEK ids when it does not
    open (these messages go to logs and operators, never to ACME clients)."""
    what = f"the {role} key of authority {authority_uuid}"
    if kek is None:
        raise DomainError(
            ErrorKind.SERVER_INTERNAL,
            f"{what} is sealed under key-encryption key {sealed.get('kek')}, and this machine "
            "has none: set ca_kek_file or the ca_kek_env variable",
        )
    if sealed.get("kek") != kek.id:
        raise DomainError(
            ErrorKind.SERVER_INTERNAL,
            f"{what} is sealed under key-encryption key {sealed.get('kek')}, this machine has "
            f"{kek.id} (from {kek.source})",
        )
    try:
        plain = AESGCM(kek.key).decrypt(
            _unb64(sealed.get("nonce")), _unb64(sealed.get("data")), _aad(authority_uuid, role)
        )
    except (InvalidTag, ValueError, binascii.Error) as exc:
        raise DomainError(
            ErrorKind.SERVER_INTERNAL, f"{what} does not open: damaged or not this authority's"
        ) from exc
    key = serialization.load_der_private_key(plain, None)
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise DomainError(ErrorKind.SERVER_INTERNAL, f"{what} is not an ECDSA or RSA key")
    return key
