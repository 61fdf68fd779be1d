"""External account binding (RFC 8555 §7.3.4): parse and verify the inner MAC JWS.

The caller owns the EAB keys: it parses the binding, looks up the MAC key by
:attr:`EabBinding.key_id` (unknown, revoked or expired keys are the caller's "unauthorized"),
then verifies the MAC::

    binding = parse_eab(outer, payload["externalAccountBinding"])
    hmac_key = eab_keys.get(binding.key_id)          # caller: unauthorized if unusable
    verify_eab(binding, hmac_key)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from jwcrypto.jwa import JWA
from jwcrypto.jwk import JWK

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.protocol.jose_encoding import b64url_decode, b64url_encode, parse_json_object
from acmehub.protocol.jwk import PublicKey
from acmehub.protocol.jws import JwsRequest, decode_protected_header

#: MAC algorithms accepted for the binding (RFC 8555 §7.3.4: "MUST indicate a MAC-based
#: algorithm"; RFC 7518 §3.2).
EAB_ALGORITHMS: Final[tuple[str, ...]] = ("HS256", "HS384", "HS512")

# RFC 7518 §3.2: the key must be at least as long as the hash output.
_MIN_KEY_OCTETS: Final = {"HS256": 32, "HS384": 48, "HS512": 64}
_ENGINES: Final[dict[str, Any]] = {alg: JWA.signing_alg(alg) for alg in EAB_ALGORITHMS}
_WHAT: Final = "externalAccountBinding"


def _malformed(detail: str) -> DomainError:
    return DomainError(ErrorKind.MALFORMED, detail)


def _unauthorized(detail: str) -> DomainError:
    # 401 like every other refused binding (services/eab.py), not the 403 default.
    return DomainError(ErrorKind.UNAUTHORIZED, detail, status=401)


@dataclass(frozen=True)
class EabBinding:
    """A structurally valid binding, already tied to the outer request's url and key."""

    #: The EAB key identifier from the inner "kid" (RFC 8555 §7.3.4: an ASCII string).
    key_id: str
    #: One of :data:`EAB_ALGORITHMS`.
    alg: str
    url: str
    #: The binding exactly as sent: the account object returns it unchanged (RFC 8555 §7.3.4).
    jws: dict[str, str] = field(repr=False)
    signature: bytes = field(repr=False)

    @property
    def signing_input(self) -> bytes:
        return f"{self.jws['protected']}.{self.jws['payload']}".encode("ascii")


def parse_eab(outer: JwsRequest, eab: object) -> EabBinding:
    """Check the binding's structure and its ties to the outer newAccount JWS (RFC 8555 §7.3.4).

    Steps 1, 2 and 5 of §7.3.4: a well-formed flattened JWS; "alg" a MAC algorithm, "kid"
    present, no "nonce", "url" equal to the outer "url" (which :func:`check_url` ties to the
    newAccount URL); the payload the same key as the outer "jwk". Structural faults are
    malformed; a binding for another url or key is unauthorized; a non-MAC or unsupported
    algorithm is badSignatureAlgorithm listing :data:`EAB_ALGORITHMS` (RFC 8555 §6.2).
    """
    if outer.key is None:
        raise _malformed(f"{_WHAT} needs a newAccount request signed with a jwk")
    if not isinstance(eab, dict):
        raise _malformed(f"{_WHAT} must be a JWS in the flattened JSON serialization")
    if "signatures" in eab:
        raise _malformed(f"{_WHAT} must use the flattened JSON serialization with one signature")
    if "header" in eab:
        raise _malformed(f"{_WHAT} must not use the unprotected header")
    if set(eab) != {"protected", "payload", "signature"}:
        raise _malformed(f"{_WHAT} must have exactly protected, payload and signature members")
    protected_b64, payload_b64, signature_b64 = eab["protected"], eab["payload"], eab["signature"]
    if not (
        isinstance(protected_b64, str)
        and isinstance(payload_b64, str)
        and isinstance(signature_b64, str)
    ):
        raise _malformed(f"{_WHAT} members must be strings")

    header = decode_protected_header(protected_b64, f"{_WHAT} protected header")
    alg = header.get("alg")
    if alg is None:
        raise _malformed(f'{_WHAT} has no "alg"')
    if not isinstance(alg, str) or alg not in EAB_ALGORITHMS:
        raise DomainError(
            ErrorKind.BAD_SIGNATURE_ALGORITHM,
            f"{_WHAT} must use a MAC algorithm: one of {', '.join(EAB_ALGORITHMS)}",
            algorithms=EAB_ALGORITHMS,
        )
    key_id = header.get("kid")
    if not isinstance(key_id, str) or not key_id or not key_id.isascii():
        raise _malformed(f'{_WHAT} "kid" must be a non-empty ASCII string')
    if "nonce" in header:
        raise _malformed(f'{_WHAT} must not carry a "nonce"')
    url = header.get("url")
    if not isinstance(url, str) or not url:
        raise _malformed(f'{_WHAT} has no "url"')
    if url != outer.url:
        raise _unauthorized(f'{_WHAT} "url" does not match the newAccount URL')

    signature = b64url_decode(signature_b64, f"{_WHAT} signature")
    if not signature:
        raise _malformed(f"{_WHAT} has an empty signature")
    # Step 5: "the payload of the JWS represents the same key as was used to verify the
    # outer JWS". Compare keys, not JSON spellings: PublicKey holds canonical members only.
    bound = parse_json_object(b64url_decode(payload_b64, f"{_WHAT} payload"), f"{_WHAT} payload")
    if bound != outer.jwk and PublicKey.from_jwk(bound) != outer.key:
        raise _unauthorized(f"{_WHAT} payload is not the account key of this request")

    return EabBinding(
        key_id=key_id,
        alg=alg,
        url=url,
        jws={"protected": protected_b64, "payload": payload_b64, "signature": signature_b64},
        signature=signature,
    )


def verify_eab(binding: EabBinding, hmac_key: bytes) -> None:
    """Verify the binding's MAC with the EAB key (RFC 8555 §7.3.4 step 4); else unauthorized."""
    if len(hmac_key) < _MIN_KEY_OCTETS[binding.alg]:
        # RFC 7518 §3.2; jwcrypto would refuse too, less clearly.
        raise _unauthorized(f"the EAB key is too short for {binding.alg}")
    key = JWK()
    key.import_key(kty="oct", k=b64url_encode(hmac_key))
    try:
        # jwcrypto's HMAC verification compares in constant time (pyca hmac.verify).
        _ENGINES[binding.alg].verify(key, binding.signing_input, binding.signature)
    except Exception:
        raise _unauthorized(f"{_WHAT} MAC verification failed") from None
