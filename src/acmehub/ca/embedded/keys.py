"""CA key material: generation, PEM files written private from the start, loading, digests."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Literal, TypeAlias, get_args

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from acmehub.domain.errors import DomainError, ErrorKind

KeyType: TypeAlias = Literal["ec-p256", "ec-p384", "rsa-3072"]
KEY_TYPES: tuple[str, ...] = get_args(KeyType)

#: Private keys a CA may sign with.
CaPrivateKey: TypeAlias = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
CaPublicKey: TypeAlias = ec.EllipticCurvePublicKey | rsa.RSAPublicKey

#: Given the name of the environment variable that holds a CA key passphrase (the config's
#: ``passphrase_env``), returns the passphrase, or None when it is not set. Injected, so that
#: library code never reads the process environment itself; see :func:`environ_passphrases`.
PassphraseLookup: TypeAlias = Callable[[str], bytes | None]

_PRIVATE_FILE_MODE = 0o600
_PUBLIC_FILE_MODE = 0o644


def environ_passphrases(environ: Mapping[str, str]) -> PassphraseLookup:
    """A :data:`PassphraseLookup` over an environment mapping (bootstrap passes ``os.environ``)."""

    def lookup(name: str) -> bytes | None:
        value = environ.get(name)
        return value.encode() if value else None

    return lookup


def no_passphrases(name: str) -> bytes | None:
    """A :data:`PassphraseLookup` that knows no passphrase."""
    return None


def generate_key(key_type: str) -> CaPrivateKey:
    if key_type == "ec-p256":
        return ec.generate_private_key(ec.SECP256R1())
    if key_type == "ec-p384":
        return ec.generate_private_key(ec.SECP384R1())
    if key_type == "rsa-3072":
        return rsa.generate_private_key(public_exponent=65537, key_size=3072)
    raise DomainError(
        ErrorKind.INVALID_INPUT,
        f"unknown CA key type {key_type!r}; expected one of {', '.join(KEY_TYPES)}",
    )


def key_type_of(key: object) -> str:
    """ "ec-p256", "ec-p384" or "rsa-<bits>"; INVALID_INPUT when acmehub cannot sign with it."""
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        if isinstance(key.curve, ec.SECP256R1):
            return "ec-p256"
        if isinstance(key.curve, ec.SECP384R1):
            return "ec-p384"
    elif isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey) and key.key_size >= 2048:
        return f"rsa-{key.key_size}"
    raise DomainError(
        ErrorKind.INVALID_INPUT,
        "CA key must be ECDSA P-256/P-384 or RSA of 2048 bits or more",
    )


def signature_hash(key: CaPrivateKey) -> hashes.SHA256 | hashes.SHA384:
    """The digest matched to the CA key's strength: SHA-384 for P-384, SHA-256 otherwise."""
    if isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP384R1):
        return hashes.SHA384()
    return hashes.SHA256()


def private_key_pem(key: CaPrivateKey, passphrase: bytes | None) -> bytes:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def write_private_file(path: Path, data: bytes) -> None:
    """Create ``path`` readable by its owner only (mode 0600 from creation, never wider).

    Refuses to overwrite: losing a CA key to a mistyped directory is not recoverable.
    """
    _write_new(path, data, _PRIVATE_FILE_MODE)


def write_public_file(path: Path, data: bytes) -> None:
    _write_new(path, data, _PUBLIC_FILE_MODE)


def _write_new(path: Path, data: bytes, mode: int) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError as exc:
        raise DomainError(ErrorKind.CONFLICT, f"{path} already exists; not overwriting it") from exc
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def load_private_key(path: Path, passphrase: bytes | None) -> CaPrivateKey:
    """Load a CA key from PEM, with clear errors for a missing or wrong passphrase."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DomainError(
            ErrorKind.SERVER_INTERNAL, f"cannot read CA key {path}: {exc.strerror}"
        ) from exc
    return parse_private_key(data, passphrase, source=str(path))


def parse_private_key(
    data: bytes,
    passphrase: bytes | None,
    *,
    source: str,
    kind: ErrorKind = ErrorKind.SERVER_INTERNAL,
) -> CaPrivateKey:
    """Decode a PEM private key; ``passphrase`` is used only when the key is encrypted.

    ``kind`` is the error kind raised: SERVER_INTERNAL for configured keys, INVALID_INPUT for
    keys an operator is importing.
    """
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        # Encrypted: "Password was not given but private key is encrypted".
        if not passphrase:
            raise DomainError(
                kind,
                f"CA key {source} is encrypted and no passphrase was provided",
            ) from None
        try:
            key = serialization.load_pem_private_key(data, password=passphrase)
        except ValueError as exc:
            raise DomainError(
                kind,
                f"cannot decrypt CA key {source}: wrong passphrase or damaged file",
            ) from exc
    except ValueError as exc:
        raise DomainError(kind, f"CA key {source} is not a PEM private key") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise DomainError(
            kind,
            f"CA key {source} must be ECDSA or RSA, not {type(key).__name__}",
        )
    return key


def load_certificates(path: Path) -> list[x509.Certificate]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DomainError(
            ErrorKind.SERVER_INTERNAL, f"cannot read CA certificate file {path}: {exc.strerror}"
        ) from exc
    return parse_certificates(data, source=str(path), kind=ErrorKind.SERVER_INTERNAL)


def parse_certificates(
    data: bytes, *, source: str, kind: ErrorKind = ErrorKind.INVALID_INPUT
) -> list[x509.Certificate]:
    """All PEM certificates in ``data``, in order (none for blank input)."""
    if not data.strip():
        return []
    try:
        return x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise DomainError(kind, f"{source} does not hold PEM certificates") from exc


def key_matches_certificate(key: CaPrivateKey, certificate: x509.Certificate) -> bool:
    """Whether ``key`` is the private half of the certificate's public key."""
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    return key.public_key().public_bytes(der, spki) == certificate.public_key().public_bytes(
        der, spki
    )
