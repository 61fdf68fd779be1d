"""Helpers shared by the challenge checkers: the per-validation context, failures as data,
quoting, address order."""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass, field
from datetime import datetime

import dns.asyncresolver

from acmehub.domain.errors import ErrorKind, Problem
from acmehub.domain.model import ValidationTask

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class ChallengeError(Exception):
    """Raised inside a checker to stop at the first failure; the VA turns it into data."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.detail)
        self.problem = problem


@dataclass
class CheckContext:
    """One validation in progress: the task, our resolver, the time budget, what was tried.

    Each network step may take ``step`` seconds, and all of them together ``budget`` seconds
    from the moment the context is made; :meth:`step_timeout` hands out what is left.
    """

    task: ValidationTask
    resolver: dns.asyncresolver.Resolver
    step: float
    budget: float
    attempts: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    #: Set by a checker whose proof holds only until then (dns-persist-01's persistUntil).
    valid_until: datetime | None = None

    def note(self, text: str) -> None:
        self.attempts.append(text)

    def fail(self, kind: ErrorKind, detail: str) -> ChallengeError:
        return fail(self.task, kind, detail)

    def step_timeout(self) -> float:
        """Seconds the next network step may take; fails once the whole budget is spent."""
        remaining = self.started + self.budget - time.monotonic()
        if remaining <= 0:
            raise self.fail(
                ErrorKind.CONNECTION,
                f"The validation did not complete within {self.budget:g} seconds",
            )
        return min(self.step, remaining)


def problem_identifier(task: ValidationTask) -> tuple[str, str]:
    return (task.identifier.type, task.identifier.value)


def fail(task: ValidationTask, kind: ErrorKind, detail: str) -> ChallengeError:
    """The exception for a failure of ``task`` (every problem names its identifier)."""
    return ChallengeError(Problem(kind, detail, identifier=problem_identifier(task)))


def quote(data: bytes | str, limit: int = 64) -> str:
    """A short, printable, quoted rendering of untrusted data for a problem detail."""
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    if len(text) > limit:
        return repr(text[:limit]) + " (truncated)"
    return repr(text)


def order_addresses(addresses: list[IPAddress], prefer_ipv6: bool) -> list[IPAddress]:
    """The addresses to try, in order: the first of the preferred family, then the first of the
    other (Let's Encrypt practice for RFC 8555 §8.3 and RFC 8737 §3, which let the server pick
    one address; the second is only a fallback when connecting fails)."""
    v6: list[IPAddress] = [a for a in addresses if a.version == 6]
    v4: list[IPAddress] = [a for a in addresses if a.version == 4]
    first, second = (v6, v4) if prefer_ipv6 else (v4, v6)
    return first[:1] + second[:1]


def host_port(address: IPAddress, port: int) -> str:
    return f"[{address}]:{port}" if address.version == 6 else f"{address}:{port}"


def literal_address(host: str) -> IPAddress | None:
    """``host`` as an IP address when it is one (a URL may name an address directly)."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None
