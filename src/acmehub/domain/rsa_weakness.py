"""Known ways an RSA modulus can be factored from the public key alone, as pure functions.

Each test answers "why can this modulus be factored", or None; :mod:`acmehub.domain.key_policy`
turns an answer into a refusal. Boulder's goodkey package runs the same three tests (its code
was read for the bounds, not copied):

* a small prime factor (CA/Browser Forum BR §6.1.6: no factor smaller than 752);
* the ROCA fingerprint (CVE-2017-15361, Nemec et al., "The Return of Coppersmith's Attack",
  ACM CCS 2017): Infineon's library made primes ``p = k * M + (65537^a mod M)`` with ``M`` a
  primorial, so for every small prime ``r`` dividing ``M`` the modulus modulo ``r`` lies in the
  subgroup of (Z/rZ)* that 65537 generates. A random modulus passes that test for every ``r``
  with negligible probability (see :func:`roca_false_positive_rate`: below 2^-100);
* primes close together, which Fermat's method (``n = a^2 - b^2``) finds in a few rounds.
"""

from __future__ import annotations

import math
from typing import Final

#: BR §6.1.6: "the modulus SHOULD also have ... no factors smaller than 752".
SMALL_PRIME_BOUND: Final = 752
#: Fermat rounds tried from ceil(sqrt(n)) (Boulder's default: 100). Primes within about
#: 2 * sqrt(2 * rounds) * n^(1/4) of each other are found.
FERMAT_ROUNDS: Final = 100
#: The generator of Infineon's primes (the paper, §2.1).
ROCA_GENERATOR: Final = 65537


def _primes_below(bound: int) -> tuple[int, ...]:
    sieve = bytearray([1]) * bound
    sieve[:2] = b"\x00\x00"
    for p in range(2, math.isqrt(bound) + 1):
        if sieve[p]:
            sieve[p * p :: p] = bytearray(len(sieve[p * p :: p]))
    return tuple(p for p in range(bound) if sieve[p])


_SMALL_PRIMES: Final = _primes_below(SMALL_PRIME_BOUND)
#: The product of the primes below 752, so one gcd replaces 132 divisions.
_SMALL_PRIMES_PRODUCT: Final = math.prod(_SMALL_PRIMES)

#: The primes of the primorial Infineon used for keys of 1984 to 3936 bits (the first 126
#: primes, up to 701: the paper's §2.1); for 3968-4096 bits it used a larger primorial that
#: holds these, and smaller keys are refused by size anyway. 2 is left out: (Z/2Z)* is trivial.
ROCA_PRIMES: Final = tuple(p for p in _primes_below(702) if p != 2)


def _generated_subgroup(prime: int) -> frozenset[int]:
    """The residues modulo ``prime`` that are powers of the generator."""
    members = {1}
    value = ROCA_GENERATOR % prime
    while value not in members:
        members.add(value)
        value = value * ROCA_GENERATOR % prime
    return frozenset(members)


_ROCA_SUBGROUPS: Final = tuple((r, _generated_subgroup(r)) for r in ROCA_PRIMES)


def small_prime_factor(modulus: int) -> int | None:
    """The smallest prime below :data:`SMALL_PRIME_BOUND` dividing ``modulus``, or None."""
    if math.gcd(modulus, _SMALL_PRIMES_PRODUCT) == 1:
        return None
    return next(p for p in _SMALL_PRIMES if modulus % p == 0)


def has_roca_fingerprint(modulus: int) -> bool:
    """True when ``modulus`` has the structure of an Infineon (ROCA) key, CVE-2017-15361."""
    return all(modulus % r in subgroup for r, subgroup in _ROCA_SUBGROUPS)


def roca_false_positive_rate() -> float:
    """How often a modulus without the structure is flagged all the same: the product over the
    tested primes of |<65537>| / (r - 1), the chance that a random unit lies in the subgroup."""
    return math.prod(len(subgroup) / (r - 1) for r, subgroup in _ROCA_SUBGROUPS)


def fermat_factor(modulus: int, rounds: int = FERMAT_ROUNDS) -> tuple[int, int] | None:
    """Factors (p, q) found by ``rounds`` rounds of Fermat's method, or None.

    ``n = a^2 - b^2 = (a - b)(a + b)``: try a = ceil(sqrt(n)), ceil(sqrt(n)) + 1, ... and stop
    when a^2 - n is a perfect square. Cheap: one square root per round.
    """
    a = math.isqrt(modulus)
    if a * a < modulus:
        a += 1
    for _ in range(rounds):
        b_squared = a * a - modulus
        b = math.isqrt(b_squared)
        if b * b == b_squared:
            return a - b, a + b
        a += 1
    return None
