"""Which public keys acmehub accepts: account keys (RFC 8555 §7.3, §7.3.5) and the keys of the
certificates it issues (CSR keys at finalize, RFC 8555 §7.4), as pure functions.

One policy for both, after Boulder's goodkey (read, not copied) and the CA/Browser Forum
Baseline Requirements §6.1.5-6.1.6:

* RSA: a modulus of 2048 to 4096 bits whose size is a multiple of 8, the public exponent
  65537 only, no factor below 752, not ROCA-fingerprinted and not Fermat-factorable
  (:mod:`acmehub.domain.rsa_weakness`);
* ECDSA: P-256 and P-384. pyca/cryptography loads a point only if it is on its curve, so an
  off-curve point never becomes a key (see :func:`public_key_from_jwk`);
* account keys only: P-521 and Ed25519 too. An account key only signs JWS requests and never
  appears in a certificate, so the root programs' limits on certificate keys (Mozilla's Root
  Store Policy §5.1 allows P-256 and P-384 only) do not bind it, and RFC 8555 §6.2 asks servers
  to support EdDSA. docs/acme-divergences.md says so.

Refusals are ``badPublicKey`` for account keys and ``badCSR`` for CSR keys (RFC 8555 §7.4:
"badCSR: The CSR is unacceptable (e.g., due to a short key)"), each naming what is wrong. The
key blocklist (keys of certificates revoked for keyCompromise) is storage's: the services ask
it after these checks, through :func:`blocked_key_detail`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from typing import Any, Final

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.rsa_weakness import (
    SMALL_PRIME_BOUND,
    fermat_factor,
    has_roca_fingerprint,
    small_prime_factor,
)

RSA_MIN_BITS: Final = 2048
#: Boulder's bound too: larger keys cost every verifier much and add little.
RSA_MAX_BITS: Final = 4096
RSA_EXPONENT: Final = 65537
#: Curves for certificate keys, by pyca name, with the name people know them by.
CERTIFICATE_CURVES: Final[dict[str, str]] = {
    ec.SECP256R1.name: "P-256",
    ec.SECP384R1.name: "P-384",
}
ACCOUNT_CURVES: Final[dict[str, str]] = {**CERTIFICATE_CURVES, ec.SECP521R1.name: "P-521"}
_JWK_CURVES: Final[dict[str, ec.EllipticCurve]] = {
    "P-256": ec.SECP256R1(),
    "P-384": ec.SECP384R1(),
    "P-521": ec.SECP521R1(),
}


def rsa_weakness(public_key: rsa.RSAPublicKey) -> str | None:
    """Why an RSA key is refused, or None."""
    numbers = public_key.public_numbers()
    bits = numbers.n.bit_length()
    if not RSA_MIN_BITS <= bits <= RSA_MAX_BITS or bits % 8:
        return (
            f"an RSA key of {bits} bits is not accepted: the modulus must be "
            f"{RSA_MIN_BITS} to {RSA_MAX_BITS} bits, a multiple of 8"
        )
    if numbers.e != RSA_EXPONENT:
        return f"the RSA public exponent must be {RSA_EXPONENT}, not {numbers.e}"
    factor = small_prime_factor(numbers.n)
    if factor is not None:
        return (
            f"the RSA modulus is divisible by {factor}: "
            f"it must have no prime factor below {SMALL_PRIME_BOUND}"
        )
    if has_roca_fingerprint(numbers.n):
        return (
            "the RSA key has the ROCA fingerprint (CVE-2017-15361): it was made by a "
            "vulnerable Infineon library and can be factored; make a new key"
        )
    if fermat_factor(numbers.n) is not None:
        return (
            "the RSA modulus can be factored by Fermat's method: its two primes are too "
            "close together; make a new key"
        )
    return None


def key_weakness(public_key: PublicKeyTypes, *, account_key: bool) -> str | None:
    """Why the policy refuses ``public_key`` as an account key (``account_key``) or as a
    certificate key, or None."""
    if isinstance(public_key, rsa.RSAPublicKey):
        return rsa_weakness(public_key)
    accepted = "RSA (2048-4096 bits) or ECDSA P-256/P-384"
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        curves = ACCOUNT_CURVES if account_key else CERTIFICATE_CURVES
        if public_key.curve.name in curves:
            return None
        return (
            f"an EC key on curve {public_key.curve.name} is not accepted: "
            f"only {_and(list(curves.values()))} are accepted"
        )
    if isinstance(public_key, ed25519.Ed25519PublicKey) and account_key:
        return None  # RFC 8555 §6.2 (EdDSA), RFC 8037
    if isinstance(public_key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        # BR §6.1.5 does not allow EdDSA in TLS server certificates.
        return f"EdDSA keys are not accepted in certificates; use {accepted}"
    name = type(public_key).__name__.removeprefix("_")
    return f"{name} keys are not accepted; use {accepted}"


def _and(names: list[str]) -> str:
    return ", ".join(names[:-1]) + " and " + names[-1]


def check_account_key(public_key: PublicKeyTypes) -> None:
    """Refuse an account key the policy does not accept: ``badPublicKey`` (RFC 8555 §6.7)."""
    why = key_weakness(public_key, account_key=True)
    if why is not None:
        raise DomainError(ErrorKind.BAD_PUBLIC_KEY, f"account key refused: {why}")


def check_certificate_key(public_key: PublicKeyTypes) -> None:
    """Refuse a CSR key the policy does not accept: ``badCSR`` (RFC 8555 §7.4)."""
    why = key_weakness(public_key, account_key=False)
    if why is not None:
        raise DomainError(ErrorKind.BAD_CSR, f"CSR public key refused: {why}")


def spki_sha256_hex(public_key: PublicKeyTypes) -> str:
    """SHA-256 of the key's DER SubjectPublicKeyInfo, lower-case hex.

    The same value identifies a key whether it came from a CSR, a certificate or a JWK, and it
    is what ``Certificate.key_thumbprint`` and the key blocklist store.
    """
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def blocked_key_detail(spki_sha256_hex: str) -> str:
    """The refusal's detail for a key on the blocklist."""
    return (
        f"the key (SHA-256 of its SubjectPublicKeyInfo {spki_sha256_hex}) is blocked: a "
        "certificate with this key was revoked for keyCompromise"
    )


