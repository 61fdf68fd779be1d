"""The one key policy (domain/key_policy.py, rsa_weakness.py) for account keys and CSR keys."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from hypothesis import given
from hypothesis import strategies as st
from jwcrypto.jwk import JWK

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.key_policy import (
    check_account_key,
    check_certificate_key,
    key_weakness,
    public_key_from_jwk,
    spki_sha256_hex,
)
from acmehub.domain.rsa_weakness import (
    fermat_factor,
    has_roca_fingerprint,
    roca_false_positive_rate,
    small_prime_factor,
)
from tests.support.weak_keys import (
    fermat_close_key,
    is_probable_prime,
    key_from_primes,
    roca_key,
    small_factor_key,
)


@pytest.fixture(scope="module")
def rsa2048() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(65537, 2048)


def refusals(public_key: PublicKeyTypes) -> tuple[DomainError, DomainError]:
    """(as an account key, as a CSR key)."""
    with pytest.raises(DomainError) as as_account:
        check_account_key(public_key)
    with pytest.raises(DomainError) as in_csr:
        check_certificate_key(public_key)
    assert as_account.value.kind is ErrorKind.BAD_PUBLIC_KEY
    assert in_csr.value.kind is ErrorKind.BAD_CSR
    assert as_account.value.detail.startswith("account key refused: ")
    assert in_csr.value.detail.startswith("CSR public key refused: ")
    return as_account.value, in_csr.value


def refused_everywhere_saying(public_key: PublicKeyTypes, text: str) -> None:
    for error in refusals(public_key):
        assert text in error.detail, error.detail


# --------------------------------------------------------------------------- accepted keys


@pytest.mark.parametrize("bits", [2048, 3072])
def test_sound_rsa_keys_are_accepted_for_both_uses(bits: int) -> None:
    key = rsa.generate_private_key(65537, bits).public_key()
    check_account_key(key)
    check_certificate_key(key)


@pytest.mark.parametrize("curve", [ec.SECP256R1(), ec.SECP384R1()])
def test_p256_and_p384_are_accepted_for_both_uses(curve: ec.EllipticCurve) -> None:
    key = ec.generate_private_key(curve).public_key()
    check_account_key(key)
    check_certificate_key(key)


def test_p521_and_ed25519_are_account_keys_only() -> None:
    for key in (
        ec.generate_private_key(ec.SECP521R1()).public_key(),
        ed25519.Ed25519PrivateKey.generate().public_key(),
    ):
        check_account_key(key)
        with pytest.raises(DomainError) as caught:
            check_certificate_key(key)
        assert caught.value.kind is ErrorKind.BAD_CSR
    why = key_weakness(ec.generate_private_key(ec.SECP521R1()).public_key(), account_key=False)
    assert why == "an EC key on curve secp521r1 is not accepted: only P-256 and P-384 are accepted"


def test_other_curves_are_refused_everywhere() -> None:
    key = ec.generate_private_key(ec.SECP256K1()).public_key()
    error, _ = refusals(key)
    assert "only P-256, P-384 and P-521 are accepted" in error.detail


# --------------------------------------------------------------------------- RSA sizes, exponent


def test_rsa_sizes_outside_2048_to_4096_or_not_whole_octets_are_refused(
    rsa2048: rsa.RSAPrivateKey,
) -> None:
    short = rsa.generate_private_key(65537, 1024).public_key()
    refused_everywhere_saying(short, "an RSA key of 1024 bits is not accepted")
    odd_size = rsa.generate_private_key(65537, 2052).public_key()
    refused_everywhere_saying(odd_size, "2052 bits is not accepted: the modulus must be 2048")
    # Only the size is looked at first: a made-up modulus will do.
    long = rsa.RSAPublicNumbers(65537, (1 << 4103) | 1).public_key()
    refused_everywhere_saying(long, "4104 bits is not accepted")


def test_only_the_exponent_65537_is_accepted(rsa2048: rsa.RSAPrivateKey) -> None:
    refused_everywhere_saying(
        rsa.generate_private_key(3, 2048).public_key(), "exponent must be 65537, not 3"
    )
    n = rsa2048.public_key().public_numbers().n
    refused_everywhere_saying(rsa.RSAPublicNumbers(65539, n).public_key(), "not 65539")


# --------------------------------------------------------------------------- RSA weaknesses


def test_a_small_prime_factor_is_refused_naming_it() -> None:
    key = small_factor_key()
    assert key.key_size == 2048
    refused_everywhere_saying(key.public_key(), "the RSA modulus is divisible by 751")
    assert small_prime_factor(3 * 757 * 761) == 3
    assert small_prime_factor(757 * 761) is None  # both above the BR's bound of 752


def test_primes_close_together_are_refused_and_fermat_finds_them() -> None:
    key = fermat_close_key()
    refused_everywhere_saying(key.public_key(), "can be factored by Fermat's method")
    numbers = key.private_numbers()
    assert fermat_factor(numbers.public_numbers.n) == tuple(sorted((numbers.p, numbers.q)))


def test_fermat_gives_up_after_its_rounds(rsa2048: rsa.RSAPrivateKey) -> None:
    assert fermat_factor(rsa2048.public_key().public_numbers().n) is None
    # p and q about 2^560 apart need far more than 100 rounds.
    p = 3 << 1022
    while not is_probable_prime(p) or p % 65537 == 1:
        p += 1
    q = p + (1 << 560)
    while not is_probable_prime(q) or q % 65537 == 1:
        q += 1
    modulus = key_from_primes(p, q).public_key().public_numbers().n
    assert fermat_factor(modulus) is None


@pytest.mark.parametrize("bits", [2048, 3072])
def test_a_roca_fingerprinted_key_is_refused(bits: int) -> None:
    key = roca_key(bits)
    assert key.key_size == bits
    refused_everywhere_saying(key.public_key(), "ROCA fingerprint (CVE-2017-15361)")


def test_the_roca_test_does_not_flag_ordinary_keys() -> None:
    # The chance is below 2^-100 per key; a handful of fresh keys must all pass.
    assert roca_false_positive_rate() < 2**-100
    for _ in range(5):
        modulus = rsa.generate_private_key(65537, 2048).public_key().public_numbers().n
        assert not has_roca_fingerprint(modulus)


def test_other_key_types_are_refused() -> None:
    key = dsa.generate_private_key(2048).public_key()
    refused_everywhere_saying(key, "DSAPublicKey keys are not accepted")


# --------------------------------------------------------------------------- JWK import


def jwk_of(public_key: PublicKeyTypes) -> dict[str, str]:
    exported = JWK.from_pyca(public_key).export_public(as_dict=True)
    return {k: v for k, v in exported.items() if k != "kid"}


@pytest.mark.parametrize(
    "key",
    [
        rsa.generate_private_key(65537, 2048).public_key(),
        ec.generate_private_key(ec.SECP384R1()).public_key(),
        ec.generate_private_key(ec.SECP521R1()).public_key(),
        ed25519.Ed25519PrivateKey.generate().public_key(),
    ],
    ids=["rsa", "p384", "p521", "ed25519"],
)
def test_a_jwk_gives_back_its_key(key: PublicKeyTypes) -> None:
    assert spki_sha256_hex(public_key_from_jwk(jwk_of(key))) == spki_sha256_hex(key)


def test_a_jwk_point_off_its_curve_is_bad_public_key() -> None:
    jwk = jwk_of(ec.generate_private_key(ec.SECP256R1()).public_key())
    y = int.from_bytes(base64.urlsafe_b64decode(jwk["y"] + "=="), "big")
    jwk["y"] = base64.urlsafe_b64encode((y ^ 1).to_bytes(32, "big")).rstrip(b"=").decode()
    with pytest.raises(DomainError) as caught:
        public_key_from_jwk(jwk)
    assert caught.value.kind is ErrorKind.BAD_PUBLIC_KEY
    assert caught.value.detail == "the jwk is not a valid public key"


@pytest.mark.parametrize(
    "jwk",
    [{"kty": "oct", "k": "AA"}, {"kty": "EC", "crv": "P-192", "x": "AA", "y": "AA"}, {}],
)
def test_a_jwk_of_no_supported_kind_is_bad_public_key(jwk: dict[str, str]) -> None:
    with pytest.raises(DomainError) as caught:
        public_key_from_jwk(jwk)
    assert caught.value.kind is ErrorKind.BAD_PUBLIC_KEY


# --------------------------------------------------------------------------- properties


def _prime_from(n: int) -> int:
    n |= 1
    while not is_probable_prime(n):
        n += 2
    return n


@given(st.integers(2**40, 2**64), st.integers(0, 2**16))
def test_fermat_finds_primes_a_little_apart_and_only_true_factors(start: int, gap: int) -> None:
    p = _prime_from(start)
    q = _prime_from(p + 2 + gap)
    found = fermat_factor(p * q)
    # q - p is far below n^(1/4) (2^20 or so): the first rounds find them.
    assert found == (p, q)


@given(st.integers(3, 2**128))
def test_whatever_fermat_returns_multiplies_back(n: int) -> None:
    found = fermat_factor(n | 1)
    if found is not None:
        assert found[0] * found[1] == n | 1


@given(st.integers(2**2047, 2**2048 - 1))
def test_small_prime_factor_agrees_with_trial_division(n: int) -> None:
    expected = next((p for p in range(2, 752) if n % p == 0 and is_probable_prime(p)), None)
    assert small_prime_factor(n) == expected
