"""Real RSA private keys with the weaknesses the key policy refuses, built from chosen primes.

Each key signs like any other (JWS requests, CSRs), so a test can send it the way a client
would: a modulus with a small prime factor, primes close enough for Fermat's method, and
primes of the form Infineon's library made (the ROCA fingerprint, CVE-2017-15361:
``p = k * M + (65537^a mod M)``, M the product of the primes up to 701).
"""

from __future__ import annotations

import math
import secrets

from cryptography.hazmat.primitives.asymmetric import rsa

E = 65537
_TRIAL = tuple(p for p in range(3, 2000, 2) if all(p % d for d in range(3, math.isqrt(p) + 1, 2)))
#: The primorial of the primes up to 701: the one Infineon's generator used for 2048-bit keys.
ROCA_PRIMORIAL = math.prod(p for p in range(2, 702) if all(p % d for d in range(2, p)))


def is_probable_prime(n: int, rounds: int = 32) -> bool:
    """Trial division, then Miller-Rabin with random bases."""
    if n < 2:
        return False
    for p in (2, *_TRIAL):
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for _ in range(rounds):
        x = pow(secrets.randbelow(n - 3) + 2, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def _usable(p: int) -> bool:
    return math.gcd(E, p - 1) == 1 and is_probable_prime(p)


def _random_prime(low: int, high: int) -> int:
    """A prime in [low, high) usable with e = 65537."""
    while True:
        candidate = (low + secrets.randbelow(high - low)) | 1
        if candidate < high and _usable(candidate):
            return candidate


def _next_prime(n: int) -> int:
    n |= 1
    while not _usable(n):
        n += 2
    return n


def key_from_primes(p: int, q: int) -> rsa.RSAPrivateKey:
    """The RSA private key with modulus p * q and exponent 65537."""
    d = pow(E, -1, math.lcm(p - 1, q - 1))
    numbers = rsa.RSAPrivateNumbers(
        p=p,
        q=q,
        d=d,
        dmp1=d % (p - 1),
        dmq1=d % (q - 1),
        iqmp=rsa.rsa_crt_iqmp(p, q),
        public_numbers=rsa.RSAPublicNumbers(E, p * q),
    )
    # Its weakness is the point; OpenSSL's own checks would not object anyway.
    return numbers.private_key(unsafe_skip_rsa_key_validation=True)


def _half(bits: int) -> tuple[int, int]:
    """Bounds that make the product of two such primes exactly ``bits`` bits long."""
    return 3 << (bits // 2 - 2), 1 << (bits // 2)


def small_factor_key(bits: int = 2048, factor: int = 751) -> rsa.RSAPrivateKey:
    """A ``bits``-bit modulus ``factor * Q`` (751 is the largest prime below the BR's 752)."""
    low = -(-(1 << (bits - 1)) // factor)
    high = (1 << bits) // factor
    return key_from_primes(factor, _random_prime(low, high))


def fermat_close_key(bits: int = 2048) -> rsa.RSAPrivateKey:
    """Two random-looking primes whose difference is about 2^400: one Fermat round finds them."""
    p = _random_prime(*_half(bits))
    q = _next_prime(p + (1 << 400) + secrets.randbits(399))
    return key_from_primes(p, q)


def _roca_prime(low: int, high: int) -> int:
    """A prime k * M + (65537^a mod M) in [low, high): the form of Infineon's primes."""
    while True:
        residue = pow(E, secrets.randbelow(1 << 32) + 1, ROCA_PRIMORIAL)
        k_low = -(-(low - residue) // ROCA_PRIMORIAL)
        k_high = (high - residue) // ROCA_PRIMORIAL
        candidate = (k_low + secrets.randbelow(k_high - k_low)) * ROCA_PRIMORIAL + residue
        if _usable(candidate):
            return candidate


def roca_key(bits: int = 2048) -> rsa.RSAPrivateKey:
    """A key whose primes have the ROCA structure (so its modulus has the fingerprint)."""
    p = _roca_prime(*_half(bits))
    q = _roca_prime(*_half(bits))
    return key_from_primes(p, q)
