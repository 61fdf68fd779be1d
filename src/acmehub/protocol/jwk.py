"""Account public keys (RFC 7517 JWKs) checked against our key policy, imported once per key
(:class:`KeyCache`), with RFC 7638 thumbprints and RFC 8555 §8.1 key authorizations.

Signature verification, JWK import and thumbprints are done by jwcrypto (an untyped library:
its objects stay private to this module so ``Any`` does not leak through our API). Every
refusal is a :class:`DomainError`; the detail texts are safe to show to clients.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any, Final

from cryptography.hazmat.primitives import serialization
from jwcrypto.jwa import JWA
from jwcrypto.jwk import JWK

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.protocol.jose_encoding import b64url_decode, malformed, shown

#: The JWS algorithms accepted for account keys (RFC 8555 §6.2: ES256 MUST, EdDSA SHOULD).
#: MAC algorithms and "none" are forbidden by RFC 8555 §6.2.
ACCEPTED_ALGORITHMS: Final[tuple[str, ...]] = ("RS256", "ES256", "ES384", "ES512", "EdDSA")

#: RSA modulus bounds in bits. The upper bound caps the cost of one verification.
RSA_MIN_BITS: Final = 2048
RSA_MAX_BITS: Final = 8192

# RFC 7518 §3.4: ES* signatures are R || S, each the full size of the curve order.
_EC_CURVES: Final[dict[str, tuple[str, int]]] = {
    # crv: (alg, coordinate octets); RFC 7518 §6.2.1.2 - x and y are full-size
    "P-256": ("ES256", 32),
    "P-384": ("ES384", 48),
    "P-521": ("ES512", 66),
}
_ED25519_OCTETS: Final = 32  # RFC 8037 §2
_ED25519_SIGNATURE_OCTETS: Final = 64  # RFC 8032 §5.1.6

# Members that carry private key material (RFC 7518 §6.2.2, §6.3.2; RFC 8037 §2).
_PRIVATE_MEMBERS: Final = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})

# jwcrypto's signing engines are stateless; build each once (hot path).
_ENGINES: Final[dict[str, Any]] = {alg: JWA.signing_alg(alg) for alg in ACCEPTED_ALGORITHMS}


def bad_public_key(detail: str) -> DomainError:
    return DomainError(ErrorKind.BAD_PUBLIC_KEY, detail)


def _key_member(jwk: Mapping[str, Any], name: str) -> tuple[str, bytes]:
    value = jwk.get(name)
    if not isinstance(value, str):
        raise malformed(f'jwk has no "{name}" string')
    return value, b64url_decode(value, f'jwk "{name}"')


class PublicKey:
    """An account public key imported from a JWK (RFC 7517) and checked against our key policy.

    Holds only the public members that define the key (RFC 7638 §3.2), in canonical form, so
    equal keys have equal :meth:`thumbprint` values. Import once per request and reuse: the
    underlying jwcrypto key caches its pyca/cryptography key.
    """

    __slots__ = ("_jwk", "_key", "_signature_octets", "_thumbprint", "algorithm")

    algorithm: str
    _jwk: dict[str, str]
    _key: Any
    _signature_octets: int
    _thumbprint: str | None

    def __init__(self, members: dict[str, str], algorithm: str, signature_octets: int) -> None:
        """Private: use :meth:`from_jwk`."""
        key = JWK()
        key.import_key(**members)
        try:
            # Build the pyca key now so that invalid keys (an EC point off the curve, say)
            # are refused as badPublicKey here, not later as a failed signature.
            key.get_op_key("verify")
        except Exception:
            raise bad_public_key("jwk is not a valid public key") from None
        self._jwk = members
        self._key = key
        self._signature_octets = signature_octets
        self._thumbprint = None
        #: The one JWS "alg" this key signs with (RFC 8555 §6.2: alg must fit the key).
        self.algorithm = algorithm

    @classmethod
    def from_jwk(cls, jwk: Mapping[str, Any]) -> PublicKey:
        """Import and check a public JWK; refusals are badPublicKey (RFC 8555 §6.2) or malformed.

        Accepts RSA (2048-8192 bits), EC P-256/P-384/P-521 and OKP Ed25519. Members other than
        the key's defining ones are ignored, except "use"/"key_ops" which must allow verification.
        """
        if not isinstance(jwk, Mapping):
            raise malformed("jwk is not a JSON object")
        kty = jwk.get("kty")
        if not isinstance(kty, str):
            raise malformed('jwk has no "kty"')
        if not _PRIVATE_MEMBERS.isdisjoint(jwk):
            raise bad_public_key("jwk must be a public key: it contains private key material")
        use = jwk.get("use")
        if use is not None and use != "sig":
            raise bad_public_key('jwk "use" does not allow signatures')
        key_ops = jwk.get("key_ops")
        if key_ops is not None and (not isinstance(key_ops, list) or "verify" not in key_ops):
            raise bad_public_key('jwk "key_ops" does not allow "verify"')
        if kty == "RSA":
            return cls._rsa(jwk)
        if kty == "EC":
            return cls._ec(jwk)
        if kty == "OKP":
            return cls._okp(jwk)
        raise bad_public_key(f"unsupported key type {shown(kty)}: use RSA, EC or OKP (Ed25519)")

    @classmethod
    def _rsa(cls, jwk: Mapping[str, Any]) -> PublicKey:
        n, n_octets = _key_member(jwk, "n")
        e, e_octets = _key_member(jwk, "e")
        # RFC 7518 §6.3.1.1/§6.3.1.2: minimal octets, so one key has one encoding (RFC 7638 §3.3)
        if not n_octets or not e_octets or n_octets[0] == 0 or e_octets[0] == 0:
            raise bad_public_key("RSA jwk members must use the minimum number of octets")
        modulus = int.from_bytes(n_octets, "big")
        bits = modulus.bit_length()
        if bits < RSA_MIN_BITS or bits > RSA_MAX_BITS:
            raise bad_public_key(
                f"RSA modulus is {bits} bits; it must be {RSA_MIN_BITS} to {RSA_MAX_BITS} bits"
            )
        if modulus % 2 == 0:  # pyca does not check public moduli
            raise bad_public_key("RSA modulus must be odd")
        exponent = int.from_bytes(e_octets, "big")
        if exponent < 3 or exponent % 2 == 0 or exponent.bit_length() > 32:
            raise bad_public_key("RSA public exponent must be odd, at least 3 and below 2^32")
        return cls({"kty": "RSA", "n": n, "e": e}, "RS256", len(n_octets))

    @classmethod
    def _ec(cls, jwk: Mapping[str, Any]) -> PublicKey:
        crv = jwk.get("crv")
        if not isinstance(crv, str) or crv not in _EC_CURVES:
            raise bad_public_key(f"unsupported EC curve {shown(crv)}: use P-256, P-384 or P-521")
        alg, octets = _EC_CURVES[crv]
        (x, x_octets), (y, y_octets) = _key_member(jwk, "x"), _key_member(jwk, "y")
        # RFC 7518 §6.2.1.2/§6.2.1.3: coordinates are exactly the full size of the curve
        if len(x_octets) != octets or len(y_octets) != octets:
            raise bad_public_key(f"{crv} coordinates must be {octets} octets each")
        return cls({"kty": "EC", "crv": crv, "x": x, "y": y}, alg, 2 * octets)

    @classmethod
    def _okp(cls, jwk: Mapping[str, Any]) -> PublicKey:
        crv = jwk.get("crv")
        if crv != "Ed25519":
            # RFC 8555 §6.2 lists exactly this case as a badPublicKey example.
            raise bad_public_key(f"unsupported OKP curve {shown(crv)}: only Ed25519 is accepted")
        x, x_octets = _key_member(jwk, "x")
        if len(x_octets) != _ED25519_OCTETS:
            raise bad_public_key("Ed25519 public key must be 32 octets")
        return cls({"kty": "OKP", "crv": crv, "x": x}, "EdDSA", _ED25519_SIGNATURE_OCTETS)

    @property
    def jwk(self) -> dict[str, str]:
        """The key's defining public members (what to store for the account)."""
        return dict(self._jwk)

    def spki_sha256(self) -> str:
        """SHA-256 of the key's DER SubjectPublicKeyInfo, hex: compares with CSR and cert keys."""
        der = self._key.get_op_key("verify").public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return hashlib.sha256(der).hexdigest()

    def thumbprint(self) -> str:
        """RFC 7638 JWK thumbprint, SHA-256, unpadded base64url."""
        if self._thumbprint is None:
            self._thumbprint = str(self._key.thumbprint())
        return self._thumbprint

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PublicKey) and self._jwk == other._jwk

    def __hash__(self) -> int:
        return hash(tuple(sorted(self._jwk.items())))

    def __repr__(self) -> str:
        return f"PublicKey({self.algorithm}, {self.thumbprint()})"

    def verify(self, alg: str, signing_input: bytes, signature: bytes) -> bool:
        """True when ``signature`` is a valid ``alg`` signature of ``signing_input``.

        ``alg`` must be this key's :attr:`algorithm`: jwcrypto trusts the caller on that point.
        """
        if alg != self.algorithm:
            return False
        # RFC 7518 §3.4: an ES* signature is exactly R || S; DER or padded forms are refused.
        if len(signature) != self._signature_octets:
            return False
        try:
            _ENGINES[alg].verify(self._key, signing_input, signature)
        except Exception:  # jwcrypto and pyca raise assorted types for a bad signature
            return False
        return True


