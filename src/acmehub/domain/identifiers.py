"""Identifier policy: which names an order may carry (RFC 8555 §7.1.3, §7.1.4, §7.4)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from typing import Any

from acmehub.domain.errors import DomainError, ErrorKind, Problem
from acmehub.domain.model import Identifier

MAX_IDENTIFIERS = 100
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def _reject(value: str, detail: str) -> Problem:
    return Problem(ErrorKind.REJECTED_IDENTIFIER, detail, ("dns", value))


def check_dns_name(value: str) -> Problem | None:
    """None when ``value`` is an acceptable DNS identifier, else the problem that says why."""
    name = value[2:] if value.startswith("*.") else value
    if len(value) > 253:
        return _reject(value, f"{value!r} is longer than 253 characters")
    if name.endswith("."):
        return _reject(value, f"{value!r} must not end with a dot")
    try:
        ipaddress.ip_address(name)
    except ValueError:
        pass
    else:
        return _reject(value, f"{value!r} is an IP address: use an identifier of type ip")
    labels = name.split(".")
    if len(labels) < 2:
        return _reject(value, f"{value!r} needs at least two labels")
    if "*" in name:
        return _reject(value, f"{value!r}: a wildcard is allowed only as the whole leftmost label")
    for label in labels:
        if not _LABEL.fullmatch(label):
            return _reject(value, f"{value!r} has an invalid label {label!r}")
    if labels[-1].isdigit():
        return _reject(value, f"{value!r} has an all-numeric top-level label")
    return None


def parse_identifiers(raw: Any) -> tuple[Identifier, ...]:
    """Validate the ``identifiers`` member of a newOrder payload (RFC 8555 §7.4)."""
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
        # DNS names compare case-insensitively; we store and sign them lower-cased.
        kind, value = item["type"], item["value"].lower()
        if kind != "dns":
            problems.append(
                Problem(
                    ErrorKind.UNSUPPORTED_IDENTIFIER,
                    f"identifier type {kind!r} is not supported; use dns",
                    (kind, value),
                )
            )
            continue
        problem = check_dns_name(value)
        if problem is not None:
            problems.append(problem)
            continue
        seen.setdefault(value, Identifier("dns", value))
    raise_compound(problems)
    return tuple(sorted(seen.values()))


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
