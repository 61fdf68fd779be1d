"""Identifier policy: which names an order may carry (RFC 8555 §7.1.3, §7.1.4, §7.4).

One policy for every way a name enters (new-order today, a pre-authorization when it exists),
after Boulder's ``policy/pa.go``. A DNS identifier is accepted when it is:

* ASCII: a name is lower-cased by ASCII rules only, and any other character is refused (a
  Unicode case mapping would turn the Kelvin sign U+212A into "k"); internationalized names
  travel as A-labels (RFC 5890 §2.3.2.1);
* at most 253 characters, without a trailing dot, of labels of 1-63 letters, digits and
  hyphens that neither start nor end with a hyphen (RFC 1035 §2.3.1, RFC 5890 §2.3.1);
* free of reserved labels: "??--" is reserved unless it is "xn--" (R-LDH, RFC 5890 §2.3.1),
  and every "xn--" label must be valid IDNA 2008 (RFC 5891), checked by the ``idna`` package:
  it decodes and encodes back to itself;
* not an IP address (that is an identifier of type ip, RFC 8738), at least two labels, not an
  all-numeric top-level label;
* not a public suffix itself, and no wildcard directly above one (``*.co.uk``), by the ICANN
  section of the Public Suffix List (domain/public_suffixes.py);
* a wildcard only as the whole leftmost label ("*.", RFC 8555 §7.1.3), and no name that a
  wildcard of the same order already covers (Boulder: redundant with a wildcard domain).

An IP identifier (RFC 8738) is accepted when its value is an IPv4 or IPv6 address written in
its one canonical text form (RFC 8738 §3: RFC 1123 §2.1 dotted quad for IPv4, RFC 5952 §4 for
IPv6: lower case, leading zeros dropped, the longest run of zero fields as "::"), without a zone
("%eth0"), and not an IPv4-mapped IPv6 address (that address is the IPv4 identifier). Another
spelling of a valid address is ``malformed`` with the canonical form in the detail, as Boulder
does: the order's identifiers are then exactly what the client sent. Which addresses an RA
profile lets through is its issuance policy's ``allowed_ip_networks`` (domain/policy.py).

A refused name is ``rejectedIdentifier``; what is not a name at all (an empty value, a value
that is not a string) is ``malformed``. Several refusals become one problem with a subproblem
per identifier (RFC 8555 §6.7.1). The per-profile limits (labels per name, names per order,
allowed and denied names) are in domain/policy.py.
"""

from __future__ import annotations

import ipaddress
import re
import string
from collections.abc import Sequence
from typing import Any

import idna

from acmehub.domain.errors import DomainError, ErrorKind, Problem
from acmehub.domain.model import Identifier
from acmehub.domain.public_suffixes import PublicSuffixes, bundled_public_suffixes

#: Names per order whatever an RA profile says (Boulder's limit, too).
MAX_IDENTIFIERS = 100
MAX_NAME_LENGTH = 253
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
#: How much of a refused value a detail quotes (the subproblem's identifier has all of it).
_SHOWN = 80


def ascii_lower(value: str) -> str:
    """``value`` with A-Z lower-cased and every other character left as it is."""
    return value.translate(_ASCII_LOWER)


def shown(value: str) -> str:
    """A value quoted for a detail: escaped, and cut short when long."""
    if len(value) <= _SHOWN:
        return repr(value)
    return f"{value[:_SHOWN]!r}... ({len(value)} characters)"


def _reject(value: str, detail: str) -> Problem:
    return Problem(ErrorKind.REJECTED_IDENTIFIER, detail, ("dns", value))


def _label_problem(label: str) -> str | None:
    """Why one label (of a lower-cased name) is not acceptable, or None."""
    if not label:
        return "has an invalid label '': empty (two dots in a row, or a leading dot)"
    if len(label) > 63:
        return f"has an invalid label {shown(label)}: longer than 63 characters"
    if label.startswith("xn--"):
        return _a_label_problem(label)
    if not _LABEL.fullmatch(label):
        return (
            f"has an invalid label {shown(label)}: a label holds letters, digits and hyphens, "
            "and neither starts nor ends with a hyphen"
        )
    if label[2:4] == "--":
        # RFC 5890 §2.3.1: "??--" labels are reserved (R-LDH); only "xn--" is in use.
        return f"has a reserved label {shown(label)} (hyphens in the third and fourth position)"
    return None


def _a_label_problem(label: str) -> str | None:
    """An "xn--" label must be an IDNA 2008 A-label that round-trips (RFC 5891 §5.4)."""
    if not _LABEL.fullmatch(label):
        return f"has an invalid IDNA label {shown(label)}: not letters, digits and inner hyphens"
    try:
        ok = idna.encode(idna.decode(label)) == label.encode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError) as exc:
        return f"has an invalid IDNA label {shown(label)}: {exc}"
    if not ok:
        return f"has a non-canonical IDNA label {shown(label)}: it does not encode back to itself"
    return None


def _idna_name_problem(name: str) -> str | None:
    """The rules that span labels (the Bidi rule, RFC 5893 §2), once every label passed."""
    try:
        ok = idna.encode(idna.decode(name)) == name.encode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError) as exc:
        return f"is not a valid IDNA 2008 name: {exc}"
    return None if ok else "is not a canonical IDNA 2008 name"