def _b64url_int(jwk: Mapping[str, Any], name: str) -> bytes:
    value = jwk.get(name)
    if not isinstance(value, str):
        raise DomainError(ErrorKind.BAD_PUBLIC_KEY, f'the jwk has no "{name}" string')
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raise DomainError(ErrorKind.BAD_PUBLIC_KEY, f'the jwk "{name}" is not base64url') from None


def public_key_from_jwk(jwk: Mapping[str, Any]) -> PublicKeyTypes:
    """The public key a (stored or received) JWK holds (RFC 7518 §6, RFC 8037 §2).

    ``badPublicKey`` when it holds none: an unknown type or curve, or an EC point that is not on
    its curve (pyca checks the point when it builds the key).
    """
    kty = jwk.get("kty")
    try:
        if kty == "RSA":
            n, e = (int.from_bytes(_b64url_int(jwk, m), "big") for m in ("n", "e"))
            return rsa.RSAPublicNumbers(e, n).public_key()
        if kty == "EC":
            curve = _JWK_CURVES.get(str(jwk.get("crv")))
            if curve is not None:
                x, y = (int.from_bytes(_b64url_int(jwk, m), "big") for m in ("x", "y"))
                return ec.EllipticCurvePublicNumbers(x, y, curve).public_key()
        if kty == "OKP" and jwk.get("crv") == "Ed25519":
            return ed25519.Ed25519PublicKey.from_public_bytes(_b64url_int(jwk, "x"))
    except ValueError:
        raise DomainError(ErrorKind.BAD_PUBLIC_KEY, "the jwk is not a valid public key") from None
    raise DomainError(ErrorKind.BAD_PUBLIC_KEY, "the jwk's key type or curve is not supported")
