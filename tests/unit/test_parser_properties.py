"""Property tests (Hypothesis, bounded) for the JWS parser (RFC 8555 §6.2) and the CSR checks
(RFC 8555 §7.4), issue 15 §8; fuzz/jws.py and fuzz/csr.py explore the same code with atheris.

Whatever arrives, the parsers answer a result or a DomainError the edge renders as a client
error, never serverInternal and never another exception; what they accept keeps its promises.
"""

from __future__ import annotations

import functools
import json
import string
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acmehub.domain.csr import check_csr_names, check_finalize_csr, parse_csr, spki_sha256_hex
from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.protocol.jwk import ACCEPTED_ALGORITHMS
from acmehub.protocol.jws import parse_jws, verify_signature
from acmehub.protocol.problems import STATUS
from tests.jws_signer import AccountKey, b64url, flattened, json_b64

BOUNDED = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
URL = "https://acme.test/acme/new-account"
KEY = AccountKey.generate("ES256")
CSR_KEY = ec.generate_private_key(ec.SECP256R1())
ACCOUNT_SPKI = spki_sha256_hex(ec.generate_private_key(ec.SECP256R1()).public_key())

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
nonces = st.text(string.ascii_letters + string.digits + "-_", min_size=1, max_size=40)
labels = st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=12)
dns_names = st.lists(labels, min_size=2, max_size=4).map(".".join)


def client_refusal(error: DomainError) -> DomainError:
    assert error.kind is not ErrorKind.SERVER_INTERNAL, error
    assert error.kind in STATUS
    json.dumps(error.problem.to_json())
    return error


# --------------------------------------------------------------------------- JWS


@BOUNDED
@given(st.binary(max_size=300))
def test_any_body_is_a_request_or_a_client_error(body: bytes) -> None:
    try:
        parse_jws(body)
    except DomainError as error:
        client_refusal(error)


@BOUNDED
@given(
    st.dictionaries(
        st.sampled_from(["alg", "jwk", "kid", "nonce", "url", "crit", "b64"]) | st.text(max_size=4),
        json_values,
        max_size=6,
    ),
    st.binary(max_size=40),
    st.binary(max_size=80),
)
def test_any_protected_header_is_a_request_or_a_client_error(
    header: dict[str, Any], payload: bytes, signature: bytes
) -> None:
    body = flattened(json_b64(header), b64url(payload), b64url(signature))
    try:
        req = parse_jws(body)
    except DomainError as error:
        client_refusal(error)
        return
    assert req.alg in ACCEPTED_ALGORITHMS
    assert req.signature
    assert (req.jwk is None) != (req.kid is None)


@BOUNDED
@given(nonces, json_values)
def test_a_signed_request_parses_and_verifies_with_its_payload(nonce: str, payload: Any) -> None:
    body = KEY.sign_raw_body(
        {"alg": "ES256", "jwk": KEY.jwk_public(), "nonce": nonce, "url": URL},
        json.dumps({"value": payload}).encode(),
    )
    req = parse_jws(body)
    assert verify_signature(req).thumbprint() == KEY.thumbprint()
    assert (req.nonce, req.url) == (nonce, URL)
    assert json.loads(req.payload) == {"value": payload}


@BOUNDED
@given(
    st.text(max_size=10).filter(lambda alg: alg not in ACCEPTED_ALGORITHMS),
    st.sampled_from([b"", b"\0", b"x" * 64]),
)
def test_an_unsupported_alg_is_bad_signature_algorithm_whatever_the_signature(
    alg: str, signature: bytes
) -> None:
    protected = {"alg": alg, "jwk": KEY.jwk_public(), "nonce": "n0nce", "url": URL}
    body = flattened(json_b64(protected), b64url(b"{}"), b64url(signature))
    # An empty alg too: it is an algorithm we do not support.
    with pytest.raises(DomainError) as caught:
        parse_jws(body)
    assert caught.value.kind is ErrorKind.BAD_SIGNATURE_ALGORITHM, caught.value
    assert caught.value.algorithms == ACCEPTED_ALGORITHMS


# --------------------------------------------------------------------------- CSR


def csr_der(names: list[str], key: Any = CSR_KEY) -> bytes:
    builder = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    )
    builder = builder.add_extension(
        x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False
    )
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


@functools.lru_cache(maxsize=512)
def signed_once(names: tuple[str, ...]) -> bytes:
    """One CSR per name list (an ECDSA signature differs on every signing; Hypothesis replays
    an example and needs the same bytes)."""
    return csr_der(list(names))


@BOUNDED
@given(st.binary(max_size=400))
def test_any_csr_bytes_are_a_csr_or_a_client_error(der: bytes) -> None:
    try:
        parse_csr(der)
    except DomainError as error:
        kind = client_refusal(error).kind
        if kind not in (ErrorKind.BAD_CSR, ErrorKind.BAD_PUBLIC_KEY):
            raise AssertionError(f"a CSR refused as {kind}") from error


@BOUNDED
@given(st.lists(dns_names, min_size=1, max_size=4, unique=True), st.data())
def test_a_csr_is_accepted_for_exactly_its_names(names: list[str], data: st.DataObject) -> None:
    der = csr_der(names)
    info = check_finalize_csr(der, order_names=names, account_spki_sha256_hex=ACCOUNT_SPKI)
    assert info.dns_names == set(names)
    # The order's names in another case are the same names (RFC 8555 §7.4).
    check_csr_names(info, [n.upper() for n in names])
    other = data.draw(dns_names.filter(lambda n: n not in names))
    wanted = data.draw(st.sampled_from([[*names, other], names[1:] or [other]]))
    with pytest.raises(DomainError) as caught:
        check_csr_names(info, wanted)
    assert caught.value.kind is ErrorKind.BAD_CSR
    assert all(n in caught.value.detail for n in set(wanted) ^ set(names))


@BOUNDED
@given(st.lists(dns_names, min_size=1, max_size=3, unique=True), st.data())
def test_a_changed_csr_byte_is_a_csr_or_a_client_error(
    names: list[str], data: st.DataObject
) -> None:
    der = bytearray(signed_once(tuple(names)))
    at = data.draw(st.integers(0, len(der) - 1))
    der[at] = data.draw(st.integers(0, 255))
    try:
        check_finalize_csr(bytes(der), order_names=names, account_spki_sha256_hex=ACCOUNT_SPKI)
    except DomainError as error:
        client_refusal(error)


def test_a_csr_of_another_version_is_bad_csr() -> None:
    """Regression (fuzz/csr.py, fuzz/corpus/csr/invalid-version): cryptography's InvalidVersion
    is not a ValueError and escaped parse_csr, a serverInternal at finalize."""
    der = csr_der(["example.com"])
    at = der.index(bytes([2, 1, 0]))
    for version in (1, 2, 102):
        bad = der[:at] + bytes([2, 1, version]) + der[at + 3 :]
        with pytest.raises(DomainError) as caught:
            parse_csr(bad)
        assert caught.value.kind is ErrorKind.BAD_CSR
        assert f"CSR version {version} is not 0" in caught.value.detail
    seed = (Path(__file__).parents[2] / "fuzz/corpus/csr/invalid-version").read_bytes()
    try:
        parse_csr(seed)
    except DomainError as error:
        client_refusal(error)