def check_dns_name(value: str, suffixes: PublicSuffixes | None = None) -> Problem | None:
    """None when ``value`` is an acceptable DNS identifier, else the problem that says why.

    ``value`` is checked as the client sent it; an accepted value's canonical form is
    :func:`ascii_lower` of it."""
    if not value:
        return Problem(ErrorKind.MALFORMED, "an identifier's value must not be empty", ("dns", ""))
    what = shown(value)
    odd = next((c for c in value if not c.isascii()), None)
    if odd is not None:
        return _reject(
            value,
            f"{what} contains the non-ASCII character U+{ord(odd):04X}: write an "
            "internationalized name as A-labels (xn--...), lower-case ASCII only",
        )
    if len(value) > MAX_NAME_LENGTH:
        return _reject(value, f"{what} is longer than {MAX_NAME_LENGTH} characters")
    if value.endswith("."):
        return _reject(value, f"{what} must not end with a dot")
    lowered = ascii_lower(value)
    wildcard = lowered.startswith("*.")
    name = lowered[2:] if wildcard else lowered
    if _is_ip_address(name):
        return _reject(value, f"{what} is an IP address: use an identifier of type ip")
    if "*" in name:
        return _reject(value, f"{what}: a wildcard is allowed only as the whole leftmost label")
    labels = name.split(".")
    for label in labels:
        why = _label_problem(label)
        if why is not None:
            return _reject(value, f"{what} {why}")
    if (suffixes or bundled_public_suffixes()).is_public(name):
        if wildcard:
            return _reject(value, f"{what} is a wildcard directly above the public suffix {name}")
        return _reject(value, f"{what} is a public suffix: a certificate must name a domain in it")
    if len(labels) < 2:
        return _reject(value, f"{what} needs at least two labels")
    if labels[-1].isdigit():
        return _reject(value, f"{what} has an all-numeric top-level label")
    if any(label.startswith("xn--") for label in labels):
        why = _idna_name_problem(name)
        if why is not None:
            return _reject(value, f"{what} {why}")
    return None


def check_ip_address(value: str) -> Problem | None:
    """None when ``value`` is an acceptable IP identifier value (RFC 8738 §3), else why not."""
    what = shown(value)

    def bad(detail: str) -> Problem:
        return Problem(ErrorKind.MALFORMED, detail, ("ip", value))

    if not value:
        return bad("an identifier's value must not be empty")
    if "%" in value:
        return bad(f"{what} carries a zone: an ip identifier is an address without one")
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return bad(f"{what} is not an IPv4 or IPv6 address (RFC 8738 §3)")
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return bad(
            f"{what} is an IPv4-mapped IPv6 address: use the ip identifier {address.ipv4_mapped}"
        )
    canonical = str(address)
    if canonical != value:
        form = "RFC 5952 §4" if address.version == 6 else "RFC 1123 §2.1"
        return bad(
            f"{what} is not in canonical form (RFC 8738 §3, {form}): write it as {canonical}"
        )
    return None


def _is_ip_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def redundant_names(identifiers: Sequence[Identifier]) -> list[Problem]:
    """A name that a wildcard of the same order covers is refused, as Boulder does: the
    wildcard already names it, and its separate authorization would prove nothing more."""
    wildcards = {i.base_name for i in identifiers if i.is_wildcard}
    problems = []
    for identifier in identifiers:
        parent = identifier.value.partition(".")[2]
        if identifier.type == "dns" and not identifier.is_wildcard and parent in wildcards:
            problems.append(
                _reject(
                    identifier.value,
                    f"{identifier.value} is redundant with the wildcard *.{parent} in the same "
                    "order: remove one of them",
                )
            )
    return problems


def parse_identifiers(raw: Any, suffixes: PublicSuffixes | None = None) -> tuple[Identifier, ...]:
    """Validate the ``identifiers`` member of a newOrder payload (RFC 8555 §7.4): the distinct
    identifiers, canonical and sorted, or a DomainError naming every refused one."""
    if not isinstance(raw, list) or not raw:
        raise DomainError(ErrorKind.MALFORMED, "identifiers must be a non-empty list")
    if len(raw) > MAX_IDENTIFIERS:
        raise DomainError(
            ErrorKind.REJECTED_IDENTIFIER,
            f"an order may carry at most {MAX_IDENTIFIERS} identifiers, got {len(raw)}",
        )
    seen: dict[str, Identifier] = {}
    problems: list[Problem] = []
    for item in raw:
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("type"), str)
            or not isinstance(item.get("value"), str)
        ):
            raise DomainError(ErrorKind.MALFORMED, "each identifier needs a string type and value")
        kind, value = item["type"], item["value"]
        if kind == "ip":
            # RFC 8738 §3; whether the RA profile allows it is domain/policy.py's question.
            problem = check_ip_address(value)
            if problem is not None:
                problems.append(problem)
            else:
                seen.setdefault(f"ip:{value}", Identifier("ip", value))
            continue
        if kind != "dns":
            problems.append(
                Problem(
                    ErrorKind.UNSUPPORTED_IDENTIFIER,
                    f"identifier type {shown(kind)} is not supported; use dns or ip",
                    (kind, value),
                )
            )
            continue
        problem = check_dns_name(value, suffixes)
        if problem is not None:
            problems.append(problem)
            continue
        # DNS names compare case-insensitively (RFC 4343); we store and sign them lower-cased.
        canonical = ascii_lower(value)
        seen.setdefault(f"dns:{canonical}", Identifier("dns", canonical))
    identifiers = tuple(sorted(seen.values()))
    problems.extend(redundant_names(identifiers))
    raise_compound(problems)
    return identifiers


def raise_compound(problems: Sequence[Problem]) -> None:
    """Raise one problem, or ``compound`` with subproblems (RFC 8555 §6.7.1)."""
    if not problems:
        return
    if len(problems) == 1:
        p = problems[0]
        raise DomainError(p.kind, p.detail, identifier=p.identifier)
    kinds = {p.kind for p in problems}
    top = kinds.pop() if len(kinds) == 1 else ErrorKind.COMPOUND
    raise DomainError(
        top,
        "; ".join(p.detail for p in problems),
        subproblems=tuple(problems),
    )
