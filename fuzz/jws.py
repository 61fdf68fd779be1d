"""Fuzz target: an ACME request body through the JWS parser and its header checks (RFC 8555
§6.2-6.5, RFC 7515 §7.2.2 flattened serialization), issue 15 §8.

Whatever a client sends, ``parse_jws`` (then ``verify_signature`` for a jwk request and
``parse_key_change`` for its payload) answers with a request or a DomainError that renders as
an ACME problem document other than serverInternal; any other exception is a crash. What it
accepts must keep the parser's promises: a supported alg, a non-empty signature, exactly one
of jwk and kid, a base64url nonce, a non-empty url.

    python fuzz/jws.py -max_total_time=120      # `make fuzz` runs every fuzz/*.py

Two shapes of input: the bytes as the request body, and a flattened JWS built from the bytes
(header members drawn from the values that matter: algorithms, a real key, a real signature),
which reaches the header checks and the signature verification far more often.
"""

from __future__ import annotations

import base64
import json
import sys
from typing import Any

import atheris

with atheris.instrument_imports():
    from acmehub.domain.errors import DomainError, ErrorKind
    from acmehub.protocol.jose_encoding import B64URL_RE
    from acmehub.protocol.jwk import ACCEPTED_ALGORITHMS
    from acmehub.protocol.jws import JwsRequest, parse_jws, parse_key_change, verify_signature
    from acmehub.protocol.problems import STATUS

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

_KEY = ec.derive_private_key(0x5EED, ec.SECP256R1())
_NUMBERS = _KEY.public_key().public_numbers()
_ALGS = ("ES256", "RS256", "EdDSA", "ES384", "none", "HS256", "", "es256", "PS256")
_URL = "https://acme.test/acme/default/new-account"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


_JWK = {
    "kty": "EC",
    "crv": "P-256",
    "x": _b64(_NUMBERS.x.to_bytes(32, "big")),
    "y": _b64(_NUMBERS.y.to_bytes(32, "big")),
}


def _es256(signing_input: bytes) -> bytes:
    r, s = decode_dss_signature(_KEY.sign(signing_input, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def _value(fdp: atheris.FuzzedDataProvider) -> Any:
    """A JSON value of any type, small."""
    choice = fdp.ConsumeIntInRange(0, 6)
    if choice == 0:
        return None
    if choice == 1:
        return fdp.ConsumeBool()
    if choice == 2:
        return fdp.ConsumeInt(4)
    if choice == 3:
        return [fdp.ConsumeUnicodeNoSurrogates(4)]
    if choice == 4:
        return {fdp.ConsumeUnicodeNoSurrogates(3): fdp.ConsumeUnicodeNoSurrogates(3)}
    return fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 24))


def _jwk(fdp: atheris.FuzzedDataProvider) -> Any:
    choice = fdp.ConsumeIntInRange(0, 4)
    if choice <= 1:
        return dict(_JWK)
    if choice == 2:  # the real key with one member changed, added or removed
        jwk: dict[str, Any] = dict(_JWK)
        member = ("kty", "crv", "x", "y", "alg", "use", "key_ops", "d", "n", "e")[
            fdp.ConsumeIntInRange(0, 9)
        ]
        if fdp.ConsumeBool():
            jwk.pop(member, None)
        else:
            jwk[member] = _value(fdp)
        return jwk
    return _value(fdp)


def _header(fdp: atheris.FuzzedDataProvider) -> dict[str, Any]:
    header: dict[str, Any] = {}
    if fdp.ConsumeIntInRange(0, 9):
        header["alg"] = _ALGS[fdp.ConsumeIntInRange(0, len(_ALGS) - 1)]
    if fdp.ConsumeIntInRange(0, 3):
        header["jwk"] = _jwk(fdp)
    if not fdp.ConsumeIntInRange(0, 3):
        header["kid"] = _value(fdp)
    if fdp.ConsumeIntInRange(0, 5):
        header["nonce"] = _b64(fdp.ConsumeBytes(16)) if fdp.ConsumeBool() else _value(fdp)
    if fdp.ConsumeIntInRange(0, 5):
        header["url"] = _URL if fdp.ConsumeBool() else _value(fdp)
    if not fdp.ConsumeIntInRange(0, 7):
        header[("crit", "b64", "typ", "cty", "x5c")[fdp.ConsumeIntInRange(0, 4)]] = _value(fdp)
    return header


def _built(fdp: atheris.FuzzedDataProvider) -> bytes:
    protected = _b64(json.dumps(_header(fdp)).encode())
    if fdp.ConsumeBool():
        payload = _b64(json.dumps({"termsOfServiceAgreed": _value(fdp)}).encode())
    else:
        payload = _b64(fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 32)))
    choice = fdp.ConsumeIntInRange(0, 3)
    if choice <= 1:
        signature = _b64(_es256(f"{protected}.{payload}".encode("ascii")))
    elif choice == 2:
        signature = ""
    else:
        signature = _b64(fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 80)))
    members: dict[str, Any] = {"protected": protected, "payload": payload, "signature": signature}
    if not fdp.ConsumeIntInRange(0, 7):
        members[fdp.ConsumeUnicodeNoSurrogates(8)] = _value(fdp)
    return json.dumps(members).encode()


def _check_refusal(error: DomainError) -> None:
    # Every refusal is the client's fault and has a problem type the edge can render.
    if error.kind is ErrorKind.SERVER_INTERNAL or error.kind not in STATUS:
        raise AssertionError(f"parser answered {error.kind}: {error.detail}")
    json.dumps(error.problem.to_json())


def _check_accepted(req: JwsRequest) -> None:
    if req.alg not in ACCEPTED_ALGORITHMS:
        raise AssertionError(f"accepted alg {req.alg!r}")
    if not req.signature:
        raise AssertionError("accepted an empty signature")
    if (req.jwk is None) == (req.kid is None):
        raise AssertionError("accepted a request without exactly one of jwk and kid")
    if not isinstance(req.url, str) or not req.url:
        raise AssertionError(f"accepted url {req.url!r}")
    if req.nonce and not B64URL_RE.fullmatch(req.nonce):
        raise AssertionError(f"accepted nonce {req.nonce!r}")


def _run(body: bytes) -> None:
    try:
        req = parse_jws(body)
        _check_accepted(req)
        if req.jwk is not None:
            verify_signature(req)
        if not req.is_post_as_get:
            parse_key_change(req)
    except DomainError as error:
        _check_refusal(error)


def TestOneInput(data: bytes) -> None:  # noqa: N802 (atheris's name)
    _run(data)
    _run(_built(atheris.FuzzedDataProvider(data)))


if __name__ == "__main__":
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()
