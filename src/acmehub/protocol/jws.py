"""Request authentication for ACME (RFC 8555 §6.2-6.5): parse and verify JWS request bodies.

This module only parses and verifies. It never touches storage or nonces; the caller does::

    req = parse_jws(body)             # structure, header, alg, embedded jwk policy (§6.2)
    check_url(req, request_url)       # RFC 8555 §6.4
    key = verify_signature(req)       # jwk requests: the embedded key (RFC 7515 §5.2)
    key = verify_signature(req, account.jwk)   # kid requests: the caller looked up req.kid
    then consume req.nonce            # badNonce if unknown (RFC 8555 §6.5)

Signature verification, JWK import and RFC 7638 thumbprints are done by jwcrypto (an untyped
library: its objects stay private to this module so ``Any`` does not leak through our API).
Every refusal is a :class:`DomainError`; the detail texts are safe to show to clients.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from cryptography.hazmat.primitives import serialization
from jwcrypto.jwa import JWA
from jwcrypto.jwk import JWK

from acmehub.domain.errors import DomainError, ErrorKind

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

# The three members of the flattened JSON serialization (RFC 7515 §7.2.2) as ACME allows them.
_FLATTENED_MEMBERS: Final = frozenset({"protected", "payload", "signature"})

_B64URL_RE: Final = re.compile(r"[A-Za-z0-9_-]*")
_B64URL_VALUES: Final = {
    c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
}

# jwcrypto's signing engines are stateless; build each once (hot path).
_ENGINES: Final[dict[str, Any]] = {alg: JWA.signing_alg(alg) for alg in ACCEPTED_ALGORITHMS}


def _malformed(detail: str) -> DomainError:
    return DomainError(ErrorKind.MALFORMED, detail)


def _bad_public_key(detail: str) -> DomainError:
    return DomainError(ErrorKind.BAD_PUBLIC_KEY, detail)


def _bad_algorithm(detail: str) -> DomainError:
    return DomainError(ErrorKind.BAD_SIGNATURE_ALGORITHM, detail, algorithms=ACCEPTED_ALGORITHMS)


# --- strict encodings ---------------------------------------------------------------------------


def b64url_decode(value: object, what: str) -> bytes:
    """Decode unpadded base64url strictly (RFC 8555 §6.1, RFC 7515 §2).

    Padding, characters outside the URL-safe alphabet and non-canonical trailing bits
    (RFC 4648 §3.5) are refused as malformed.
    """
    if not isinstance(value, str) or not _B64URL_RE.fullmatch(value):
        raise _malformed(f"{what} is not unpadded base64url")
    rest = len(value) % 4
    if rest == 1:
        raise _malformed(f"{what} is not unpadded base64url")
    if rest and _B64URL_VALUES[value[-1]] & (0x0F if rest == 2 else 0x03):
        raise _malformed(f"{what} is not canonical base64url")
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def b64url_encode(data: bytes) -> str:
    """Unpadded base64url (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        # RFC 7515 §5.2 step 4 lets us refuse duplicate member names; we do, everywhere.
        raise ValueError("duplicate member name")
    return obj


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # NaN, Infinity (RFC 8259 §6)


# Built once: json.loads with hooks would build a decoder per call (hot path).
_JSON: Final = json.JSONDecoder(object_pairs_hook=_unique_members, parse_constant=_refuse_constant)


def parse_json_object(data: bytes, what: str) -> dict[str, Any]:
    """Parse UTF-8 JSON text that must be an object; anything else is malformed.

    Duplicate member names and non-standard constants are refused; absurd nesting ends in
    RecursionError inside the json module, which is refused too.
    """
    try:
        value = _JSON.decode(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise _malformed(f"{what} is not valid JSON") from None
    if not isinstance(value, dict):
        raise _malformed(f"{what} is not a JSON object")
    return value


def _shown(value: object) -> str:
    """A client-supplied value quoted in a problem detail, cut short."""
    text = repr(value) if isinstance(value, str) else type(value).__name__
    return text if len(text) <= 40 else text[:37] + "..."


# --- public keys --------------------------------------------------------------------------------


def _key_member(jwk: Mapping[str, Any], name: str) -> tuple[str, bytes]:
    value = jwk.get(name)
    if not isinstance(value, str):
        raise _malformed(f'jwk has no "{name}" string')
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
            raise _bad_public_key("jwk is not a valid public key") from None
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
            raise _malformed("jwk is not a JSON object")
        kty = jwk.get("kty")
        if not isinstance(kty, str):
            raise _malformed('jwk has no "kty"')
        if not _PRIVATE_MEMBERS.isdisjoint(jwk):
            raise _bad_public_key("jwk must be a public key: it contains private key material")
        use = jwk.get("use")
        if use is not None and use != "sig":
            raise _bad_public_key('jwk "use" does not allow signatures')
        key_ops = jwk.get("key_ops")
        if key_ops is not None and (not isinstance(key_ops, list) or "verify" not in key_ops):
            raise _bad_public_key('jwk "key_ops" does not allow "verify"')
        if kty == "RSA":
            return cls._rsa(jwk)
        if kty == "EC":
            return cls._ec(jwk)
        if kty == "OKP":
            return cls._okp(jwk)
        raise _bad_public_key(f"unsupported key type {_shown(kty)}: use RSA, EC or OKP (Ed25519)")

    @classmethod
    def _rsa(cls, jwk: Mapping[str, Any]) -> PublicKey:
        n, n_octets = _key_member(jwk, "n")
        e, e_octets = _key_member(jwk, "e")
        # RFC 7518 §6.3.1.1/§6.3.1.2: minimal octets, so one key has one encoding (RFC 7638 §3.3)
        if not n_octets or not e_octets or n_octets[0] == 0 or e_octets[0] == 0:
            raise _bad_public_key("RSA jwk members must use the minimum number of octets")
        modulus = int.from_bytes(n_octets, "big")
        bits = modulus.bit_length()
        if bits < RSA_MIN_BITS or bits > RSA_MAX_BITS:
            raise _bad_public_key(
                f"RSA modulus is {bits} bits; it must be {RSA_MIN_BITS} to {RSA_MAX_BITS} bits"
            )
        if modulus % 2 == 0:  # pyca does not check public moduli
            raise _bad_public_key("RSA modulus must be odd")
        exponent = int.from_bytes(e_octets, "big")
        if exponent < 3 or exponent % 2 == 0 or exponent.bit_length() > 32:
            raise _bad_public_key("RSA public exponent must be odd, at least 3 and below 2^32")
        return cls({"kty": "RSA", "n": n, "e": e}, "RS256", len(n_octets))

    @classmethod
    def _ec(cls, jwk: Mapping[str, Any]) -> PublicKey:
        crv = jwk.get("crv")
        if not isinstance(crv, str) or crv not in _EC_CURVES:
            raise _bad_public_key(f"unsupported EC curve {_shown(crv)}: use P-256, P-384 or P-521")
        alg, octets = _EC_CURVES[crv]
        (x, x_octets), (y, y_octets) = _key_member(jwk, "x"), _key_member(jwk, "y")
        # RFC 7518 §6.2.1.2/§6.2.1.3: coordinates are exactly the full size of the curve
        if len(x_octets) != octets or len(y_octets) != octets:
            raise _bad_public_key(f"{crv} coordinates must be {octets} octets each")
        return cls({"kty": "EC", "crv": crv, "x": x, "y": y}, alg, 2 * octets)

    @classmethod
    def _okp(cls, jwk: Mapping[str, Any]) -> PublicKey:
        crv = jwk.get("crv")
        if crv != "Ed25519":
            # RFC 8555 §6.2 lists exactly this case as a badPublicKey example.
            raise _bad_public_key(f"unsupported OKP curve {_shown(crv)}: only Ed25519 is accepted")
        x, x_octets = _key_member(jwk, "x")
        if len(x_octets) != _ED25519_OCTETS:
            raise _bad_public_key("Ed25519 public key must be 32 octets")
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


# --- JWS requests -------------------------------------------------------------------------------


@dataclass(frozen=True)
class JwsRequest:
    """A parsed (not yet verified) ACME request JWS in the flattened JSON serialization."""

    alg: str
    #: The anti-replay nonce (RFC 8555 §6.5); "" only for the inner JWS of a key change.
    nonce: str
    url: str
    #: The embedded key as sent (newAccount, revokeCert by certificate key, inner key change).
    jwk: dict[str, Any] | None
    #: The account URL (all other requests).
    kid: str | None
    #: The decoded payload; b"" for POST-as-GET (RFC 8555 §6.3).
    payload: bytes
    #: The whole decoded protected header.
    protected: dict[str, Any] = field(repr=False)
    protected_b64: str = field(repr=False)
    payload_b64: str = field(repr=False)
    signature: bytes = field(repr=False)
    #: ``jwk`` imported and checked against ``alg``; None for kid requests.
    key: PublicKey | None = field(default=None, repr=False, compare=False)

    @property
    def is_post_as_get(self) -> bool:
        """RFC 8555 §6.3: a zero-length payload means POST-as-GET."""
        return self.payload == b""

    def json_payload(self) -> dict[str, Any]:
        """The payload as a JSON object; POST-as-GET or any other JSON value is malformed."""
        if self.is_post_as_get:
            raise _malformed("request payload is empty but this resource needs a JSON object")
        return parse_json_object(self.payload, "payload")

    @property
    def signing_input(self) -> bytes:
        """RFC 7515 §5.1 step 5: exactly the octets that were signed."""
        return f"{self.protected_b64}.{self.payload_b64}".encode("ascii")


def _flattened_members(obj: object, what: str) -> tuple[str, str, str]:
    """The protected/payload/signature strings of a flattened JWS (RFC 8555 §6.2)."""
    if not isinstance(obj, dict):
        raise _malformed(f"{what} must use the flattened JSON serialization")
    if "signatures" in obj:
        raise _malformed("JWS must use the flattened JSON serialization with one signature")
    if "header" in obj:
        raise _malformed("JWS must not use the unprotected header")
    if obj.keys() != _FLATTENED_MEMBERS:
        missing = sorted(_FLATTENED_MEMBERS - obj.keys())
        if missing:
            raise _malformed(f"{what} has no {', '.join(missing)} member")
        extra = sorted(obj.keys() - _FLATTENED_MEMBERS)
        raise _malformed(f"{what} has unexpected members: {', '.join(extra)}")
    protected, payload, signature = obj["protected"], obj["payload"], obj["signature"]
    if not (isinstance(protected, str) and isinstance(payload, str) and isinstance(signature, str)):
        raise _malformed(f"{what} members must be strings")
    if not protected:
        raise _malformed(f"{what} has an empty protected header")
    if not signature:
        raise _malformed(f"{what} has an empty signature")
    return protected, payload, signature


def decode_protected_header(
    protected_b64: str, what: str = "JWS protected header"
) -> dict[str, Any]:
    """Decode a protected header and refuse what no ACME JWS may use (RFC 8555 §6.2)."""
    header = parse_json_object(b64url_decode(protected_b64, what), what)
    if "crit" in header:
        # RFC 7515 §4.1.11: we understand no extension, so any "crit" header is refused.
        raise _malformed(f"{what}: critical extensions are not supported")
    if "b64" in header:
        # RFC 8555 §6.2: the Unencoded Payload Option (RFC 7797) MUST NOT be used.
        raise _malformed(f'{what}: the "b64" header (RFC 7797) must not be used')
    return header


def _check_alg(alg: object) -> str:
    # RFC 8555 §6.2: "none" and MAC algorithms MUST NOT be used; anything else we do not
    # support is badSignatureAlgorithm with the list of algorithms we accept.
    if alg is None:
        raise _malformed('JWS protected header has no "alg"')
    if not isinstance(alg, str) or alg not in ACCEPTED_ALGORITHMS:
        raise _bad_algorithm(
            f"JWS algorithm {_shown(alg)} is not supported;"
            f" use one of {', '.join(ACCEPTED_ALGORITHMS)}"
        )
    return alg


def _import_embedded_key(jwk: object, alg: str) -> PublicKey:
    if not isinstance(jwk, dict):
        raise _malformed('JWS "jwk" header is not a JSON object')
    key = PublicKey.from_jwk(jwk)
    declared = jwk.get("alg")
    if declared is not None and declared != alg:
        raise _bad_algorithm(f"JWS algorithm {alg} does not match the jwk's alg {_shown(declared)}")
    if key.algorithm != alg:
        # RFC 8555 §6.2 lists 'alg is "ES256" but "jwk" does not contain a valid P-256 public
        # key' as a badPublicKey example; we follow it.
        raise _bad_public_key(
            f"JWS algorithm {alg} does not fit the jwk (it needs {key.algorithm})"
        )
    return key


def _parse(obj: object, *, what: str, inner: bool) -> JwsRequest:
    protected_b64, payload_b64, signature_b64 = _flattened_members(obj, what)
    header = decode_protected_header(protected_b64, f"{what} protected header")
    alg = _check_alg(header.get("alg"))

    jwk, kid = header.get("jwk"), header.get("kid")
    if jwk is not None and kid is not None:
        raise _malformed("jwk and kid are mutually exclusive")  # RFC 8555 §6.2
    if jwk is None and kid is None:
        raise _malformed('JWS protected header must contain "jwk" or "kid"')
    if inner and jwk is None:
        raise _malformed(f'{what} must carry a "jwk" header')  # RFC 8555 §7.3.5
    if kid is not None and (not isinstance(kid, str) or not kid):
        raise _malformed('JWS "kid" header must be a non-empty string')

    nonce = header.get("nonce")
    if inner:
        if nonce is not None:
            raise _malformed(f'{what} must not carry a "nonce" header')  # RFC 8555 §7.3.5
        nonce = ""
    else:
        if nonce is None:
            # RFC 8555 §6.5: a nonce that is "unacceptable (or not present)" is badNonce.
            raise DomainError(ErrorKind.BAD_NONCE, "JWS has no anti-replay nonce")
        # RFC 8555 §6.5.2: a nonce that is not base64url is malformed.
        if not isinstance(nonce, str) or not nonce or not _B64URL_RE.fullmatch(nonce):
            raise _malformed('JWS "nonce" header is not a base64url string')

    url = header.get("url")
    # RFC 8555 §6.4.1: "url" MUST be in the protected header. A JWS without it fails the
    # §6.2 criteria, so it is malformed (as in Boulder and Pebble); §6.4's "unauthorized" is
    # for a url that does not match the request URL (see check_url).
    if url is None:
        raise _malformed('JWS protected header has no "url"')
    if not isinstance(url, str) or not url:
        raise _malformed('JWS "url" header must be a non-empty string')

    key = _import_embedded_key(jwk, alg) if jwk is not None else None
    payload = b64url_decode(payload_b64, f"{what} payload")
    signature = b64url_decode(signature_b64, f"{what} signature")
    return JwsRequest(
        alg=alg,
        nonce=nonce,
        url=url,
        jwk=jwk,
        kid=kid,
        payload=payload,
        protected=header,
        protected_b64=protected_b64,
        payload_b64=payload_b64,
        signature=signature,
        key=key,
    )


def parse_jws(body: bytes) -> JwsRequest:
    """Parse an ACME request body (RFC 8555 §6.2); the signature is not verified yet.

    Limiting the body size is the caller's job.
    """
    stripped = body.strip()
    if stripped[:1] != b"{":
        if stripped.count(b".") == 2:
            raise _malformed("JWS must use the flattened JSON serialization, not the compact one")
        raise _malformed("request body is not a JWS in the flattened JSON serialization")
    return _parse(parse_json_object(body, "request body"), what="JWS", inner=False)


def parse_key_change(outer: JwsRequest) -> JwsRequest:
    """Parse the inner JWS of a key change (RFC 8555 §7.3.5) from the outer request's payload.

    The inner JWS must carry "jwk", no "nonce", and the outer "url"; verify it with
    ``verify_signature(inner)`` after this.
    """
    inner = _parse(outer.json_payload(), what="inner JWS", inner=True)
    if inner.url != outer.url:
        raise _malformed('inner JWS "url" does not match the outer JWS')
    return inner


def check_url(req: JwsRequest, request_url: str) -> None:
    """RFC 8555 §6.4: the "url" header must equal the request URL string, else unauthorized."""
    if req.url != request_url:
        raise DomainError(
            ErrorKind.UNAUTHORIZED, "url in JWS header does not match the request URL"
        )


def verify_signature(
    req: JwsRequest, key: PublicKey | Mapping[str, Any] | None = None
) -> PublicKey:
    """Verify the JWS signature (RFC 7515 §5.2) and return the key that verified it.

    ``key`` is the account key for kid requests (a :class:`PublicKey`, best cached by the
    caller, or the stored JWK); leave it out for jwk requests to use the embedded key.
    A signature that does not verify is malformed "JWS verification error" (as in Boulder).
    """
    if key is None or (req.key is not None and (key is req.jwk or key == req.jwk)):
        if req.key is None:
            raise _malformed("no key to verify the JWS with")
        public = req.key
    elif isinstance(key, PublicKey):
        public = key
    else:
        public = PublicKey.from_jwk(key)
    if public.algorithm != req.alg:
        raise _bad_algorithm(
            f"JWS algorithm {req.alg} does not fit the account key (it needs {public.algorithm})"
        )
    if not public.verify(req.alg, req.signing_input, req.signature):
        raise _malformed("JWS verification error")
    return public
