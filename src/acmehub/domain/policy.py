"""An RA profile's issuance policy, as pure functions.

Checked at new-order (identifiers: :func:`check_identifiers`) and again at finalize (the CSR's
key: :func:`check_key`; the identifiers once more, since the policy may have been tightened
in between). Every refusal names the rule that refused, in the management API's words
(``issuancePolicy.deniedIdentifiers`` ...), so an administrator can find it.

Identifier patterns (``IssuancePolicy.allowed_identifiers`` / ``denied_identifiers``):

* ``example.com``: exactly that name;
* ``.example.com``: any name below example.com (wildcards below it too), not example.com;
* ``*.example.com``: exactly that wildcard identifier (RFC 8555 §7.1.3);
* ``10.0.0.0/8`` or ``2001:db8::/32``: IP identifiers in that range (RFC 8738).

Names compare case-insensitively (RFC 4343). A denied pattern wins over an allowed one.

IP identifiers (RFC 8738) are off unless ``IssuancePolicy.allowed_ip_networks`` names networks
(``10.0.0.0/8``, ``2001:db8::/32``, a single address); an IP identifier must lie in one of them,
must match no denied pattern, and, when ``allowed_identifiers`` holds IP ranges, one of those too.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes

from acmehub.domain.errors import DomainError, ErrorKind, Problem
from acmehub.domain.identifiers import (
    MAX_IDENTIFIERS,
    ascii_lower,
    check_dns_name,
    raise_compound,
)
from acmehub.domain.model import Identifier, IssuancePolicy

#: Key types a policy may allow: "rsa" (sized by ``min_rsa_bits``) and the two NIST curves the
#: CA accepts at all (domain.key_policy.check_certificate_key).
KEY_TYPES: tuple[str, ...] = ("rsa", "ec-p256", "ec-p384")
#: Extended key usages a policy may put in certificates (RFC 5280 §4.2.1.12).
EXTENDED_KEY_USAGES: tuple[str, ...] = ("serverAuth", "clientAuth")
#: Bounds on ``min_rsa_bits`` (domain.key_policy accepts 2048-4096 bits whatever the policy says).
MIN_RSA_BITS_RANGE = (2048, 4096)
#: At most this many patterns per list (each pattern is checked against every name).
MAX_PATTERNS = 500
#: Bounds on ``max_labels``: a name has at least two labels, and 253 characters hold at most 127.
MAX_LABELS_RANGE = (2, 127)
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_CURVES = {ec.SECP256R1.name: "ec-p256", ec.SECP384R1.name: "ec-p384"}

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def normalize_pattern(pattern: str) -> str:
    """The canonical spelling of a pattern: trimmed, lower-case, without one trailing dot.

    Lower-cased by ASCII rules only, as names are (domain/identifiers.py): a non-ASCII
    character stays and makes the pattern invalid instead of turning into a letter."""
    return ascii_lower(pattern.strip()).removesuffix(".")


def _looks_ip(text: str) -> bool:
    # DNS names hold neither ":" nor "/", and none is all digits and dots (no numeric TLD).
    return any(c in text for c in ":/") or text.replace(".", "").isdigit()


def _network(text: str) -> IpNetwork | None:
    if not _looks_ip(text):
        return None
    try:
        return ipaddress.ip_network(text, strict=True)
    except ValueError:
        return None


def pattern_error(pattern: str) -> str | None:
    """None when ``pattern`` is a valid identifier pattern, else why not."""
    text = normalize_pattern(pattern)
    if not text:
        return "a pattern must not be empty"
    if len(text) > 253:
        return f"{pattern[:40]!r}... is longer than 253 characters"
    if _looks_ip(text):
        if _network(text) is None:
            return f"{pattern!r} is not an IP address or an IP range in CIDR notation"
        return None
    if text.startswith("."):
        # A suffix may be a single label (".internal"): check its labels only.
        bad = [label for label in text[1:].split(".") if not _LABEL.fullmatch(label)]
        return f"{pattern!r} has an invalid label {bad[0]!r}" if bad else None
    problem = check_dns_name(text)
    return None if problem is None else f"{pattern!r}: {problem.detail}"


def pattern_matches(pattern: str, identifier: Identifier) -> bool:
    """Whether one (valid) pattern covers the identifier (see the module docstring)."""
    text = normalize_pattern(pattern)
    network = _network(text)
    if network is not None:
        if identifier.type != "ip":
            return False
        try:
            return ipaddress.ip_address(identifier.value) in network
        except ValueError:
            return False
    if identifier.type != "dns":
        return False
    value = identifier.value.lower()
    if text.startswith("."):
        return value.endswith(text)
    return value == text


def _first_match(patterns: Iterable[str], identifier: Identifier) -> str | None:
    return next((p for p in patterns if pattern_matches(p, identifier)), None)


def identifier_problem(policy: IssuancePolicy, identifier: Identifier) -> Problem | None:
    """Why the policy refuses this identifier, or None. The detail names the rule."""

    def reject(why: str) -> Problem:
        return Problem(
            ErrorKind.REJECTED_IDENTIFIER,
            f"{identifier.value} is refused by the RA profile's issuance policy: {why}",
            (identifier.type, identifier.value),
        )

    if identifier.type == "ip":
        why = _ip_refusal(policy, identifier.value)
        if why is not None:
            return reject(why)
    if identifier.type == "dns":
        labels = identifier.base_name.count(".") + 1
        if labels > policy.max_labels:
            return reject(
                f"it has {labels} labels; at most {policy.max_labels} are allowed "
                "(issuancePolicy.maxLabels)"
            )
    if identifier.is_wildcard and not policy.allow_wildcards:
        return reject("wildcard names are not allowed (issuancePolicy.allowWildcards is false)")
    denied = _first_match(policy.denied_identifiers, identifier)
    if denied is not None:
        return reject(f"it matches the rule issuancePolicy.deniedIdentifiers {denied!r}")
    patterns = policy.allowed_identifiers
    if identifier.type == "ip":
        # allowedIpNetworks is the IP identifiers' allow list; IP ranges among the allowed
        # patterns narrow it, DNS patterns say nothing about addresses.
        patterns = tuple(p for p in patterns if _network(normalize_pattern(p)) is not None)
    if patterns and _first_match(patterns, identifier) is None:
        shown = ", ".join(repr(p) for p in patterns[:10])
        more = ", ..." if len(patterns) > 10 else ""
        return reject(
            f"it matches none of the rules issuancePolicy.allowedIdentifiers ({shown}{more})"
        )
    return None


def _ip_refusal(policy: IssuancePolicy, value: str) -> str | None:
    if not policy.allowed_ip_networks:
        return "IP identifiers are not allowed (issuancePolicy.allowedIpNetworks is empty)"
    address = ipaddress.ip_address(value)
    for text in policy.allowed_ip_networks:
        network = ipaddress.ip_network(text, strict=False)
        if address.version == network.version and address in network:
            return None
    shown = ", ".join(policy.allowed_ip_networks[:10])
    more = ", ..." if len(policy.allowed_ip_networks) > 10 else ""
    return f"it is in none of the networks of issuancePolicy.allowedIpNetworks ({shown}{more})"


def ip_network_error(text: str) -> str | None:
    """None when ``text`` is an IP network (CIDR, host bits clear) or a single address."""
    try:
        ipaddress.ip_network(text, strict=True)
    except ValueError as exc:
        return f"{text!r} is not an IP network in CIDR notation ({exc})"
    return None


def identifier_problems(policy: IssuancePolicy, identifiers: Sequence[Identifier]) -> list[Problem]:
    """Every refusal of the policy for an order's (distinct) identifiers, maxNames first."""
    problems: list[Problem] = []
    if len(identifiers) > policy.max_names:
        problems.append(
            Problem(
                ErrorKind.REJECTED_IDENTIFIER,
                f"the order has {len(identifiers)} identifiers; the RA profile's issuance "
                f"policy allows at most {policy.max_names} (issuancePolicy.maxNames)",
            )
        )
    for identifier in identifiers:
        problem = identifier_problem(policy, identifier)
        if problem is not None:
            problems.append(problem)
    return problems


