"""Request authentication: RFC 8555 §6.2-6.5, §7.3.4 (EAB), §7.3.5 (key change), RFC 7638."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from acme import jws as acme_jws
from acme import messages as acme_messages
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from josepy import b64 as jose_b64
from josepy import jwa as jose_jwa
from josepy import jwk as jose_jwk

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.protocol.eab import EAB_ALGORITHMS, parse_eab, verify_eab
from acmehub.protocol.jose_encoding import b64url_decode
from acmehub.protocol.jwk import ACCEPTED_ALGORITHMS, PublicKey, jwk_thumbprint, key_authorization
from acmehub.protocol.jws import (
    JwsRequest,
    check_url,
    parse_jws,
    parse_key_change,
    verify_signature,
)
from tests.jws_signer import ALGORITHMS, AccountKey, b64url, flattened, json_b64, sign_eab

NEW_ACCOUNT = "https://acme.test/acme/new-account"
ACCOUNT = "https://acme.test/acme/acct/1"
ORDER = "https://acme.test/acme/order/7"
NONCE = "6S8IqOGY7eL2lsGoTZYifg"
HMAC_KEY = bytes(range(64))

# RFC 7638 §3.1
RFC7638_JWK = {
    "kty": "RSA",
    "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc"
    "_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0"
    "_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI"
    "4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
    "e": "AQAB",
    "alg": "RS256",
    "kid": "2011-04-29",
}
RFC7638_THUMBPRINT = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


@pytest.fixture(scope="module")
def keys() -> dict[str, AccountKey]:
    return {alg: AccountKey.generate(alg) for alg in ALGORITHMS}


@pytest.fixture
def es256(keys: dict[str, AccountKey]) -> AccountKey:
    return keys["ES256"]


def authenticate(body: bytes) -> JwsRequest:
    """Parse, and verify jwk requests (kid requests need the account key: tests do that)."""
    req = parse_jws(body)
    if req.key is not None:
        verify_signature(req)
    return req


def refused(body: bytes, kind: ErrorKind) -> DomainError:
    with pytest.raises(DomainError) as info:
        authenticate(body)
    assert info.value.kind is kind, info.value
    return info.value


def header(key: AccountKey, **changes: Any) -> dict[str, Any]:
    """A valid jwk protected header, then ``changes`` (a None value removes the member)."""
    protected: dict[str, Any] = {
        "alg": key.alg,
        "jwk": key.jwk_public(),
        "nonce": NONCE,
        "url": NEW_ACCOUNT,
    }
    protected.update(changes)
    return {name: value for name, value in protected.items() if value is not None}


# --- acceptance ---------------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_jwk_request_verifies_for_every_algorithm(keys: dict[str, AccountKey], alg: str) -> None:
    key = keys[alg]
    req = parse_jws(key.sign(NEW_ACCOUNT, NONCE, {"termsOfServiceAgreed": True}))

    assert (req.alg, req.nonce, req.url, req.kid) == (alg, NONCE, NEW_ACCOUNT, None)
    assert req.jwk == key.jwk_public()
    assert req.json_payload() == {"termsOfServiceAgreed": True}
    assert not req.is_post_as_get
    public = verify_signature(req)
    assert public is req.key
    assert public.algorithm == alg
    assert public.thumbprint() == key.thumbprint()
    check_url(req, NEW_ACCOUNT)


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_kid_post_as_get_verifies_with_the_stored_key(
    keys: dict[str, AccountKey], alg: str
) -> None:
    key = keys[alg]
    req = parse_jws(key.sign(ORDER, NONCE, b"", kid=ACCOUNT))

    assert req.kid == ACCOUNT
    assert req.jwk is None
    assert req.key is None
    assert req.is_post_as_get
    assert req.payload == b""
    stored = PublicKey.from_jwk(key.jwk_public()).jwk  # what the account repository keeps
    assert verify_signature(req, stored).thumbprint() == key.thumbprint()
    assert verify_signature(req, PublicKey.from_jwk(stored)).algorithm == alg


def test_verify_reuses_the_key_imported_by_parse(es256: AccountKey) -> None:
    req = parse_jws(es256.sign(NEW_ACCOUNT, NONCE, {}))
    assert verify_signature(req, req.jwk) is req.key
    assert verify_signature(req, dict(es256.jwk_public())) is req.key


def test_unknown_jwk_members_are_ignored(es256: AccountKey) -> None:
    jwk = {**es256.jwk_public(), "kid": "mine", "use": "sig", "generate": "RSA", "size": 16384}
    req = parse_jws(es256.sign_raw_body(header(es256, jwk=jwk), {}))
    assert verify_signature(req).jwk == es256.jwk_public()


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_spki_sha256_matches_the_private_key(keys: dict[str, AccountKey], alg: str) -> None:
    spki = (
        keys[alg]
        .private_key()
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    public = PublicKey.from_jwk(keys[alg].jwk_public())
    assert public.spki_sha256() == hashlib.sha256(spki).hexdigest()


# --- RFC 7638 thumbprints -------------------------------------------------------------------------


def test_thumbprint_of_the_rfc_7638_example() -> None:
    assert jwk_thumbprint(RFC7638_JWK) == RFC7638_THUMBPRINT
    assert key_authorization("tok3n", RFC7638_JWK) == f"tok3n.{RFC7638_THUMBPRINT}"


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_thumbprint_is_sha256_of_the_required_members(
    keys: dict[str, AccountKey], alg: str
) -> None:
    jwk = keys[alg].jwk_public()
    required = {
        "RSA": ("e", "kty", "n"),
        "EC": ("crv", "kty", "x", "y"),
        "OKP": ("crv", "kty", "x"),
    }
    canonical = json.dumps({m: jwk[m] for m in required[jwk["kty"]]}, separators=(",", ":"))
    expected = b64url(hashlib.sha256(canonical.encode()).digest())

    assert jwk_thumbprint(jwk) == expected
    assert jwk_thumbprint(PublicKey.from_jwk(jwk)) == expected
    assert key_authorization("abc", jwk) == f"abc.{expected}"


@pytest.mark.parametrize("alg", ["RS256", "ES256", "ES384", "ES512"])
def test_thumbprint_matches_josepy(keys: dict[str, AccountKey], alg: str) -> None:
    josepy_key = jose_jwk.JWK.load(keys[alg].jwk.export_to_pem(private_key=True, password=None))
    assert jwk_thumbprint(keys[alg].jwk_public()) == b64url(josepy_key.public_key().thumbprint())


# --- interoperability with the acme/josepy client library (certbot) ------------------------------


@pytest.mark.parametrize(
    ("alg", "jose_alg"), [("ES256", jose_jwa.ES256), ("RS256", jose_jwa.RS256)]
)
def test_acme_library_requests_verify(
    keys: dict[str, AccountKey], alg: str, jose_alg: jose_jwa.JWASignature
) -> None:
    client_key = jose_jwk.JWK.load(keys[alg].jwk.export_to_pem(private_key=True, password=None))
    nonce = jose_b64.b64decode(NONCE)

    new_account = acme_jws.JWS.sign(
        json.dumps({"termsOfServiceAgreed": True}).encode(),
        client_key,
        jose_alg,
        nonce,
        NEW_ACCOUNT,
    )
    req = parse_jws(new_account.json_dumps(indent=2).encode())
    account_key = verify_signature(req)
    assert req.json_payload() == {"termsOfServiceAgreed": True}
    assert account_key.thumbprint() == b64url(client_key.public_key().thumbprint())

    post_as_get = acme_jws.JWS.sign(b"", client_key, jose_alg, nonce, ORDER, kid=ACCOUNT)
    req = parse_jws(post_as_get.json_dumps().encode())
    assert req.is_post_as_get
    verify_signature(req, account_key.jwk)


def test_acme_library_eab_verifies(es256: AccountKey) -> None:
    client_key = jose_jwk.JWK.load(es256.jwk.export_to_pem(private_key=True, password=None))
    directory = acme_messages.Directory.from_json({"newAccount": NEW_ACCOUNT})
    eab = acme_messages.ExternalAccountBinding.from_data(
        client_key.public_key(), "kid-1", jose_b64.b64encode(HMAC_KEY[:32]).decode(), directory
    )
    outer = parse_jws(es256.sign(NEW_ACCOUNT, NONCE, {"externalAccountBinding": eab}))

    binding = parse_eab(outer, outer.json_payload()["externalAccountBinding"])
    verify_eab(binding, HMAC_KEY[:32])
    assert (binding.key_id, binding.alg, binding.jws) == ("kid-1", "HS256", eab)


# --- algorithm refusals ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "alg", ["none", "HS256", "HS384", "HS512", "RS384", "PS256", "ES256K", "Ed25519", ""]
)
def test_unsupported_algorithms_are_bad_signature_algorithm(es256: AccountKey, alg: str) -> None:
    parts = es256.sign_raw(header(es256, alg=alg), {})
    if alg == "none":
        parts["signature"] = b64url(b"\0")
    error = refused(flattened(**parts), ErrorKind.BAD_SIGNATURE_ALGORITHM)
    assert error.algorithms == ACCEPTED_ALGORITHMS


@pytest.mark.parametrize("alg", ["none", "HS256"])
def test_unsupported_algorithm_with_empty_signature_is_bad_signature_algorithm(
    es256: AccountKey, alg: str
) -> None:
    # RFC 8555 §6.2: alg "none" comes with an empty signature (RFC 7518 §3.6); the algorithm
    # is what is wrong, so it is badSignatureAlgorithm, not a malformed empty signature.
    parts = es256.sign_raw(header(es256, alg=alg), {})
    parts["signature"] = ""
    error = refused(flattened(**parts), ErrorKind.BAD_SIGNATURE_ALGORITHM)
    assert error.algorithms == ACCEPTED_ALGORITHMS


def test_empty_signature_with_a_supported_alg_is_malformed(es256: AccountKey) -> None:
    parts = es256.sign_raw(header(es256), {})
    parts["signature"] = ""
    assert "empty signature" in refused(flattened(**parts), ErrorKind.MALFORMED).detail


def test_hs256_kid_request_is_bad_signature_algorithm() -> None:
    protected = json_b64({"alg": "HS256", "kid": ACCOUNT, "nonce": NONCE, "url": ORDER})
    error = refused(
        flattened(protected, "", b64url(b"mac" * 11)), ErrorKind.BAD_SIGNATURE_ALGORITHM
    )
    assert error.algorithms == ACCEPTED_ALGORITHMS


def test_missing_alg_is_malformed(es256: AccountKey) -> None:
    refused(es256.sign_raw_body(header(es256, alg=None), {}), ErrorKind.MALFORMED)


@pytest.mark.parametrize(
    ("claimed", "signer"),
    [("ES256", "RS256"), ("ES384", "ES256"), ("RS256", "EdDSA"), ("EdDSA", "ES512")],
)
def test_alg_not_fitting_the_jwk_is_bad_signature_algorithm(
    keys: dict[str, AccountKey], claimed: str, signer: str
) -> None:
    # As Boulder: the key is fine, the algorithm does not fit it (docs/acme-divergences.md).
    key = keys[signer]
    error = refused(
        key.sign_raw_body(header(key, alg=claimed), {}), ErrorKind.BAD_SIGNATURE_ALGORITHM
    )
    assert claimed in error.detail
    assert error.algorithms == ACCEPTED_ALGORITHMS


def test_alg_not_fitting_the_account_key_is_bad_signature_algorithm(
    keys: dict[str, AccountKey],
) -> None:
    req = parse_jws(keys["ES256"].sign(ORDER, NONCE, b"", kid=ACCOUNT))
    with pytest.raises(DomainError) as info:
        verify_signature(req, keys["RS256"].jwk_public())
    assert info.value.kind is ErrorKind.BAD_SIGNATURE_ALGORITHM
    assert info.value.algorithms == ACCEPTED_ALGORITHMS


def test_jwk_alg_member_must_match(es256: AccountKey) -> None:
    # The key declares another algorithm than its own (RFC 7517 §4.4): the key is at fault,
    # badPublicKey, as in Boulder.
    jwk = {**es256.jwk_public(), "alg": "ES384"}
    error = refused(es256.sign_raw_body(header(es256, jwk=jwk), {}), ErrorKind.BAD_PUBLIC_KEY)
    assert "'ES384'" in error.detail


# --- header refusals ------------------------------------------------------------------------------


def test_jwk_and_kid_together_are_malformed(es256: AccountKey) -> None:
    error = refused(es256.sign_raw_body(header(es256, kid=ACCOUNT), {}), ErrorKind.MALFORMED)
    assert error.detail == "jwk and kid are mutually exclusive"


def test_neither_jwk_nor_kid_is_malformed(es256: AccountKey) -> None:
    refused(es256.sign_raw_body(header(es256, jwk=None), {}), ErrorKind.MALFORMED)


@pytest.mark.parametrize("kid", ["", 7, ["a"]])
def test_kid_must_be_a_string(es256: AccountKey, kid: object) -> None:
    refused(es256.sign_raw_body(header(es256, jwk=None, kid=kid), {}), ErrorKind.MALFORMED)


def test_missing_nonce_is_bad_nonce(es256: AccountKey) -> None:
    # RFC 8555 §6.5: an unacceptable "(or not present)" nonce is badNonce.
    refused(es256.sign_raw_body(header(es256, nonce=None), {}), ErrorKind.BAD_NONCE)


@pytest.mark.parametrize("nonce", ["", "not base64!", "YWJj=", 12, {"n": 1}])
def test_nonce_that_is_not_base64url_is_malformed(es256: AccountKey, nonce: object) -> None:
    # RFC 8555 §6.5.2
    refused(es256.sign_raw_body(header(es256, nonce=nonce), {}), ErrorKind.MALFORMED)


def test_missing_url_is_malformed(es256: AccountKey) -> None:
    refused(es256.sign_raw_body(header(es256, url=None), {}), ErrorKind.MALFORMED)


@pytest.mark.parametrize("url", ["", 1, [NEW_ACCOUNT]])
def test_url_must_be_a_string(es256: AccountKey, url: object) -> None:
    refused(es256.sign_raw_body(header(es256, url=url), {}), ErrorKind.MALFORMED)


def test_url_not_matching_the_request_is_unauthorized(es256: AccountKey) -> None:
    req = parse_jws(es256.sign(NEW_ACCOUNT, NONCE, {}))
    with pytest.raises(DomainError) as info:
        check_url(req, NEW_ACCOUNT + "/")  # RFC 8555 §6.4: exact string equality
    assert info.value.kind is ErrorKind.UNAUTHORIZED
    assert info.value.detail == "url in JWS header does not match the request URL"


@pytest.mark.parametrize("crit", [["exp"], ["b64"], [], "x"])
def test_crit_header_is_refused(es256: AccountKey, crit: object) -> None:
    refused(es256.sign_raw_body(header(es256, crit=crit, exp=1), {}), ErrorKind.MALFORMED)


def test_unencoded_payload_option_is_refused(es256: AccountKey) -> None:
    refused(es256.sign_raw_body(header(es256, b64=True), {}), ErrorKind.MALFORMED)


def test_duplicate_header_members_are_malformed(es256: AccountKey) -> None:
    text = json.dumps(header(es256))[:-1] + f', "url": "{ORDER}"}}'
    refused(es256.sign_raw_body(b64url(text.encode()), {}), ErrorKind.MALFORMED)


@pytest.mark.parametrize("protected", [b"[1, 2]", b"not json", b"\xff\xfe", b'"alg"'])
def test_protected_header_must_be_a_json_object(es256: AccountKey, protected: bytes) -> None:
    refused(es256.sign_raw_body(b64url(protected), {}), ErrorKind.MALFORMED)


# --- serialization refusals -----------------------------------------------------------------------


def test_general_serialization_is_malformed(es256: AccountKey) -> None:
    parts = es256.sign_raw(header(es256), {})
    body = json.dumps(
        {
            "payload": parts["payload"],
            "signatures": [{"protected": parts["protected"], "signature": parts["signature"]}],
        }
    ).encode()
    error = refused(body, ErrorKind.MALFORMED)
    assert error.detail == "JWS must use the flattened JSON serialization with one signature"


def test_compact_serialization_is_malformed(es256: AccountKey) -> None:
    parts = es256.sign_raw(header(es256), {})
    compact = ".".join((parts["protected"], parts["payload"], parts["signature"])).encode()
    assert "compact" in refused(compact, ErrorKind.MALFORMED).detail


def test_unprotected_header_is_malformed(es256: AccountKey) -> None:
    body = flattened(**es256.sign_raw(header(es256), {}), header={"kid": ACCOUNT})
    assert "unprotected" in refused(body, ErrorKind.MALFORMED).detail


@pytest.mark.parametrize("member", ["protected", "payload", "signature"])
def test_missing_member_is_malformed(es256: AccountKey, member: str) -> None:
    parts: dict[str, Any] = es256.sign_raw(header(es256), {})
    del parts[member]
    refused(json.dumps(parts).encode(), ErrorKind.MALFORMED)


def test_extra_member_is_malformed(es256: AccountKey) -> None:
    refused(flattened(**es256.sign_raw(header(es256), {}), extra=1), ErrorKind.MALFORMED)


@pytest.mark.parametrize("member", ["protected", "payload", "signature"])
def test_members_must_be_strings(es256: AccountKey, member: str) -> None:
    parts: dict[str, Any] = es256.sign_raw(header(es256), {})
    parts[member] = {"x": 1}
    refused(json.dumps(parts).encode(), ErrorKind.MALFORMED)


@pytest.mark.parametrize("member", ["protected", "signature"])
def test_empty_protected_or_signature_is_malformed(es256: AccountKey, member: str) -> None:
    parts = es256.sign_raw(header(es256), {})
    parts[member] = ""
    refused(flattened(**parts), ErrorKind.MALFORMED)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"null",
        b"[]",
        b'"jws"',
        b"{",
        b"\xff{}",
        b'{"protected": NaN}',
        b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
    ],
)
def test_body_that_is_not_a_jws_object_is_malformed(body: bytes) -> None:
    refused(body, ErrorKind.MALFORMED)


@pytest.mark.parametrize("member", ["protected", "payload", "signature"])
def test_padded_base64_is_malformed(es256: AccountKey, member: str) -> None:
    parts = es256.sign_raw(header(es256), {"padding": "needed"})
    parts[member] += "=" * (-len(parts[member]) % 4 or 4)
    refused(flattened(**parts), ErrorKind.MALFORMED)


@pytest.mark.parametrize("bad", ["+", "/", " ", "\n", "."])
def test_characters_outside_base64url_are_malformed(es256: AccountKey, bad: str) -> None:
    parts = es256.sign_raw(header(es256), {})
    parts["signature"] = parts["signature"][:-2] + bad + parts["signature"][-1]
    refused(flattened(**parts), ErrorKind.MALFORMED)


def test_strict_base64url_decoder() -> None:
    assert b64url_decode("", "x") == b""
    assert b64url_decode("QQ", "x") == b"A"
    assert b64url_decode("-_8", "x") == b"\xfb\xff"
    for bad in ("QR", "QUF", "Q", "QQ==", "QQ=", "Q+", "QQ\n", None, 1):
        with pytest.raises(DomainError) as info:
            b64url_decode(bad, "x")
        assert info.value.kind is ErrorKind.MALFORMED


# --- signature refusals ---------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_tampered_payload_is_malformed(keys: dict[str, AccountKey], alg: str) -> None:
    parts = json.loads(keys[alg].sign(NEW_ACCOUNT, NONCE, {"contact": ["mailto:a@example.org"]}))
    parts["payload"] = json_b64({"contact": ["mailto:evil@example.org"]})
    error = refused(flattened(**parts), ErrorKind.MALFORMED)
    assert error.detail == "JWS verification error"


def test_tampered_protected_header_is_malformed(es256: AccountKey) -> None:
    parts = es256.sign_raw(header(es256), {})
    parts["protected"] = json_b64(header(es256, url=ORDER))
    assert refused(flattened(**parts), ErrorKind.MALFORMED).detail == "JWS verification error"


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_signature_from_another_key_is_malformed(keys: dict[str, AccountKey], alg: str) -> None:
    other = AccountKey.generate(alg) if alg != "RS256" else AccountKey.generate_rsa(2048)
    req = parse_jws(other.sign(ORDER, NONCE, {}, kid=ACCOUNT))
    with pytest.raises(DomainError) as info:
        verify_signature(req, keys[alg].jwk_public())
    assert (info.value.kind, info.value.detail) == (ErrorKind.MALFORMED, "JWS verification error")


def test_der_encoded_ecdsa_signature_is_refused(es256: AccountKey) -> None:
    # RFC 7518 §3.4: the JWS signature is R || S, not the DER form pyca produces.
    parts = es256.sign_raw(header(es256), {})
    private = es256.private_key()
    assert isinstance(private, ec.EllipticCurvePrivateKey)
    der = private.sign(
        f"{parts['protected']}.{parts['payload']}".encode(), ec.ECDSA(hashes.SHA256())
    )
    parts["signature"] = b64url(der)
    refused(flattened(**parts), ErrorKind.MALFORMED)


def test_ecdsa_signature_with_padded_halves_is_refused(es256: AccountKey) -> None:
    parts = es256.sign_raw(header(es256), {})
    raw = b64url_decode(parts["signature"], "signature")
    parts["signature"] = b64url(b"\0" + raw[:32] + b"\0" + raw[32:])
    refused(flattened(**parts), ErrorKind.MALFORMED)


def test_empty_payload_signature_does_not_verify_a_json_payload(es256: AccountKey) -> None:
    parts = json.loads(es256.sign(ORDER, NONCE, b"", kid=ACCOUNT))
    parts["payload"] = json_b64({})
    req = parse_jws(flattened(**parts))
    with pytest.raises(DomainError) as info:
        verify_signature(req, es256.jwk_public())
    assert info.value.kind is ErrorKind.MALFORMED


# --- public key refusals --------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_private_key_in_jwk_is_bad_public_key(keys: dict[str, AccountKey], alg: str) -> None:
    key = keys[alg]
    private = key.jwk.export_private(as_dict=True)
    error = refused(key.sign_raw_body(header(key, jwk=private), {}), ErrorKind.BAD_PUBLIC_KEY)
    assert "private" in error.detail


def test_rsa_1024_is_bad_public_key() -> None:
    key = AccountKey.generate_rsa(1024)
    error = refused(key.sign(NEW_ACCOUNT, NONCE, {}), ErrorKind.BAD_PUBLIC_KEY)
    assert "1024" in error.detail


def test_rsa_modulus_with_leading_zero_is_bad_public_key(keys: dict[str, AccountKey]) -> None:
    key = keys["RS256"]
    n = b64url(b"\0" + b64url_decode(key.jwk_public()["n"], "n"))
    jwk = {**key.jwk_public(), "n": n}
    refused(key.sign_raw_body(header(key, jwk=jwk), {}), ErrorKind.BAD_PUBLIC_KEY)


def test_rsa_even_modulus_is_bad_public_key(keys: dict[str, AccountKey]) -> None:
    key = keys["RS256"]
    n = int.from_bytes(b64url_decode(key.jwk_public()["n"], "n"), "big") + 1
    jwk = {**key.jwk_public(), "n": b64url(n.to_bytes(256, "big"))}
    refused(key.sign_raw_body(header(key, jwk=jwk), {}), ErrorKind.BAD_PUBLIC_KEY)


@pytest.mark.parametrize("e", [b"\x01", b"\x01\x00\x00", b"\x01" * 5])
def test_rsa_bad_exponent_is_bad_public_key(keys: dict[str, AccountKey], e: bytes) -> None:
    key = keys["RS256"]
    jwk = {**key.jwk_public(), "e": b64url(e)}
    refused(key.sign_raw_body(header(key, jwk=jwk), {}), ErrorKind.BAD_PUBLIC_KEY)


def test_ec_short_coordinate_is_bad_public_key(es256: AccountKey) -> None:
    jwk = es256.jwk_public()
    jwk["x"] = b64url(b64url_decode(jwk["x"], "x")[1:])
    refused(es256.sign_raw_body(header(es256, jwk=jwk), {}), ErrorKind.BAD_PUBLIC_KEY)


def test_ec_point_off_the_curve_is_bad_public_key(es256: AccountKey) -> None:
    jwk = es256.jwk_public()
    y = b64url_decode(jwk["y"], "y")
    jwk["y"] = b64url(y[:-1] + bytes([y[-1] ^ 1]))
    refused(es256.sign_raw_body(header(es256, jwk=jwk), {}), ErrorKind.BAD_PUBLIC_KEY)


@pytest.mark.parametrize(
    "jwk",
    [
        {"kty": "OKP", "crv": "Ed448", "x": b64url(bytes(57))},
        {"kty": "OKP", "crv": "X25519", "x": b64url(bytes(32))},
        {"kty": "EC", "crv": "secp256k1", "x": b64url(bytes(32)), "y": b64url(bytes(32))},
        {"kty": "oct", "k": b64url(bytes(32))},
        {"kty": "AKP", "alg": "ML-DSA-44", "pub": b64url(bytes(32))},
    ],
)
def test_unsupported_key_types_are_bad_public_key(es256: AccountKey, jwk: dict[str, str]) -> None:
    refused(es256.sign_raw_body(header(es256, jwk=jwk), {}), ErrorKind.BAD_PUBLIC_KEY)


@pytest.mark.parametrize(
    "changes", [{"use": "enc"}, {"key_ops": ["encrypt"]}, {"key_ops": "verify"}]
)
def test_jwk_not_for_signatures_is_bad_public_key(
    es256: AccountKey, changes: dict[str, Any]
) -> None:
    jwk = {**es256.jwk_public(), **changes}
    refused(es256.sign_raw_body(header(es256, jwk=jwk), {}), ErrorKind.BAD_PUBLIC_KEY)


@pytest.mark.parametrize(
    "jwk", ["key", [1], {"crv": "P-256"}, {"kty": 1}, {"kty": "EC", "crv": "P-256"}]
)
def test_structurally_broken_jwk_is_malformed(es256: AccountKey, jwk: object) -> None:
    refused(es256.sign_raw_body(header(es256, jwk=jwk), {}), ErrorKind.MALFORMED)


# --- payloads ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload", [b"[1]", b'"text"', b"3", b"null", b"{", b'{"a": 1, "a": 2}', b'{"a": NaN}']
)
def test_payload_that_is_not_a_json_object_is_malformed(es256: AccountKey, payload: bytes) -> None:
    req = parse_jws(es256.sign(ORDER, NONCE, payload, kid=ACCOUNT))
    verify_signature(req, es256.jwk_public())
    with pytest.raises(DomainError) as info:
        req.json_payload()
    assert info.value.kind is ErrorKind.MALFORMED


def test_post_as_get_has_no_json_payload(es256: AccountKey) -> None:
    req = parse_jws(es256.sign(ORDER, NONCE, b"", kid=ACCOUNT))
    with pytest.raises(DomainError) as info:
        req.json_payload()
    assert info.value.kind is ErrorKind.MALFORMED


def test_deeply_nested_payload_is_malformed(es256: AccountKey) -> None:
    nested = b'{"a": ' * 50_000 + b"1" + b"}" * 50_000
    req = parse_jws(es256.sign(ORDER, NONCE, nested, kid=ACCOUNT))
    with pytest.raises(DomainError) as info:
        req.json_payload()
    assert info.value.kind is ErrorKind.MALFORMED


# --- key change (RFC 8555 §7.3.5) ----------------------------------------------------------------


def _key_change(old: AccountKey, new: AccountKey, inner_header: dict[str, Any]) -> JwsRequest:
    inner = new.sign_raw(inner_header, {"account": ACCOUNT, "oldKey": old.jwk_public()})
    return parse_jws(old.sign(ORDER, NONCE, inner, kid=ACCOUNT))


def test_key_change_inner_jws(keys: dict[str, AccountKey]) -> None:
    old, new = keys["ES256"], keys["EdDSA"]
    outer = _key_change(old, new, {"alg": "EdDSA", "jwk": new.jwk_public(), "url": ORDER})
    verify_signature(outer, old.jwk_public())
    inner = parse_key_change(outer)
    assert verify_signature(inner).thumbprint() == new.thumbprint()
    assert inner.json_payload()["account"] == ACCOUNT


@pytest.mark.parametrize(
    "changes",
    [{"nonce": NONCE}, {"url": NEW_ACCOUNT}, {"jwk": None, "kid": ACCOUNT}, {"crit": ["x"]}],
)
def test_key_change_inner_jws_refusals(
    keys: dict[str, AccountKey], changes: dict[str, Any]
) -> None:
    old, new = keys["ES256"], keys["EdDSA"]
    inner_header = {"alg": "EdDSA", "jwk": new.jwk_public(), "url": ORDER, **changes}
    outer = _key_change(old, new, {k: v for k, v in inner_header.items() if v is not None})
    with pytest.raises(DomainError) as info:
        parse_key_change(outer)
    assert info.value.kind is ErrorKind.MALFORMED


# --- external account binding (RFC 8555 §7.3.4) --------------------------------------------------


def _new_account(key: AccountKey, eab: object) -> JwsRequest:
    return parse_jws(key.sign(NEW_ACCOUNT, NONCE, {"externalAccountBinding": eab}))


def eab_refused(outer: JwsRequest, kind: ErrorKind, hmac_key: bytes = HMAC_KEY) -> DomainError:
    with pytest.raises(DomainError) as info:
        verify_eab(parse_eab(outer, outer.json_payload()["externalAccountBinding"]), hmac_key)
    assert info.value.kind is kind, info.value
    return info.value


@pytest.mark.parametrize("alg", EAB_ALGORITHMS)
@pytest.mark.parametrize("key_alg", ["ES256", "RS256", "EdDSA"])
def test_eab_verifies(keys: dict[str, AccountKey], alg: str, key_alg: str) -> None:
    key = keys[key_alg]
    eab = sign_eab("kid-1", HMAC_KEY, NEW_ACCOUNT, key.jwk_public(), alg)
    outer = _new_account(key, eab)
    binding = parse_eab(outer, outer.json_payload()["externalAccountBinding"])
    verify_eab(binding, HMAC_KEY)
    assert (binding.key_id, binding.alg, binding.url, binding.jws) == (
        "kid-1",
        alg,
        NEW_ACCOUNT,
        eab,
    )


def test_eab_payload_is_compared_as_a_key(es256: AccountKey) -> None:
    spelled_otherwise = {"kid": "x", **dict(reversed(es256.jwk_public().items()))}
    outer = _new_account(es256, sign_eab("kid-1", HMAC_KEY, NEW_ACCOUNT, spelled_otherwise))
    verify_eab(parse_eab(outer, outer.json_payload()["externalAccountBinding"]), HMAC_KEY)


def test_eab_bad_mac_is_unauthorized(es256: AccountKey) -> None:
    outer = _new_account(es256, sign_eab("kid-1", HMAC_KEY, NEW_ACCOUNT, es256.jwk_public()))
    eab_refused(outer, ErrorKind.UNAUTHORIZED, hmac_key=bytes(64))


def test_eab_key_too_short_for_the_algorithm_is_unauthorized(es256: AccountKey) -> None:
    outer = _new_account(
        es256, sign_eab("kid-1", HMAC_KEY, NEW_ACCOUNT, es256.jwk_public(), "HS512")
    )
    assert "too short" in eab_refused(outer, ErrorKind.UNAUTHORIZED, hmac_key=HMAC_KEY[:32]).detail


def test_eab_wrong_url_is_unauthorized(es256: AccountKey) -> None:
    outer = _new_account(es256, sign_eab("kid-1", HMAC_KEY, ACCOUNT, es256.jwk_public()))
    eab_refused(outer, ErrorKind.UNAUTHORIZED)


def test_eab_for_another_key_is_unauthorized(keys: dict[str, AccountKey]) -> None:
    outer = _new_account(
        keys["ES256"], sign_eab("kid-1", HMAC_KEY, NEW_ACCOUNT, keys["ES384"].jwk_public())
    )
    eab_refused(outer, ErrorKind.UNAUTHORIZED)


def test_eab_with_nonce_is_malformed(es256: AccountKey) -> None:
    eab = sign_eab(
        "kid-1", HMAC_KEY, NEW_ACCOUNT, es256.jwk_public(), extra_headers={"nonce": NONCE}
    )
    eab_refused(_new_account(es256, eab), ErrorKind.MALFORMED)


@pytest.mark.parametrize("alg", ["RS256", "ES256", "none", "HS1", None])
def test_eab_unsupported_mac_algorithm(es256: AccountKey, alg: str | None) -> None:
    protected = {"alg": alg, "kid": "kid-1", "url": NEW_ACCOUNT}
    eab = {
        "protected": json_b64({k: v for k, v in protected.items() if v is not None}),
        "payload": json_b64(es256.jwk_public()),
        "signature": b64url(b"x" * 32),
    }
    if alg is None:
        eab_refused(_new_account(es256, eab), ErrorKind.MALFORMED)
    else:
        error = eab_refused(_new_account(es256, eab), ErrorKind.BAD_SIGNATURE_ALGORITHM)
        assert error.algorithms == EAB_ALGORITHMS


@pytest.mark.parametrize("kid", [None, "", 5, "clé"])
def test_eab_kid_must_be_an_ascii_string(es256: AccountKey, kid: object) -> None:
    protected = {"alg": "HS256", "url": NEW_ACCOUNT} | ({} if kid is None else {"kid": kid})
    eab = {
        "protected": json_b64(protected),
        "payload": json_b64(es256.jwk_public()),
        "signature": b64url(b"x"),
    }
    eab_refused(_new_account(es256, eab), ErrorKind.MALFORMED)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda eab: "a string",
        lambda eab: {**eab, "header": {}},
        lambda eab: {
            "payload": eab["payload"],
            "signatures": [{"protected": eab["protected"], "signature": eab["signature"]}],
        },
        lambda eab: {**eab, "payload": eab["payload"] + "="},
        lambda eab: {**eab, "payload": json_b64([1])},
        lambda eab: {**eab, "signature": ""},
        lambda eab: {k: v for k, v in eab.items() if k != "signature"},
    ],
)
def test_eab_structure_is_malformed(es256: AccountKey, mangle: Any) -> None:
    eab = mangle(sign_eab("kid-1", HMAC_KEY, NEW_ACCOUNT, es256.jwk_public()))
    eab_refused(_new_account(es256, eab), ErrorKind.MALFORMED)


def test_eab_needs_a_jwk_outer_request(es256: AccountKey) -> None:
    eab = sign_eab("kid-1", HMAC_KEY, NEW_ACCOUNT, es256.jwk_public())
    outer = parse_jws(es256.sign(NEW_ACCOUNT, NONCE, {"externalAccountBinding": eab}, kid=ACCOUNT))
    eab_refused(outer, ErrorKind.MALFORMED)