class KeyCache:
    """Account keys imported once: a stored JWK is parsed, checked and turned into a pyca key
    on an account's first request, not on every one (a JWK is immutable; a key change stores
    a new one, which is a new entry here)."""

    def __init__(self, max_entries: int = 10000) -> None:
        self._max = max_entries
        self._keys: dict[tuple[tuple[str, Any], ...], PublicKey] = {}

    def get(self, jwk: Mapping[str, Any]) -> PublicKey:
        try:
            entry = tuple(sorted(jwk.items()))
            found = self._keys.get(entry)
        except TypeError:  # unhashable members: nothing valid to cache
            return PublicKey.from_jwk(jwk)
        if found is None:
            found = PublicKey.from_jwk(jwk)
            if len(self._keys) >= self._max:
                self._keys.clear()
            self._keys[entry] = found
        return found


def jwk_thumbprint(jwk: Mapping[str, Any] | PublicKey) -> str:
    """RFC 7638 thumbprint (SHA-256, base64url) of a public JWK."""
    key = jwk if isinstance(jwk, PublicKey) else PublicKey.from_jwk(jwk)
    return key.thumbprint()


def key_authorization(token: str, jwk: Mapping[str, Any] | PublicKey) -> str:
    """RFC 8555 §8.1: token || '.' || base64url(Thumbprint(accountKey))."""
    return f"{token}.{jwk_thumbprint(jwk)}"