def check_identifiers(policy: IssuancePolicy, identifiers: Sequence[Identifier]) -> None:
    """Raise ``rejectedIdentifier`` (or ``compound``, RFC 8555 §6.7.1) for any refusal."""
    # All of one kind: rejectedIdentifier at the top, each refusal a subproblem (§6.7.1).
    raise_compound(identifier_problems(policy, identifiers))


def describe_key(public_key: CertificatePublicKeyTypes) -> tuple[str, int | None]:
    """(key type as a policy names it, RSA modulus bits or None)."""
    if isinstance(public_key, rsa.RSAPublicKey):
        return "rsa", public_key.key_size
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return _CURVES.get(public_key.curve.name, f"ec-{public_key.curve.name}"), None
    return type(public_key).__name__.removeprefix("_").lower(), None


def key_problem(policy: IssuancePolicy, public_key: CertificatePublicKeyTypes) -> Problem | None:
    """Why the policy refuses the certificate key, or None: ``badCSR``, as every refusal of a
    CSR's key at finalize (RFC 8555 §7.4)."""
    kind, bits = describe_key(public_key)
    shown = f"RSA {bits} bits" if bits is not None else kind
    if kind not in policy.allowed_key_types:
        return Problem(
            ErrorKind.BAD_CSR,
            f"the CSR's key ({shown}) is refused by the RA profile's issuance policy: "
            f"issuancePolicy.allowedKeyTypes allows {', '.join(policy.allowed_key_types)}",
        )
    if bits is not None and bits < policy.min_rsa_bits:
        return Problem(
            ErrorKind.BAD_CSR,
            f"the CSR's key ({shown}) is refused by the RA profile's issuance policy: "
            f"issuancePolicy.minRsaBits is {policy.min_rsa_bits}",
        )
    return None


