"""Request authentication for ACME (RFC 8555 §6.2-6.5): parse and verify JWS request bodies.

This module only parses and verifies. It never touches storage or nonces; the caller does::

    req = parse_jws(body)             # structure, header, alg, embedded jwk policy (§6.2)
    check_url(req, request_url)       # RFC 8555 §6.4
    key = verify_signature(req)       # jwk requests: the embedded key (RFC 7515 §5.2)
    key = verify_signature(req, account.jwk)   # kid requests: the caller looked up req.kid
    then consume req.nonce            # badNonce if unknown (RFC 8555 §6.5)

Keys and their policy are :mod:`acmehub.protocol.jwk`'s; base64url and JSON parsing are
:mod:`acmehub.protocol.jose_encoding`'s. Every refusal is a :class:`DomainError`; the detail
texts are safe to show to clients.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.protocol.jose_encoding import (
    B64URL_RE,
    b64url_decode,
    malformed,
    parse_json_object,
    shown,
)
from acmehub.protocol.jwk import ACCEPTED_ALGORITHMS, PublicKey, bad_public_key

# The three members of the flattened JSON serialization (RFC 7515 §7.2.2) as ACME allows them.
_FLATTENED_MEMBERS: Final = frozenset({"protected", "payload", "signature"})


def _bad_algorithm(detail: str) -> DomainError:
    return DomainError(ErrorKind.BAD_SIGNATURE_ALGORITHM, detail, algorithms=ACCEPTED_ALGORITHMS)


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
            raise malformed("request payload is empty but this resource needs a JSON object")
        return parse_json_object(self.payload, "payload")

    @property
    def signing_input(self) -> bytes:
        """RFC 7515 §5.1 step 5: exactly the octets that were signed."""
        return f"{self.protected_b64}.{self.payload_b64}".encode("ascii")


def _flattened_members(obj: object, what: str) -> tuple[str, str, str]:
    """The protected/payload/signature strings of a flattened JWS (RFC 8555 §6.2)."""
    if not isinstance(obj, dict):
        raise malformed(f"{what} must use the flattened JSON serialization")
    if "signatures" in obj:
        raise malformed("JWS must use the flattened JSON serialization with one signature")
    if "header" in obj:
        raise malformed("JWS must not use the unprotected header")
    if obj.keys() != _FLATTENED_MEMBERS:
        missing = sorted(_FLATTENED_MEMBERS - obj.keys())
        if missing:
            raise malformed(f"{what} has no {', '.join(missing)} member")
        extra = sorted(obj.keys() - _FLATTENED_MEMBERS)
        raise malformed(f"{what} has unexpected members: {', '.join(extra)}")
    protected, payload, signature = obj["protected"], obj["payload"], obj["signature"]
    if not (isinstance(protected, str) and isinstance(payload, str) and isinstance(signature, str)):
        raise malformed(f"{what} members must be strings")
    if not protected:
        raise malformed(f"{what} has an empty protected header")
    # An empty signature is refused in _parse, after "alg": alg "none" comes with an empty
    # signature and must be answered badSignatureAlgorithm (RFC 8555 §6.2), not malformed.
    return protected, payload, signature


def decode_protected_header(
    protected_b64: str, what: str = "JWS protected header"
) -> dict[str, Any]:
    """Decode a protected header and refuse what no ACME JWS may use (RFC 8555 §6.2)."""
    header = parse_json_object(b64url_decode(protected_b64, what), what)
    if "crit" in header:
        # RFC 7515 §4.1.11: we understand no extension, so any "crit" header is refused.
        raise malformed(f"{what}: critical extensions are not supported")
    if "b64" in header:
        # RFC 8555 §6.2: the Unencoded Payload Option (RFC 7797) MUST NOT be used.
        raise malformed(f'{what}: the "b64" header (RFC 7797) must not be used')
    return header


def _check_alg(alg: object) -> str:
    # RFC 8555 §6.2: "none" and MAC algorithms MUST NOT be used; anything else we do not
    # support is badSignatureAlgorithm with the list of algorithms we accept.
    if alg is None:
        raise malformed('JWS protected header has no "alg"')
    if not isinstance(alg, str) or alg not in ACCEPTED_ALGORITHMS:
        raise _bad_algorithm(
            f"JWS algorithm {shown(alg)} is not supported;"
            f" use one of {', '.join(ACCEPTED_ALGORITHMS)}"
        )
    return alg


def _import_embedded_key(jwk: object, alg: str) -> PublicKey:
    if not isinstance(jwk, dict):
        raise malformed('JWS "jwk" header is not a JSON object')
    key = PublicKey.from_jwk(jwk)
    if key.algorithm != alg:
        # RFC 8555 §6.2: the key is a valid key, signed with an algorithm that does not fit
        # it; as Boulder (wfe2 checkAlgorithm) we answer badSignatureAlgorithm with the list
        # of algorithms we accept (docs/acme-divergences.md).
        raise _bad_algorithm(f"JWS algorithm {alg} does not fit the jwk (it needs {key.algorithm})")
    declared = jwk.get("alg")
    if declared is not None and declared != key.algorithm:
        # The key itself says it is for another algorithm (RFC 7517 §4.4): the key is at
        # fault, badPublicKey, as in Boulder.
        raise bad_public_key(
            f"the jwk's alg {shown(declared)} does not fit the key (it needs {key.algorithm})"
        )
    return key


def _parse(obj: object, *, what: str, inner: bool) -> JwsRequest:
    protected_b64, payload_b64, signature_b64 = _flattened_members(obj, what)
    header = decode_protected_header(protected_b64, f"{what} protected header")
    alg = _check_alg(header.get("alg"))
    if not signature_b64:
        raise malformed(f"{what} has an empty signature")

    jwk, kid = header.get("jwk"), header.get("kid")
    if jwk is not None and kid is not None:
        raise malformed("jwk and kid are mutually exclusive")  # RFC 8555 §6.2
    if jwk is None and kid is None:
        raise malformed('JWS protected header must contain "jwk" or "kid"')
    if inner and jwk is None:
        raise malformed(f'{what} must carry a "jwk" header')  # RFC 8555 §7.3.5
    if kid is not None and (not isinstance(kid, str) or not kid):
        raise malformed('JWS "kid" header must be a non-empty string')

    nonce = header.get("nonce")
    if inner:
        if nonce is not None:
            raise malformed(f'{what} must not carry a "nonce" header')  # RFC 8555 §7.3.5
        nonce = ""
    else:
        if nonce is None:
            # RFC 8555 §6.5: a nonce that is "unacceptable (or not present)" is badNonce.
            raise DomainError(ErrorKind.BAD_NONCE, "JWS has no anti-replay nonce")
        # RFC 8555 §6.5.2: a nonce that is not base64url is malformed.
        if not isinstance(nonce, str) or not nonce or not B64URL_RE.fullmatch(nonce):
            raise malformed('JWS "nonce" header is not a base64url string')

    url = header.get("url")
    # RFC 8555 §6.4.1: "url" MUST be in the protected header. A JWS without it fails the
    # §6.2 criteria, so it is malformed (as in Boulder and Pebble); §6.4's "unauthorized" is
    # for a url that does not match the request URL (see check_url).
    if url is None:
        raise malformed('JWS protected header has no "url"')
    if not isinstance(url, str) or not url:
        raise malformed('JWS "url" header must be a non-empty string')

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
            raise malformed("JWS must use the flattened JSON serialization, not the compact one")
        raise malformed("request body is not a JWS in the flattened JSON serialization")
    return _parse(parse_json_object(body, "request body"), what="JWS", inner=False)


def parse_key_change(outer: JwsRequest) -> JwsRequest:
    """Parse the inner JWS of a key change (RFC 8555 §7.3.5) from the outer request's payload.

    The inner JWS must carry "jwk", no "nonce", and the outer "url"; verify it with
    ``verify_signature(inner)`` after this.
    """
    inner = _parse(outer.json_payload(), what="inner JWS", inner=True)
    if inner.url != outer.url:
        raise malformed('inner JWS "url" does not match the outer JWS')
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
            raise malformed("no key to verify the JWS with")
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
        raise malformed("JWS verification error")
    return public