def check_key(policy: IssuancePolicy, public_key: CertificatePublicKeyTypes) -> None:
    problem = key_problem(policy, public_key)
    if problem is not None:
        raise DomainError(problem.kind, problem.detail)


def policy_errors(policy: IssuancePolicy) -> list[str]:
    """What is wrong with a policy an administrator wrote, each naming its field."""
    errors: list[str] = []
    for field, patterns in (
        ("allowedIdentifiers", policy.allowed_identifiers),
        ("deniedIdentifiers", policy.denied_identifiers),
    ):
        if len(patterns) > MAX_PATTERNS:
            errors.append(f"issuancePolicy.{field}: at most {MAX_PATTERNS} patterns")
        errors.extend(
            f"issuancePolicy.{field}: {error}"
            for error in (pattern_error(p) for p in patterns)
            if error is not None
        )
    if len(policy.allowed_ip_networks) > MAX_PATTERNS:
        errors.append(f"issuancePolicy.allowedIpNetworks: at most {MAX_PATTERNS} networks")
    errors.extend(
        f"issuancePolicy.allowedIpNetworks: {error}"
        for error in map(ip_network_error, policy.allowed_ip_networks)
        if error is not None
    )
    if not 1 <= policy.max_names <= MAX_IDENTIFIERS:
        errors.append(f"issuancePolicy.maxNames must be between 1 and {MAX_IDENTIFIERS}")
    low, high = MAX_LABELS_RANGE
    if not low <= policy.max_labels <= high:
        errors.append(f"issuancePolicy.maxLabels must be between {low} and {high}")
    if not policy.allowed_key_types:
        errors.append("issuancePolicy.allowedKeyTypes must name at least one key type")
    unknown = [k for k in policy.allowed_key_types if k not in KEY_TYPES]
    if unknown:
        errors.append(
            f"issuancePolicy.allowedKeyTypes: unknown {', '.join(map(repr, unknown))}; "
            f"known: {', '.join(KEY_TYPES)}"
        )
    low, high = MIN_RSA_BITS_RANGE
    if not low <= policy.min_rsa_bits <= high:
        errors.append(f"issuancePolicy.minRsaBits must be between {low} and {high}")
    if not policy.extended_key_usages:
        errors.append("issuancePolicy.extendedKeyUsages must name at least one usage")
    unknown = [u for u in policy.extended_key_usages if u not in EXTENDED_KEY_USAGES]
    if unknown:
        errors.append(
            f"issuancePolicy.extendedKeyUsages: unknown {', '.join(map(repr, unknown))}; "
            f"known: {', '.join(EXTENDED_KEY_USAGES)}"
        )
    return errors


def normalized(policy: IssuancePolicy) -> IssuancePolicy:
    """The policy with patterns in canonical spelling and duplicates removed, order kept."""
    return IssuancePolicy(
        allowed_identifiers=_dedupe(normalize_pattern(p) for p in policy.allowed_identifiers),
        denied_identifiers=_dedupe(normalize_pattern(p) for p in policy.denied_identifiers),
        allow_wildcards=policy.allow_wildcards,
        max_names=policy.max_names,
        max_labels=policy.max_labels,
        allowed_key_types=_dedupe(policy.allowed_key_types),
        min_rsa_bits=policy.min_rsa_bits,
        extended_key_usages=_dedupe(policy.extended_key_usages),
        caa_issuer_domains=_dedupe(d.lower().rstrip(".") for d in policy.caa_issuer_domains),
        allowed_ip_networks=_dedupe(_canonical_network(n) for n in policy.allowed_ip_networks),
    )


def _canonical_network(text: str) -> str:
    try:
        return str(ipaddress.ip_network(text.strip(), strict=True))
    except ValueError:
        return text.strip()


def _dedupe(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))
